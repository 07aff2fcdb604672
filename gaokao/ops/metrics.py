"""Prometheus metrics (E3): what the monitoring watches during the registration window.

Counted as it happens (in every app server process):

- ``gaokao_http_requests_total{route, method, status}`` and the latency histogram
  ``gaokao_http_request_duration_seconds{route, method}``: by the URL pattern's name
  (``portal:data``), never the raw path, so the number of series stays bounded;
- ``gaokao_audit_events_total{action}``: every audit event once committed — sign-ins
  (``auth.login``) and failures (``auth.login_failed``, staff and portal alike), saves
  (``candidates.data_saved``), payments (``payments.received``, ``payments.flagged``), sync
  pushes (``sync.applied``, ``sync.conflict``, ``sync.refused``) and the rest;
- ``gaokao_logins_total{who, outcome}``: sign-ins of staff and candidates, succeeded or failed;
- ``gaokao_payment_notifications_total{channel, status}``: requests from payment gateways.

Read when scraped: ``gaokao_active_sessions`` and ``gaokao_admission_queue`` (the gate),
``gaokao_candidates{stage}`` of the current season, ``gaokao_pauses{scope}``, the newest
backup (``gaokao_last_backup_timestamp_seconds``, ``…_size_bytes``, ``…_verified``) and
``gaokao_info{version}``.

Several worker processes (gunicorn): set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder
writable by the workers before they start; each worker then writes its counts there and a
scrape of any worker adds them up. `gaokao.ops.gunicorn_hooks` empties the folder when
gunicorn starts and forgets a worker that exits (``gunicorn -c python:gaokao.ops.gunicorn_hooks``).
Without the variable, each process answers with its own counts only.
"""

from __future__ import annotations

import logging
import os

from django.db import transaction
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry()

REQUESTS = Counter(
    "gaokao_http_requests",
    "HTTP requests by route (URL pattern name), method and status class.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "gaokao_http_request_duration_seconds",
    "Time to answer a request, by route and method.",
    ["route", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
AUDIT_EVENTS = Counter(
    "gaokao_audit_events",
    "Audit events recorded, by action (sign-ins, failures, saves, payments, sync pushes).",
    ["action"],
    registry=REGISTRY,
)
LOGINS = Counter(
    "gaokao_logins",
    "Sign-ins by who (staff, candidate) and outcome (success, failure).",
    ["who", "outcome"],
    registry=REGISTRY,
)
PAYMENT_NOTIFICATIONS = Counter(
    "gaokao_payment_notifications",
    "Notification requests from payment gateways, by channel and status class.",
    ["channel", "status"],
    registry=REGISTRY,
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LOGIN_OUTCOMES = {"auth.login": "success", "auth.login_failed": "failure"}
CANDIDATE_LABEL_PREFIX = "考生 "  # how the portal names candidates in the audit trail


def status_class(status: int) -> str:
    return f"{status // 100}xx"


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    method = method if method in METHODS else "other"
    REQUESTS.labels(route, method, status_class(status)).inc()
    LATENCY.labels(route, method).observe(seconds)


def observe_payment_notification(channel: str, status: int) -> None:
    PAYMENT_NOTIFICATIONS.labels(channel, status_class(status)).inc()


def count_audit_event(action: str, actor_label: str) -> None:
    AUDIT_EVENTS.labels(action).inc()
    outcome = LOGIN_OUTCOMES.get(action)
    if outcome:
        who = "candidate" if actor_label.startswith(CANDIDATE_LABEL_PREFIX) else "staff"
        LOGINS.labels(who, outcome).inc()


def audit_event_saved(sender, instance, created, raw=False, **kwargs) -> None:
    """post_save receiver of AuditEvent: count the event once its transaction commits (an
    event rolled back with its change did not happen)."""
    if not created or raw:
        return
    action, label = instance.action, instance.actor_label or ""
    transaction.on_commit(lambda: count_audit_event(action, label), robust=True)


class LiveCollector:
    """Gauges read at scrape time, each cheap; one that cannot be read is left out (and
    logged) rather than failing the whole scrape."""

    def describe(self):
        return []  # nothing to read at registration time

    def collect(self):
        from gaokao.ops import services

        yield _gauge("gaokao_info", "This app server's version.", 1, version=services.app_version())
        for read in (self._gate, self._candidates, self._backup, self._pauses):
            try:
                yield from read(services)
            except Exception:
                log.exception("metrics: %s could not be read", read.__name__)

    @staticmethod
    def _gate(services):
        sessions, waiting = services.active_sessions(), services.waiting()
        yield _gauge("gaokao_active_sessions", "Candidate sessions active now.", sessions)
        yield _gauge("gaokao_admission_queue", "Candidates waiting for admission.", waiting)

    @staticmethod
    def _candidates(services):
        family = GaugeMetricFamily(
            "gaokao_candidates", "Candidates of the current season by stage.", labels=["stage"]
        )
        for stage, count in services.candidates_by_stage(cached=True).items():
            family.add_metric([stage], count)
        yield family

    @staticmethod
    def _backup(services):
        last = services.last_backup()
        if last is None:
            return
        yield _gauge(
            "gaokao_last_backup_timestamp_seconds",
            "When the newest archive in DATA_DIR/backups was written (Unix time).",
            last.created_at.timestamp(),
        )
        yield _gauge("gaokao_last_backup_size_bytes", "Size of the newest archive.", last.size)
        yield _gauge(
            "gaokao_last_backup_verified",
            "Newest archive: 1 verified, 0 verification failed, -1 not verified yet.",
            {None: -1, True: 1, False: 0}[last.verified],
        )

    @staticmethod
    def _pauses(services):
        family = GaugeMetricFamily(
            "gaokao_pauses", "1 while this part of the site is paused.", labels=["scope"]
        )
        for scope, paused in services.paused_scopes().items():
            family.add_metric([scope], 1 if paused else 0)
        yield family


def _gauge(name: str, doc: str, value: float, **labels: str) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=list(labels))
    family.add_metric(list(labels.values()), value)
    return family


REGISTRY.register(LiveCollector())


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def exposition() -> bytes:
    """The text format for /metrics: this process's registry, or with
    PROMETHEUS_MULTIPROC_DIR every worker's counts added up."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(LiveCollector())
        return generate_latest(registry)
    return generate_latest(REGISTRY)
