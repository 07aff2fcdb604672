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
import random
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
from django.utils import timezone  # noqa: E402

from gaokao.accounts.models import StaffUser  # noqa: E402
from gaokao.candidates.models import Candidate, Stage  # noqa: E402
from gaokao.lib.idnumber import check_digit  # noqa: E402
from gaokao.presets.services import load_preset  # noqa: E402
from gaokao.progress import services  # noqa: E402
from gaokao.regions.models import Region, RegistrationPoint  # noqa: E402
from gaokao.seasons.models import Season  # noqa: E402
from gaokao.testing.factories import staff_for  # noqa: E402

POINTS_PER_COUNTY = 16  # about 2,000 points for Hunan's 122 counties
BATCH = 20_000


def seed(total: int) -> Season:
    call_command("migrate", verbosity=0)
    load_preset("hunan-2020")
    season = Season.objects.get(name__contains="2020")
    Season.objects.update(is_current=False)
    Season.objects.filter(pk=season.pk).update(is_current=True)
    counties = list(Region.objects.filter(level="county").order_by("code"))
    points = []
    for county in counties:
        for n in range(1, POINTS_PER_COUNTY + 1):
            code = f"{county.registration_code}{n:03d}"
            points.append(
                RegistrationPoint.objects.get_or_create(
                    code=code, defaults={"county": county, "name": f"{county.name}{n}号报名点"}
                )[0]
            )
    have = Candidate.objects.filter(season=season).count()
    rng = random.Random(2020)  # noqa: S311 (seeded test data, not secrets)
    now = timezone.now()
    stages = [Stage.POINT] * 5 + [Stage.COUNTY] * 2 + [Stage.CITY, Stage.PROVINCE, Stage.ACCEPTED]
    for start in range(have, total, BATCH):
        rows = []
        for i in range(start, min(start + BATCH, total)):
            point = points[i % len(points)]
            first17 = f"{point.county.code}2002{i % 12 + 1:02d}{i % 28 + 1:02d}{i % 1000:03d}"
            done = rng.random()
            rows.append(
                Candidate(
                    season=season,
                    point=point,
                    subject_track=rng.choice("1555533478"),
                    registration_number=f"{point.county.registration_code}{i % 10000:04d}",
                    id_number=first17 + check_digit(first17),
                    name=f"考生{i}",
                    sex="1",
                    ethnicity="01",
                    birth_date="2002-01-01",
                    identity_source="1",
                    credentials_issued_at=now if done > 0.1 else None,
                    confirmation_password="x" if done > 0.2 else "",
                    data_saved_at=now if done > 0.3 else None,
                    fee_fen=12000 if done > 0.05 else None,
                    stage=rng.choice(stages) if done > 0.4 else Stage.POINT,
                )
            )
        Candidate.objects.bulk_create(rows)
        print(f"  seeded {min(start + BATCH, total):,} candidates", flush=True)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
    return season


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
