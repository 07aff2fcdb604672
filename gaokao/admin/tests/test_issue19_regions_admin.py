"""Issue 19, item 5: the admin keeps the office web's rule for units: once registration
numbers exist under a county or a point, its codes (which begin every number) are
read-only there too; before that they can be changed."""

import pytest
from django.test import Client
from django.urls import reverse

from gaokao.testing.factories import PointFactory, staff_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(county):
    client = Client()
    client.force_login(staff_for(county.parent.parent, is_staff=True, is_superuser=True))
    return client


def test_s2_issue19_a_numbered_points_and_countys_codes_are_read_only_in_the_admin(
    admin_client, point, county, number_range
):
    point_page = admin_client.get(
        reverse("admin:regions_registrationpoint_change", args=[point.pk])
    )
    county_page = admin_client.get(reverse("admin:regions_region_change", args=[county.pk]))

    assert 'name="code"' not in point_page.content.decode()
    assert 'name="name"' in point_page.content.decode()
    assert 'name="registration_code"' not in county_page.content.decode()


def test_s2_issue19_an_unnumbered_points_code_can_still_be_corrected(admin_client, county):
    fresh = PointFactory(county=county)

    page = admin_client.get(reverse("admin:regions_registrationpoint_change", args=[fresh.pk]))

    assert 'name="code"' in page.content.decode()
