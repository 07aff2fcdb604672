"""R4, E5: a conflict is resolved on either side. At the point client, the change in
conflict offers a page that shows the server's values now (through the sync API) and
sends the decision to the server, which applies the same rule as the office web's page;
the entry then leaves the outbox and the record is pulled again."""

import pytest
from django.urls import reverse

from gaokao.candidates.models import Candidate
from gaokao.client import conflicts, sync
from gaokao.client.models import Outbox
from gaokao.client.tests.conftest import Recorder, edit_locally, server, synced_candidate
from gaokao.sync import conflicts as sync_conflicts
from gaokao.sync.models import Conflict
from gaokao.testing.factories import CandidateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_process(monkeypatch):
    monkeypatch.setattr(conflicts, "transport", server)


@pytest.fixture
def in_conflict(client_mode, enrolled, season, point):
    """The point changed the mobile and the fee; the county changed the mobile meanwhile."""
    candidate = synced_candidate(season, point, mobile="13800000000")
    edit_locally(candidate, mobile="13900000000", fee_receipt="P-7", fee_fen=4000)
    Candidate.objects.filter(pk=candidate.pk).update(version=2, mobile="13700000000")
    sync.sync_once(server)
    entry = Outbox.objects.get()
    assert entry.answer == "conflict"
    return candidate, entry


def url(entry):
    return reverse("client:resolve", args=[entry.pk])


def test_e5_the_client_shows_the_servers_values_now(client, point_user, in_conflict):
    _candidate, entry = in_conflict
    client.force_login(point_user)
    outbox = client.get(reverse("client:outbox")).content.decode()
    assert url(entry) in outbox
    page = client.get(url(entry)).content.decode()
    assert "13900000000" in page and "13700000000" in page  # the point's and the server's


def test_e5_field_by_field_at_the_point(client, point_user, in_conflict):
    candidate, entry = in_conflict
    client.force_login(point_user)
    response = client.post(
        url(entry),
        {
            "version": 2,
            "keep_mobile": "server",
            "keep_fee_fen": "point",
            "keep_fee_receipt": "point",
            "choice": "fields",
        },
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert (candidate.mobile, candidate.fee_receipt, candidate.version) == (
        "13700000000",
        "P-7",
        3,
    )
    conflict = Conflict.objects.get()
    assert conflict.resolution == "fields" and conflict.resolved_by == point_user
    assert not Outbox.objects.filter(kind=Outbox.Kind.CHANGE).exists()


def test_e5_a_conflict_resolved_in_the_office_web_first_is_not_decided_twice(
    client, point_user, in_conflict
):
    candidate, entry = in_conflict
    # Decided on the central office web's conflict page (by the same point's staff).
    sync_conflicts.resolve(Conflict.objects.get(), "server", by=point_user)
    client.force_login(point_user)
    page = client.get(url(entry))
    assert page.context["error"].startswith("The server has no open conflict")
    client.post(url(entry), {"version": 2, "choice": "point"})
    candidate.refresh_from_db()
    assert candidate.mobile == "13700000000"  # the first decision stands


def test_e5_without_the_server_the_conflict_waits(client, point_user, in_conflict, monkeypatch):
    _candidate, entry = in_conflict
    monkeypatch.setattr(conflicts, "transport", Recorder().fail(1, "before"))
    client.force_login(point_user)
    page = client.get(url(entry))
    assert "server is needed" in page.context["error"]
    assert Outbox.objects.filter(pk=entry.pk, state=Outbox.State.ATTENTION).exists()


def test_e5_a_stale_decision_is_refused_and_shown_again(
    client, point_user, in_conflict, monkeypatch
):
    candidate, entry = in_conflict
    client.force_login(point_user)
    client.get(url(entry))
    Candidate.objects.filter(pk=candidate.pk).update(version=5, mobile="13600000000")
    # The page was shown at version 2; the decision arrives after the record moved on.
    real = conflicts.fetch

    def stale_fetch(e):
        found = real(e)
        found.current_version = 2
        return found

    monkeypatch.setattr(conflicts, "fetch", stale_fetch)
    response = client.post(url(entry), {"version": 2, "choice": "point"})
    assert response.status_code == 302 and response.url == url(entry)
    candidate.refresh_from_db()
    assert candidate.mobile == "13600000000"
    assert Outbox.objects.filter(pk=entry.pk).exists()


def test_e5_another_points_conflict_is_refused(client, other_point, season, in_conflict):
    from gaokao.testing.factories import staff_for

    _candidate, entry = in_conflict
    client.force_login(staff_for(other_point))
    assert client.get(url(entry)).status_code == 404
    assert client.post(url(entry), {"version": 2, "choice": "point"}).status_code == 404


def test_e5_offices_do_not_resolve_on_the_client_page(client, county_user, in_conflict):
    _candidate, entry = in_conflict
    client.force_login(county_user)
    assert client.get(url(entry)).status_code == 403


def test_e5_a_refused_change_has_no_resolution_page(client, point_user, season, point):
    own = CandidateFactory(season=season, point=point)
    refused = Outbox.objects.create(
        kind=Outbox.Kind.CHANGE, candidate_id=own.pk, state=Outbox.State.ATTENTION, answer="refused"
    )
    client.force_login(point_user)
    assert client.get(url(refused)).context["error"] == "This change is not in conflict."
