"""The province's school list (S6: "school from the list"): loaded from CSV, all or
nothing, idempotent, offered grouped by county."""

import pytest
from django.core.management import CommandError, call_command

from gaokao.codes.models import Code, Table
from gaokao.codes.schools import SchoolFileError, import_schools

pytestmark = pytest.mark.django_db

HEADER = "code,name,county\n"


def csv_bytes(county, *rows: str) -> bytes:
    return (HEADER + "".join(r.format(county=county.code) + "\n" for r in rows)).encode()


def schools():
    return {
        c.code: (c.name, c.attrs["county"], c.is_active)
        for c in Code.objects.filter(table=Table.SCHOOL)
    }


def test_s6_school_list_loads_and_loading_again_changes_nothing(county):
    data = csv_bytes(county, "4301020001,长沙市第一中学,{county}", "4301020002,演示中学,{county}")
    first = import_schools(data)
    assert (first.created, first.updated, first.errors) == (2, 0, [])
    assert schools()["4301020001"] == ("长沙市第一中学", county.code, True)
    again = import_schools(data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_s6_a_renamed_school_is_updated_and_one_missing_from_the_file_stays(county):
    import_schools(csv_bytes(county, "1,旧名中学,{county}", "2,留下中学,{county}"))
    report = import_schools(csv_bytes(county, "1,新名中学,{county}"))
    assert (report.updated, report.not_in_file) == (1, 1)
    assert schools() == {
        "1": ("新名中学", county.code, True),
        "2": ("留下中学", county.code, True),
    }


def test_s6_any_bad_row_saves_nothing_and_every_bad_row_is_reported(county):
    data = csv_bytes(
        county,
        "4301020001,好学校,{county}",
        "43-01,坏代码,{county}",
        "4301020001,重复,{county}",
        "4301020003,,{county}",
        "4301020004,不存在的县,999999",
        "4301020005,控\x07制,{county}",
        "4301020006," + "长" * 61 + ",{county}",
    )
    report = import_schools(data)
    assert [line for line, _problem in report.errors] == [3, 4, 5, 6, 7, 8]
    assert not report.saved and schools() == {}


def test_s6_a_dry_run_reports_and_saves_nothing(county):
    report = import_schools(csv_bytes(county, "1,演示中学,{county}"), dry_run=True)
    assert report.created == 1 and not report.saved and schools() == {}


@pytest.mark.parametrize(
    "data", [b"name,county\n", "code,name,county\n1,中学,430102\n".encode("gbk")]
)
def test_s6_an_unreadable_file_is_refused_whole(county, data):
    with pytest.raises(SchoolFileError):
        import_schools(data)


def test_s6_the_command_reports_and_fails_on_bad_rows(county, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(county, "1,演示中学,{county}"))
    call_command("import_schools", str(good))
    assert "1 new" in capsys.readouterr().out and "1" in schools()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(county, "2,中学,000000"))
    with pytest.raises(CommandError, match="nothing was saved"):
        call_command("import_schools", str(bad))
    assert "line 2" in capsys.readouterr().err and "2" not in schools()
