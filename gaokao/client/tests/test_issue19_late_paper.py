"""Issue 19, item 4 (E3-E5): after the window, a paper form filled in while it was open is
keyed in only under an open incident of the point, for a form dated inside the window; the
change records the incident's number and the form's date. Without one it is refused as
before, and what was typed is kept."""

import datetime as dt

import pytest
from django.urls import reverse

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates import change_path
from gaokao.candidates.change_path import Change, Origin
from gaokao.candidates.errors import CandidateRefused, DataRefused
from gaokao.candidates.models import Candidate, Stage
from gaokao.candidates.stage import Locked
from gaokao.client.services import save_paper_data
from gaokao.client.tests.test_e4_paper import form_data
from gaokao.incidents.models import Kind
from gaokao.incidents.services import report_incident, resolve
from gaokao.testing.factories import CandidateFactory, staff_for

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
AFTER_CLOSE = dt.datetime(2019, 11, 20, 9, 0, tzinfo=SHANGHAI)  # the window closed on 15 Nov
IN_WINDOW, AFTER_WINDOW = dt.date(2019, 11, 12), dt.date(2019, 11, 17)


@pytest.fixture
def candidate(season, point):
    return CandidateFactory(season=season, point=point)


@pytest.fixture
def late(clock):
    clock.move_to(AFTER_CLOSE)


def power_cut(user, **kwargs):
    return report_incident(
        by=user,
        kind=Kind.POWER,
        started_at=dt.datetime(2019, 11, 12, 8, 0, tzinfo=SHANGHAI),
        description="停电，考生填写纸质草表",
        **kwargs,
    )


def save_late(candidate, by, incident):
    """The service keys in a late form dated inside the window under `incident`."""
    return save_paper_data(
        candidate,
        version=1,
        data={"mobile": "13912345678"},
        resume=[],
        family=[],
        by=by,
        form_dated=IN_WINDOW,
        incident=incident.pk,
    )


def url(candidate):
    return reverse("client:paper", args=[candidate.pk])


def late_data(candidate, incident, dated=IN_WINDOW, **values):
    return form_data(
        candidate, **{"late-form_dated": dated.isoformat(), "late-incident": incident.pk}, **values
    )


def test_e4_issue19_after_the_window_without_an_incident_the_form_is_refused_and_says_what_to_do(
    late, client, point_user, candidate
):
    client.force_login(point_user)

    page = client.get(url(candidate)).content.decode()
    response = client.post(url(candidate), form_data(candidate))

    assert 'data-testid="closed"' in page and "report the incident first" in page
    assert reverse("incidents:new") in page
    assert "closed on 15 Nov at 23:59" in page  # the rule and the moment that passed
    assert response.status_code == 403
    assert Candidate.objects.get(pk=candidate.pk).version == 1


def test_e4_issue19_under_an_open_incident_a_form_dated_inside_the_window_is_keyed_in(
    late, client, point_user, candidate
):
    incident = power_cut(point_user)
    client.force_login(point_user)

    page = client.get(url(candidate)).content.decode()
    response = client.post(url(candidate), late_data(candidate, incident))

    assert 'data-testid="late-fields"' in page
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.mobile == "13912345678" and candidate.keyed_from_paper is True
    event = AuditEvent.objects.get(action=Action.CANDIDATE_DATA_SAVED)
    assert event.detail["incident"] == f"#{incident.pk}"
    assert event.detail["form_dated"] == "2019-11-12"
    assert event.detail["origin"] == Origin.PAPER


@pytest.mark.parametrize(
    "dated, message",
    [
        (AFTER_WINDOW, "outside Main registration"),
        (dt.date(2019, 10, 1), "outside Main registration"),
        (dt.date(2019, 11, 21), "is in the future"),
    ],
)
def test_e4_issue19_a_form_dated_outside_the_window_is_refused_and_the_input_kept(
    late, client, point_user, candidate, dated, message
):
    incident = power_cut(point_user)
    client.force_login(point_user)

    response = client.post(url(candidate), late_data(candidate, incident, dated=dated))

    body = response.content.decode()
    assert response.status_code == 200 and message in body
    assert 'value="13912345678"' in body  # nothing typed is lost
    assert Candidate.objects.get(pk=candidate.pk).version == 1
    assert not AuditEvent.objects.filter(action=Action.CANDIDATE_DATA_SAVED).exists()


def test_e4_issue19_a_resolved_incident_or_another_points_incident_does_not_open_it(
    late, point_user, other_point, candidate, county_user
):
    resolved = power_cut(point_user)
    resolve(resolved, by=county_user, resolution="来电了", version=resolved.version)
    elsewhere = power_cut(staff_for(other_point))

    for incident in (resolved, elsewhere):
        with pytest.raises(DataRefused, match=f"Incident #{incident.pk} is not open"):
            save_late(candidate, point_user, incident)
    assert Candidate.objects.get(pk=candidate.pk).version == 1


def test_e4_issue19_the_county_s_incident_covers_its_points(
    late, point_user, county_user, candidate
):
    incident = power_cut(county_user)

    saved = save_late(candidate, point_user, incident)

    assert saved.mobile == "13912345678"


def test_e4_issue19_only_a_paper_form_is_taken_late(late, point_user, candidate):
    """The portal, sync and bundles never reach the window through an incident."""
    incident = power_cut(point_user)
    for origin, by in ((Origin.SYNC, point_user), (Origin.PORTAL, candidate)):
        change = Change(
            values={"mobile": "13912345678"},
            origin=origin,
            version=1,
            confirmation_password="x",
            form_dated=IN_WINDOW,
            incident=incident.pk,
        )
        with pytest.raises(CandidateRefused) as refused:
            change_path.check_change(candidate, change, by=by)
        assert refused.value.code == "window_closed"


def test_e4_issue19_an_incident_does_not_open_a_submitted_record(late, point_user, candidate):
    incident = power_cut(point_user)
    Candidate.objects.filter(pk=candidate.pk).update(stage=Stage.COUNTY)

    with pytest.raises(Locked):
        save_late(candidate, point_user, incident)
