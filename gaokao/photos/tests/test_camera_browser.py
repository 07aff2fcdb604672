"""R3 in a real browser: camera.js takes a photo from Chromium's fake webcam and saves it
through the upload endpoint; without camera permission it says so and the upload remains."""

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from gaokao.photos.models import CandidatePhoto

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--use-fake-device-for-media-stream"]


@pytest.fixture
def chromium():
    if not Path(CHROMIUM).exists():
        if os.environ.get("GAOKAO_REQUIRE_SYSTEM_TOOLS") == "1":
            pytest.fail(f"no Chromium at {CHROMIUM}", pytrace=False)
        pytest.skip(f"no Chromium at {CHROMIUM}")


def in_browser(live_server, user, url, steps, *, allow_camera: bool):
    """Run `steps(page)` on `url`, signed in as `user`, and return its result.

    Playwright runs in a thread of its own: its sync API refuses a thread with an event loop,
    and the browser journeys (gaokao/e2e) keep one running in the test thread.
    """
    client = Client()
    client.force_login(user)
    cookie = {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }
    args = ARGS + (["--use-fake-ui-for-media-stream"] if allow_camera else [])

    def run():
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
            try:
                context = browser.new_context()
                context.set_default_timeout(10_000)
                context.add_cookies([cookie])
                page = context.new_page()
                page.goto(live_server.url + url)
                return steps(page)
            finally:
                browser.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result(timeout=60)


def test_r3_webcam_photo_is_taken_and_saved(chromium, live_server, candidate, point_user):
    def take_photo(page):
        page.click("[data-action=start]")
        page.wait_for_selector("[data-action=capture]:not([hidden])")
        page.wait_for_function("document.querySelector('video').videoWidth > 0")
        page.click("[data-action=capture]")
        page.click("[data-action=send]")
        page.wait_for_selector(".photos-current")
        return page.locator(".alert-success").count()

    url = reverse("photos:candidate", args=[candidate.pk])
    assert in_browser(live_server, point_user, url, take_photo, allow_camera=True) == 1
    photo = CandidatePhoto.objects.get(candidate=candidate)
    assert (photo.source, photo.is_current, photo.taken_by) == ("camera", True, point_user)
    assert photo.original_type == "image/jpeg"
    assert photo.original_width * 4 == photo.original_height * 3  # the 3:4 frame


def test_r3_refused_camera_permission_says_so_and_upload_remains(
    chromium, live_server, candidate, point_user
):
    def start_camera(page):
        page.click("[data-action=start]")
        denied = page.locator("[data-camera]").get_attribute("data-msg-denied")
        page.wait_for_function(
            "text => document.querySelector('[data-camera-status]').textContent === text",
            arg=denied,
        )
        status = page.locator("[data-camera-status]").get_attribute("class")
        return "text-danger" in status, page.locator("input[type=file][name=file]").is_enabled()

    url = reverse("photos:candidate", args=[candidate.pk])
    shown_as_error, upload_enabled = in_browser(
        live_server, point_user, url, start_camera, allow_camera=False
    )
    assert shown_as_error and upload_enabled
    assert not CandidatePhoto.objects.exists()
