"""Fixtures of the cross-cutting tests here (fuzzing and the hostile-input corpus, issue 10
§4–§5), over the shared ones (gaokao/testing/fixtures.py): the season's professional
window opens with its main one, the clock stands inside both as soon as the season
exists, and a candidate of the point."""

import pytest

from gaokao.seasons.models import PhaseKind
from gaokao.testing.factories import CandidateFactory
from gaokao.testing.fixtures import MAIN_CLOSES, MAIN_OPENS


@pytest.fixture
def windows():
    return [
        (PhaseKind.MAIN, MAIN_OPENS, MAIN_CLOSES),
        (PhaseKind.PROFESSIONAL, MAIN_OPENS, MAIN_CLOSES),
    ]


@pytest.fixture
def season(season, clock):
    return season


@pytest.fixture
def candidate(season, point):
    return CandidateFactory(season=season, point=point)
