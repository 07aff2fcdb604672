"""The project's URLs with the sync API at /api/v1/, where gaokao/urls.py mounts it."""

from django.urls import path

from gaokao.sync.api import api
from gaokao.urls import urlpatterns as project

mounted = any(str(p.pattern) == "api/v1/" for p in project)
urlpatterns = [*project] if mounted else [*project, path("api/v1/", api.urls)]
