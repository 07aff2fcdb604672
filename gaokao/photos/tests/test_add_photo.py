"""R3 / E6: `add_photo` keeps the file as received beside the standard photo, keeps every
earlier photo, makes exactly one current, and leaves a trace in the audit trail."""

import hashlib
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image

from gaokao.audit.models import Action, AuditEvent
from gaokao.photos import services
from gaokao.photos.models import CandidatePhoto, PhotoSource
from gaokao.photos.services import PhotoRefused, add_photo
from gaokao.photos.tests import images

pytestmark = pytest.mark.django_db


def stored_files(media) -> list:
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


def test_r3_original_is_stored_byte_identical_under_a_random_name(
    candidate, point_user, photo_jpeg
):
    upload = SimpleUploadedFile("张三 的 照片.jpg", photo_jpeg, content_type="image/jpeg")
    photo = add_photo(candidate, upload, source=PhotoSource.UPLOAD, by=point_user)

    with photo.original.open("rb") as f:
        assert f.read() == photo_jpeg
    assert photo.original_sha256 == hashlib.sha256(photo_jpeg).hexdigest()
    assert photo.original_bytes == len(photo_jpeg)
    assert photo.original_type == "image/jpeg"
    assert (photo.original_width, photo.original_height) == (1200, 1600)
    month = timezone.localtime(photo.created_at).strftime("%Y/%m")  # as upload_to fills it in
    assert photo.original.name.startswith(f"photos/originals/{month}/")
    assert photo.original.name.endswith(".jpg")
    assert "张三" not in photo.original.name

    with photo.normalised.open("rb") as f:
        normalised = f.read()
    assert photo.normalised.name.startswith("photos/normalised/")
    assert Image.open(BytesIO(normalised)).size == (480, 640)
    assert photo.normalised_sha256 == hashlib.sha256(normalised).hexdigest()
    assert photo.normalised_bytes == len(normalised) <= 40_000
    assert 60 <= photo.quality <= 95
    assert photo.is_current
    assert photo.taken_by == point_user


def test_r3_a_png_original_keeps_its_extension(candidate, point_user):
    data = images.encode(images.portrait(600, 800), "PNG")
    photo = add_photo(candidate, data, source=PhotoSource.UPLOAD, by=point_user)
    assert photo.original.name.endswith(".png")
    assert photo.original_type == "image/png"
    with photo.original.open("rb") as f:
        assert f.read() == data


def test_r3_exactly_one_current_photo_after_several_and_all_files_kept(
    candidate, point_user, county_user, media
):
    added = [
        add_photo(
            candidate,
            images.encode(images.portrait(600, 800, seed=seed)),
            source=source,
            note="微信发来" if source == PhotoSource.NETWORK else "",
            by=user,
        )
        for seed, source, user in [
            (1, PhotoSource.CAMERA, point_user),
            (2, PhotoSource.UPLOAD, point_user),
            (3, PhotoSource.NETWORK, county_user),
            (4, PhotoSource.CAMERA, point_user),
        ]
    ]
    photos = CandidatePhoto.objects.filter(candidate=candidate)
    assert photos.count() == 4
    assert list(photos.filter(is_current=True)) == [added[-1]]
    assert len(stored_files(media)) == 8  # every original and every standard photo
    for photo in photos:
        assert photo.original.storage.exists(photo.original.name)
        assert photo.normalised.storage.exists(photo.normalised.name)
    assert len({p.original_sha256 for p in photos}) == 4


def test_r3_photos_of_different_candidates_do_not_interfere(candidate, point, point_user):
    from gaokao.testing.factories import CandidateFactory

    other = CandidateFactory(point=point, season=candidate.season)
    add_photo(candidate, images.encode(images.asymmetric()), source="upload", by=point_user)
    add_photo(other, images.encode(images.asymmetric()), source="upload", by=point_user)
    assert CandidatePhoto.objects.filter(is_current=True).count() == 2


def test_r3_the_database_allows_only_one_current_photo(candidate, point_user):
    photo = add_photo(candidate, images.encode(images.asymmetric()), source="camera", by=point_user)
    duplicate = CandidatePhoto.objects.get(pk=photo.pk)
    duplicate.pk = None
    duplicate.id = None
    with pytest.raises(IntegrityError), transaction.atomic():
        CandidatePhoto.objects.create(
            **{
                f.attname: getattr(duplicate, f.attname)
                for f in CandidatePhoto._meta.concrete_fields
                if f.attname != "id"
            }
        )


def test_r3_adding_a_photo_changes_nothing_on_the_candidate(candidate, point_user):
    version, updated_at = candidate.version, candidate.updated_at
    add_photo(candidate, images.encode(images.asymmetric()), source="camera", by=point_user)
    candidate.refresh_from_db()
    assert (candidate.version, candidate.updated_at) == (version, updated_at)


