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
