"""A province for the incident tests: `county` (with `point` and a neighbouring point) in a
city with a sibling county, and `other_county` (with `other_point`) in another city."""

import datetime as dt

import pytest
from django.utils import timezone

from gaokao.incidents import services
from gaokao.testing.factories import CountyFactory, PointFactory, aware, staff_for

NOW = aware(2019, 11, 5, 10, 0)


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def ticking():
    return False


@pytest.fixture(autouse=True)
def at_now(clock):
    """Every test here runs with the clock stopped at NOW."""


@pytest.fixture
def city(county):
    return county.parent


@pytest.fixture
def province(county):
    return county.parent.parent


@pytest.fixture
def neighbour_point(county):
    return PointFactory(county=county)


@pytest.fixture
def neighbour_point_user(neighbour_point):
    return staff_for(neighbour_point)


@pytest.fixture
def sibling_county(city):
    return CountyFactory(parent=city)


@pytest.fixture
def sibling_county_user(sibling_county):
    return staff_for(sibling_county)


@pytest.fixture
def other_point_user(other_point):
    return staff_for(other_point)


@pytest.fixture
def report():
    """Report an incident through the service, as `by`, an hour ago by default."""

    def report(by, kind="power", description="报名点停电，无法采集", **kwargs):
        kwargs.setdefault("started_at", timezone.now() - dt.timedelta(hours=1))
        return services.report_incident(by=by, kind=kind, description=description, **kwargs)

    return report
