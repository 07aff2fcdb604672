"""R3 / E6 in the office web: the candidate's photo page, upload and webcam posts, and the
image views, for the candidate's point and county only (everyone else: 404)."""

import re
import uuid

import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from gaokao.audit.models import Action, AuditEvent
from gaokao.photos import services
from gaokao.photos.models import CandidatePhoto
from gaokao.photos.services import add_photo
from gaokao.photos.tests import images
from gaokao.testing.factories import PointFactory, staff_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo(candidate, point_user, photo_jpeg):
    return add_photo(candidate, photo_jpeg, source="upload", by=point_user)


@pytest.fixture
def neighbour_point_user(county):
    """Staff of another point in the same county: sees none of this point's candidates."""
    return staff_for(PointFactory(county=county))


def page(candidate):
    return reverse("photos:candidate", args=[candidate.pk])


def jpeg_upload(name="photo.jpg", data=None):
    data = data if data is not None else images.encode(images.portrait(600, 800))
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


@pytest.mark.parametrize("user", ["point_user", "county_user"])
def test_r3_page_shows_the_current_photo_and_the_earlier_ones(request, client, candidate, user):
    staff = request.getfixturevalue(user)
    first = add_photo(candidate, images.encode(images.asymmetric()), source="camera", by=staff)
    second = add_photo(candidate, images.encode(images.asymmetric()), source="upload", by=staff)
    client.force_login(staff)
    response = client.get(page(candidate))
    assert response.status_code == 200
    assert response.context["current"] == second
    assert response.context["earlier"] == [first]
    html = response.content.decode()
    assert reverse("photos:image", args=[second.pk]) in html
    assert reverse("photos:image", args=[first.pk]) in html
    assert reverse("photos:original", args=[second.pk]) in html
    assert "photos/originals" not in html and "photos/normalised" not in html  # no media URLs


def test_r3_page_has_the_webcam_without_inline_script(client, candidate, point_user):
    client.force_login(point_user)
    html = client.get(page(candidate)).content.decode()
    assert "<video" in html and 'data-action="capture"' in html
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all("src=" in tag for tag in scripts)  # no inline code (CSP)
    assert all(
        not body.strip() for body in re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S)
    )
    assert not re.search(r"\son[a-z]+\s*=", html)  # no inline event handlers
    assert not re.search(r"\sstyle\s*=", html)  # no inline styles either
    assert "photos/camera.js" in html
    assert finders.find("photos/camera.js") and finders.find("photos/photos.css")
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'name="source" value="camera"' in html


def test_r3_upload_saves_and_redirects_back_with_a_message(client, candidate, point_user):
    client.force_login(point_user)
    response = client.post(page(candidate), {"file": jpeg_upload(), "source": "upload"})
    assert response.status_code == 302
    assert response["Location"] == page(candidate)
    photo = CandidatePhoto.objects.get()
    assert (photo.candidate, photo.source, photo.taken_by) == (candidate, "upload", point_user)
    followed = client.get(page(candidate))
    assert [str(m) for m in followed.context["messages"]]
    assert followed.context["current"] == photo


def test_r3_webcam_post_is_saved_as_a_camera_photo(client, candidate, point_user):
    """What camera.js sends: the canvas as a JPEG blob named camera.jpg, source=camera."""
    client.force_login(point_user)
    frame = images.encode(images.portrait(540, 720), quality=92)
    response = client.post(
        page(candidate), {"file": jpeg_upload("camera.jpg", frame), "source": "camera", "note": ""}
    )
    assert response.status_code == 302
    photo = CandidatePhoto.objects.get()
    assert photo.source == "camera"
    with photo.original.open("rb") as f:
        assert f.read() == frame


def test_r3_a_refused_file_re_renders_the_page_with_the_reason(
    client, candidate, point_user, photo
):
    client.force_login(point_user)
    upload = SimpleUploadedFile("photo.jpg", b"just some text\n", content_type="image/jpeg")
    response = client.post(page(candidate), {"file": upload, "source": "upload"})
    assert response.status_code == 200
    assert "data-photo-errors" in response.content.decode()
    assert response.context["form"].errors["file"]
    assert response.context["current"] == photo  # unchanged
    assert CandidatePhoto.objects.count() == 1
    event = AuditEvent.objects.get(action=Action.PHOTO_REJECTED)
    assert event.detail["reason"] == "not_image"


def test_r3_a_post_without_a_file_asks_for_one(client, candidate, point_user):
    client.force_login(point_user)
    response = client.post(page(candidate), {"source": "upload"})
    assert response.status_code == 200
    assert response.context["form"].has_error("file", "required")
    assert not AuditEvent.objects.filter(action=Action.PHOTO_REJECTED).exists()


