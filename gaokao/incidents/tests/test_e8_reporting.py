"""E8: any level reports an incident (kind, affected units, time, description); the
reporter and every level above see it at once, nobody else does; the report is audited;
bad input is refused with the input kept."""

import datetime as dt

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from gaokao.audit.models import Action, AuditEvent
from gaokao.incidents import services
from gaokao.incidents.models import Entry, Incident, IncidentEntry, Level, Status
from gaokao.testing.factories import staff_for

pytestmark = pytest.mark.django_db

NEW = reverse("incidents:new")
LIST = reverse("incidents:list")
REQUIRED = "这个字段是必填项。"  # Django's own "This field is required." in Chinese


def detail(incident):
    return reverse("incidents:detail", args=[incident.pk])


def form_data(**overrides):
    data = {
        "kind": "network",
        "severity": "serious",
        "started_at": (timezone.localtime() - dt.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"),
        "description": "光纤被挖断，网络中断，预计今晚恢复。",
    }
    data.update(overrides)
    return data


def listed(client, user, incident):
    client.force_login(user)
    return f'data-pk="{incident.pk}"' in client.get(LIST, {"status": "all"}).text


# ── reporting goes up the chain at once ─────────────────────────────────────────────────


def test_e8_a_point_reports_and_its_county_city_and_province_see_it_at_once(
    client, point, point_user, county_user, city_user, province_user
):
    client.force_login(point_user)
    response = client.post(NEW, form_data())
    incident = Incident.objects.get()
    assert response.status_code == 302 and response.url == detail(incident)
    assert incident.point == point and incident.region is None
    assert incident.kind == "network" and incident.status == Status.OPEN
    assert incident.current_level == Level.POINT  # the point handles it until it passes it up
    assert incident.started_at == timezone.now() - dt.timedelta(minutes=30)
    assert list(incident.affected_points.all()) == [point]
    assert incident.description == "光纤被挖断，网络中断，预计今晚恢复。"
    for user in (point_user, county_user, city_user, province_user):
        client.force_login(user)
        page = client.get(detail(incident))
        assert page.status_code == 200 and "光纤被挖断" in page.text
        assert listed(client, user, incident)


def test_e8_nobody_outside_the_chain_sees_it(
    client,
    report,
    point_user,
    neighbour_point_user,
    sibling_county_user,
    other_county_user,
    other_point_user,
    other_city_user,
):
    incident = report(point_user)
    for user in (
        neighbour_point_user,  # another point of the same county
        sibling_county_user,  # another county of the same city
        other_county_user,
        other_point_user,
        other_city_user,
    ):
        client.force_login(user)
        assert client.get(detail(incident)).status_code == 404
        assert not listed(client, user, incident)
        assert services.open_count(user) == 0


def test_e8_a_citys_report_is_seen_by_the_province_not_by_its_counties(
    client, report, city_user, county_user, province_user, point_user
):
    incident = report(city_user, kind="other")
    assert incident.region == city_user.region and incident.current_level == Level.CITY
    for user, status in ((province_user, 200), (city_user, 200), (county_user, 404)):
        client.force_login(user)
        assert client.get(detail(incident)).status_code == status
    client.force_login(point_user)
    assert client.get(detail(incident)).status_code == 404


def test_e8_the_report_is_audited_with_its_first_timeline_entry(
    client, point, point_user, county_user
):
    client.force_login(point_user)
    client.post(NEW, form_data(kind="power", severity="critical"))
    incident = Incident.objects.get()
    event = AuditEvent.objects.get(action=Action.INCIDENT_REPORTED)
    assert event.actor == point_user and event.point == point
    assert event.detail["incident"] == incident.pk
    assert event.detail["kind"] == "power" and event.detail["severity"] == "critical"
    # The county reads the event in its audit trail too.
    assert AuditEvent.objects.visible_to(county_user).filter(pk=event.pk).exists()
    entry = IncidentEntry.objects.get()
    assert entry.kind == Entry.REPORTED and entry.by == point_user and entry.point == point


def test_e8_a_county_names_affected_points_of_its_own(
    client, county, point, neighbour_point, county_user
):
    client.force_login(county_user)
    page = client.get(NEW)
    assert f'value="p{point.pk}"' in page.text and f'value="p{neighbour_point.pk}"' in page.text
    client.post(NEW, form_data(affected=[f"p{point.pk}", f"p{neighbour_point.pk}"]))
    incident = Incident.objects.get()
    assert incident.region == county
    assert list(incident.affected_regions.all()) == [county]
    assert set(incident.affected_points.all()) == {point, neighbour_point}


def test_e8_the_province_names_cities_and_counties(client, county, other_county, province_user):
    client.force_login(province_user)
    client.post(NEW, form_data(kind="system", affected=[f"r{county.parent.pk}", f"r{county.pk}"]))
    incident = Incident.objects.get()
    assert incident.current_level == Level.PROVINCE
    assert set(incident.affected_regions.all()) == {
        province_user.region,
        county.parent,
        county,
    }


def test_e8_a_point_names_no_other_unit(client, point_user):
    client.force_login(point_user)
    page = client.get(NEW)
    assert 'name="affected"' not in page.text


# ── validation: nothing stored, the input kept, in Chinese ──────────────────────────────


def test_e8_a_start_time_in_the_future_is_refused(client, county_user):
    client.force_login(county_user)
    later = (timezone.localtime() + dt.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(NEW, form_data(started_at=later))
    assert response.status_code == 200
    assert response.context["form"].errors["started_at"] == [
        gettext("The start time is in the future. Check the date and time.")
    ]
    assert response.context["form"]["description"].value() == form_data()["description"]
    assert not Incident.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.INCIDENT_REPORTED).exists()


def test_e8_a_clock_a_few_minutes_fast_is_tolerated(client, county_user):
    client.force_login(county_user)
    soon = (timezone.localtime() + dt.timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(NEW, form_data(started_at=soon)).status_code == 302
    assert Incident.objects.exists()


def test_e8_an_empty_description_is_refused_in_chinese(client, county_user, report):
    client.force_login(county_user)
    response = client.post(NEW, form_data(description="   "))
    assert response.context["form"].errors["description"] == [REQUIRED]
    assert REQUIRED in response.text
    assert not Incident.objects.exists()
    # Invisible characters alone are no description either.
    with pytest.raises(services.IncidentRefused) as refused:
        report(county_user, description="\u200b\u202e\x07")
    assert refused.value.message_dict["description"] == [gettext("Describe what happened.")]


def test_e8_affected_units_outside_the_reporters_jurisdiction_are_refused(
    client, county_user, other_point, other_county, neighbour_point, report
):
    client.force_login(county_user)
    response = client.post(NEW, form_data(affected=[f"p{other_point.pk}"]))
    assert response.status_code == 200 and response.context["form"].errors["affected"]
    assert "选择" in response.context["form"].errors["affected"][0]  # invalid choice, Chinese
    assert not Incident.objects.exists()
    # The service refuses it too, whoever calls it.
    with pytest.raises(services.IncidentRefused) as refused:
        report(county_user, affected=[neighbour_point, other_county])
    assert refused.value.message_dict["affected"] == [
        gettext("Outside your jurisdiction: %(units)s.") % {"units": other_county.name}
    ]
    assert not Incident.objects.exists()


def test_e8_a_point_cannot_name_another_point(point_user, neighbour_point, report):
    with pytest.raises(services.IncidentRefused):
        report(point_user, affected=[neighbour_point])


def test_e8_an_unknown_kind_is_refused(client, county_user):
    client.force_login(county_user)
    response = client.post(NEW, form_data(kind="meteor"))
    assert response.context["form"].errors["kind"] and not Incident.objects.exists()


def test_e8_only_staff_report(db, report, county):
    inactive = staff_for(county, is_active=False)
    with pytest.raises(PermissionDenied):
        report(inactive)


def test_e8_signed_out_visitors_are_sent_to_sign_in(client, report, county_user):
    incident = report(county_user)
    for url in (LIST, NEW, detail(incident)):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response.url


def test_e8_a_malformed_or_missing_incident_answers_404(client, county_user):
    client.force_login(county_user)
    assert client.get(reverse("incidents:detail", args=[999999])).status_code == 404


def test_e8_admin_shows_incidents_read_only(rf, report, county_user):
    report(county_user)
    for model in (Incident, IncidentEntry):
        model_admin = admin.site._registry[model]
        request = rf.get("/")
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
