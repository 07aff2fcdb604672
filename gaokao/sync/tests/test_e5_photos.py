"""E4, E5: photos taken at the point travel in pieces that resume after a cut, are checked
against their SHA-256, and become the candidate's photo exactly once."""

import uuid

import pytest

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates.models import Stage
from gaokao.photos.models import CandidatePhoto
from gaokao.photos.services import MAX_UPLOAD_BYTES
from gaokao.photos.tests.images import asymmetric, encode
from gaokao.sync import errors, photos
from gaokao.sync.models import PhotoUpload
from gaokao.sync.tests.conftest import sha
from gaokao.testing.sync import Api

pytestmark = pytest.mark.django_db


@pytest.fixture
def jpeg():
    return encode(asymmetric(600, 800))


@pytest.fixture
def candidate(make, point):
    return make(point)


def start(api, whose, data, photo_id=None, **overrides):
    photo_id = photo_id or uuid.uuid4()
    body = {"candidate": str(whose.pk), "size": len(data), "sha256": sha(data)} | overrides
    return photo_id, api.post(f"/photos/{photo_id}", body)


def test_e5_a_photo_in_three_pieces_with_a_cut_and_a_resume(api, candidate, jpeg, device):
    photo_id, answer = start(api, candidate, jpeg)
    assert answer.json() == {"received": 0, "complete": False}
    third = len(jpeg) // 3
    pieces = [jpeg[:third], jpeg[third : 2 * third], jpeg[2 * third :]]

    first = api.put(f"/photos/{photo_id}?offset=0", pieces[0])
    assert first.json() == {"received": third, "complete": False}
    # The second piece arrived but its answer was lost in a cut: the client sends it again.
    api.put(f"/photos/{photo_id}?offset={third}", pieces[1])
    resent = api.put(f"/photos/{photo_id}?offset={third}", pieces[1])
    assert resent.status_code == 409
    assert resent.json()["received"] == 2 * third and resent.json()["detail"]
    # The client asks where it got to, and resumes from there.
    assert api.get(f"/photos/{photo_id}").json() == {"received": 2 * third, "complete": False}
    last = api.put(f"/photos/{photo_id}?offset={2 * third}", pieces[2])

    assert last.json() == {"received": len(jpeg), "complete": True}
    photo = CandidatePhoto.objects.get(candidate=candidate)
    assert photo.is_current and photo.source == "camera" and device.name in photo.note
    assert photo.original_sha256 == sha(jpeg)
    upload = PhotoUpload.objects.get(pk=photo_id)
    assert upload.photo_id == photo.pk and bytes(upload.data) == b""


def test_e5_a_completed_photo_is_applied_once(api, candidate, jpeg):
    photo_id, _answer = start(api, candidate, jpeg)
    api.put(f"/photos/{photo_id}?offset=0", jpeg)
    again = api.put(f"/photos/{photo_id}?offset=0", jpeg)  # the answer was lost
    assert again.json() == {"received": len(jpeg), "complete": True}
    assert start(api, candidate, jpeg, photo_id)[1].json()["complete"] is True
    assert CandidatePhoto.objects.filter(candidate=candidate).count() == 1
    assert AuditEvent.objects.filter(action=Action.PHOTO_ADDED).count() == 1


def test_e5_a_photo_that_does_not_match_its_sha256_is_refused(api, candidate, jpeg):
    photo_id, _answer = start(api, candidate, jpeg, sha256="0" * 64)
    answer = api.put(f"/photos/{photo_id}?offset=0", jpeg)
    assert answer.status_code == 400 and answer.json()["detail"]
    assert not CandidatePhoto.objects.exists()
    # Emptied, so that the client can send it again from the start.
    assert api.get(f"/photos/{photo_id}").json() == {"received": 0, "complete": False}


def test_e5_bytes_that_are_no_photo_are_refused_and_recorded(api, candidate):
    data = b"MZ\x90\x00" + b"\x00" * 500  # an executable, not an image
    photo_id, _answer = start(api, candidate, data)
    answer = api.put(f"/photos/{photo_id}?offset=0", data)
    assert answer.status_code == 400
    assert not CandidatePhoto.objects.exists()
    assert AuditEvent.objects.filter(action=Action.PHOTO_REJECTED).count() == 1


def test_e5_bytes_beyond_the_announced_size_are_refused(api, candidate, jpeg):
    photo_id, _answer = start(api, candidate, jpeg)
    answer = api.put(f"/photos/{photo_id}?offset=0", jpeg + b"extra")
    assert answer.status_code == 400
    assert api.get(f"/photos/{photo_id}").json()["received"] == 0


@pytest.mark.parametrize(
    "overrides",
    [
        {"size": MAX_UPLOAD_BYTES + 1},
        {"size": 0},
        {"size": "12"},
        {"sha256": "xyz"},
        {"sha256": "0" * 63},
        {"candidate": "not-a-uuid"},
    ],
)
def test_e5_bad_photo_announcements_get_4xx(api, candidate, jpeg, overrides):
    _id, answer = start(api, candidate, jpeg, **overrides)
    assert 400 <= answer.status_code < 500 and isinstance(answer.json()["detail"], str)
    assert not PhotoUpload.objects.exists()


