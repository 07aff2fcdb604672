"""E3: the load balancer's probes — alive without the database, ready when the database
and the cache answer."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from gaokao.ops import services


def test_e3_healthz_answers_ok_without_touching_the_database(client):
    # No database in this test: any query, by the view or a middleware, would fail it.
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"
    assert reverse("healthz") == "/healthz"


@pytest.mark.django_db
def test_e3_readyz_checks_database_and_cache(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_e3_readyz_names_the_failing_part_with_503(client, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache server gone")

    monkeypatch.setattr(cache, "set", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "cache": "failed"}


@pytest.mark.django_db
def test_e3_readyz_reports_an_unreachable_database(client, monkeypatch):
    monkeypatch.setattr(services, "check_database", lambda: services.Check(False))
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["database"] == "failed"


@pytest.mark.django_db
def test_e3_probes_need_no_sign_in_and_no_csrf_token(client, province_user):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.get("/healthz").status_code == 200
    assert strict.get("/readyz").status_code == 200
    assert strict.post("/healthz").status_code == 405  # read-only, never a form target


@pytest.mark.parametrize(
    ("remote", "forwarded", "seen"),
    [
        ("10.0.0.5", "203.0.113.7", "203.0.113.7"),  # through our nginx
        ("10.0.0.5", "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # a forged first hop
        ("10.0.0.5", "203.0.113.7, 10.0.0.6", "203.0.113.7"),  # two of our proxies
        ("10.0.0.5", "not-an-address", "10.0.0.5"),
        ("10.0.0.5", "", "10.0.0.5"),
        ("203.0.113.9", "127.0.0.1", "203.0.113.9"),  # not our proxy: its header is ignored
    ],
)
def test_e1_the_clients_address_behind_our_proxies(settings, remote, forwarded, seen):
    from gaokao.ops.middleware import client_address

    settings.TRUSTED_PROXIES = frozenset({"10.0.0.5", "10.0.0.6"})
    meta = {"REMOTE_ADDR": remote, "HTTP_X_FORWARDED_FOR": forwarded}
    assert client_address(meta) == seen


def test_e3_metrics_through_nginx_are_not_loopback(client, settings):
    """nginx on the same host connects from 127.0.0.1: the scrape rule must see the
    client behind it."""
    settings.TRUSTED_PROXIES = frozenset({"127.0.0.1"})
    settings.METRICS_TOKEN = None
    outside = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert outside.status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
