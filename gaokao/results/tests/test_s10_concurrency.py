"""S10 on PostgreSQL: the same file imported twice at the same moment creates every record
once; one import creates them and the other finds them unchanged."""

from collections import Counter

import pytest

from gaokao.results import services
from gaokao.results.models import PhysicalExam
from gaokao.results.tests.conftest import PHYSICAL, csv_file, physical_row
from gaokao.testing.concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def test_s10_the_same_file_imported_twice_at_once_creates_each_record_once(
    postgresql_only, city_user, province_user, candidates
):
    data = csv_file(PHYSICAL, [physical_row(c) for c in candidates])
    users = [city_user, province_user] * 2
    reports = run_together(
        4,
        lambda i: services.run_import("physical", data, "p.csv", by=users[i], dry_run=False),
    )
    assert all(isinstance(r, services.ImportReport) and r.saved for r in reports), reports
    actions = Counter(row.action for r in reports for row in r.rows)
    assert actions == {"create": 3, "unchanged": 9}
    assert PhysicalExam.objects.count() == 3