def test_e5_an_id_already_used_for_another_photo_is_refused(api, candidate, jpeg):
    photo_id, _answer = start(api, candidate, jpeg)
    _id, again = start(api, candidate, jpeg[:-1], photo_id)
    assert again.status_code == 400


def test_e5_only_the_points_candidates_and_uploads(
    client, api, candidate, make, other_point, other_device, jpeg
):
    foreign = make(other_point)
    _id, answer = start(api, foreign, jpeg)
    assert answer.status_code == 404 and foreign.name not in answer.json()["detail"]

    photo_id, _answer = start(api, candidate, jpeg)
    other = Api(client, token="other-" + "y" * 30)
    assert other.get(f"/photos/{photo_id}").status_code == 404
    assert other.put(f"/photos/{photo_id}?offset=0", jpeg).status_code == 404
    _id, taken = start(other, candidate, jpeg, photo_id)
    assert taken.status_code == 404  # not their candidate
    assert not CandidatePhoto.objects.exists()


def test_e5_a_submitted_candidates_photo_is_refused(api, candidate, jpeg):
    photo_id, _answer = start(api, candidate, jpeg)
    candidate.stage = Stage.COUNTY
    candidate.save()
    answer = api.put(f"/photos/{photo_id}?offset=0", jpeg)
    assert answer.status_code == 409 and answer.json()["detail"]  # the record is locked
    assert not CandidatePhoto.objects.exists()
    _id, refused = start(api, candidate, jpeg)
    assert refused.status_code == 409  # locked: start no more


def test_e5_pieces_must_come_as_octet_stream_with_a_good_offset(api, candidate, jpeg):
    photo_id, _answer = start(api, candidate, jpeg)
    assert api.put(f"/photos/{photo_id}?offset=0", jpeg, "image/jpeg").status_code == 415
    for offset in ("-1", "x", ""):
        assert api.put(f"/photos/{photo_id}?offset={offset}", jpeg[:10]).status_code == 422
    assert api.put(f"/photos/{photo_id}?offset=5", jpeg[:10]).status_code == 409
    assert api.put(f"/photos/{photo_id}?offset={10**30}", jpeg[:10]).status_code == 409
    assert api.put("/photos/not-a-uuid?offset=0", jpeg[:10]).status_code == 422
    assert api.get(f"/photos/{uuid.uuid4()}").status_code == 404


def test_e5_the_service_answers_like_the_bundle_import_needs(device, candidate, jpeg):
    photo_id = uuid.uuid4()
    state = photos.start_photo(device, photo_id, candidate.pk, len(jpeg), sha(jpeg).upper())
    assert state == {"received": 0, "complete": False}
    with pytest.raises(errors.OffsetMismatch) as e:
        photos.append_photo(device, photo_id, 3, jpeg)
    assert e.value.received == 0
    assert photos.append_photo(device, photo_id, 0, jpeg)["complete"] is True


def test_e5_a_locked_candidate_refuses_as_sync_refusal_for_the_bundle_import(
    device, candidate, jpeg
):
    candidate.stage = Stage.COUNTY
    candidate.save()
    with pytest.raises(errors.SyncRefused) as e:
        photos.start_photo(device, uuid.uuid4(), candidate.pk, len(jpeg), sha(jpeg))
    assert e.value.code == "locked"


def test_e5_a_piece_larger_than_a_request_may_be_is_413(api, candidate, jpeg, settings):
    photo_id, _answer = start(api, candidate, jpeg)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    answer = api.put(f"/photos/{photo_id}?offset=0", jpeg[:2000])
    assert answer.status_code == 413 and answer.json()["detail"]
    assert api.get(f"/photos/{photo_id}").json()["received"] == 0


def test_e6_a_photo_sent_by_the_candidate_keeps_its_source_and_note(api, candidate, jpeg):
    note = "考生通过微信发送（因疫情无法到点）"
    photo_id, answer = start(api, candidate, jpeg, source="network", note=note)
    assert answer.status_code == 200
    api.put(f"/photos/{photo_id}?offset=0", jpeg)
    photo = CandidatePhoto.objects.get(candidate=candidate)
    assert (photo.source, photo.note) == ("network", note)


@pytest.mark.parametrize(
    ("overrides", "status"),
    [({"source": "network"}, 400), ({"source": "satellite"}, 422), ({"note": "x" * 201}, 422)],
)
def test_e6_a_network_photo_without_its_note_or_an_unknown_source_is_refused(
    api, candidate, jpeg, overrides, status
):
    _photo_id, answer = start(api, candidate, jpeg, **overrides)
    assert answer.status_code == status
    assert not PhotoUpload.objects.exists()