def test_r3_adding_a_photo_is_audited(candidate, point, county_user, photo_jpeg):
    first = add_photo(candidate, photo_jpeg, source="upload", by=county_user)
    second = add_photo(candidate, photo_jpeg, source="camera", by=county_user)
    event = AuditEvent.objects.filter(action=Action.PHOTO_ADDED).first()
    assert event.actor == county_user
    assert event.point == point  # the candidate's point, so the point sees it too
    assert event.detail["photo"] == str(second.pk)
    assert event.detail["replaces"] == [str(first.pk)]
    assert event.detail["original_sha256"] == hashlib.sha256(photo_jpeg).hexdigest()
    assert event.detail["source"] == "camera"
    assert AuditEvent.objects.filter(action=Action.PHOTO_ADDED).count() == 2


def test_r3_a_refused_file_is_audited_and_nothing_is_stored(candidate, point_user, media):
    upload = SimpleUploadedFile("photo.jpg", b"not a photo at all", content_type="image/jpeg")
    with pytest.raises(PhotoRefused) as caught:
        add_photo(candidate, upload, source="upload", by=point_user)
    assert caught.value.code == "not_image"
    assert not CandidatePhoto.objects.exists()
    assert stored_files(media) == []
    event = AuditEvent.objects.get(action=Action.PHOTO_REJECTED)
    assert event.detail["reason"] == "not_image"
    assert event.detail["filename"] == "photo.jpg"
    assert event.detail["candidate"] == str(candidate.pk)
    assert event.actor == point_user


def test_r3_a_refusal_leaves_the_current_photo_current(candidate, point_user):
    photo = add_photo(candidate, images.encode(images.asymmetric()), source="camera", by=point_user)
    with pytest.raises(PhotoRefused):
        add_photo(
            candidate, images.encode(Image.new("RGB", (50, 50))), source="camera", by=point_user
        )
    photo.refresh_from_db()
    assert photo.is_current


class Unreadable:
    """An upload whose size is known and whose content must not be read."""

    name = "huge.jpg"
    size = services.MAX_UPLOAD_BYTES + 1

    def read(self, *args):
        raise AssertionError("read an oversized file")

    def seek(self, *args):
        raise AssertionError("touched an oversized file")


def test_r3_an_oversized_upload_is_refused_before_it_is_read(candidate, point_user):
    with pytest.raises(PhotoRefused) as caught:
        add_photo(candidate, Unreadable(), source="upload", by=point_user)
    assert caught.value.code == "too_large"
    assert AuditEvent.objects.get(action=Action.PHOTO_REJECTED).detail["reason"] == "too_large"


def test_r3_a_file_object_is_read_no_further_than_the_limit(candidate, point_user, monkeypatch):
    monkeypatch.setattr(services, "MAX_UPLOAD_BYTES", 1000)
    stream = BytesIO(b"\xff\xd8\xff" + bytes(5000))
    with pytest.raises(PhotoRefused) as caught:
        add_photo(candidate, stream, source="upload", by=point_user)
    assert caught.value.code == "too_large"
    assert stream.tell() == 1001


def test_r3_files_are_removed_if_the_row_cannot_be_saved(candidate, point_user, media, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "record", fail)
    with pytest.raises(RuntimeError):
        add_photo(candidate, images.encode(images.asymmetric()), source="camera", by=point_user)
    assert not CandidatePhoto.objects.exists()
    assert stored_files(media) == []


def test_r3_an_unknown_source_is_refused(candidate, point_user):
    with pytest.raises(ValidationError) as caught:
        add_photo(candidate, images.encode(images.asymmetric()), source="fax", by=point_user)
    assert caught.value.code == "source"


# E6: a candidate who cannot come sends a photo over the network; the point records it.


def test_e6_a_network_photo_needs_a_note_saying_who_sent_it_and_how(candidate, point_user):
    with pytest.raises(ValidationError) as caught:
        add_photo(
            candidate,
            images.encode(images.asymmetric()),
            source="network",
            note="  ",
            by=point_user,
        )
    assert caught.value.code == "note_required"
    assert not CandidatePhoto.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.PHOTO_REJECTED).exists()  # no file judged


def test_e6_a_network_photo_is_recorded_with_its_note(candidate, point_user):
    note = "考生本人微信发送，电话 138****0000 确认"
    photo = add_photo(
        candidate,
        images.encode(images.portrait(600, 800)),
        source=PhotoSource.NETWORK,
        note=f"  {note} ",
        by=point_user,
    )
    photo.refresh_from_db()
    assert (photo.source, photo.note) == ("network", note)
    event = AuditEvent.objects.get(action=Action.PHOTO_ADDED)
    assert (event.detail["source"], event.detail["note"]) == ("network", note)


def test_e6_the_database_refuses_a_network_photo_without_a_note(candidate, point_user):
    photo = add_photo(
        candidate, images.encode(images.asymmetric()), source="network", note="电话", by=point_user
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        CandidatePhoto.objects.filter(pk=photo.pk).update(note="")
