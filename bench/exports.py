"""Exports (S9): time and peak memory of the CSV, XLSX and photos ZIP exports at two sizes,
and the CSV against PostgreSQL's own COPY of the same query (the floor).

    .venv/bin/python bench/exports.py [--count 20000] [--no-photos] [--keep]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/benches SECRET_KEY=bench \\
        .venv/bin/python bench/exports.py --pg --count 600000        # seed, then measure
    DATABASE_URL=... .venv/bin/python bench/exports.py --existing   # a seeded province

By default it seeds N submitted candidates (and one current photo each, all pointing at the
same small JPEG file) into a fresh SQLite database in a temporary directory, never the
project's own. With --pg it seeds them into the PostgreSQL database DATABASE_URL names (a
scratch database: it refuses one that already holds candidates); with --existing it seeds
nothing and exports the current season's candidates as they are (e.g. after `gaokao
seed-scale`). Then it runs each export the way the views do (the service call and the whole
stream read to the end), once for half of the candidates (one subject track) and once for
all of them, each in a process of its own, which reports its peak RSS (VmHWM) and, in a
second run under tracemalloc, the peak of memory Python allocated. On PostgreSQL the CSV is
compared with `COPY (the same query) TO STDOUT WITH CSV` read whole by psycopg. See
bench/README.md.
"""

import argparse
import datetime as dt
import gc
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import use_bench_keys  # noqa: E402

PER_COUNTY = 9000  # a county's 4-digit serials run out at 9,999
BATCH = 2000
MiB = 1024 * 1024
CHILD = "GAOKAO_BENCH_EXPORTS_CHILD"
USERNAME = "bench-exports-province"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000, help="candidates (default 20000)")
    parser.add_argument("--no-photos", action="store_true", help="skip the photos ZIP")
    parser.add_argument(
        "--formats",
        default="",
        help="comma-separated of csv,xlsx,zip (default: all three; csv alone with --existing)",
    )
    parser.add_argument("--pg", action="store_true", help="seed into DATABASE_URL (PostgreSQL)")
    parser.add_argument(
        "--existing",
        action="store_true",
        help="use DATABASE_URL's current season as it is, seed nothing",
    )
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--child", nargs=3, metavar=("KIND", "TRACK", "TRACE"), help=argparse.SUPPRESS
    )
    return parser.parse_args()


ARGS = parse_args()
if ARGS.child:
    WORK = Path(os.environ.get("GAOKAO_DATA_DIR", "var"))  # the parent's, never removed here
elif ARGS.pg or ARGS.existing:
    WORK = Path(tempfile.mkdtemp(prefix="gaokao-bench-exports-"))
    if ARGS.pg:  # the photo file seeded goes here; --existing reads the seeded data dir's
        os.environ["GAOKAO_DATA_DIR"] = str(WORK)
    use_bench_keys()
