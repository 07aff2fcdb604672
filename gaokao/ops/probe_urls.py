"""Mounted at the site root: /healthz, /readyz, /metrics (no sign-in, no CSRF, never paused)."""

from django.urls import path

from gaokao.ops import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics_view, name="metrics"),
]
