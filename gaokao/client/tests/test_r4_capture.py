"""R4, E4: on the point client, every local change of a candidate and every new photo is
queued for the server in the same transaction, told by the service that made it (bulk
updates too, which no post_save signal sees); saves coalesce until the change leaves the
device; what the server sends is not queued back."""

import datetime as dt
import hashlib
import uuid

import pytest
from django.db import transaction

from gaokao.candidates import changes
from gaokao.candidates import services as intake
from gaokao.candidates.models import Candidate
from gaokao.client import capture
from gaokao.client.local import apply_snapshot
from gaokao.client.models import Known, Outbox
from gaokao.client.tests.conftest import synced_candidate
from gaokao.photos.models import PhotoSource
from gaokao.photos.services import add_photo
from gaokao.photos.tests import images
from gaokao.sync.pull import snapshot
from gaokao.testing.factories import CandidateFactory

pytestmark = pytest.mark.django_db


def queued():
    return list(Outbox.objects.filter(kind=Outbox.Kind.CHANGE).order_by("created_at"))


def save(candidate):
    """A local save as a service makes it: the row, then the outbox told."""
    candidate.save()
    changes.candidate_changed(candidate.pk)


def test_r4_a_candidate_taken_in_on_the_client_queues_one_create(
    client_mode, season, point, point_user, number_range
):
    from gaokao.candidates.tests.conftest import card

    candidate = intake.take_in_from_card(season, point, "5", card(7), by=point_user)

    [entry] = queued()
    assert entry.candidate_id == candidate.pk
    assert entry.payload["kind"] == "create"
    assert entry.payload["base_version"] is None
    fields = entry.payload["fields"]
    assert fields["id_number"] == candidate.id_number
    assert fields["registration_number"] == candidate.registration_number
    assert fields["birth_date"] == candidate.birth_date.isoformat()  # JSON, not a date
    assert entry.sent_at is None and entry.state == Outbox.State.PENDING


def test_r4_saves_before_a_sync_coalesce_into_one_change(client_mode, season, point, point_user):
    candidate = synced_candidate(season, point)
    intake.record_point_checks(
        candidate,
        version=candidate.version,
        documents_received=True,
        fee_fen=None,
        fee_receipt="",
        eligibility="",
        note="",
        by=point_user,
    )
    candidate.refresh_from_db()
    intake.record_point_checks(
        candidate,
        version=candidate.version,
        documents_received=True,
        fee_fen=4000,
        fee_receipt="R-1",
        eligibility="eligible",
        note="",
        by=point_user,
    )

    [entry] = queued()
    assert entry.payload["kind"] == "update"
    assert entry.payload["base_version"] == 1  # what the server confirmed, not the local 3
    assert entry.payload["fields"]["fee_fen"] == 4000
    assert entry.payload["fields"]["fee_receipt"] == "R-1"


def test_r4_a_change_in_flight_is_frozen_and_a_new_one_queued_behind_it(client_mode, season, point):
    candidate = synced_candidate(season, point)
    candidate.fee_receipt = "R-1"
    save(candidate)
    [first] = queued()
    sent = {**first.payload, "id": str(first.id)}
    Outbox.objects.filter(pk=first.pk).update(payload=sent, sent_at=dt.datetime.now(dt.UTC))

    candidate.fee_receipt = "R-2"
    save(candidate)
    candidate.fee_receipt = "R-3"
    save(candidate)

    first_again, second = queued()
    assert first_again.pk == first.pk
    assert first_again.payload == sent  # not touched
    assert second.payload["fields"]["fee_receipt"] == "R-3"
    assert second.sent_at is None


def test_r4_a_save_that_changes_no_synced_field_queues_nothing(client_mode, season, point):
    candidate = synced_candidate(season, point)
    candidate.portal_password = "pbkdf2_sha256$x"  # login cards: not synced
    save(candidate)
    assert queued() == []


def test_r4_an_edit_undone_before_sync_removes_the_pending_change(client_mode, season, point):
    candidate = synced_candidate(season, point, mobile="13800000000")
    candidate.mobile = "13900000000"
    save(candidate)
    assert len(queued()) == 1
    candidate.mobile = "13800000000"
    save(candidate)
    assert queued() == []


def test_r4_a_save_rolled_back_leaves_nothing_queued(client_mode, season, point):
    candidate = synced_candidate(season, point)
    with pytest.raises(RuntimeError), transaction.atomic():
        candidate.fee_receipt = "R-9"
        save(candidate)
        raise RuntimeError("the service failed after saving")
    assert queued() == []


def test_r4_what_the_server_sends_is_not_queued(client_mode, season, point, other_point):
    # A snapshot as the pull carries it, of a candidate this client does not have yet.
    with capture.from_server():
        model = CandidateFactory.build(season=season, point=point, version=4)
        model.updated_at = dt.datetime.now(dt.UTC)
        data = snapshot(model) | {"id": str(uuid.uuid4())}
    assert apply_snapshot(data, season, point) == "written"
    assert Candidate.objects.filter(pk=data["id"]).exists()
    assert queued() == []
    assert Known.objects.get(candidate_id=data["id"]).version == model.version


def test_r4_the_central_server_queues_nothing(settings, season, point):
    assert settings.GAOKAO_MODE == "server"
    candidate = CandidateFactory(season=season, point=point)
    candidate.mobile = "13900000000"
    save(candidate)
    assert Outbox.objects.count() == 0


def test_r4_a_new_photo_is_queued_with_its_size_and_hash(client_mode, season, point, point_user):
    candidate = synced_candidate(season, point)
    data = images.encode(images.portrait(600, 800), quality=90)
    photo = add_photo(candidate, data, source=PhotoSource.CAMERA, by=point_user)

    entry = Outbox.objects.get(kind=Outbox.Kind.PHOTO)
    assert entry.id == photo.pk
    assert entry.candidate_id == candidate.pk
    assert entry.payload["sha256"] == hashlib.sha256(data).hexdigest()
    assert entry.payload["size"] == len(data)
    assert queued() == []  # a photo does not change the candidate's synced fields


def test_r4_a_bulk_update_is_queued_too(client_mode, season, point):
    first, second = synced_candidate(season, point), synced_candidate(season, point)
    with transaction.atomic():
        ids = [first.pk, second.pk]
        Candidate.objects.filter(pk__in=ids).update(fee_receipt="R-BULK")
        changes.candidates_changed(ids)

    entries = queued()
    assert {e.candidate_id for e in entries} == {first.pk, second.pk}
    assert all(e.payload["fields"]["fee_receipt"] == "R-BULK" for e in entries)
    assert all(e.payload["kind"] == "update" for e in entries)


def test_r4_a_paper_form_keyed_on_the_client_is_queued(client_mode, season, point, point_user):
    from gaokao.client.services import save_paper_data

    candidate = synced_candidate(season, point)
    save_paper_data(
        candidate,
        version=candidate.version,
        data={"mobile": "13912345678"},
        resume=[],
        family=[{"name": "张父", "relation": "父亲", "employer": "", "phone": ""}],
        by=point_user,
    )

    [entry] = queued()
    assert entry.payload["fields"]["mobile"] == "13912345678"
    assert entry.payload["fields"]["family"][0]["name"] == "张父"
    assert entry.payload["fields"]["keyed_from_paper"] is True