else:
    WORK = Path(tempfile.mkdtemp(prefix="gaokao-bench-exports-"))
    # A database of its own, whatever DATABASE_URL says: the bench writes N candidates.
    os.environ["GAOKAO_DATA_DIR"] = str(WORK)
    os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.sqlite3'}"
    os.environ.pop("SECRET_KEY", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gaokao.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from PIL import Image  # noqa: E402

from gaokao.accounts.models import StaffUser  # noqa: E402
from gaokao.candidates.models import Candidate, IdentitySource, Stage  # noqa: E402
from gaokao.codes.models import Code, Table  # noqa: E402
from gaokao.exports import services  # noqa: E402
from gaokao.lib.idnumber import check_digit  # noqa: E402
from gaokao.photos.models import CandidatePhoto  # noqa: E402
from gaokao.presets.services import PRESETS_DIR, LoadReport, load_codes  # noqa: E402
from gaokao.seasons.models import Season  # noqa: E402
from gaokao.testing.factories import CountyFactory, PointFactory, SeasonFactory, staff_for  # noqa: E402


def seed(count: int, with_photos: bool) -> StaffUser:
    load_codes(Path(PRESETS_DIR) / "hunan-2020" / "codes.csv", LoadReport())
    season = SeasonFactory()
    first_point = None
    photo_path = "photos/normalised/bench.jpg"
    if with_photos:
        target = Path(settings.MEDIA_ROOT) / photo_path
        target.parent.mkdir(parents=True)
        Image.new("RGB", (480, 640), (100, 197, 255)).save(target, "JPEG", quality=80)
        photo_bytes = target.read_bytes()
        photo_sha = hashlib.sha256(photo_bytes).hexdigest()
    Code.objects.get_or_create(table=Table.SCHOOL, code="4301020001", name="长沙市第一中学")
    born = dt.date(2001, 1, 1)
    made = 0
    while made < count:
        point = PointFactory(county=CountyFactory())
        first_point = first_point or point
        taker = staff_for(point)
        prefix = point.county.registration_code
        in_county = min(PER_COUNTY, count - made)
        for start in range(0, in_county, BATCH):
            candidates = []
            for serial in range(start + 1, min(start + BATCH, in_county) + 1):
                n = made + serial
                birth = born + dt.timedelta(days=n // 1000)
                first17 = f"430102{birth:%Y%m%d}{n % 1000:03d}"
                candidates.append(
                    Candidate(
                        season=season,
                        point=point,
                        subject_track="1" if n % 2 == 0 else "5",
                        registration_number=f"{prefix}{serial:04d}",
                        document_type="1",
                        id_number=first17 + check_digit(first17),
                        name=f"测试考生{n}",
                        sex="1" if n % 2 else "2",
                        ethnicity="01",
                        birth_date=birth,
                        identity_source=IdentitySource.READER,
                        political_status="03",
                        candidate_category="1",
                        household_type="1",
                        household_region="430102",
                        graduation_type="1",
                        school="4301020001",
                        student_number="G" + first17 + check_digit(first17),
                        proficiency_number=f"43010100{n:05d}",
                        foreign_language="1",
                        mobile=f"138{n:08d}",
                        specialties="篮球、长跑，获市中学生运动会男子1500米第二名。",
                        awards="2019年度校三好学生。",
                        stage=Stage.PROVINCE,
                    )
                )
            Candidate.objects.bulk_create(candidates)
            if with_photos:
                CandidatePhoto.objects.bulk_create(
                    CandidatePhoto(
                        candidate=c,
                        original=photo_path,
                        normalised=photo_path,
                        source="camera",
                        original_type="image/jpeg",
                        original_width=480,
                        original_height=640,
                        original_bytes=len(photo_bytes),
                        original_sha256=photo_sha,
                        normalised_bytes=len(photo_bytes),
                        normalised_sha256=photo_sha,
                        quality=80,
                        taken_by=taker,
                    )
                    for c in candidates
                )
        made += in_county
        if count >= 100_000:
            print(f"  seeded {made:,}", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return staff_for(first_point.county.parent.parent, username=USERNAME)


def province_user() -> StaffUser:
    """The bench's province account for the current season (kept between runs)."""
    existing = StaffUser.objects.filter(username=USERNAME).first()
    if existing:
        return existing
    season = Season.objects.filter(is_current=True).select_related("province").first()
    if season is None:
        sys.exit("no current season: seed the database first (gaokao seed-scale)")
    return staff_for(season.province, username=USERNAME)


# ── one line, in a process of its own ───────────────────────────────────────────────────


def peak_rss() -> float:
    """VmHWM: the most resident memory this process has had (MiB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def drain(export: services.Export) -> int:
    if export.file is not None:
        size = export.file.seek(0, io.SEEK_END)
        export.file.close()
        return size
    return sum(len(chunk) for chunk in export.chunks)


def copy_floor(user: StaffUser, filters: services.Filters) -> int:
    """PostgreSQL's COPY of the very query the CSV export runs (same rows, same order, the
    same columns selected), read to the end by psycopg: the ID numbers go out encrypted."""
    sql, params = services.rows(user, filters).query.sql_with_params()
    size = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        statement = f"COPY ({raw.mogrify(sql, params)}) TO STDOUT WITH CSV HEADER"
        with raw.copy(statement) as copy:
            for block in copy:
                size += len(block)
    return size


KINDS = {
    "csv": lambda u, f: drain(services.export_csv(u, f)),
    "xlsx": lambda u, f: drain(services.export_xlsx(u, f)),
    "zip": lambda u, f: drain(services.export_photos(u, f)),
    "copy": copy_floor,
}


def child(kind: str, track: str, trace: bool) -> None:
    user = StaffUser.objects.get(username=USERNAME)
    filters = services.Filters(subject_track=track)
    rows = services.exportable(user, filters).count()
    connection.close()  # the COUNT's connection is not part of the run
    start_rss = peak_rss()
    gc.collect()
    started = time.perf_counter()
    size = KINDS[kind](user, filters)
    seconds = time.perf_counter() - started
    rss = peak_rss()
    traced = None
    if trace:
        gc.collect()
        tracemalloc.start()
        KINDS[kind](user, filters)
        traced = tracemalloc.get_traced_memory()[1] / MiB
        tracemalloc.stop()
    print(json.dumps({"rows": rows, "size": size, "seconds": seconds, "rss": rss,
                      "start_rss": start_rss, "traced": traced}))  # fmt: skip


def measure(kind: str, track: str, trace: bool) -> dict:
    command = [sys.executable, __file__, "--child", kind, track or "-", "1" if trace else "0"]
    done = subprocess.run(  # noqa: S603 (this script, with its own arguments)
        command, capture_output=True, text=True, env=os.environ, check=False
    )
    if done.returncode:
        sys.exit(f"{kind} {track}: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    if ARGS.child:
        kind, track, trace = ARGS.child
        child(kind, "" if track == "-" else track, trace == "1")
        return
    postgres = connection.vendor == "postgresql"
    if (ARGS.pg or ARGS.existing) and not postgres:
        sys.exit("--pg and --existing need DATABASE_URL to name a PostgreSQL database")
    default = "csv" if ARGS.existing else "csv,xlsx" + ("" if ARGS.no_photos else ",zip")
    formats = [f for f in (ARGS.formats or default).split(",") if f]
    try:
        call_command("migrate", verbosity=0)
        if ARGS.existing:
            province_user()  # made once; each run finds it by its name
        else:
            if ARGS.pg and Candidate.objects.exists():
                sys.exit("the database holds candidates already: use --existing, or a new one")
            started = time.perf_counter()
            seed(ARGS.count, with_photos="zip" in formats)
            print(f"{ARGS.count} candidates seeded in {time.perf_counter() - started:.1f} s")
        total = Candidate.objects.filter(season__is_current=True).count()
        print(f"database: {connection.vendor}; {total:,} candidates in the current season")
        connection.close()

        labels = {"csv": "CSV", "xlsx": "XLSX", "zip": "photos ZIP", "copy": "floor: COPY"}
        lines = [k for k in ("csv", "xlsx", "zip") if k in formats]
        if postgres and "csv" in lines:
            lines.insert(lines.index("csv") + 1, "copy")
        trace = not ARGS.no_trace
        head = ("rows", "MiB out", "seconds", "peak MiB", "RSS MiB", "+RSS")
        print(f"{'':14}{head[0]:>9}" + "".join(f"{h:>10}" for h in head[1:]))
        results = {}
        # Track by track, ours then its floor: on a shared machine, what is compared runs
        # as close together in time as it can.
        order = [(k, t) for k in lines for t in ("1", "")]
        if "copy" in lines:
            order.sort(key=lambda kt: (kt[0] in ("xlsx", "zip"), kt[1] == "", kt[0] == "copy"))
        for kind, track in order:
            r = measure(kind, track, trace)
            results[kind, track] = r
            traced = f"{r['traced']:>10.2f}" if r["traced"] is not None else f"{'-':>10}"
            print(
                f"{labels[kind]:14}{r['rows']:>9}{r['size'] / MiB:>10.1f}"
                f"{r['seconds']:>10.2f}{traced}{r['rss']:>10.1f}"
                f"{r['rss'] - r['start_rss']:>10.1f}",
                flush=True,
            )
        if ("copy", "") in results:
            print("(the floor copies the ID numbers as stored, encrypted; ours decrypts them)")
            for track, label in (("1", "half"), ("", "all")):
                ours, floor = results["csv", track], results["copy", track]
                print(f"ratio CSV / COPY ({label}):{ours['seconds'] / floor['seconds']:>12.2f}")
        elif "csv" in lines:
            print("floor: PostgreSQL COPY, not available on SQLite (run with --pg)")
    finally:
        if ARGS.keep:
            print(f"kept {WORK}")
        else:
            shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
