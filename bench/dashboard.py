"""Progress dashboards (S6) at province scale: the province's, one city's and one county's
counts, against the floor of one bare COUNT(*) … GROUP BY over the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gaokao_bench SECRET_KEY=bench \\
        .venv/bin/python bench/dashboard.py [--candidates 600000] [--repeat 20]

Seeds a fresh database (it must be empty or hold only an earlier run's data: the script
creates what is missing) with Hunan's regions, points and N candidates spread over states,
then times `progress.services.by_unit` + `by_track` for each level. Goal (issue 7/11):
p95 under 300 ms for the province. See bench/README.md.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gaokao.settings")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402

from gaokao.accounts.models import StaffUser  # noqa: E402
from gaokao.candidates.models import Candidate  # noqa: E402
from gaokao.demo.scale import seed_scale  # noqa: E402
from gaokao.progress import services  # noqa: E402
from gaokao.regions.models import Region  # noqa: E402
from gaokao.seasons.models import Season  # noqa: E402
from gaokao.testing.factories import staff_for  # noqa: E402

POINTS_PER_COUNTY = 16  # about 2,000 points for Hunan's 122 counties


def seed(total: int) -> Season:
    """The province at scale (gaokao.demo.scale: `gaokao seed-scale`); only what is missing."""
    call_command("migrate", verbosity=0)
    report = seed_scale(total, points_per_county=POINTS_PER_COUNTY, progress=print)
    return report.season


def staff(region: Region) -> StaffUser:
    """The bench's account for `region` (kept between runs)."""
    username = f"bench-{region.code}"
    existing = StaffUser.objects.filter(username=username).first()
    return existing or staff_for(region, username=username)


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def p95(times: list[float]) -> float:
    return sorted(times)[max(0, round(0.95 * len(times)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    print(f"database: {connection.vendor}; seeding {args.candidates:,} candidates …")
    season = seed(args.candidates)
    province = Region.objects.get(level="province")
    city = Region.objects.get(code="430100")
    county = Region.objects.filter(parent=city).order_by("code").first()
    users = [("province", staff(province)), ("city 长沙", staff(city))]
    users.append((f"county {county.name}", staff(county)))
    total = Candidate.objects.filter(season=season).count()

    def floor():  # one bare grouped count over the same rows: what any dashboard pays
        list(
            Candidate.objects.filter(season=season)
            .values("point__county__parent")
            .annotate(n=Count("pk"))
        )

    def page(user, cold: bool):
        if cold:
            cache.clear()
        services.by_unit(user)
        services.by_track(user)

    print(f"\n{total:,} candidates; {args.repeat} runs each (ms)")
    print(f"{'':34}{'p50':>10}{'p95':>10}")
    base = timed(floor, args.repeat)
    print(f"{'floor: one GROUP BY':34}{statistics.median(base):10.1f}{p95(base):10.1f}")
    for cold in (True, False):
        for label, user in users:
            times = timed(lambda u=user, c=cold: page(u, c), args.repeat)
            name = f"{label} ({'grid recomputed' if cold else 'grid cached'})"
            print(f"{name:34}{statistics.median(times):10.1f}{p95(times):10.1f}")


if __name__ == "__main__":
    main()
