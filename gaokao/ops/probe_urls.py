from django.http import HttpResponse
from django.urls import path


def placeholder(request):  # replaced by the real views
    return HttpResponse("ok")


urlpatterns = [
    path("healthz", placeholder, name="healthz"),
    path("readyz", placeholder, name="readyz"),
    path("metrics", placeholder, name="metrics"),
]
