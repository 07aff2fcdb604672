"""A current season, a city office and a county with candidates, and files built in code."""

import csv
import datetime as dt
import io

import pytest
from openpyxl import Workbook

from gaokao.testing.factories import CandidateFactory, SeasonFactory

TODAY = dt.date(2020, 5, 10)


@pytest.fixture
def now():
    return dt.datetime.combine(TODAY, dt.time(10, 0), dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def in_english_at_now(english, clock):
    """The tests read messages in the source language, on TODAY."""


@pytest.fixture
def season(county):
    return SeasonFactory(province=county.parent.parent)


@pytest.fixture
def candidates(season, point):
    return [CandidateFactory(season=season, point=point) for _ in range(3)]


@pytest.fixture
def stranger(season, other_point):
    """A candidate of another city."""
    return CandidateFactory(season=season, point=other_point)


def csv_file(header: list[str], rows: list[list], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_file(header: list[str], rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


PHYSICAL = [
    "报名号",
    "身份证号",
    "体检日期",
    "身高",
    "体重",
    "左眼视力",
    "右眼视力",
    "色觉",
    "体检结论",
    "受限说明",
]
PROFICIENCY = ["报名号", "身份证号", "科目", "等级", "考试时间"]
BONUS = ["报名号", "身份证号", "类别", "分值", "依据", "备注"]


def physical_row(c, **changes) -> list:
    row = {
        "报名号": c.registration_number,
        "身份证号": c.id_number,
        "体检日期": "2020-04-15",
        "身高": "172.5",
        "体重": "61",
        "左眼视力": "4.8",
        "右眼视力": "5.0",
        "色觉": "正常",
        "体检结论": "合格",
        "受限说明": "",
    } | changes
    return [row[h] for h in PHYSICAL]
