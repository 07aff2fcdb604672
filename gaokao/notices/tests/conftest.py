"""The province for the notice board's tests: the shared county (with its point) in a city,
a sibling county in the same city, and `other_county` in another city of the province."""

import pytest

from gaokao.notices import services
from gaokao.testing.factories import CountyFactory, PointFactory, staff_for


@pytest.fixture
def city(county):
    return county.parent


@pytest.fixture
def province(county):
    return county.parent.parent


@pytest.fixture
def sibling_county(city):
    return CountyFactory(parent=city)


@pytest.fixture
def other_city(other_county, province):
    assert other_county.parent.parent == province
    return other_county.parent


@pytest.fixture
def sibling_county_user(sibling_county):
    PointFactory(county=sibling_county)
    return staff_for(sibling_county)


@pytest.fixture
def post():
    """Post a notice as the system (no request, no user) from `unit`."""

    def post(unit, title="通知", attachments=(), **kwargs):
        return services.post_notice(
            author_unit=unit, title=title, body="正文", attachments=list(attachments), **kwargs
        )

    return post
