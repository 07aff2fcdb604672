"""Issue 20: the point client's pages in a browser: the 客户版 mark, online or offline and
the last sync on every page; a server page answers with where it is; a refusal is a page.
Every page is checked with axe-core (the bar's contrast included)."""

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gaokao.client.models import ClientState
from gaokao.testing.factories import CandidateFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def on_the_client(settings, device, token, point, season):
    settings.GAOKAO_MODE = "client"
    at = timezone.now() - dt.timedelta(minutes=1)
    return ClientState.objects.create(
        pk=1,
        server_url="https://bm.example.cn",
        device_id=device.pk,
        token=token,
        point_code=point.code,
        last_sync_at=at,
        last_sync_ok=True,
        last_success_at=at,
    )


def signed_in(open_page, live_server, user):
    client = Client()
    client.force_login(user)
    page = open_page()
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    return page


def test_r4_issue20_the_client_in_a_browser(
    live_server, open_page, shot, on_the_client, point_user, season, point
):
    CandidateFactory(season=season, point=point)
    signed_out = open_page()
    signed_out.goto(live_server.url + reverse("office:login"))
    assert signed_out.get_by_test_id("client-mark").is_visible()  # before signing in, too
    assert signed_out.get_by_test_id("client-online").count() == 0  # but no state yet
    shot(signed_out, "sign-in")
    page = signed_in(open_page, live_server, point_user)
    page.goto(live_server.url + reverse("office:home"))
    bar = page.get_by_test_id("client-bar")
    assert bar.is_visible()
    assert page.get_by_test_id("client-online").get_attribute("data-online") == "true"
    shot(page, "home-online")
    page.goto(live_server.url + reverse("candidates:list"))
    assert bar.is_visible()
    shot(page, "candidates")

    ClientState.objects.filter(pk=1).update(last_sync_ok=False)
    page.goto(live_server.url + reverse("client:outbox"))
    assert page.get_by_test_id("client-online").get_attribute("data-online") == "false"
    shot(page, "outbox-offline")

    page.goto(live_server.url + reverse("sync:devices"))
    assert page.get_by_test_id("not-here").is_visible()
    shot(page, "server-page-on-the-client")

    page.goto(live_server.url + reverse("exports:index"))
    assert page.get_by_test_id("not-here").is_visible()
    page.goto(live_server.url + "/office/paper/00000000-0000-0000-0000-000000000000/")
    assert page.get_by_test_id("refused").is_visible()
    shot(page, "not-found")
