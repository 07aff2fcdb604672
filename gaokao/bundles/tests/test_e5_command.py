"""E5: a county imports a large bundle with `gaokao bundles import FILE --user`, without the
browser's upload limits: the same check (dry run) and the same rules, audited under the
county account; a second import changes nothing; a foreign county's account is refused."""

import pytest
from django.core.management import CommandError, call_command

from gaokao.audit.models import Action, AuditEvent
from gaokao.bundles.tests.conftest import create_change
from gaokao.candidates.models import Candidate
from gaokao.sync.models import Receipt

pytestmark = pytest.mark.django_db


@pytest.fixture
def bundle_file(tmp_path, write, point, number_range):
    path = tmp_path / "point.gkb"
    path.write_bytes(write([create_change(point, 1), create_change(point, 2)]))
    return path


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("bundles", "import", *map(str, args), stdout=out)
    return out.getvalue()


def test_e5_dry_run_reports_and_changes_nothing(bundle_file, county_user):
    out = run(bundle_file, "--user", county_user.username, "--dry-run")
    assert "2 条修改（2 条新的）" in out and "试运行" in out  # commands speak Chinese
    assert Candidate.objects.count() == 0 and Receipt.objects.count() == 0


def test_e5_import_applies_once_and_is_audited(bundle_file, county_user):
    first = run(bundle_file, "--user", county_user.username, "--yes")
    assert "已应用：2，此前已收到：0" in first
    assert Candidate.objects.count() == 2
    event = AuditEvent.objects.get(action=Action.BUNDLE_IMPORTED)
    assert event.actor == county_user
    again = run(bundle_file, "--user", county_user.username, "--yes")
    assert Candidate.objects.count() == 2 and Receipt.objects.count() == 2
    assert "已应用：0，此前已收到：2" in again


def test_e5_without_yes_and_without_a_terminal_nothing_is_applied(bundle_file, county_user):
    with pytest.raises(CommandError, match="--yes"):
        run(bundle_file, "--user", county_user.username)
    assert Candidate.objects.count() == 0


def test_e5_another_countys_account_is_refused(bundle_file, other_county_user):
    with pytest.raises(CommandError):
        run(bundle_file, "--user", other_county_user.username, "--yes")
    assert Candidate.objects.count() == 0


def test_e5_a_point_account_cannot_import(bundle_file, point_user):
    with pytest.raises(CommandError):
        run(bundle_file, "--user", point_user.username, "--yes")


def test_e5_a_truncated_file_is_refused_with_its_reason(bundle_file, county_user):
    bundle_file.write_bytes(bundle_file.read_bytes()[:-100])
    with pytest.raises(CommandError) as e:
        run(bundle_file, "--user", county_user.username, "--yes")
    assert "数据包不完整" in str(e.value)
    assert Candidate.objects.count() == 0
