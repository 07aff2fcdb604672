"""Issue 20, item 1: login cards issued on the point client offline are real. The card's
password hash (never the password) goes up with the candidate by sync, the candidate signs
in at the central portal with the printed password, and of two cards the later one wins,
the point being told which card no longer works.

The client and the server share the test database here (conftest): what the "server"
has of a card is set back on the shared row after the client issued it, as the central
server's own copy would be before the sync.
"""

import datetime as dt
import json

import pytest
from django.contrib.auth.hashers import make_password
from django.urls import reverse
from django.utils import timezone

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates import services
from gaokao.candidates.models import Candidate
from gaokao.client import capture, sync
from gaokao.client.models import Known, Outbox
from gaokao.client.tests.conftest import create_entry, server, synced_candidate
from gaokao.testing.factories import CandidateFactory
from gaokao.testing.sync import Api, update_change

pytestmark = pytest.mark.django_db

READY = {
    "documents_received": True,
    "fee_fen": 4000,
    "fee_receipt": "R-1",
    "eligibility": "eligible",
}


def server_card(candidate, password_hash="", issued_at=None):
    """The central server's copy of the candidate's card (the shared row): none, or
    `password_hash` issued at `issued_at`."""
    Candidate.objects.filter(pk=candidate.pk).update(
        portal_password=password_hash,
        credentials_issued_at=issued_at,
        credentials_issued_count=1 if password_hash else 0,
    )


def portal_sign_in(client, candidate, password):
    """A real request through the portal's sign-in: True when the candidate is in."""
    client.logout()
    response = client.post(
        reverse("portal:login"),
        {"registration_number": candidate.registration_number, "password": password},
    )
    return response.status_code == 302 and response.url == reverse("portal:status")


def issue_on_client(candidate, by):
    [issued] = services.issue_login_cards([candidate], by=by)
    return issued.password


def issue_at_centre(candidate, by):
    with capture.from_server():
        [issued] = services.issue_login_cards([candidate], by=by)
    return issued.password


def test_s4_issue20_a_card_issued_offline_is_synced_and_works_at_the_portal(
    client_mode, enrolled, season, point, point_user, client
):
    candidate = synced_candidate(season, point, **READY)
    password = issue_on_client(candidate, point_user)
    [entry] = Outbox.objects.filter(candidate_id=candidate.pk)
    # Only the hash is queued, never the password.
    assert password not in json.dumps(entry.payload)
    assert entry.payload["card"]["password_hash"].startswith("argon2")
    server_card(candidate)  # the centre has no card for the candidate yet
    assert not portal_sign_in(client, candidate, password)

    report = sync.sync_once(server)

    assert report.ok, report.error
    assert portal_sign_in(client, candidate, password)
    assert not Outbox.objects.exists()
    assert Known.objects.get(candidate_id=candidate.pk).card_issued_at is not None
    events = AuditEvent.objects.filter(action=Action.LOGIN_CARDS_ISSUED)
    assert events.filter(detail__origin="sync", target_id=str(candidate.pk)).count() == 1
    # The next change of the candidate does not send the card again.
    assert capture.candidate_changed(candidate.pk) is None


def test_s4_issue20_a_candidate_taken_in_offline_comes_up_with_its_card(
    client_mode, enrolled, season, point, number_range, client
):
    entry = create_entry(point, 60)
    password = "Kx7mQ2pLw9Za"
    entry.payload["card"] = {
        "password_hash": make_password(password),
        "issued_at": timezone.now().isoformat(),
    }
    entry.save()

    report = sync.sync_once(server)

    assert report.ok and report.counts["applied"] == 1, report.counts
    candidate = Candidate.objects.get(pk=entry.candidate_id)
    assert candidate.credentials_issued_count == 1
    assert portal_sign_in(client, candidate, password)


