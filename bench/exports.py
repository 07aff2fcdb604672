"""Exports (S9): peak memory of the CSV, XLSX and photos ZIP exports at two sizes.

    .venv/bin/python bench/exports.py [--count 20000] [--no-photos] [--keep]

Seeds N submitted candidates (and one current photo each, all pointing at the same small
JPEG file) into a fresh SQLite database in a temporary directory, never the project's own,
then runs each export the way the views do (the service call and the whole stream read to
the end) under tracemalloc, once for half of the candidates (one subject track) and once
for all of them. Flat memory shows as the same peak for both. See bench/README.md.
"""

import argparse
import datetime as dt
import gc
import hashlib
import io
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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
from PIL import Image  # noqa: E402

from gaokao.candidates.models import Candidate, IdentitySource, Stage  # noqa: E402
from gaokao.codes.models import Code, Table  # noqa: E402
from gaokao.exports import services  # noqa: E402
from gaokao.lib.idnumber import check_digit  # noqa: E402
from gaokao.photos.models import CandidatePhoto  # noqa: E402
from gaokao.presets.services import PRESETS_DIR, LoadReport, load_codes  # noqa: E402
from gaokao.testing.factories import CountyFactory, PointFactory, SeasonFactory, staff_for  # noqa: E402

PER_COUNTY = 9000  # a county's 4-digit serials run out at 9,999
BATCH = 2000
MiB = 1024 * 1024


def seed(count: int, with_photos: bool):
    settings.MEDIA_ROOT = WORK / "media"
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
    return staff_for(first_point.county.parent.parent)


def drain(export: services.Export) -> int:
    if export.file is not None:
        size = export.file.seek(0, io.SEEK_END)
        export.file.close()
        return size
    return sum(len(chunk) for chunk in export.chunks)


def measure(run) -> tuple[int, float, float]:
    """Bytes out, seconds (untraced: tracemalloc slows Python down several times) and the
    peak of memory allocated by Python during a second, traced run."""
    gc.collect()
    started = time.perf_counter()
    size = run()
    seconds = time.perf_counter() - started
    gc.collect()
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return size, seconds, peak / MiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000, help="candidates (default 20000)")
    parser.add_argument("--no-photos", action="store_true", help="skip the photos ZIP")
    parser.add_argument("--keep", action="store_true", help=f"keep {WORK}")
    args = parser.parse_args()
    try:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        user = seed(args.count, with_photos=not args.no_photos)
        print(f"{args.count} candidates seeded in {time.perf_counter() - started:.1f} s")

        kinds = [("CSV", services.export_csv), ("XLSX", services.export_xlsx)]
        if not args.no_photos:
            kinds.append(("photos ZIP", services.export_photos))
        half, everyone = services.Filters(subject_track="1"), services.Filters()
        print(f"{'':14}{'rows':>9}{'MiB out':>10}{'seconds':>10}{'peak MiB':>10}")
        for label, export in kinds:
            for filters in (half, everyone):
                rows = services.exportable(user, filters).count()
                size, seconds, peak = measure(lambda e=export, f=filters: drain(e(user, f)))
                print(f"{label:14}{rows:>9}{size / MiB:>10.1f}{seconds:>10.2f}{peak:>10.2f}")
    finally:
        if args.keep:
            print(f"kept {WORK}")
        else:
            shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
