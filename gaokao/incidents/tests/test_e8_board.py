"""E8: the province sees a board of open incidents (filter by kind, city, status, severity;
counts by kind); everyone else sees the list of their own and their units' incidents; the
count of open incidents for a badge."""

import pytest
from django.urls import reverse

from gaokao.incidents import services
from gaokao.testing.factories import staff_for

pytestmark = pytest.mark.django_db

LIST = reverse("incidents:list")


@pytest.fixture
def incidents(report, point_user, county_user, city_user, other_point_user, other_city_user):
    """Three open incidents in the first city, two in the other, one resolved in each."""
    made = {
        "point_power": report(point_user, kind="power"),
        "county_network": report(county_user, kind="network"),
        "city_power": report(city_user, kind="power", severity="critical"),
        "other_power": report(other_point_user, kind="power"),
        "other_attack": report(other_city_user, kind="attack"),
        "done_here": report(county_user, kind="other"),
        "done_there": report(other_point_user, kind="network"),
    }
    services.resolve(made["done_here"], by=county_user, resolution="已解决", version=1)
    services.resolve(made["done_there"], by=other_point_user, resolution="已解决", version=1)
    return made


def shown(response) -> set[int]:
    return {i.pk for i in response.context["page"]}


def counts(response) -> dict[str, int]:
    return {value: n for value, _label, n in response.context["by_kind"]}


def pks(incidents, *names):
    return {incidents[n].pk for n in names}


def test_e8_the_province_board_shows_every_open_incident_with_counts_by_kind(
    client, incidents, province_user
):
    client.force_login(province_user)
    response = client.get(LIST)
    assert response.context["is_board"]
    assert shown(response) == pks(
        incidents, "point_power", "county_network", "city_power", "other_power", "other_attack"
    )
    assert counts(response) == {
        "power": 3,
        "network": 1,
        "attack": 1,
        "disaster": 0,
        "system": 0,
        "other": 0,
    }
    assert response.context["total"] == 5
    assert 'data-kind="power">3<' in response.text
    assert 'name="city"' in response.text


def test_e8_the_board_filters_by_kind_city_status_and_severity(
    client, incidents, province_user, city, other_county
):
    client.force_login(province_user)
    by_kind = client.get(LIST, {"kind": "power"})
    assert shown(by_kind) == pks(incidents, "point_power", "city_power", "other_power")
    assert counts(by_kind)["network"] == 1  # the counts show what each kind would give

    by_city = client.get(LIST, {"city": city.pk})
    assert shown(by_city) == pks(incidents, "point_power", "county_network", "city_power")
    assert counts(by_city) == {
        "power": 2,
        "network": 1,
        "attack": 0,
        "disaster": 0,
        "system": 0,
        "other": 0,
    }
    other = client.get(LIST, {"city": other_county.parent.pk, "kind": "attack"})
    assert shown(other) == pks(incidents, "other_attack")

    resolved = client.get(LIST, {"status": "resolved"})
    assert shown(resolved) == pks(incidents, "done_here", "done_there")
    everything = client.get(LIST, {"status": "all", "city": city.pk})
    assert shown(everything) == pks(
        incidents, "point_power", "county_network", "city_power", "done_here"
    )
    critical = client.get(LIST, {"severity": "critical"})
    assert shown(critical) == pks(incidents, "city_power")


def test_e8_a_bad_filter_falls_back_to_the_open_incidents(client, incidents, province_user):
    client.force_login(province_user)
    response = client.get(LIST, {"kind": "meteor", "city": "x"})
    assert response.status_code == 200 and len(shown(response)) == 5


def test_e8_a_city_filter_for_another_province_finds_nothing(client, incidents, province_user):
    from gaokao.testing.factories import CityFactory, ProvinceFactory

    foreign_city = CityFactory(parent=ProvinceFactory(code="440000", name="广东省"))
    client.force_login(province_user)
    response = client.get(LIST, {"city": foreign_city.pk})
    assert len(shown(response)) == 5  # not a choice: ignored, never another province's data


def test_e8_offices_below_see_their_own_and_their_units_incidents(
    client, incidents, county_user, city_user, point_user, other_city_user
):
    expectations = {
        point_user: pks(incidents, "point_power"),
        county_user: pks(incidents, "point_power", "county_network"),
        city_user: pks(incidents, "point_power", "county_network", "city_power"),
        other_city_user: pks(incidents, "other_power", "other_attack"),
    }
    for user, expected in expectations.items():
        client.force_login(user)
        response = client.get(LIST)
        assert not response.context["is_board"]
        assert 'name="city"' not in response.text  # only the province filters by city
        assert shown(response) == expected, user.role
        assert services.open_count(user) == len(expected)


def test_e8_the_open_count_follows_reports_and_resolutions(
    report, point_user, county_user, city_user, province_user, sibling_county_user
):
    assert services.open_count(province_user) == 0
    incident = report(point_user)
    for user in (point_user, county_user, city_user, province_user):
        assert services.open_count(user) == 1
    assert services.open_count(sibling_county_user) == 0
    services.resolve(incident, by=county_user, resolution="已恢复", version=1)
    assert services.open_count(province_user) == 0


def test_e8_the_open_count_is_zero_for_anyone_but_active_staff(db, report, county, county_user):
    from django.contrib.auth.models import AnonymousUser

    report(county_user)
    assert services.open_count(AnonymousUser()) == 0
    assert services.open_count(staff_for(county, is_active=False)) == 0
