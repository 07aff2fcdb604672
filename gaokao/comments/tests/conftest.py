"""A current season for the shared county and `other_county`, candidates at their points,
and helpers to build upload files (UTF-8 or GBK CSV, XLSX)."""

import csv
import io

import pytest
from openpyxl import Workbook

from gaokao.testing.factories import CandidateFactory


@pytest.fixture
def windows():
    return []  # no window: what the comment tests check does not depend on one


@pytest.fixture
def make(season):
    """make(point, **fields): a candidate of the current season at `point`."""

    def make(point, **kwargs):
        return CandidateFactory(season=season, point=point, **kwargs)

    return make


@pytest.fixture
def candidate(make, point):
    return make(point, name="张三")


@pytest.fixture
def foreign(make, other_point):
    """A candidate of another county."""
    return make(other_point, name="李四")


def csv_bytes(rows, header=("报名号", "评语"), encoding="utf-8"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, header=("报名号", "评语")):
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
