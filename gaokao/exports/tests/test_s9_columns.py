"""S9: which candidates an export holds, and each cell in the national layout (T_BMK) of
docs/domain/candidate-record.md — codes as codes, dates as YYYYMMDD, no mailing address
ever (O4)."""

import datetime as dt

import pytest

from gaokao.candidates.models import Candidate, Stage
from gaokao.codes.models import Code, Table
from gaokao.comments.models import Comment
from gaokao.exports import services
from gaokao.exports.services import HEADER, Filters, exportable, rows, table
from gaokao.testing.factories import CandidateFactory, PointFactory, SeasonFactory

pytestmark = pytest.mark.django_db

NATIONAL = [
    "BMH", "XM", "XBDM", "MZDM", "CSRQ", "ZJLXDM", "ZJHM", "KLDM", "KSLXDM", "ZZMMDM",
    "KSLBDM", "HJLBDM", "DQDM", "BYLBDM", "BYXXDM", "BYXXMC", "XJH", "HKKH", "WYYZDM",
    "CZLBDM", "LXSJ", "LXDH", "TXDZ", "YZBM", "SJR", "KSTC", "KSJLHCF", "SXPDKHYJ",
]  # fmt: skip


def cells(user, candidate) -> dict[str, str]:
    [exported] = table(rows(user, Filters()).filter(pk=candidate.pk))
    return dict(zip(HEADER, exported, strict=True))


def test_s9_the_header_is_the_national_field_list():
    assert list(HEADER) == NATIONAL
    assert len(set(HEADER)) == len(HEADER)


def test_s9_a_candidates_row_holds_its_codes(codes, make, city_user, point_user):
    Code.objects.create(table=Table.SCHOOL, code="4301020001", name="长沙市第一中学")
    candidate = make(
        registration_number="01020007",
        name="欧阳小明",
        sex="1",
        ethnicity="15",
        birth_date=dt.date(2002, 3, 5),
        document_type="1",
        id_number="43010220020305001X",
        subject_track="5",
        political_status="03",
        candidate_category="1",
        household_type="1",
        household_region="430102",
        graduation_type="1",
        school="4301020001",
        student_number="G43010220020305001X",
        proficiency_number="4301010010001",
        foreign_language="1",
        disability_category="",
        mobile="13800138000",
        phone="0731-84000000",
        specialties="篮球",
        awards="2019年省三好学生",
    )
    Comment.objects.create(candidate=candidate, text="思想进步，品德良好。", written_by=point_user)

    assert cells(city_user, candidate) == {
        "BMH": "01020007",
        "XM": "欧阳小明",
        "XBDM": "1",
        "MZDM": "15",
        "CSRQ": "20020305",
        "ZJLXDM": "1",
        "ZJHM": "43010220020305001X",
        "KLDM": "5",
        "KSLXDM": "1",  # 理工: the default exam type, 普通高考
        "ZZMMDM": "03",
        "KSLBDM": "1",
        "HJLBDM": "1",
        "DQDM": "430102",
        "BYLBDM": "1",
        "BYXXDM": "4301020001",
        "BYXXMC": "长沙市第一中学",
        "XJH": "G43010220020305001X",
        "HKKH": "4301010010001",
        "WYYZDM": "1",
        "CZLBDM": "",
        "LXSJ": "13800138000",
        "LXDH": "0731-84000000",
        "TXDZ": "",
        "YZBM": "",
        "SJR": "",
        "KSTC": "篮球",
        "KSJLHCF": "2019年省三好学生",
        "SXPDKHYJ": "思想进步，品德良好。",
    }


def test_s9_the_exam_type_follows_the_subject_track(codes, make, city_user):
    vocational = make(subject_track="9")  # 对口 → 对口招生
    assert cells(city_user, vocational)["KSLXDM"] == "2"
    Code.objects.filter(table=Table.SUBJECT_TRACK, code="9").update(attrs={})
    assert cells(city_user, vocational)["KSLXDM"] == "1"


def test_s9_without_data_yet_the_cells_are_empty(make, city_user):
    candidate = make(school="9999999999")  # not in the school list (any more)
    exported = cells(city_user, candidate)
    assert exported["BYXXDM"] == "9999999999" and exported["BYXXMC"] == ""
    assert exported["SXPDKHYJ"] == "" and exported["KSTC"] == ""


def test_o4_address_postcode_and_recipient_are_always_empty(make, city_user):
    candidate = make(specialties="长沙市芙蓉区五一大道1号 410000", awards="收件人 张三")
    exported = cells(city_user, candidate)
    assert exported["TXDZ"] == exported["YZBM"] == exported["SJR"] == ""
    # ...and no field exists that could fill them.
    names = {f.name for f in Candidate._meta.get_fields()}
    assert not names & {"address", "mailing_address", "postcode", "recipient"}


