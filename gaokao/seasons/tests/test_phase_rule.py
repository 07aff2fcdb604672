"""The one rule for deadlines: is phase P open for region X now? (R2, R2.1–R2.5, E2, E3)"""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from gaokao.presets.services import load_preset
from gaokao.regions.models import Region
from gaokao.seasons.models import Extension, PhaseKind, Season
from gaokao.testing.factories import CountyFactory, SeasonFactory, add_phase, aware, extend

pytestmark = pytest.mark.django_db


@pytest.fixture
def hunan():
    load_preset("hunan-2020")
    return Season.objects.get(name="湖南省2020年普通高等学校招生网上报名")


@pytest.fixture
def furong():
    return Region.objects.get(code="430102")


@pytest.mark.parametrize(
    ("kind", "first_second", "last_second"),
    [
        (PhaseKind.MAIN, (2019, 10, 28, 0, 0, 0), (2019, 11, 8, 23, 59, 59)),  # R2.1
        (PhaseKind.PROFESSIONAL, (2019, 10, 28, 0, 0, 0), (2019, 11, 8, 23, 59, 59)),  # R2.2
        (PhaseKind.CITY_ART, (2019, 10, 28, 0, 0, 0), (2019, 11, 20, 23, 59, 59)),  # R2.3
        (PhaseKind.CITY_ALL, (2019, 10, 28, 0, 0, 0), (2019, 12, 10, 23, 59, 59)),  # R2.4
        (PhaseKind.YOUTH, (2020, 1, 13, 0, 0, 0), (2020, 1, 16, 23, 59, 59)),  # R2.5
    ],
)
def test_r2_hunan_windows_open_on_their_first_and_last_second_only(
    hunan, furong, kind, first_second, last_second
):
    first, last = aware(*first_second), aware(*last_second)
    one_second = dt.timedelta(seconds=1)
    assert not hunan.is_open(kind, furong, first - one_second)
    assert hunan.is_open(kind, furong, first)
    assert hunan.is_open(kind, furong, last)
    assert hunan.is_open(kind, furong, last + dt.timedelta(microseconds=999_999))
    assert not hunan.is_open(kind, furong, last + one_second)


def test_r2_1_server_clock_in_asia_shanghai_decides(hunan, furong):
    # 23:59:59 in Changsha is 15:59:59 UTC; the browser's clock and zone play no part.
    with time_machine.travel(dt.datetime(2019, 11, 8, 15, 59, 59, tzinfo=dt.UTC), tick=False):
        assert hunan.is_open(PhaseKind.MAIN, furong)
    with time_machine.travel(dt.datetime(2019, 11, 8, 16, 0, 0, tzinfo=dt.UTC), tick=False):
        assert not hunan.is_open(PhaseKind.MAIN, furong)


def test_r2_5_youth_window_is_separate_from_main(hunan, furong):
    with time_machine.travel(aware(2020, 1, 14, 10, 0), tick=False):
        assert hunan.is_open(PhaseKind.YOUTH, furong)
        assert not hunan.is_open(PhaseKind.MAIN, furong)


def test_r2_extension_for_a_county_reopens_only_that_county(hunan, furong):
    tianxin = Region.objects.get(code="430103")
    extend(hunan.phase(PhaseKind.MAIN), furong, dt.date(2019, 11, 12))
    at = aware(2019, 11, 12, 23, 59, 59)
    assert hunan.is_open(PhaseKind.MAIN, furong, at)
    assert not hunan.is_open(PhaseKind.MAIN, furong, at + dt.timedelta(seconds=1))
    assert not hunan.is_open(PhaseKind.MAIN, tianxin, at)
    assert not hunan.is_open(PhaseKind.PROFESSIONAL, furong, at)


def test_r2_extension_for_a_city_covers_its_counties_not_other_cities(hunan, furong):
    changsha = Region.objects.get(code="430100")
    hetang = Region.objects.get(code="430202")  # 株洲
    extend(hunan.phase(PhaseKind.MAIN), changsha, dt.date(2019, 11, 15))
    at = aware(2019, 11, 15, 12, 0)
    assert hunan.is_open(PhaseKind.MAIN, changsha, at)
    assert hunan.is_open(PhaseKind.MAIN, furong, at)
    assert not hunan.is_open(PhaseKind.MAIN, hetang, at)


def test_r2_the_latest_of_several_extensions_wins(hunan, furong):
    phase = hunan.phase(PhaseKind.MAIN)
    extend(phase, furong.parent, dt.date(2019, 11, 20))
    extend(phase, furong, dt.date(2019, 11, 12))
    assert phase.ends_at_for(furong) == aware(2019, 11, 20, 23, 59, 59, 999999)


def test_r2_an_extension_must_close_later_than_the_phase(hunan, furong):
    phase = hunan.phase(PhaseKind.MAIN)
    early = Extension(phase=phase, region=furong, ends_at=aware(2019, 11, 1), reason="错误")
    with pytest.raises(ValidationError):
        early.full_clean()


def test_r2_a_phase_the_season_does_not_have_is_closed():
    season = SeasonFactory()
    county = CountyFactory(parent__parent=season.province)
    add_phase(season, PhaseKind.MAIN, opens=dt.date(2019, 10, 28), closes=dt.date(2019, 11, 8))
    assert not season.is_open(PhaseKind.YOUTH, county, aware(2019, 11, 1))


def test_e2_windows_are_data_the_province_can_move(hunan, furong):
    phase = hunan.phase(PhaseKind.MAIN)
    at = aware(2019, 11, 10, 9, 0)
    assert not hunan.is_open(PhaseKind.MAIN, furong, at)
    phase.ends_at = aware(2019, 11, 10, 23, 59, 59)
    phase.save()
    assert hunan.is_open(PhaseKind.MAIN, furong, at)
