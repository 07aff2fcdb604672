"""A province at scale, for the benchmarks (issue 11): `gaokao seed-scale --candidates 600000`.

Hunan's regions and code tables (the hunan-2020 preset), its season made current and open
now, `points_per_county` points in every county (16: about 2,000), number ranges per point and
subject track covering its candidates, staff accounts for every unit, and N candidates spread
over the counties, points, subject tracks, eligibility paths and the states of registration,
with one shared photo file and some professional exam registrations.

Known secrets, for the benchmarks and never for a real database:

- every seeded candidate signs in to the portal with `PORTAL_PASSWORD` and confirms saves
  with `CONFIRMATION_PASSWORD`: one hash of each is computed once and shared by all rows
  (hashing 600,000 passwords one by one would take hours);
- every staff account (`scale-province`, `scale-<region code>`, `scale-point-<point code>`)
  has `STAFF_PASSWORD`, real-name data confirmed and the TOTP secret `TOTP_SECRET`
  (`pyotp.TOTP(TOTP_SECRET).now()` is the current code).

Deterministic and idempotent: candidate j of a (point, track) cell holds the j-th serial of
that cell's ranges, and everything else about it follows from `seed` and its county, so a
second run creates only what is missing. Rows are written with bulk inserts in batches,
bypassing the services (no audit events): the ID numbers are still encrypted and their blind
index computed by the fields themselves, as for every bulk_create.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import random
import time
import tomllib
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from gaokao.accounts.models import Role, StaffUser
from gaokao.candidates.models import (
    Candidate,
    EligibilityPath,
    IdentitySource,
    ReviewState,
    Stage,
)
from gaokao.codes.models import Code, Table
from gaokao.demo.services import DEMO_FEES
from gaokao.lib.idnumber import check_digit
from gaokao.numbering.models import LAST_SERIAL, NumberRange, registration_number
from gaokao.numbering.services import range_size
from gaokao.payments.models import PaymentOrder
from gaokao.photos.models import CandidatePhoto, PhotoSource
from gaokao.presets.services import PRESETS_DIR, load_preset
from gaokao.privacy import crypto
from gaokao.professional.models import Category, Registration
from gaokao.regions.models import Region, RegistrationPoint
from gaokao.seasons.models import Extension, Season, day_end

PRESET = "hunan-2020"
PORTAL_PASSWORD = "kaosheng-2020"  # noqa: S105 (seeded benchmark data, documented above)
CONFIRMATION_PASSWORD = "queren-2020"  # noqa: S105
STAFF_PASSWORD = "scale staff 2020"  # noqa: S105
TOTP_SECRET = "GAOKAOSCALEBENCHMARK2020"  # noqa: S105 (base32)
PHOTO_NAME = "photos/normalised/scale/shared.jpg"
BATCH = 10_000
FEE_FEN = 12000  # a sample registration fee (the province sets the real one)
HEADROOM_PERCENT = 10
OPEN_DAYS = 30  # the season's windows are kept open this many days from the seeding
EXTENSION_REASON = "seed-scale: the benchmarks run in an open window"

# Subject tracks and their share of a point's candidates (roughly Hunan's mix).
TRACK_WEIGHTS = {"5": 45.0, "1": 30.0, "9": 14.0, "3": 5.0, "7": 2.5, "4": 2.0, "8": 1.4, "6": 0.1}
ETHNICITIES = ("01",) * 90 + ("15",) * 4 + ("06",) * 3 + ("12",) * 2 + ("13",)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉鹏宇浩然欣怡梓轩子涵思雨"
FIRST_STAFF_ID = 900000  # staff ID numbers use sequence numbers no candidate uses


@dataclass
class ScaleReport:
    season: Season
    created: dict[str, int] = field(default_factory=dict)
    total: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, kind: str, n: int) -> None:
        self.created[kind] = self.created.get(kind, 0) + n


class SeedError(Exception):
    pass


def seed_scale(
    candidates: int,
    *,
    points_per_county: int = 16,
    seed: int = 2020,
    progress: Callable[[str], None] | None = None,
) -> ScaleReport:
    """Build (or complete) the province; see the module's docstring."""
    say = progress or (lambda _message: None)
    started = time.perf_counter()
    load_preset(PRESET)
    season = current_season()
    report = ScaleReport(season)
    report.add("extensions", open_windows(season))
    report.add("categories priced", price_categories(season))
    counties = list(
        Region.objects.filter(level=Region.Level.COUNTY, registration_code__isnull=False)
        .select_related("parent")
        .order_by("code")
    )
    per_county = -(-candidates // len(counties)) if counties else 0
    if range_size(per_county, HEADROOM_PERCENT) + points_per_county * len(TRACK_WEIGHTS) > (
        LAST_SERIAL
    ):
        raise SeedError(
            f"{candidates:,} candidates need about {per_county:,} numbers per county; a county "
            f"issues at most {LAST_SERIAL:,}"
        )
    points = ensure_points(counties, points_per_county, report)
    staff = ensure_staff(counties, points, report)
    photo = shared_photo()
    tracks = {c.code: c for c in Code.objects.of(Table.SUBJECT_TRACK)}
    missing = [t for t in TRACK_WEIGHTS if t not in tracks]
    if missing:
        raise SeedError(f"subject tracks missing from the code tables: {missing}")
    writer = Writer(season, photo, staff, report, say)
    for index, county in enumerate(counties):
        n = candidates // len(counties) + (1 if index < candidates % len(counties) else 0)
        seed_county(season, county, points[county.pk], tracks, n, seed, writer, report)
    writer.flush()
    report.add("payment orders", pay_registrations(season))
    if connection.vendor == "postgresql":
        say("ANALYZE …")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    report.total = {
        "points": RegistrationPoint.objects.filter(county__in=counties).count(),
        "number ranges": NumberRange.objects.filter(season=season).count(),
        "staff accounts": StaffUser.objects.filter(username__startswith="scale-").count(),
        "candidates": Candidate.objects.filter(season=season).count(),
        "photos": CandidatePhoto.objects.filter(candidate__season=season).count(),
        "professional registrations": Registration.objects.filter(candidate__season=season).count(),
        "payment orders": PaymentOrder.objects.filter(
            registration__candidate__season=season
        ).count(),
    }
    report.seconds = time.perf_counter() - started
    return report


# ── the season, points and staff ───────────────────────────────────────────────────────


def current_season() -> Season:
    with (PRESETS_DIR / PRESET / "season.toml").open("rb") as f:
        name = tomllib.load(f)["name"]
    season = Season.objects.get(name=name)
    if not season.is_current:
        with transaction.atomic():
            Season.objects.filter(is_current=True).update(is_current=False)
            Season.objects.filter(pk=season.pk).update(is_current=True)
        season.is_current = True
    return season


def open_windows(season: Season) -> int:
    """Every window of the season open for the whole province now (the benchmarks save
    data): an extension granted to the province where a window has closed."""
    province, now = season.province, timezone.now()
    closes = day_end(timezone.localdate() + dt.timedelta(days=OPEN_DAYS))
    added = 0
    for phase in season.phases.all():
        if phase.starts_at > now:
            phase.starts_at = now - dt.timedelta(days=1)
            phase.save(update_fields=["starts_at"])
        if not phase.is_open_for(province, now):
            Extension.objects.create(
                phase=phase, region=province, ends_at=closes, reason=EXTENSION_REASON
            )
            added += 1
    return added


def price_categories(season: Season) -> int:
    """The preset's professional categories are not offered until priced: the demo's fees."""
    unpriced = list(Category.objects.filter(season=season, fee_fen=0))
    for category in unpriced:
        category.fee_fen = DEMO_FEES[category.kind]
        category.save(update_fields=["fee_fen"])
    return len(unpriced)


def ensure_points(
    counties: list[Region], per_county: int, report: ScaleReport
) -> dict[int, list[RegistrationPoint]]:
    """`per_county` points in each county, coded county code + 001, 002, …"""
    wanted = {
        f"{county.registration_code}{n:03d}": (county, n)
        for county in counties
        for n in range(1, per_county + 1)
    }
    have = set(
        RegistrationPoint.objects.filter(code__in=list(wanted)).values_list("code", flat=True)
    )
    new = [
        RegistrationPoint(code=code, county=county, name=f"{county.name}{n}号报名点")
        for code, (county, n) in wanted.items()
        if code not in have
    ]
    RegistrationPoint.objects.bulk_create(new, batch_size=1000)
    report.add("points", len(new))
    by_county: dict[int, list[RegistrationPoint]] = {c.pk: [] for c in counties}
    by_code = {c.pk: c for c in counties}
    for point in RegistrationPoint.objects.filter(code__in=list(wanted)).order_by("code"):
        point.county = by_code[point.county_id]
        by_county[point.county_id].append(point)
    return by_county


def staff_username(unit: Region | RegistrationPoint) -> str:
    if isinstance(unit, RegistrationPoint):
        return f"scale-point-{unit.code}"
    return "scale-province" if unit.level == Region.Level.PROVINCE else f"scale-{unit.code}"


def staff_id_number(n: int) -> str:
    first17 = f"430102{dt.date(1980, 1, 1) + dt.timedelta(days=n // 1000):%Y%m%d}{n % 1000:03d}"
    return first17 + check_digit(first17)


def ensure_staff(
    counties: list[Region], points: dict[int, list[RegistrationPoint]], report: ScaleReport
) -> dict[int, StaffUser]:
    """One account per unit (the province, each city and county, each point), all with
    STAFF_PASSWORD and TOTP_SECRET; returns the point accounts by point id."""
    cities = {c.parent_id: c.parent for c in counties}
    units: list[Region | RegistrationPoint] = [Region.objects.get(level=Region.Level.PROVINCE)]
    units += sorted(cities.values(), key=lambda r: r.code) + counties
    units += [p for county in counties for p in points[county.pk]]
    have = set(
        StaffUser.objects.filter(username__startswith="scale-").values_list("username", flat=True)
    )
    hashed, now = make_password(STAFF_PASSWORD), timezone.now()
    new = []
    for n, unit in enumerate(units):
        username = staff_username(unit)
        if username in have:
            continue
        is_point = isinstance(unit, RegistrationPoint)
        role = Role.POINT if is_point else Role(unit.level)
        new.append(
            StaffUser(
                username=username,
                password=hashed,
                role=role,
                region=None if is_point else unit,
                point=unit if is_point else None,
                real_name=f"{unit.name}工作人员"[:50],
                id_number=staff_id_number(FIRST_STAFF_ID + n),
                mobile=f"139{n:08d}",
                real_name_verified_at=now,
                totp_secret=TOTP_SECRET,
                is_staff=role == Role.PROVINCE,
            )
        )
    StaffUser.objects.bulk_create(new, batch_size=1000)
    report.add("staff accounts", len(new))
    point_ids = [p.pk for county in counties for p in points[county.pk]]
    return {
        u.point_id: u for u in StaffUser.objects.filter(role=Role.POINT, point_id__in=point_ids)
    }


def shared_photo() -> dict:
    """One 480 × 640 JPEG in the media storage that every seeded photo row points at."""
    if not default_storage.exists(PHOTO_NAME):
        from PIL import Image, ImageDraw

        image = Image.new("RGB", (480, 640), (236, 240, 245))
        draw = ImageDraw.Draw(image)
        draw.ellipse((150, 120, 330, 340), fill=(210, 180, 160))
        draw.rectangle((90, 360, 390, 640), fill=(40, 60, 90))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=85)
        default_storage.save(PHOTO_NAME, ContentFile(out.getvalue()))
    with default_storage.open(PHOTO_NAME, "rb") as f:
        data = f.read()
    digest = hashlib.sha256(data).hexdigest()
    return {
        "original": PHOTO_NAME,
        "normalised": PHOTO_NAME,
        "original_type": "image/jpeg",
        "original_width": 480,
        "original_height": 640,
        "original_bytes": len(data),
        "original_sha256": digest,
        "normalised_bytes": len(data),
        "normalised_sha256": digest,
        "quality": 85,
    }


