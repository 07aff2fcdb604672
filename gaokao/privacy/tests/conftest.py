"""A season with an open main window and a point with a range, as for intake (S3)."""

import datetime as dt

import pytest

from gaokao.testing.factories import CandidateFactory, make_range

IN_MAIN = dt.datetime(2019, 11, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def now():
    return IN_MAIN


@pytest.fixture
def main_window(clock):
    """The test at IN_MAIN, inside the shared season's main window."""


@pytest.fixture
def ranges(season, point):
    return {"5": make_range(season, point, "5", 1, 100)}


@pytest.fixture
def candidate(season, point):
    return CandidateFactory(season=season, point=point, student_number="")
