"""Mounted at the site root: /healthz, /readyz, /metrics (no sign-in, no CSRF, never paused)."""

from django.urls import path

from gaokao.ops import probes

urlpatterns = [
    path("healthz", probes.healthz, name="healthz"),
    path("readyz", probes.readyz, name="readyz"),
    path("metrics", probes.metrics_view, name="metrics"),
]