# ── number ranges and candidates ───────────────────────────────────────────────────────


def cell_counts(
    points: list[RegistrationPoint], n: int, rng: random.Random
) -> dict[tuple[int, str], int]:
    """How many of the county's `n` candidates each (point, track) holds: each candidate's
    track drawn by TRACK_WEIGHTS, each track's candidates spread evenly over the points (the
    odd ones on the next points in turn, so that small tracks do not all go to the first)."""
    drawn = Counter(rng.choices(list(TRACK_WEIGHTS), weights=TRACK_WEIGHTS.values(), k=n))
    counts, turn = {}, 0
    for track in TRACK_WEIGHTS:
        total = drawn.get(track, 0)
        for i, point in enumerate(points):
            extra = 1 if (i - turn) % len(points) < total % len(points) else 0
            counts[(point.pk, track)] = total // len(points) + extra
        turn += total % len(points)
    return counts


def ensure_ranges(
    season: Season,
    county: Region,
    points: list[RegistrationPoint],
    tracks: dict[str, Code],
    counts: dict[tuple[int, str], int],
    report: ScaleReport,
) -> dict[tuple[int, str], list[NumberRange]]:
    """Ranges covering every cell's count (+10 %), in the order a county plans them (track,
    then point), each new one after the serials the county's ranges already take."""
    existing = list(
        NumberRange.objects.filter(season=season, point__county=county).order_by("first")
    )
    by_track_pk = {t.pk: code for code, t in tracks.items()}
    cells: dict[tuple[int, str], list[NumberRange]] = {}
    for r in existing:
        cells.setdefault((r.point_id, by_track_pk.get(r.subject_track_id, "")), []).append(r)
    top = max((r.last for r in existing), default=0)
    new = []
    order = sorted(tracks, key=lambda code: (tracks[code].sort_order, code))
    for track in order:
        for point in points:
            need = counts.get((point.pk, track), 0)
            have = sum(r.size for r in cells.get((point.pk, track), []))
            if need <= have:
                continue
            size = range_size(need - have, HEADROOM_PERCENT)
            if top + size > LAST_SERIAL:
                raise SeedError(f"{county.name}: the ranges need more than {LAST_SERIAL} serials")
            r = NumberRange(
                season=season,
                point=point,
                subject_track=tracks[track],
                first=top + 1,
                last=top + size,
                next_serial=top + 1,
                expected_count=need,
            )
            new.append(r)
            cells.setdefault((point.pk, track), []).append(r)
            top += size
    NumberRange.objects.bulk_create(new)
    report.add("number ranges", len(new))
    return cells


