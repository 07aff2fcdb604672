"""A season with an open main window and a point with a range, as for intake (S3)."""

import datetime as dt

import pytest
import time_machine

from gaokao.candidates.tests.conftest import make_range
from gaokao.seasons.models import PhaseKind
from gaokao.testing.factories import CandidateFactory, SeasonFactory, add_phase

IN_MAIN = dt.datetime(2019, 11, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def main_window():
    with time_machine.travel(IN_MAIN):
        yield


@pytest.fixture
def season(county, codes):
    season = SeasonFactory(province=county.parent.parent, is_current=True)
    add_phase(season, PhaseKind.MAIN, opens=dt.date(2019, 10, 28), closes=dt.date(2019, 11, 8))
    return season


@pytest.fixture
def ranges(season, point):
    return {"5": make_range(season, point, "5", 1, 100)}


@pytest.fixture
def candidate(season, point):
    return CandidateFactory(season=season, point=point, student_number="")
