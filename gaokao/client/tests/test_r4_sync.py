"""R4, E5: sync against the real API (in process). An outbox entry goes only when the
server's answer names it; refusals and conflicts stay with the server's message; a cut
connection loses nothing and a resend applies nothing twice; photos resume where the
server has got to."""

import datetime as dt
import json
import uuid

import pytest

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates.models import Candidate, Stage
from gaokao.client import sync
from gaokao.client.models import ClientState, Known, Outbox
from gaokao.client.tests.conftest import (
    Recorder,
    create_entry,
    edit_locally,
    server,
    synced_candidate,
)
from gaokao.photos.models import CandidatePhoto, PhotoSource
from gaokao.photos.services import add_photo
from gaokao.photos.tests import images
from gaokao.sync.models import Conflict, PhotoUpload, Receipt
from gaokao.testing.factories import CandidateFactory

pytestmark = pytest.mark.django_db


def pushes(recorder: Recorder) -> int:
    return sum(1 for method, path, _ in recorder.calls if path == "/push")


def test_r4_an_applied_change_leaves_the_outbox_and_its_version_is_remembered(
    client_mode, enrolled, season, point
):
    candidate = synced_candidate(season, point)
    edit_locally(candidate, fee_fen=4000, fee_receipt="R-1", documents_received=True)

    report = sync.sync_once(server)

    assert report.ok, report.error
    assert Outbox.objects.count() == 0
    candidate.refresh_from_db()
    assert candidate.version == 2  # the server applied it once
    assert Known.objects.get(candidate_id=candidate.pk).version == 2
    assert Receipt.objects.get().status == Receipt.Status.APPLIED
    state = ClientState.load()
    assert state.last_sync_ok is True and state.last_success_at is not None


def test_r4_a_create_whose_answer_is_lost_is_applied_once_after_the_retry(
    enrolled, season, point, number_range
):
    entry = create_entry(point, 7)
    transport = Recorder().fail(1, "after")  # the server applies the push; the answer is lost

    first = sync.sync_once(transport)

    assert not first.ok
    assert "reset" in first.error
    assert Candidate.objects.filter(pk=entry.candidate_id).count() == 1  # the server has it
    kept = Outbox.objects.get(pk=entry.pk)
    assert kept.sent_at is not None and kept.attempts == 1 and "reset" in kept.last_error
    assert ClientState.load().last_sync_ok is False

    second = sync.sync_once(transport)

    assert second.ok, second.error
    assert second.counts["duplicate"] == 1
    assert not Outbox.objects.filter(pk=entry.pk).exists()
    assert Candidate.objects.filter(pk=entry.candidate_id).count() == 1
    assert Receipt.objects.filter(pk=entry.pk).count() == 1
    assert AuditEvent.objects.filter(action=Action.SYNC_APPLIED).count() == 1
    assert Known.objects.get(candidate_id=entry.candidate_id).version == 1
    # The resend carried the same change, id and all.
    sent = [json.loads(body) for _, path, body in transport.calls if path == "/push"]
    assert len(sent) == 2 and sent[0]["changes"] == sent[1]["changes"]  # sent_at moves on
    assert sent[0]["changes"][0]["id"] == str(entry.pk)


@pytest.mark.parametrize("how", ["before", "502"])
def test_r4_a_server_out_of_reach_leaves_the_outbox_as_it_was(
    how, enrolled, season, point, number_range
):
    entry = create_entry(point, 8)

    report = sync.sync_once(Recorder().fail(1, how))

    assert not report.ok
    assert Outbox.objects.filter(pk=entry.pk, state=Outbox.State.PENDING).exists()
    assert not Candidate.objects.filter(pk=entry.candidate_id).exists()
    assert Receipt.objects.count() == 0
    assert sync.sync_once(server).ok
    assert Candidate.objects.filter(pk=entry.candidate_id).exists()
    assert Outbox.objects.count() == 0