def seed_county(
    season: Season,
    county: Region,
    points: list[RegistrationPoint],
    tracks: dict[str, Code],
    n: int,
    seed: int,
    writer: Writer,
    report: ScaleReport,
) -> None:
    counts = cell_counts(points, n, random.Random(f"{seed}-{county.code}-tracks"))  # noqa: S311
    cells = ensure_ranges(season, county, points, tracks, counts, report)
    have = set(
        Candidate.objects.filter(season=season, point__county=county).values_list(
            "registration_number", flat=True
        )
    )
    rng = random.Random(f"{seed}-{county.code}")  # noqa: S311 (test data, not secrets)
    for point in points:
        for track in TRACK_WEIGHTS:
            need = counts.get((point.pk, track), 0)
            serials = ((r, s) for r in cells.get((point.pk, track), []) for s in r_serials(r))
            for _j, (number_range, serial) in zip(range(need), serials, strict=False):
                number = registration_number(county.registration_code, serial)
                spec = draw(rng)  # drawn for every candidate, so the sequence never shifts
                if number not in have:
                    writer.add(point, number_range, track, county, serial, number, spec)
                if number_range.next_serial <= serial:
                    number_range.next_serial = serial + 1
                    writer.ranges[number_range.pk] = number_range


def r_serials(r: NumberRange) -> range:
    return range(r.first, r.last + 1)


