"""R4, E4: on the point client, every local save of a candidate and every new photo is
queued for the server in the same transaction; saves coalesce until the change leaves
the device; what the server sends is not queued back."""

import datetime as dt
import hashlib
import uuid

import pytest
from django.db import transaction

from gaokao.candidates import services as intake
from gaokao.candidates.models import Candidate
from gaokao.client import capture
from gaokao.client.local import apply_snapshot
from gaokao.client.models import Known, Outbox
from gaokao.client.tests.conftest import synced_candidate
from gaokao.photos.models import PhotoSource
from gaokao.photos.services import add_photo
from gaokao.photos.tests import images
from gaokao.sync.services import snapshot
from gaokao.testing.factories import CandidateFactory

pytestmark = pytest.mark.django_db


def changes():
    return list(Outbox.objects.filter(kind=Outbox.Kind.CHANGE).order_by("created_at"))


def test_r4_a_candidate_taken_in_on_the_client_queues_one_create(
    client_mode, season, point, point_user, number_range
):
    from gaokao.candidates.tests.conftest import card

    candidate = intake.take_in_from_card(season, point, "5", card(7), by=point_user)

    [entry] = changes()
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

    [entry] = changes()
    assert entry.payload["kind"] == "update"
    assert entry.payload["base_version"] == 1  # what the server confirmed, not the local 3
    assert entry.payload["fields"]["fee_fen"] == 4000
    assert entry.payload["fields"]["fee_receipt"] == "R-1"


def test_r4_a_change_in_flight_is_frozen_and_a_new_one_queued_behind_it(client_mode, season, point):
    candidate = synced_candidate(season, point)
    candidate.fee_receipt = "R-1"
    candidate.save()
    [first] = changes()
    sent = {**first.payload, "id": str(first.id)}
    Outbox.objects.filter(pk=first.pk).update(payload=sent, sent_at=dt.datetime.now(dt.UTC))

    candidate.fee_receipt = "R-2"
    candidate.save()
    candidate.fee_receipt = "R-3"
    candidate.save()

    first_again, second = changes()
    assert first_again.pk == first.pk
    assert first_again.payload == sent  # not touched
    assert second.payload["fields"]["fee_receipt"] == "R-3"
    assert second.sent_at is None


def test_r4_a_save_that_changes_no_synced_field_queues_nothing(client_mode, season, point):
    candidate = synced_candidate(season, point)
    candidate.portal_password = "pbkdf2_sha256$x"  # login cards: not synced
    candidate.save()
    assert changes() == []


def test_r4_an_edit_undone_before_sync_removes_the_pending_change(client_mode, season, point):
    candidate = synced_candidate(season, point, mobile="13800000000")
    candidate.mobile = "13900000000"
    candidate.save()
    assert len(changes()) == 1
    candidate.mobile = "13800000000"
    candidate.save()
    assert changes() == []


def test_r4_a_save_rolled_back_leaves_nothing_queued(client_mode, season, point):
    candidate = synced_candidate(season, point)
    with pytest.raises(RuntimeError), transaction.atomic():
        candidate.fee_receipt = "R-9"
        candidate.save()
        raise RuntimeError("the service failed after saving")
    assert changes() == []


def test_r4_what_the_server_sends_is_not_queued(client_mode, season, point, other_point):
    # A snapshot as the pull carries it, of a candidate this client does not have yet.
    with capture.from_server():
        model = CandidateFactory.build(season=season, point=point, version=4)
        model.updated_at = dt.datetime.now(dt.UTC)
        data = snapshot(model) | {"id": str(uuid.uuid4())}
    assert apply_snapshot(data, season, point) == "written"
    assert Candidate.objects.filter(pk=data["id"]).exists()
    assert changes() == []
    assert Known.objects.get(candidate_id=data["id"]).version == model.version


def test_r4_the_central_server_queues_nothing(settings, season, point):
    assert settings.GAOKAO_MODE == "server"
    candidate = CandidateFactory(season=season, point=point)
    candidate.mobile = "13900000000"
    candidate.save()
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
    assert changes() == []  # a photo does not change the candidate's synced fields