def test_r3_an_oversized_upload_is_dropped_while_it_arrives(
    client, candidate, point_user, monkeypatch
):
    monkeypatch.setattr(services, "MAX_UPLOAD_BYTES", 200_000)
    client.force_login(point_user)
    big = jpeg_upload(data=b"\xff\xd8\xff" + bytes(300_000))
    response = client.post(page(candidate), {"file": big, "source": "upload"})
    assert response.status_code == 200
    assert response.context["form"].has_error("file", "too_large")
    assert not CandidatePhoto.objects.exists()
    assert AuditEvent.objects.get(action=Action.PHOTO_REJECTED).detail["reason"] == "too_large"


def test_r3_the_upload_still_checks_the_csrf_token(candidate, point_user):
    """The page view is csrf_exempt only to install its upload limit first; the inner view
    is csrf_protect'ed."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(point_user)
    response = client.post(page(candidate), {"file": jpeg_upload(), "source": "upload"})
    assert response.status_code == 403
    assert not CandidatePhoto.objects.exists()

    client.get(page(candidate))
    token = client.cookies["csrftoken"].value
    response = client.post(
        page(candidate),
        {"csrfmiddlewaretoken": token, "file": jpeg_upload(), "source": "camera"},
    )
    assert response.status_code == 302
    assert CandidatePhoto.objects.get().source == "camera"


def test_e6_a_network_photo_without_a_note_is_refused_by_the_form(client, candidate, point_user):
    client.force_login(point_user)
    response = client.post(page(candidate), {"file": jpeg_upload(), "source": "network"})
    assert response.status_code == 200
    assert response.context["form"].has_error("note", "note_required")
    assert not CandidatePhoto.objects.exists()


def test_e6_a_network_photo_with_a_note_is_recorded(client, candidate, county_user):
    client.force_login(county_user)
    response = client.post(
        page(candidate),
        {"file": jpeg_upload(), "source": "network", "note": "家长微信发送，电话确认"},
    )
    assert response.status_code == 302
    photo = CandidatePhoto.objects.get()
    assert (photo.source, photo.note, photo.taken_by) == (
        "network",
        "家长微信发送，电话确认",
        county_user,
    )


# The image views ---------------------------------------------------------------------


@pytest.mark.parametrize("user", ["point_user", "county_user"])
def test_r3_image_view_serves_the_standard_photo_privately(request, client, photo, user):
    client.force_login(request.getfixturevalue(user))
    response = client.get(reverse("photos:image", args=[photo.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    cache = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache
    assert response["Content-Disposition"].startswith("inline")
    with photo.normalised.open("rb") as f:
        assert b"".join(response.streaming_content) == f.read()


def test_r3_original_download_is_byte_identical(client, photo, point_user, photo_jpeg):
    client.force_login(point_user)
    response = client.get(reverse("photos:original", args=[photo.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("attachment")
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == photo_jpeg


@pytest.mark.parametrize("outsider", ["other_county_user", "neighbour_point_user"])
def test_r3_outsiders_get_404_everywhere(request, client, candidate, photo, outsider):
    client.force_login(request.getfixturevalue(outsider))
    assert client.get(page(candidate)).status_code == 404
    assert (
        client.post(page(candidate), {"file": jpeg_upload(), "source": "upload"}).status_code == 404
    )
    assert client.get(reverse("photos:image", args=[photo.pk])).status_code == 404
    assert client.get(reverse("photos:original", args=[photo.pk])).status_code == 404
    assert CandidatePhoto.objects.count() == 1
    # Exactly the answer for things that do not exist.
    missing = uuid.uuid4()
    assert client.get(reverse("photos:candidate", args=[missing])).status_code == 404
    assert client.get(reverse("photos:image", args=[missing])).status_code == 404


def test_r3_anonymous_users_are_sent_to_sign_in(client, candidate, photo):
    for url in (
        page(candidate),
        reverse("photos:image", args=[photo.pk]),
        reverse("photos:original", args=[photo.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("office:login"))
    response = client.post(page(candidate), {"file": jpeg_upload(), "source": "upload"})
    assert response.status_code == 302
    assert CandidatePhoto.objects.count() == 1


def test_r3_province_and_city_staff_do_not_take_photos(client, county, candidate, photo):
    for unit in (county.parent, county.parent.parent):
        client.force_login(staff_for(unit))
        assert client.get(page(candidate)).status_code == 403
        assert client.get(reverse("photos:image", args=[photo.pk])).status_code == 403


def test_r3_a_missing_file_answers_404_not_500(client, photo, point_user):
    photo.normalised.storage.delete(photo.normalised.name)
    client.force_login(point_user)
    assert client.get(reverse("photos:image", args=[photo.pk])).status_code == 404