@dataclass
class Spec:
    """What the random draw decided about one candidate."""

    level: int  # 0 taken in · 1 checked · 2 card issued · 3 signed in · 4 data saved · 5 sent up
    path: str
    review: str
    stage: str
    reader: bool
    ethnicity: str
    name: str
    category: str
    political: str
    language: str
    mobile: str
    professional: float


def draw(rng: random.Random) -> Spec:
    u, p, r, s = rng.random(), rng.random(), rng.random(), rng.random()
    level = 0 if u < 0.03 else 1 if u < 0.08 else 2 if u < 0.18 else 3 if u < 0.30 else 4
    if level == 4 and s < 0.35:
        level = 5
    path = EligibilityPath.NORMAL
    if p < 0.015:
        path = EligibilityPath.MIGRANT
    elif p < 0.025:
        path = EligibilityPath.OTHER_DOCUMENT
    elif p < 0.03:
        path = EligibilityPath.NO_CARD
    review = ReviewState.NOT_REQUIRED
    if path != EligibilityPath.NORMAL:
        review = ReviewState.APPROVED
        if r < 0.25:
            review = ReviewState.PENDING if r < 0.2 else ReviewState.REJECTED
        if review != ReviewState.APPROVED:
            level = 0  # nothing further until the review clears the identity
    stage = Stage.POINT
    if level == 5:
        stage = (Stage.COUNTY, Stage.COUNTY, Stage.CITY, Stage.PROVINCE, Stage.ACCEPTED)[
            int(s / 0.35 * 5)
        ]
    name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=1 + (rng.random() < 0.7)))
    return Spec(
        level=level,
        path=path,
        review=review,
        stage=stage,
        reader=path == EligibilityPath.NORMAL or path == EligibilityPath.MIGRANT,
        ethnicity=rng.choice(ETHNICITIES),
        name=name,
        category=rng.choice("1122224"),
        political=rng.choice(("03",) * 6 + ("13",) * 3 + ("01",)),
        language=rng.choice("1111111113"),
        mobile=f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
        professional=rng.random(),
    )


