"""Probes for the load balancer and the orchestrator (/healthz, /readyz) and the Prometheus
endpoint (/metrics): machine-facing answers, no sign-in, no CSRF, never paused."""

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from gaokao.audit.services import client_ip
from gaokao.ops import metrics, services


@csrf_exempt
@require_safe
def healthz(request):
    """Alive: the process answers. Touches neither the database nor the cache, so a slow
    database does not get healthy app servers restarted."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_safe
def readyz(request):
    """Ready for traffic: the database and the cache answer. 503 names what failed."""
    checks = services.readiness()
    ready = all(check.ok for check in checks.values())
    body = {name: "ok" if check.ok else "failed" for name, check in checks.items()}
    return JsonResponse(body, status=200 if ready else 503)


def _loopback(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def _token_ok(request) -> bool:
    token = settings.METRICS_TOKEN
    scheme, _sep, given = request.headers.get("Authorization", "").partition(" ")
    return (
        bool(token)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(given.strip().encode(), token.encode())
    )


@csrf_exempt
@require_safe
def metrics_view(request):
    """Prometheus text format, for scrapers on this machine or holding the token."""
    if not (_loopback(client_ip(request)) or _token_ok(request)):
        return HttpResponseForbidden(
            "metrics: from this machine, or with Authorization: Bearer <GAOKAO_METRICS_TOKEN>",
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
