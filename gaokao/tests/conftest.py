"""Fixtures of the cross-cutting tests here (fuzzing and the hostile-input corpus, issue 10
§4–§5): a current season whose windows are all open, the clock inside them, a point's
number range, an enrolled point client, and a candidate of the point."""

import datetime as dt

import pytest
import time_machine

from gaokao.codes.models import Code, Table
from gaokao.numbering.models import NumberRange
from gaokao.seasons.models import PhaseKind
from gaokao.testing.factories import CandidateFactory, SeasonFactory, add_phase

NOW = dt.datetime(2019, 11, 5, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def season(county, codes, clock):
    season = SeasonFactory(province=county.parent.parent)
    for kind in (PhaseKind.MAIN, PhaseKind.PROFESSIONAL):
        add_phase(season, kind, opens=dt.date(2019, 10, 28), closes=dt.date(2019, 11, 15))
    return season


@pytest.fixture
def number_range(season, point):
    track = Code.objects.get(table=Table.SUBJECT_TRACK, code="5")
    return NumberRange.objects.create(
        season=season, point=point, subject_track=track, first=1, last=100, next_serial=1
    )


@pytest.fixture
def candidate(season, point):
    return CandidateFactory(season=season, point=point)


@pytest.fixture
def device(point, point_user):
    from gaokao.sync.tests.conftest import make_device

    return make_device(point, point_user)