def test_s9_control_and_format_characters_never_reach_a_cell(make, city_user):
    candidate = make(
        name="张\u202e三\u2066",  # (NUL is refused by PostgreSQL itself: never stored)
        specialties="篮球\x1b[31m\r\n足球\u200b",
        awards="\tA\x07",
    )
    exported = cells(city_user, candidate)
    assert services.clean("张三\x00") == "张三"
    assert exported["XM"] == "张三"
    assert exported["KSTC"] == "篮球[31m\n足球"
    assert exported["KSJLHCF"] == "A"
    assert services.clean("中文　全角空格 ok") == "中文　全角空格 ok"  # spaces are kept


def test_s9_the_city_exports_what_it_has_confirmed(make, city_user):
    at = {stage: make(stage=stage) for stage in Stage}
    assert set(exportable(city_user)) == {at[Stage.CITY], at[Stage.PROVINCE], at[Stage.ACCEPTED]}


def test_s9_the_province_exports_what_reached_it(make, province_user):
    at = {stage: make(stage=stage) for stage in Stage}
    assert set(exportable(province_user)) == {at[Stage.PROVINCE], at[Stage.ACCEPTED]}


def test_s9_county_and_point_staff_export_nothing(make, county_user, point_user):
    for stage in Stage:
        make(stage=stage)
    assert not exportable(county_user).exists() and not exportable(point_user).exists()
    with pytest.raises(services.PermissionDenied):
        services.export_csv(county_user, Filters())


def test_s9_another_citys_candidates_never_appear(make, city_user, other_city_user, other_point):
    ours = make(stage=Stage.CITY)
    theirs = make(stage=Stage.CITY, point=other_point)
    assert list(exportable(city_user)) == [ours]
    assert list(exportable(other_city_user)) == [theirs]


def test_s9_only_the_current_season(make, city_user, point):
    current = make(stage=Stage.CITY)
    CandidateFactory(season=SeasonFactory(is_current=False, year=2019), point=point, stage="city")
    assert list(exportable(city_user)) == [current]


def test_s9_filters_by_subject_track_and_stage(make, city_user):
    science = make(stage=Stage.CITY, subject_track="5")
    arts = make(stage=Stage.PROVINCE, subject_track="1")
    assert list(exportable(city_user, Filters(subject_track="1"))) == [arts]
    assert list(exportable(city_user, Filters(stage=Stage.CITY))) == [science]
    assert not exportable(city_user, Filters(subject_track="1", stage=Stage.CITY)).exists()
    # A stage the level may not export selects nothing, never more.
    assert not exportable(city_user, Filters(stage=Stage.POINT)).exists()


def test_s9_rows_are_read_without_a_query_per_candidate(
    make, city_user, point_user, django_assert_max_num_queries
):
    def queries_for_export() -> int:
        with django_assert_max_num_queries(100) as captured:
            list(services.csv_chunks(rows(city_user, Filters())))
        return len(captured.captured_queries)

    first = make()
    Comment.objects.create(candidate=first, text="好", written_by=point_user)
    few = queries_for_export()
    for n in range(30):
        c = make(point=PointFactory(county=first.point.county))
        Comment.objects.create(candidate=c, text=f"评语{n}", written_by=point_user)
    assert queries_for_export() == few


def test_s9_the_csv_file_is_each_candidates_row_as_the_national_layout_makes_it(
    codes, make, city_user, point_user, monkeypatch
):
    """The whole file, byte for byte: the streamed CSV against the rows written by the csv
    module, with a BOM and formulas made inert, over candidates with every kind of cell —
    empty, dated, encrypted, annotated, formula-like, with control characters — and over
    more than one batch of lines."""
    import csv
    import io

    monkeypatch.setattr(services, "CSV_BATCH", 3)
    Code.objects.create(table=Table.SCHOOL, code="4301020001", name="=长沙市第一中学")
    odd = make(
        name="张\u202e三",
        school="4301020001",
        student_number="G43010220020305001X",
        specialties="+篮球\r\n足球\u200b",
        awards="-2019年省三好学生",
        phone="@0731",
        mobile="",
        stage=Stage.PROVINCE,
    )
    Comment.objects.create(candidate=odd, text="思想进步\x07，品德良好。", written_by=point_user)
    make(subject_track="9", school="9999999999", birth_date=dt.date(1999, 12, 31))
    for n in range(6):
        make(awards=f"奖{n}" if n % 2 else "", ethnicity="" if n % 3 else "01")

    expected = io.StringIO()
    expected.write("\ufeff")
    writer = csv.writer(expected)
    writer.writerow(HEADER)
    for cells_of_one in table(rows(city_user, Filters())):
        writer.writerow([services._inert(v) for v in cells_of_one])
    streamed = b"".join(services.csv_chunks(rows(city_user, Filters())))
    assert streamed == expected.getvalue().encode("utf-8")
    assert streamed.count(b"\r\n") == 9
    assert "'=长沙市第一中学" in streamed.decode() and "G43010220020305001X" in streamed.decode()
