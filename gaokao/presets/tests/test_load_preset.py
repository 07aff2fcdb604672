"""The Hunan 2020 preset: regions (R1), code tables and schedule (R2, E2) as data."""

import pytest
from django.core.management import CommandError, call_command

from gaokao.codes.models import Code, Table
from gaokao.presets.services import load_preset
from gaokao.regions.models import Region
from gaokao.seasons.models import Phase, PhaseKind, Season

pytestmark = pytest.mark.django_db


def counts():
    return (
        Region.objects.count(),
        Code.objects.count(),
        Season.objects.count(),
        Phase.objects.count(),
    )


def test_r1_hunan_preset_has_14_cities_and_122_counties():
    load_preset("hunan-2020")
    province = Region.objects.get(level="province")
    assert (province.code, province.name) == ("430000", "湖南省")
    assert Region.objects.filter(level="city", parent=province).count() == 14
    assert Region.objects.filter(level="county", parent__parent=province).count() == 122
    xiangxi = Region.objects.get(code="433100")
    assert xiangxi.children.count() == 8
    assert Region.objects.get(code="430182").name == "宁乡市"  # renamed from 宁乡县 in 2017


def test_r1_county_city_county_code_defaults_to_gb2260_digits_3_to_6():
    load_preset("hunan-2020")
    assert Region.objects.get(code="430102").registration_code == "0102"
    assert Region.objects.get(code="433101").registration_code == "3101"  # 吉首市, 湘西州
    assert not Region.objects.filter(level="county", registration_code__isnull=True).exists()


def test_r2_hunan_preset_carries_the_five_windows_of_the_plan():
    load_preset("hunan-2020")
    season = Season.objects.get()
    assert season.year == 2020
    assert set(season.phases.values_list("kind", flat=True)) == set(PhaseKind.values)


def test_e2_code_tables_are_loaded_as_data():
    load_preset("hunan-2020")
    assert Code.objects.of(Table.ETHNICITY).count() == 58
    assert Code.objects.of(Table.ETHNICITY).get(code="15").name == "土家族"
    for table in set(Table.values) - {Table.SCHOOL}:  # the school list is the province's file
        assert Code.objects.of(table).exists(), table
    # A candidate category names the household type it requires.
    assert Code.objects.get(table=Table.CANDIDATE_CATEGORY, code="2").attrs["household_type"] == "2"


def test_r1_loading_twice_changes_nothing():
    first = load_preset("hunan-2020")
    before = counts()
    second = load_preset("hunan-2020")
    assert counts() == before
    assert second.created == {}
    assert second.existing == first.created


def test_e2_loading_again_keeps_the_provinces_edits():
    load_preset("hunan-2020")
    Region.objects.filter(code="430102").update(registration_code="9102")
    Code.objects.filter(table=Table.SUBJECT_TRACK, code="1").update(name="文科")
    load_preset("hunan-2020")
    assert Region.objects.get(code="430102").registration_code == "9102"
    assert Code.objects.get(table=Table.SUBJECT_TRACK, code="1").name == "文科"


def test_r1_load_preset_command_reports_and_refuses_unknown_presets(capsys):
    call_command("load_preset", "hunan-2020")
    assert "regions: 137 created" in capsys.readouterr().out
    call_command("load_preset", "hunan-2020")
    assert "regions: 0 created, 137 already there" in capsys.readouterr().out
    with pytest.raises(CommandError, match="unknown preset"):
        call_command("load_preset", "../../etc")
