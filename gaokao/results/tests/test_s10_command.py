"""S10 for large files: `gaokao import-results` runs the same import as the page."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gaokao.audit.models import Action, AuditEvent
from gaokao.results.models import PhysicalExam
from gaokao.results.tests.conftest import PHYSICAL, csv_file, physical_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def physical_file(tmp_path, candidates):
    path = tmp_path / "体检.csv"
    path.write_bytes(csv_file(PHYSICAL, [physical_row(c) for c in candidates]))
    return path


def test_s10_the_command_checks_then_imports_as_a_city_account(physical_file, city_user, capsys):
    call_command(
        "import_results", "physical", str(physical_file), "--user", city_user.username, "--dry-run"
    )
    assert "3 new" in capsys.readouterr().out and not PhysicalExam.objects.exists()
    call_command("import_results", "physical", str(physical_file), "--user", city_user.username)
    assert PhysicalExam.objects.count() == 3
    assert AuditEvent.objects.filter(action=Action.RESULTS_IMPORTED, actor=city_user).exists()


def test_s10_the_command_reports_problems_and_keeps_jurisdiction(
    physical_file, other_city_user, county_user, capsys
):
    with pytest.raises(CommandError, match="nothing was saved"):
        call_command(
            "import_results", "physical", str(physical_file), "--user", other_city_user.username
        )
    assert capsys.readouterr().err.count("line ") == 3
    with pytest.raises(CommandError):
        call_command(
            "import_results", "physical", str(physical_file), "--user", county_user.username
        )
    with pytest.raises(CommandError, match="no active staff account"):
        call_command("import_results", "physical", str(physical_file), "--user", "nobody")
    assert not PhysicalExam.objects.exists()
