"""Demo data: a season open today, a few points, and one account for every level.

Idempotent: what exists is reused. Passwords are random on first creation and kept in
$GAOKAO_DATA_DIR/demo-accounts.txt (readable by the owner only) so they can be shown again.
"""

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path

import pyotp
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gaokao.accounts.models import Role, StaffUser
from gaokao.codes.fees import seed_fees
from gaokao.codes.models import Code, Table
from gaokao.lib.idnumber import check_digit
from gaokao.numbering.services import add_range
from gaokao.presets.services import LoadReport, load_categories, load_preset, preset_categories
from gaokao.professional.models import Category
from gaokao.regions.models import Region, RegistrationPoint
from gaokao.seasons.models import Phase, PhaseKind, Season, day_end, day_start

DEMO_SEASON = "演示报名季"

# (county code, point code, name)
POINTS = [
    ("430102", "0102001", "芙蓉区演示中学报名点"),
    ("430102", "0102002", "芙蓉区演示职业学校报名点"),
    ("430103", "0103001", "天心区演示中学报名点"),
    ("430202", "0202001", "荷塘区演示中学报名点"),
]

# The demo school list (in a real season the province loads its own: import-schools).
SCHOOLS = [
    ("4301020001", "芙蓉区演示中学", "430102"),
    ("4301020002", "芙蓉区演示职业学校", "430102"),
    ("4301030001", "天心区演示中学", "430103"),
    ("4302020001", "荷塘区演示中学", "430202"),
]

# (user name, role, region code or point code, real name)
ACCOUNTS = [
    ("demo-province", Role.PROVINCE, "430000", "省考试院演示员"),
    ("demo-changsha", Role.CITY, "430100", "长沙市演示员"),
    ("demo-furong", Role.COUNTY, "430102", "芙蓉区演示员"),
    ("demo-furong-point", Role.POINT, "0102001", "芙蓉区报名点演示员"),
    ("demo-tianxin", Role.COUNTY, "430103", "天心区演示员"),
    ("demo-zhuzhou", Role.CITY, "430200", "株洲市演示员"),
]

RANGE_SIZE = 200

# Demo fees in fen (the real ones are the province's to set).
DEMO_FEES = {"art": 12000, "sports": 10000}
# The ordinary registration fee at the point (S5), in fen, the same for every track.
DEMO_REGISTRATION_FEE = 12000

# Days before and after today for each window, so that the demo is usable today.
WINDOWS = {
    PhaseKind.MAIN: (-7, 14),
    PhaseKind.PROFESSIONAL: (-7, 14),
    PhaseKind.CITY_ART: (-7, 30),
    PhaseKind.CITY_ALL: (-7, 45),
    PhaseKind.YOUTH: (-1, 7),
}


@dataclass
class DemoAccount:
    username: str
    password: str
    role: str
    unit: str
    real_name: str
    id_number: str


def demo_id_number(n: int) -> str:
    """A well-formed, made-up resident ID number (Furong district, born 1985)."""
    first17 = f"43010219850101{n:03d}"
    return first17 + check_digit(first17)


def passwords_file() -> Path:
    return settings.DATA_DIR / "demo-accounts.txt"


def read_passwords() -> dict[str, str]:
    path = passwords_file()
    if not path.exists():
        return {}
    pairs = (line.split("\t", 1) for line in path.read_text().splitlines() if "\t" in line)
    return {name: password for name, password in pairs}


def write_passwords(passwords: dict[str, str]) -> None:
    path = passwords_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{n}\t{p}\n" for n, p in sorted(passwords.items())))
    path.chmod(0o600)


@transaction.atomic
def ensure_demo(today: dt.date | None = None) -> list[DemoAccount]:
    load_preset("hunan-2020")
    season = ensure_season(today or timezone.localdate())
    for code, name, county in SCHOOLS:
        Code.objects.get_or_create(
            table=Table.SCHOOL, code=code, defaults={"name": name, "attrs": {"county": county}}
        )
    for county_code, code, name in POINTS:
        point, _created = RegistrationPoint.objects.get_or_create(
            code=code, defaults={"county": Region.objects.get(code=county_code), "name": name}
        )
        ensure_ranges(season, point)
    return ensure_accounts()


def ensure_ranges(season: Season, point: RegistrationPoint) -> None:
    """200 numbers per subject track for a demo point that has none yet, so intake works
    at once (a county plans real ranges under 号段管理)."""
    if point.number_ranges.filter(season=season).exists():
        return
    for track in Code.objects.of(Table.SUBJECT_TRACK):
        add_range(point.county, season, point, track, RANGE_SIZE, by=None)


def ensure_season(today: dt.date) -> Season:
    province = Region.objects.get(code="430000")
    season, created = Season.objects.get_or_create(
        province=province, name=DEMO_SEASON, defaults={"year": today.year + 1}
    )
    load_categories(season, preset_categories("hunan-2020"), LoadReport())
    for category in Category.objects.filter(season=season, fee_fen=0):
        category.fee_fen = DEMO_FEES[category.kind]
        category.save(update_fields=["fee_fen"])
    seed_fees(season, {t.code: DEMO_REGISTRATION_FEE for t in Code.objects.of(Table.SUBJECT_TRACK)})
    if created:
        for kind, (before, after) in WINDOWS.items():
            Phase.objects.create(
                season=season,
                kind=kind,
                starts_at=day_start(today + dt.timedelta(days=before)),
                ends_at=day_end(today + dt.timedelta(days=after)),
            )
    if not season.is_current:
        Season.objects.filter(is_current=True).update(is_current=False)
        season.is_current = True
        season.save(update_fields=["is_current"])
    return season


def ensure_accounts() -> list[DemoAccount]:
    passwords = read_passwords()
    accounts = []
    for n, (username, role, unit_code, real_name) in enumerate(ACCOUNTS, start=1):
        unit = (
            RegistrationPoint.objects.get(code=unit_code)
            if role == Role.POINT
            else Region.objects.get(code=unit_code)
        )
        user = StaffUser.objects.filter(username=username).first()
        if user is None:
            user = StaffUser(
                username=username,
                role=role,
                real_name=real_name,
                id_number=demo_id_number(n),
                mobile=f"138{n:08d}",
                point=unit if role == Role.POINT else None,
                region=None if role == Role.POINT else unit,
                is_staff=role == Role.PROVINCE,
                is_superuser=role == Role.PROVINCE,
            )
        if not user.id_number:  # a demo set up before real-name data existed
            user.id_number, user.mobile = demo_id_number(n), f"138{n:08d}"
            user.save(update_fields=["id_number", "mobile"])
        if user.pk is None or username not in passwords:
            passwords[username] = secrets.token_urlsafe(9)
            user.set_password(passwords[username])
            user.full_clean()
            user.save()
        accounts.append(
            DemoAccount(
                username,
                passwords[username],
                user.get_role_display(),
                str(unit),
                user.real_name,
                user.id_number,
            )
        )
    write_passwords(passwords)
    return accounts


def current_code(username: str) -> str:
    """The authenticator code a demo account would show now (demo accounts only), so the
    demo can be tried without a phone."""
    if username not in {a[0] for a in ACCOUNTS}:
        raise ValueError(f"{username} is not a demo account")
    user = StaffUser.objects.get(username=username)
    if not user.totp_secret:
        raise ValueError(f"{username} has not set up an authenticator yet")
    return pyotp.TOTP(user.totp_secret).now()
