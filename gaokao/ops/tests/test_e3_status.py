"""E3: the province's system-status page — this app server, the database and the cache,
the gate, the last backup and simple counts; nobody else may open it."""

import json
import os
import socket

import pytest
from django.urls import reverse
from django.utils import timezone

from gaokao.ops import backup
from gaokao.testing.factories import CandidateFactory, SeasonFactory

pytestmark = pytest.mark.django_db

URL = "/office/system/"


def test_e3_status_url_is_the_one_in_the_navigation():
    assert reverse("ops:status") == URL


def test_e3_status_page_shows_server_database_cache_and_counts(
    client, province_user, point, django_assert_max_num_queries
):
    from django.core.cache import cache

    from gaokao.ops import services

    cache.delete(services.STAGE_CACHE_KEY)  # counts are shared for a few seconds
    season = SeasonFactory(province=point.county.parent.parent, is_current=True)
    CandidateFactory.create_batch(3, season=season, point=point)
    client.force_login(province_user)
    with django_assert_max_num_queries(15):  # simple counts, whatever the number of candidates
        response = client.get(URL)
    assert response.status_code == 200
    page = response.text
    status = response.context["status"]
    assert status.host == socket.gethostname() and status.pid == os.getpid()
    assert status.database.ok and status.cache.ok
    assert status.candidates == 3 and dict((v, n) for v, _, n in status.stages)["point"] == 3
    assert status.devices == 0 and status.open_conflicts == 0
    assert socket.gethostname() in page and str(os.getpid()) in page
    assert "LocMemCache" in page


def test_e3_status_page_shows_the_last_backup_and_whether_it_was_verified(client, province_user):
    directory = backup.default_dir()
    directory.mkdir(parents=True)
    (directory / "gaokao-20191101-020000.tar").write_bytes(b"x" * 2048)
    newest = directory / "gaokao-20191101-030000.tar"
    newest.write_bytes(b"x" * 4096)
    client.force_login(province_user)
    response = client.get(URL)
    assert response.context["status"].last_backup.path == newest
    assert "gaokao-20191101-030000.tar" in response.text
    assert response.context["status"].last_backup.verified is None

    note = {"verified_at": timezone.now().isoformat(), "ok": False, "problems": ["表不一致"]}
    (directory / "gaokao-20191101-030000.tar.verify.json").write_text(json.dumps(note))
    response = client.get(URL)
    assert response.context["status"].last_backup.verified is False
    assert "表不一致" in response.text


def test_e3_status_page_without_any_backup_says_so(client, province_user):
    client.force_login(province_user)
    response = client.get(URL)
    assert response.context["status"].last_backup is None
    assert str(backup.default_dir()) in response.text


def test_e3_status_page_shows_the_pause(client, province_user):
    from gaokao.gate import services as gate
    from gaokao.gate.models import Pause

    Pause.objects.create(scope="portal", message="系统维护，稍后再试", since=timezone.now())
    gate.forget_cached_state()
    client.force_login(province_user)
    response = client.get(URL)
    assert [p.scope for p in response.context["status"].pauses] == ["portal"]
    assert "系统维护，稍后再试" in response.text
    gate.forget_cached_state()


@pytest.mark.parametrize("who", ["city_user", "county_user", "point_user", "other_county_user"])
def test_e3_status_page_is_for_the_province_only(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403


def test_e3_status_page_needs_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("office:login") in response.url
