"""The first middleware (E3): a request id on every request and its log lines, one log line
per request, and the request metrics."""

from __future__ import annotations

import ipaddress
import logging
import re
import time
import uuid

from django.conf import settings
from django.utils.functional import empty

from gaokao.candidates.sessions import SESSION_KEY as PORTAL_SESSION_KEY
from gaokao.ops import metrics
from gaokao.ops.logging import NO_REQUEST
from gaokao.ops.logging import request_id as request_id_var

log = logging.getLogger("gaokao.request")

VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{8,64}")
HEADER = "X-Request-ID"
# Probes and scrapes come every few seconds: counted in the metrics, not logged.
QUIET_ROUTES = frozenset({"healthz", "readyz", "metrics"})
PAYMENT_NOTIFY_ROUTE = "payments:notify"


def incoming_request_id(request) -> str:
    """The caller's X-Request-ID when it is a plain token (a proxy's or a client's id, to
    follow a request across systems); otherwise a new one."""
    value = request.headers.get(HEADER, "")
    if VALID_REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_address(meta: dict) -> str | None:
    """The client's address: REMOTE_ADDR, or, when that is one of our own proxies
    (GAOKAO_TRUSTED_PROXIES, e.g. nginx), the nearest address in X-Forwarded-For that is
    not one of them. Everything that counts per address (sign-in throttles, the audit
    trail, /metrics' loopback rule) then sees the candidate, not nginx."""
    remote = meta.get("REMOTE_ADDR")
    trusted = settings.TRUSTED_PROXIES
    if remote not in trusted:
        return remote
    hops = [_address(h) for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    while hops and hops[-1] in trusted:
        hops.pop()
    return hops[-1] if hops and hops[-1] else remote


def route_of(request) -> str:
    """The URL pattern's name: a bounded set, unlike raw paths."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name
    if request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return "static"
    return "unmatched"


def user_kind(request) -> str:
    """Who made the request, without a database query of its own: only what the view
    already loaded is looked at."""
    user = getattr(request, "user", None)
    loaded = user is not None and getattr(user, "_wrapped", empty) is not empty
    if loaded and user.is_authenticated:
        return "staff"
    session = getattr(request, "session", None)
    cache = getattr(session, "_session_cache", None) if session is not None else None
    if cache:
        if PORTAL_SESSION_KEY in cache:
            return "candidate"
        if "_auth_user_id" in cache:
            return "staff"
    if getattr(request, "auth", None):
        return "device"  # the sync API's bearer token
    return "anonymous"


class RequestMiddleware:
    """First in settings.MIDDLEWARE, so it times and tags everything after it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.TRUSTED_PROXIES:
            request.META["REMOTE_ADDR"] = client_address(request.META)
        request_id = incoming_request_id(request)
        request.request_id = request_id
        # Cleared when the response is closed (`request_finished`), not here: Django logs
        # 4xx answers after the middleware, and streamed responses log while streaming.
        request_id_var.set(request_id)
        start = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - start
        response[HEADER] = request_id
        self.observe(request, response, seconds)
        return response

    def observe(self, request, response, seconds: float) -> None:
        route = route_of(request)
        status = response.status_code
        metrics.observe_request(route, request.method, status, seconds)
        if route == PAYMENT_NOTIFY_ROUTE:
            metrics.observe_payment_notification(_channel(request), status)
        if route in QUIET_ROUTES or route == "static":
            return
        kind = user_kind(request)
        milliseconds = round(seconds * 1000, 1)
        log.info(
            "%s %s %s %s %.1fms %s",
            request.method,
            request.path,
            route,
            status,
            milliseconds,
            kind,
            extra={
                "method": request.method,
                "path": request.path,
                "route": route,
                "status": status,
                "duration_ms": milliseconds,
                "user_kind": kind,
            },
        )


def request_finished(**kwargs) -> None:
    request_id_var.set(NO_REQUEST)


def _channel(request) -> str:
    from gaokao.payments.config import CHANNELS

    channel = request.resolver_match.kwargs.get("channel", "")
    return channel if channel in CHANNELS else "unknown"