def test_s4_issue20_a_later_card_at_the_centre_voids_the_one_printed_offline(
    client_mode, enrolled, season, point, point_user, client, clock
):
    candidate = synced_candidate(season, point, **READY)
    offline = issue_on_client(candidate, point_user)
    here = Candidate.objects.get(pk=candidate.pk)  # the client's copy, with its card
    server_card(candidate)
    clock.shift(dt.timedelta(minutes=10))
    central = issue_at_centre(candidate, point_user)

    report = sync.sync_once(server)

    assert report.ok, report.error
    assert portal_sign_in(client, candidate, central)
    assert not portal_sign_in(client, candidate, offline)
    # The point is told, in the list of what needs attention.
    [entry] = Outbox.objects.filter(candidate_id=candidate.pk)
    assert entry.state == Outbox.State.ATTENTION and entry.answer == sync.CARD_ANSWER
    assert entry.description == "Login card"
    assert "no longer works" in entry.last_error
    assert candidate.registration_number in entry.last_error
    assert report.counts["cards_void"] == 1
    assert "1 need attention" in report.summary()
    # The 待同步 page names the void card; the hash is never shown.
    client.force_login(point_user)
    page = client.get(reverse("client:outbox")).content.decode()
    assert "no longer works" in page and "argon2" not in page
    # Answered: the void card is not sent again.
    assert capture.card_of(here, Known.objects.get(candidate_id=candidate.pk)) is None


def test_s4_issue20_a_later_card_offline_replaces_the_one_issued_at_the_centre(
    client_mode, enrolled, season, point, point_user, client, clock
):
    candidate = synced_candidate(season, point, **READY)
    central = issue_at_centre(candidate, point_user)
    candidate.refresh_from_db()
    centre_hash, centre_at = candidate.portal_password, candidate.credentials_issued_at
    clock.shift(dt.timedelta(minutes=10))
    offline = issue_on_client(candidate, point_user)
    server_card(candidate, centre_hash, centre_at)
    assert portal_sign_in(client, candidate, central)

    report = sync.sync_once(server)

    assert report.ok, report.error
    assert portal_sign_in(client, candidate, offline)
    assert not portal_sign_in(client, candidate, central)
    [entry] = Outbox.objects.filter(candidate_id=candidate.pk)
    assert entry.state == Outbox.State.ATTENTION
    assert "earlier card no longer works" in entry.last_error
    assert Candidate.objects.get(pk=candidate.pk).credentials_issued_count == 2


def test_s4_issue20_the_card_goes_up_even_when_the_fields_beside_it_conflict(
    client_mode, enrolled, season, point, point_user, client
):
    candidate = synced_candidate(season, point, **READY)
    password = issue_on_client(candidate, point_user)
    candidate.refresh_from_db()
    candidate.mobile = "13900000000"
    candidate.save()
    capture.candidate_changed(candidate.pk)
    server_card(candidate)
    Candidate.objects.filter(pk=candidate.pk).update(version=candidate.version + 1)  # edited

    report = sync.sync_once(server)

    assert report.counts.get("conflict") == 1, report.counts
    assert portal_sign_in(client, candidate, password)


# ── what the server refuses ────────────────────────────────────────────────────────────


def card(password_hash, at=None):
    return {"password_hash": password_hash, "issued_at": (at or timezone.now()).isoformat()}


@pytest.mark.parametrize(
    "password_hash",
    [
        "Kx7mQ2pLw9Za",  # a password in clear
        "md5$abcdefghijklmnopqrstuv$0123456789abcdef0123456789abcdef",
        "pbkdf2_sha256$1$abcdefghijklmnopqrstuv$" + "A" * 43,  # one iteration
        "argon2$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA",  # short and weak
        "!" + "x" * 40,  # an unusable password
        "pbkdf2_sha256$999999999$abcdefghijklmnopqrstuv$" + "A" * 43,  # ties the portal up
    ],
)
def test_s4_issue20_a_forged_or_weak_hash_is_refused(client, device, season, point, password_hash):
    candidate = CandidateFactory(season=season, point=point, **READY)
    api = Api(client)

    change = update_change(candidate) | {"fields": {}, "card": card(password_hash)}
    [result] = api.push(change).json()["results"]

    assert result["status"] == "refused"
    assert "hash" in result["message"]
    assert Candidate.objects.get(pk=candidate.pk).portal_password == ""


