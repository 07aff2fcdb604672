"""The project's URLs with the two mounts the main developer adds to gaokao/urls.py:
the sync API at /api/v1/ and the point client's pages at /office/paper/."""

from django.urls import include, path

from gaokao.sync.api import api
from gaokao.urls import urlpatterns as project

mounted = {str(p.pattern) for p in project}
urlpatterns = [*project]
if "api/v1/" not in mounted:
    urlpatterns.append(path("api/v1/", api.urls))
if "office/paper/" not in mounted:
    urlpatterns.append(path("office/paper/", include("gaokao.client.urls")))
