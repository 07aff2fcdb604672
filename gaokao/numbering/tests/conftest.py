"""Fixtures for number ranges: the current season of the county's province, two subject
tracks, a second point of the county. `helpers.issue` stands in for the intake that issues
numbers from a range."""

import pytest

from gaokao.codes.models import Code, Table
from gaokao.testing.factories import PointFactory, SeasonFactory


@pytest.fixture
def season(county):
    return SeasonFactory(province=county.parent.parent)


@pytest.fixture
def arts(db):
    return Code.objects.create(table=Table.SUBJECT_TRACK, code="1", name="文史", sort_order=10)


@pytest.fixture
def science(db):
    return Code.objects.create(table=Table.SUBJECT_TRACK, code="5", name="理工", sort_order=20)


@pytest.fixture
def point2(county, point):
    return PointFactory(county=county)
