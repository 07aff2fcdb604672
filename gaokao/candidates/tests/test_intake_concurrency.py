"""S3 under load, on PostgreSQL: simultaneous intakes at one point get distinct numbers from
the point's range, and one person read at two points at once is registered once."""

from collections import Counter

import pytest

from gaokao.candidates import services
from gaokao.candidates.models import Candidate
from gaokao.candidates.services import IntakeRefused
from gaokao.candidates.tests.conftest import card
from gaokao.testing.concurrency import run_together
from gaokao.testing.factories import PointFactory, make_range

pytestmark = pytest.mark.django_db(transaction=True)


def test_s3_fifty_simultaneous_intakes_get_fifty_distinct_numbers_within_the_ranges(
    postgresql_only, season, point, point_user
):
    make_range(season, point, "5", 1, 30)
    make_range(season, point, "5", 500, 529)
    results = run_together(
        50, lambda i: services.take_in_from_card(season, point, "5", card(i), by=point_user)
    )
    assert [r for r in results if not isinstance(r, Candidate)] == []
    serials = [int(c.registration_number[4:]) for c in results]
    assert len(set(serials)) == 50
    assert all(1 <= s <= 30 or 500 <= s <= 529 for s in serials)
    assert Candidate.objects.count() == 50


def test_s3_the_same_card_at_two_points_at_once_registers_once(
    postgresql_only, season, point, county
):
    other = PointFactory(county=county)
    make_range(season, point, "5", 1, 10)
    make_range(season, other, "5", 11, 20)
    points = [point, other] * 4
    results = run_together(
        8, lambda i: services.take_in_from_card(season, points[i], "5", card(7), by=None)
    )
    kinds = Counter(type(r).__name__ for r in results)
    assert kinds == {"Candidate": 1, "IntakeRefused": 7}, results
    assert all(e.code == "duplicate" for e in results if isinstance(e, IntakeRefused))
    assert Candidate.objects.count() == 1
