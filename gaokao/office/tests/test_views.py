"""Office web shell (R1, R4): sign-in, a home page per role, units within jurisdiction."""

import datetime as dt

import pytest
from django.urls import reverse

from gaokao.seasons.models import PhaseKind
from gaokao.testing.factories import SeasonFactory, add_phase, extend, staff_for

pytestmark = pytest.mark.django_db


def test_r1_anonymous_visitors_are_sent_to_sign_in(client):
    for url in (reverse("office:home"), reverse("office:units"), reverse("office:schedule")):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("office:login"))


def test_r1_sign_in_page_is_chinese(client):
    response = client.get(reverse("office:login"))
    assert response.status_code == 200
    assert 'lang="zh-hans"' in response.text
    assert "工作人员登录" in response.text


def test_r1_signed_in_staff_see_their_unit_and_can_sign_out(client, county_user):
    client.force_login(county_user)
    response = client.get(reverse("office:home"))
    assert county_user.region.name in response.text
    response = client.post(reverse("office:logout"), follow=True)
    assert not response.wsgi_request.user.is_authenticated


def test_r1_wrong_password_is_refused_clearly(client, county_user):
    response = client.post(
        reverse("office:login"), {"username": county_user.username, "password": "nope"}
    )
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert "alert-danger" in response.text


def test_r1_each_role_gets_its_home_page(client, county_user, point_user):
    client.force_login(point_user)
    page = client.get(reverse("office:home")).text
    assert point_user.point.name in page
    client.force_login(county_user)
    page = client.get(reverse("office:home")).text
    assert point_user.point.name in page  # the county lists its points
    province_user = staff_for(county_user.region.parent.parent)
    client.force_login(province_user)
    page = client.get(reverse("office:home")).text
    assert county_user.region.parent.name in page  # the province lists its cities


def test_r2_home_shows_the_schedule_with_the_users_extension(
    client, county_user, other_county_user
):
    season = SeasonFactory(province=county_user.region.parent.parent)
    phase = add_phase(
        season, PhaseKind.MAIN, opens=dt.date(2019, 10, 28), closes=dt.date(2019, 11, 8)
    )
    extend(phase, county_user.region, dt.date(2019, 11, 12))
    client.force_login(county_user)
    assert "2019-11-12 23:59:59" in client.get(reverse("office:schedule")).text
    client.force_login(other_county_user)
    page = client.get(reverse("office:schedule")).text
    assert "2019-11-08 23:59:59" in page
    assert "2019-11-12" not in page


def test_s2_county_sees_its_point_page(client, county_user, point):
    client.force_login(county_user)
    response = client.get(reverse("office:point", args=[point.code]))
    assert response.status_code == 200
    assert point.name in response.text
    assert client.get(reverse("office:region", args=[county_user.region.code])).status_code == 200


def test_s2_another_countys_user_gets_404_for_this_county(client, other_county_user, county, point):
    client.force_login(other_county_user)
    assert client.get(reverse("office:point", args=[point.code])).status_code == 404
    assert client.get(reverse("office:region", args=[county.code])).status_code == 404
    # The same answer as for a unit that does not exist at all.
    assert client.get(reverse("office:point", args=["9999999"])).status_code == 404


def test_s2_point_user_cannot_see_its_county_or_sibling_points(client, point_user, county):
    from gaokao.testing.factories import PointFactory

    sibling = PointFactory(county=county)
    client.force_login(point_user)
    assert client.get(reverse("office:region", args=[county.code])).status_code == 404
    assert client.get(reverse("office:point", args=[sibling.code])).status_code == 404
    assert client.get(reverse("office:units")).url == reverse(
        "office:point", args=[point_user.point.code]
    )


def test_e2_configuration_screens_are_for_province_staff_only(client, county_user):
    province_user = staff_for(county_user.region.parent.parent, is_staff=True, is_superuser=True)
    client.force_login(province_user)
    assert client.get(reverse("admin:seasons_season_changelist")).status_code == 200
    # Even a county account flagged as staff is kept out.
    county_user.is_staff = county_user.is_superuser = True
    county_user.save()
    client.force_login(county_user)
    assert client.get(reverse("admin:seasons_season_changelist")).status_code == 302
