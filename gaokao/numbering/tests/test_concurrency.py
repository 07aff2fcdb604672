"""S2 under load: county staff saving ranges at the same moment never create an overlap.

Runs on PostgreSQL only (set DATABASE_URL): SQLite lets one writer in at a time and so
cannot show the race that the county lock in `save_ranges` prevents.
"""

import itertools

import pytest

from gaokao.numbering.models import NumberRange
from gaokao.numbering.services import RangeRefused, RangeRow, propose, save_ranges
from gaokao.testing.concurrency import run_together
from gaokao.testing.factories import PointFactory

THREADS = 8
CONTENDERS = 6  # threads whose plans all start at serial 0001; the others plan apart


def overlapping_pairs(ranges):
    ranges = sorted(ranges, key=lambda r: r.first)
    return [(a, b) for a, b in itertools.pairwise(ranges) if b.first <= a.last]


@pytest.mark.django_db(transaction=True)
def test_s2_concurrent_saves_of_one_county_never_overlap(
    postgresql_only, county, county_user, season, arts, science
):
    points = [PointFactory(county=county) for _ in range(THREADS)]
    # Six staff proposed from the same empty county, so every plan starts at 0001 and any two
    # of them overlap; two more planned by hand in separate, free parts of the space.
    plans = [
        propose(county, season, {(points[i], arts if i % 2 else science): 50 + i})
        for i in range(CONTENDERS)
    ]
    assert all(plan[0].first == 1 for plan in plans)
    plans += [
        [RangeRow(points[i], arts, 5000 + 100 * i, 5049 + 100 * i, expected_count=50)]
        for i in range(CONTENDERS, THREADS)
    ]

    def save(i: int) -> str:
        save_ranges(county, season, plans[i], by=county_user)
        return "saved"

    results = run_together(THREADS, save)
    contenders, apart = results[:CONTENDERS], results[CONTENDERS:]
    unexpected = [r for r in results if r != "saved" and not isinstance(r, RangeRefused)]
    assert not unexpected, unexpected
    assert apart == ["saved"] * (THREADS - CONTENDERS)
    assert contenders.count("saved") == 1, contenders
    refused = [r for r in contenders if isinstance(r, RangeRefused)]
    assert len(refused) == CONTENDERS - 1
    assert all({e.code for e in r.error_list} == {"overlap"} for r in refused)

    ranges = list(NumberRange.objects.filter(season=season, point__county=county))
    assert len(ranges) == 1 + THREADS - CONTENDERS
    assert not overlapping_pairs(ranges)