def candidate_id_number(county: Region, serial: int) -> str:
    """Unique in the county for serials 1–9999: the sequence digits are serial % 1000 and
    each thousand of serials has its own span of 36 birth days (2001-09-01 on)."""
    day = dt.date(2001, 9, 1) + dt.timedelta(days=serial // 1000 * 36 + serial * 7 % 36)
    first17 = f"{county.code}{day:%Y%m%d}{serial % 1000:03d}"
    return first17 + check_digit(first17)


def insert_rows(model, columns: list[str], rows: list[list]) -> None:
    """Rows of database-ready values into `model`'s table: COPY on PostgreSQL (several times
    faster than INSERT), executemany elsewhere."""
    if not rows:
        return
    qn = connection.ops.quote_name
    table, names = qn(model._meta.db_table), ", ".join(qn(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608


class RowMaker:
    """Database-ready rows of one model: every column's default once, then per row only the
    values that differ (building model instances costs more than the insert itself)."""

    def __init__(self, model, now: dt.datetime, skip: tuple[str, ...] = ()):
        self.fields = [f for f in model._meta.concrete_fields if f.name not in skip]
        self.columns = [f.column for f in self.fields]
        self.index = {f.attname: i for i, f in enumerate(self.fields)}
        template = []
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            elif f.has_default():
                value = f.get_default()
            else:  # given by every row unless it may be blank
                value = "" if f.empty_strings_allowed and not f.null else None
            template.append(f.get_db_prep_save(value, connection))
        self.template = template
        self.uuid = (lambda u: u) if connection.vendor == "postgresql" else (lambda u: u.hex)
        self.date = connection.ops.adapt_datefield_value
        self.time = lambda value: connection.ops.adapt_datetimefield_value(value)

    def row(self, values: dict) -> list:
        row = list(self.template)
        index = self.index
        for name, value in values.items():
            row[index[name]] = value
        return row


ID_LABEL = "candidates.candidate.id_number"
STUDENT_LABEL = "candidates.candidate.student_number"


class Writer:
    """Candidates, their photos and professional registrations, inserted per batch."""

    def __init__(self, season, photo, staff, report, say):
        self.season, self.photo, self.staff, self.report, self.say = (
            season,
            photo,
            staff,
            report,
            say,
        )
        now = timezone.now()
        self.candidate_rows = RowMaker(Candidate, now)
        self.photo_rows = RowMaker(CandidatePhoto, now)
        self.registration_rows = RowMaker(Registration, now, skip=("id",))
        self.now = self.candidate_rows.time(now)
        self.portal_hash = make_password(PORTAL_PASSWORD)
        self.confirmation_hash = make_password(CONFIRMATION_PASSWORD)
        self.categories: dict[str, list[Category]] = {}
        for category in Category.objects.filter(season=season, is_active=True):
            for track in category.tracks:
                self.categories.setdefault(track, []).append(category)
        self.candidates: list[list] = []
        self.photos: list[list] = []
        self.registrations: list[list] = []
        self.ranges: dict[int, NumberRange] = {}  # whose next serial moved
        self.started = time.perf_counter()
        self.written = 0

    def add(self, point, number_range, track, county, serial, number, spec: Spec) -> None:
        now, staff, rows = self.now, self.staff.get(point.pk), self.candidate_rows
        staff_id = staff.pk if staff is not None else None
        pk = uuid.uuid4()
        id_number = candidate_id_number(county, serial)
        birth = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
        checked, issued, saved = spec.level >= 1, spec.level >= 2, spec.level >= 4
        reviewed = spec.review in (ReviewState.APPROVED, ReviewState.REJECTED)
        values = {
            "id": rows.uuid(pk),
            "season_id": self.season.pk,
            "point_id": point.pk,
            "subject_track": track,
            "registration_number": number,
            "number_range_id": number_range.pk,
            "document_type": "Z" if spec.path == EligibilityPath.OTHER_DOCUMENT else "1",
            "id_number": crypto.encrypt(id_number, ID_LABEL),
            "id_number_index": crypto.blind_index(id_number),
            "name": spec.name,
            "sex": "1" if int(id_number[16]) % 2 else "2",
            "ethnicity": spec.ethnicity,
            "birth_date": rows.date(birth),
            "identity_source": IdentitySource.READER if spec.reader else IdentitySource.MANUAL,
            "identity_verified_at": now if spec.reader or reviewed else None,
            "eligibility_path": spec.path,
            "review_state": spec.review,
            "reviewed_at": now if reviewed else None,
            "review_reason": "证件信息不符" if spec.review == ReviewState.REJECTED else "",
            "created_by_id": staff_id,
            "stage": spec.stage,
        }
        if spec.reader:
            values["issuing_authority"] = f"{county.name}公安局"[:50]
            values["valid_from"] = rows.date(dt.date(2018, birth.month, min(birth.day, 28)))
            values["valid_until"] = rows.date(dt.date(2028, birth.month, min(birth.day, 28)))
        if checked:
            values.update(
                documents_received=True,
                fee_fen=FEE_FEN,
                fee_receipt=f"SJ{number}",
                eligibility="eligible",
                point_checked_by_id=staff_id,
                point_checked_at=now,
            )
        if issued:
            values.update(
                portal_password=self.portal_hash,
                credentials_issued_at=now,
                credentials_issued_count=1,
            )
        if spec.level >= 3:
            values.update(confirmation_password=self.confirmation_hash, portal_last_login=now)
        if saved:
            values.update(
                political_status=spec.political,
                candidate_category=spec.category,
                household_type="1" if spec.category in "13" else "2",
                household_region=county.code,
                graduation_type="1" if track != "9" else "2",
                student_number=crypto.encrypt("G" + id_number, STUDENT_LABEL),
                foreign_language=spec.language,
                disability_category="0",
                mobile=spec.mobile,
                data_saved_at=now,
                version=2,
            )
        self.candidates.append(rows.row(values))
        if staff is not None:  # every candidate is photographed at intake
            photo = {"id": self.photo_rows.uuid(uuid.uuid4()), "candidate_id": rows.uuid(pk)}
            photo.update(self.photo, source=PhotoSource.CAMERA, taken_by_id=staff_id)
            photo["created_at"] = now
            self.photos.append(self.photo_rows.row(photo))
        offered = self.categories.get(track, [])
        if saved and offered and spec.professional < 0.9:
            category = offered[int(spec.professional * 10) % len(offered)]
            paid = spec.professional < 0.75
            self.registrations.append(
                self.registration_rows.row(
                    {
                        "candidate_id": rows.uuid(pk),
                        "category_id": category.pk,
                        "main_item": category.main_items[0] if category.main_items else "",
                        "exam_phone": spec.mobile,
                        "status": Registration.Status.PAID if paid else Registration.Status.UNPAID,
                        "paid_at": now if paid else None,
                    }
                )
            )
        if len(self.candidates) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.candidates and not self.ranges:
            return
        with transaction.atomic():
            # The numbers issued and their candidates in one transaction.
            NumberRange.objects.bulk_update(self.ranges.values(), ["next_serial"], batch_size=500)
            insert_rows(Candidate, self.candidate_rows.columns, self.candidates)
            insert_rows(CandidatePhoto, self.photo_rows.columns, self.photos)
            insert_rows(Registration, self.registration_rows.columns, self.registrations)
        self.report.add("candidates", len(self.candidates))
        self.report.add("photos", len(self.photos))
        self.report.add("professional registrations", len(self.registrations))
        self.written += len(self.candidates)
        seconds = time.perf_counter() - self.started
        self.say(f"  {self.written:,} candidates written ({self.written / seconds:,.0f}/s)")
        self.candidates, self.photos, self.registrations, self.ranges = [], [], [], {}


def pay_registrations(season: Season) -> int:
    """A paid order for every paid registration that has none (one INSERT … SELECT)."""
    qn = connection.ops.quote_name
    order, registration = PaymentOrder._meta, Registration._meta
    candidate, category = Candidate._meta, Category._meta
    expires = connection.ops.adapt_datetimefield_value(timezone.now() + dt.timedelta(hours=2))
    paid = connection.ops.adapt_datetimefield_value(timezone.now())
    sql = f"""
        INSERT INTO {qn(order.db_table)} (registration_id, out_trade_no, channel, amount_fen,
            state, transaction_id, pay_kind, pay_content, pay_fields, expires_at, created_at,
            paid_at, needs_review, review_note)
        SELECT r.id, 'S' || c.registration_number || k.code,
            CASE WHEN r.id %% 2 = 1 THEN 'wechat' ELSE 'alipay' END, k.fee_fen,
            'paid', 'scale' || c.registration_number, '', '', '{{}}', %s, %s, %s, %s, ''
        FROM {qn(registration.db_table)} r
        JOIN {qn(candidate.db_table)} c ON c.id = r.candidate_id
        JOIN {qn(category.db_table)} k ON k.id = r.category_id
        WHERE c.season_id = %s AND r.status = 'paid' AND NOT EXISTS (
            SELECT 1 FROM {qn(order.db_table)} o WHERE o.registration_id = r.id)
    """  # noqa: S608 (names from the models, values as parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, [expires, paid, paid, False, season.pk])
        return cursor.rowcount
