"""Factories for tests: a small province built on demand, never a big JSON fixture.

The tree mirrors a real province (a city, its counties, their points) with Hunan-shaped
codes; `sequence` keeps codes unique when a test needs several of each.
"""

import datetime as dt

import factory
from django.utils import timezone

from gaokao.accounts.models import Role, StaffUser
from gaokao.candidates.models import Candidate, IdentitySource
from gaokao.lib.idnumber import check_digit
from gaokao.regions.models import Region, RegistrationPoint
from gaokao.seasons.models import Extension, Phase, PhaseKind, Season

PASSWORD = "correct horse battery staple"


class ProvinceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ["code"]

    code = "430000"
    name = "湖南省"
    level = Region.Level.PROVINCE


class CityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    parent = factory.SubFactory(ProvinceFactory)
    code = factory.Sequence(lambda n: f"43{n % 99 + 1:02d}00")
    name = factory.Sequence(lambda n: f"测试市{n + 1}")
    level = Region.Level.CITY


class CountyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    parent = factory.SubFactory(CityFactory)
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.parent.code[:4]}{n % 89 + 10:02d}")
    name = factory.Sequence(lambda n: f"测试县{n + 1}")
    level = Region.Level.COUNTY
    registration_code = factory.LazyAttribute(lambda o: Region.default_registration_code(o.code))


class PointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegistrationPoint

    county = factory.SubFactory(CountyFactory)
    code = factory.LazyAttributeSequence(
        lambda o, n: f"{o.county.registration_code}{n % 999 + 1:03d}"
    )
    name = factory.Sequence(lambda n: f"测试报名点{n + 1}")


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffUser
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    role = Role.COUNTY
    region = factory.SubFactory(CountyFactory)
    real_name = factory.Sequence(lambda n: f"工作人员{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def staff_for(unit: Region | RegistrationPoint, **kwargs) -> StaffUser:
    """A staff account working for `unit` (a region of any level, or a point)."""
    if isinstance(unit, RegistrationPoint):
        return StaffFactory(role=Role.POINT, point=unit, region=None, **kwargs)
    role = {"province": Role.PROVINCE, "city": Role.CITY, "county": Role.COUNTY}[unit.level]
    return StaffFactory(role=role, region=unit, **kwargs)


class SeasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Season

    province = factory.SubFactory(ProvinceFactory)
    year = 2020
    name = factory.Sequence(lambda n: f"测试报名季{n}")
    is_current = True


def add_phase(
    season: Season, kind: str = PhaseKind.MAIN, *, opens: dt.date, closes: dt.date
) -> Phase:
    """A window from the start of `opens` to the last instant of `closes`, Asia/Shanghai."""
    from gaokao.seasons.models import day_end, day_start

    return Phase.objects.create(
        season=season, kind=kind, starts_at=day_start(opens), ends_at=day_end(closes)
    )


def extend(phase: Phase, region: Region, closes: dt.date, reason: str = "测试延期") -> Extension:
    from gaokao.seasons.models import day_end

    return Extension.objects.create(
        phase=phase, region=region, ends_at=day_end(closes), reason=reason
    )


def make_range(season: Season, point: RegistrationPoint, track: str, first: int, last: int):
    """The point's numbers `first` to `last` for subject track `track` (code tables loaded),
    none issued yet."""
    from gaokao.codes.models import Code, Table
    from gaokao.numbering.models import NumberRange

    code = Code.objects.get(table=Table.SUBJECT_TRACK, code=track)
    return NumberRange.objects.create(
        season=season, point=point, subject_track=code, first=first, last=last, next_serial=first
    )


def resident_id(n: int, area: str = "430102", birth: str = "20020315") -> str:
    """A well-formed, made-up resident ID number; `n` picks the sequence digits."""
    first17 = f"{area}{birth}{n % 1000:03d}"
    return first17 + check_digit(first17)


class CandidateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Candidate

    season = factory.SubFactory(SeasonFactory)
    point = factory.SubFactory(PointFactory)
    subject_track = "5"  # 理工
    name = factory.Sequence(lambda n: f"考生{n}")
    registration_number = factory.LazyAttributeSequence(
        lambda o, n: f"{o.point.county.registration_code}{n % 9999 + 1:04d}"
    )
    id_number = factory.Sequence(lambda n: resident_id(n, birth=f"2002{n // 1000 % 12 + 1:02d}15"))
    sex = factory.LazyAttribute(lambda o: "1" if int(o.id_number[16]) % 2 else "2")
    ethnicity = "01"
    birth_date = factory.LazyAttribute(
        lambda o: dt.date(int(o.id_number[6:10]), int(o.id_number[10:12]), int(o.id_number[12:14]))
    )
    identity_source = IdentitySource.READER
    identity_verified_at = factory.LazyFunction(timezone.now)


class CategoryFactory(factory.django.DjangoModelFactory):
    """A priced art category open to the art tracks (艺术（文）3, 艺术（理）7)."""

    class Meta:
        model = "professional.Category"

    season = factory.SubFactory(SeasonFactory)
    code = factory.Sequence(lambda n: f"C{n}")
    name = factory.Sequence(lambda n: f"专业{n}")
    kind = "art"
    fee_fen = 12000
    tracks = factory.LazyFunction(lambda: ["3", "7"])


def aware(*args: int) -> dt.datetime:
    """An aware datetime in the server's time zone (Asia/Shanghai)."""
    return timezone.make_aware(dt.datetime(*args))
