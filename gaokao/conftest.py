"""Shared fixtures. Every view test uses three staff users in the manner of healthchecks'
Alice, Bob and Charlie: a county user, a point user of that county, and a user of
*another* county who must see nothing of the first."""

import pytest

from gaokao.testing.factories import CountyFactory, PointFactory, staff_for


@pytest.fixture
def county(db):
    return CountyFactory()


@pytest.fixture
def point(county):
    return PointFactory(county=county)


@pytest.fixture
def other_county(db):
    return CountyFactory()


@pytest.fixture
def other_point(other_county):
    return PointFactory(county=other_county)


@pytest.fixture
def county_user(county):
    return staff_for(county)


@pytest.fixture
def point_user(point):
    return staff_for(point)


@pytest.fixture
def other_county_user(other_county, other_point):
    return staff_for(other_county)