def test_r4_a_refused_change_stays_with_the_servers_message_and_is_not_resent(
    enrolled, season, point, other_point
):
    foreign = CandidateFactory(season=season, point=other_point)
    entry = Outbox.objects.create(
        kind=Outbox.Kind.CHANGE,
        candidate_id=foreign.pk,
        payload={"kind": "update", "base_version": 1, "fields": {"fee_receipt": "R-X"}},
    )
    Known.objects.create(candidate_id=foreign.pk, version=1, fields={"fee_receipt": ""})
    transport = Recorder()

    report = sync.sync_once(transport)

    assert report.ok and report.counts["refused"] == 1
    entry.refresh_from_db()
    assert entry.state == Outbox.State.ATTENTION
    assert "Not this point's candidate" in entry.last_error
    foreign.refresh_from_db()
    assert foreign.fee_receipt == "" and foreign.version == 1
    assert pushes(transport) == 1
    sync.sync_once(transport)
    assert pushes(transport) == 1  # acknowledged: never sent again
    assert sync.status().attention == [entry]


def test_r4_a_refused_create_names_the_reason(enrolled, season, point, number_range):
    entry = create_entry(point, 150)  # outside the point's range 1–100

    sync.sync_once(server)

    entry.refresh_from_db()
    assert entry.state == Outbox.State.ATTENTION
    assert "not in" in entry.last_error and "number ranges" in entry.last_error


def test_r4_a_stale_update_becomes_a_conflict_and_overwrites_nothing(
    client_mode, enrolled, season, point
):
    candidate = synced_candidate(season, point, mobile="13800000000")
    edit_locally(candidate, mobile="13900000000")
    # Meanwhile the county changed the record on the server (version 2).
    Candidate.objects.filter(pk=candidate.pk).update(version=2, mobile="13700000000")

    sync.sync_once(server)

    entry = Outbox.objects.get()
    assert entry.state == Outbox.State.ATTENTION
    assert entry.last_error.startswith("Conflict")
    conflict = Conflict.objects.get()
    assert conflict.point_values == {"mobile": "13900000000"}
    assert Candidate.objects.get(pk=candidate.pk).mobile == "13700000000"


def test_r4_a_second_change_is_based_on_the_version_the_first_one_got(
    client_mode, enrolled, season, point
):
    candidate = synced_candidate(season, point)
    edit_locally(candidate, fee_receipt="R-1", fee_fen=100)
    first = Outbox.objects.get()
    sync.finalize(first, sync.basis_of(candidate.pk))  # sent once, answer never came
    edit_locally(candidate, fee_receipt="R-2")  # queued behind it
    assert Outbox.objects.count() == 2
    transport = Recorder()

    report = sync.sync_once(transport)

    assert report.ok, report.error
    assert report.counts == {"applied": 2, "pulled": 1}
    assert pushes(transport) == 2  # one change per candidate on the wire at a time
    assert Conflict.objects.count() == 0
    assert Candidate.objects.get(pk=candidate.pk).version == 3
    assert Outbox.objects.count() == 0


def test_r4_a_submitted_candidate_is_refused(client_mode, enrolled, season, point):
    candidate = synced_candidate(season, point)
    edit_locally(candidate, fee_receipt="R-1")
    Candidate.objects.filter(pk=candidate.pk).update(stage=Stage.COUNTY)

    sync.sync_once(server)

    entry = Outbox.objects.get()
    assert entry.state == Outbox.State.ATTENTION
    assert str(Stage.COUNTY.label) in entry.last_error


def test_r4_batches_hold_at_most_200_changes_one_per_candidate(enrolled, point):
    candidate_id = uuid.uuid4()
    for _ in range(3):
        Outbox.objects.create(kind=Outbox.Kind.CHANGE, candidate_id=candidate_id, payload={})
    for n in range(250):
        create_entry(point, n + 1)
    batch = sync.next_batch()
    assert len(batch) == sync.BATCH
    assert [e.candidate_id for e in batch].count(candidate_id) == 1


def test_r4_a_revoked_device_is_told_and_keeps_its_work(enrolled, device, season, point):
    entry = create_entry(point, 9)
    device.revoked_at = dt.datetime.now(dt.UTC)
    device.save()

    report = sync.sync_once(server)

    assert not report.ok and "not enrolled or was revoked" in report.error
    assert Outbox.objects.filter(pk=entry.pk).exists()