def test_s4_issue20_a_card_for_a_candidate_of_another_point_is_refused(
    client, device, season, other_point
):
    other = CandidateFactory(season=season, point=other_point, **READY)
    api = Api(client)

    change = update_change(other) | {"fields": {}, "card": card(make_password("Kx7mQ2pLw9Za"))}
    [result] = api.push(change).json()["results"]

    assert result["status"] == "refused"
    assert Candidate.objects.get(pk=other.pk).portal_password == ""
    assert not AuditEvent.objects.filter(action=Action.LOGIN_CARDS_ISSUED).exists()


def test_s4_issue20_a_card_from_the_future_is_refused(client, device, season, point):
    candidate = CandidateFactory(season=season, point=point, **READY)
    later = timezone.now() + dt.timedelta(days=1)

    change = update_change(candidate) | {
        "fields": {},
        "card": card(make_password("Kx7mQ2pLw9Za"), later),
    }
    [result] = Api(client).push(change).json()["results"]

    assert result["status"] == "refused"


def test_s4_issue20_a_card_for_a_record_not_ready_at_the_server_is_void(
    client, device, season, point
):
    candidate = CandidateFactory(season=season, point=point)  # no point checks at the server

    change = update_change(candidate) | {"fields": {}, "card": card(make_password("Kx7mQ2pLw9Z"))}
    [result] = Api(client).push(change).json()["results"]

    assert result["status"] == "applied" and result["card"] == "void"
    assert "does not work" in result["card_message"]
    assert Candidate.objects.get(pk=candidate.pk).portal_password == ""


def test_s4_issue20_a_card_sent_again_is_answered_as_before(client, device, season, point):
    candidate = CandidateFactory(season=season, point=point, **READY)
    change = update_change(candidate) | {"fields": {}, "card": card(make_password("Kx7mQ2pLw9Z"))}
    api = Api(client)

    [first] = api.push(change).json()["results"]
    [again] = api.push(change).json()["results"]

    assert first["card"] == "accepted"
    assert again["status"] == "duplicate" and again["card"] == "same"
    assert Candidate.objects.get(pk=candidate.pk).credentials_issued_count == 1


def test_s4_issue20_a_card_printed_offline_reaches_the_centre_on_a_disc(
    client_mode,
    enrolled,
    device,
    device_key,
    season,
    point,
    point_user,
    county_user,
    client,
    tmp_path,
):
    from gaokao.bundles import format as bf
    from gaokao.bundles import services as bundles
    from gaokao.client.enrolment import _write_key
    from gaokao.client.export import export_bundle

    _write_key(device_key)
    candidate = synced_candidate(season, point, **READY)
    password = issue_on_client(candidate, point_user)
    server_card(candidate)
    path = tmp_path / "disc.gkb"
    export_bundle(path, server_key_b64=bf.server_public_key_b64())

    with capture.from_server():
        result = bundles.apply(path.read_bytes(), county_user)

    assert result.counts["applied"] == 1, result
    assert portal_sign_in(client, candidate, password)
    events = AuditEvent.objects.filter(action=Action.LOGIN_CARDS_ISSUED, detail__origin="bundle")
    assert events.count() == 1


def test_s4_issue20_a_card_stands_when_the_fields_beside_it_are_refused(
    client, device, season, point
):
    candidate = CandidateFactory(season=season, point=point, **READY)
    password_hash = make_password("Kx7mQ2pLw9Za")

    change = update_change(candidate, fee_fen="forty") | {"card": card(password_hash)}
    [result] = Api(client).push(change).json()["results"]

    assert result["status"] == "refused" and result["card"] == "accepted"
    candidate.refresh_from_db()
    assert candidate.portal_password == password_hash and candidate.fee_fen == 4000
