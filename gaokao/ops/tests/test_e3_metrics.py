"""E3: /metrics in Prometheus format — requests by route, audit events (sign-ins, failures,
saves, payments, sync), the gate's sessions and queue; only for this machine or with the
token."""

import pytest
from django.contrib.auth.hashers import make_password
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.ops import metrics
from gaokao.testing.factories import CandidateFactory, SeasonFactory

pytestmark = pytest.mark.django_db


def scrape(client, **extra) -> dict:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_e3_metrics_from_loopback_without_a_token(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"  # set, and still not needed from loopback
    for address in ("127.0.0.1", "::1"):
        assert scrape(client, REMOTE_ADDR=address)  # the metrics themselves, not a page


def test_e3_metrics_refused_from_another_host_without_the_token(client, settings):
    settings.METRICS_TOKEN = None
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403
    wrong = {"HTTP_AUTHORIZATION": "Bearer not-the-token"}
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3", **wrong).status_code == 403


def test_e3_metrics_allowed_from_another_host_with_the_token(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    scrape(client, REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer s3cret-token")


def test_e3_metrics_count_a_candidate_login_and_a_failure(
    client, point, django_capture_on_commit_callbacks
):
    season = SeasonFactory(province=point.county.parent.parent, is_current=True)
    candidate = CandidateFactory(
        season=season, point=point, portal_password=make_password("k7Pm3xQw9aZr")
    )
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        for password in ("wrong-password", "k7Pm3xQw9aZr"):
            client.post(
                reverse("portal:login"),
                {"registration_number": candidate.registration_number, "password": password},
            )
    after = scrape(client)
    for name, labels in [
        ("gaokao_audit_events_total", {"action": "auth.login"}),
        ("gaokao_audit_events_total", {"action": "auth.login_failed"}),
        ("gaokao_logins_total", {"who": "candidate", "outcome": "success"}),
        ("gaokao_logins_total", {"who": "candidate", "outcome": "failure"}),
    ]:
        assert value(after, name, **labels) == value(before, name, **labels) + 1, (name, labels)
    login = {"route": "portal:login", "method": "POST", "status": "3xx"}
    assert value(after, "gaokao_http_requests_total", **login) >= 1
    assert (
        value(
            after, "gaokao_http_request_duration_seconds_count", route="portal:login", method="POST"
        )
        == value(
            before,
            "gaokao_http_request_duration_seconds_count",
            route="portal:login",
            method="POST",
        )
        + 2
    )


def test_e3_metrics_count_staff_sign_in_failures_and_saves(
    county_user, django_capture_on_commit_callbacks
):
    read = metrics.REGISTRY.get_sample_value
    failure = ("gaokao_logins_total", {"who": "staff", "outcome": "failure"})
    saved = ("gaokao_audit_events_total", {"action": "candidates.data_saved"})
    applied = ("gaokao_audit_events_total", {"action": "sync.applied"})
    before = [read(*m) or 0 for m in (failure, saved, applied)]
    with django_capture_on_commit_callbacks(execute=True):
        record(Action.LOGIN_FAILED, request=None, label="no-such-user")
        record(Action.CANDIDATE_DATA_SAVED, label="考生 01020001")
        record(Action.SYNC_APPLIED, actor=county_user)
    assert [read(*m) for m in (failure, saved, applied)] == [n + 1 for n in before]


def test_e3_audit_events_rolled_back_are_not_counted(django_capture_on_commit_callbacks):
    from django.db import transaction

    name, labels = "gaokao_audit_events_total", {"action": "payments.received"}
    start = metrics.REGISTRY.get_sample_value(name, labels) or 0
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            record(Action.PAYMENT_RECEIVED, label="gateway")
        try:
            with transaction.atomic():
                record(Action.PAYMENT_RECEIVED, label="gateway")
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert metrics.REGISTRY.get_sample_value(name, labels) == start + 1


def test_e3_metrics_routes_are_pattern_names_never_raw_paths(client):
    client.get("/office/candidates/raw-path-marker/")
    client.get("/no/such/raw-path-marker")
    body = client.get("/metrics").content.decode()
    assert "raw-path-marker" not in body
    assert 'route="unmatched"' in body


def test_e3_metrics_show_the_gate_and_candidates_by_stage(client, point, monkeypatch):
    from django.core.cache import cache

    from gaokao.ops import services

    cache.delete(services.STAGE_CACHE_KEY)
    monkeypatch.setattr(services, "active_sessions", lambda: 7)
    monkeypatch.setattr(services, "waiting", lambda: 3)
    season = SeasonFactory(province=point.county.parent.parent, is_current=True)
    CandidateFactory.create_batch(2, season=season, point=point)
    samples = scrape(client)
    assert value(samples, "gaokao_active_sessions") == 7
    assert value(samples, "gaokao_admission_queue") == 3
    assert value(samples, "gaokao_candidates", stage="point") == 2
    assert value(samples, "gaokao_candidates", stage="accepted") == 0
    assert value(samples, "gaokao_pauses", scope="portal") == 0


def test_e3_payment_notifications_are_counted_by_channel(client, settings, tmp_path):
    settings.PAYMENTS_CONFIG = tmp_path / "none.toml"  # no channel configured: 404
    name = "gaokao_payment_notifications_total"
    labels = {"channel": "wechat", "status": "4xx"}
    start = metrics.REGISTRY.get_sample_value(name, labels) or 0
    response = client.post("/pay/notify/wechat/", b"{}", content_type="application/json")
    assert response.status_code == 404
    assert metrics.REGISTRY.get_sample_value(name, labels) == start + 1


def test_e3_metrics_add_up_the_workers_in_multiprocess_mode(tmp_path):
    """With PROMETHEUS_MULTIPROC_DIR (gunicorn workers), a scrape of any process shows the
    counts of all of them."""
    import os
    import subprocess
    import sys

    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_999.db").write_bytes(b"left from an earlier run")
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder), "GAOKAO_DATA_DIR": str(tmp_path)}
    script = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'gaokao.settings');"
        "django.setup();"
        "from gaokao.ops import metrics;"
        "metrics.observe_request('office:home', 'GET', 200, 0.05);"
        "print(metrics.exposition().decode())"
    )
    hook = "from gaokao.ops.gunicorn_hooks import on_starting; on_starting(None)"
    run = {"env": env, "capture_output": True, "text": True}
    subprocess.run([sys.executable, "-c", hook], check=True, **run)  # gunicorn starts
    assert not (folder / "counter_999.db").exists()
    for _ in range(2):  # two worker processes, one after the other
        subprocess.run([sys.executable, "-c", script], check=True, **run)
    body = subprocess.run([sys.executable, "-c", script], check=True, **run).stdout
    families = {f.name: f for f in text_string_to_metric_families(body)}
    (sample,) = [
        s for s in families["gaokao_http_requests"].samples if s.labels["route"] == "office:home"
    ]
    assert sample.value == 3


def test_e3_metrics_show_the_last_backup_for_an_alert(client):
    from gaokao.ops import backup

    directory = backup.default_dir()
    directory.mkdir(parents=True)
    (directory / "gaokao-20191101-030000.tar").write_bytes(b"x" * 1000)
    samples = scrape(client)
    written = backup.latest().created_at.timestamp()
    assert value(samples, "gaokao_last_backup_timestamp_seconds") == written
    assert value(samples, "gaokao_last_backup_size_bytes") == 1000
    assert value(samples, "gaokao_last_backup_verified") == -1