# ── photos ────────────────────────────────────────────────────────────────────────────


@pytest.fixture
def queued_photo(client_mode, season, point, point_user):
    candidate = synced_candidate(season, point)
    data = images.encode(images.portrait(), quality=92)  # about 350 KB: two pieces
    assert len(data) > sync.CHUNK
    photo = add_photo(candidate, data, source=PhotoSource.CAMERA, by=point_user)
    return candidate, photo, data


def test_r4_a_photo_upload_cut_midway_resumes_where_the_server_got_to(enrolled, queued_photo):
    _candidate, photo, data = queued_photo
    # Calls: GET (404), POST start, PUT 0 (applied, answer lost).
    transport = Recorder().fail(3, "after")

    assert not sync.sync_once(transport).ok
    upload = PhotoUpload.objects.get(pk=photo.pk)
    assert upload.received == sync.CHUNK
    assert Outbox.objects.filter(pk=photo.pk).exists()

    assert sync.sync_once(transport).ok
    puts = [path for method, path, _ in transport.calls if method == "PUT"]
    assert puts == [f"/photos/{photo.pk}?offset=0", f"/photos/{photo.pk}?offset={sync.CHUNK}"]
    upload.refresh_from_db()
    assert upload.received == len(data) and upload.photo_id is not None
    assert not Outbox.objects.filter(pk=photo.pk).exists()
    server_photo = CandidatePhoto.objects.get(pk=upload.photo_id)
    assert server_photo.original_sha256 == photo.original_sha256

    sync.sync_once(transport)  # nothing left: the photo is not sent again
    assert CandidatePhoto.objects.filter(original_sha256=photo.original_sha256).count() == 2


def test_r4_a_photo_waits_for_its_candidate_to_reach_the_server(
    client_mode, enrolled, season, point, point_user
):
    candidate = synced_candidate(season, point)
    edit_locally(candidate, fee_receipt="R-1")
    add_photo(
        candidate,
        images.encode(images.portrait(600, 800), quality=90),
        source=PhotoSource.CAMERA,
        by=point_user,
    )
    transport = Recorder().fail(1, "before")  # the push fails: photos must not go first

    sync.sync_once(transport)

    assert [c[1] for c in transport.calls] == ["/push"]
    assert Outbox.objects.filter(kind=Outbox.Kind.PHOTO).count() == 1


def test_r4_a_photo_whose_file_changed_needs_attention(enrolled, queued_photo):
    _candidate, photo, _data = queued_photo
    with open(photo.original.path, "wb") as f:
        f.write(b"not the photo any more")

    sync.sync_once(server)

    entry = Outbox.objects.get(pk=photo.pk)
    assert entry.state == Outbox.State.ATTENTION
    assert "missing or changed" in entry.last_error
    assert PhotoUpload.objects.get(pk=photo.pk).received == 0


@pytest.mark.parametrize("body", [b"", b'{"results": [', b"<html>proxy error</html>", b"[]"])
def test_r4_an_answer_cut_short_is_a_failed_sync_not_an_empty_one(
    body, enrolled, season, point, number_range
):
    entry = create_entry(point, 4)

    report = sync.sync_once(lambda method, url, headers, data: (200, {}, body))

    assert not report.ok and "cut short" in report.error
    kept = Outbox.objects.get(pk=entry.pk)
    assert kept.state == Outbox.State.PENDING and "cut short" in kept.last_error
    assert ClientState.load().cursor == ""


def test_r4_an_unreachable_server_is_explained_in_words_point_staff_understand():
    """Point staff read the reason on the 待同步 page: not Python's socket error text."""
    from django.utils import translation

    from gaokao.client.tests.processes import free_port

    with translation.override("zh-hans"), pytest.raises(sync.SyncError) as refused:
        sync.Api(f"http://127.0.0.1:{free_port()}").call("GET", "/api/v1/status")
    assert "无法连接服务器" in str(refused.value) and "防火墙" in str(refused.value)
    assert "Errno" not in str(refused.value)
