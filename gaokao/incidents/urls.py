from django.http import Http404
from django.urls import path

app_name = "incidents"


def placeholder(request):  # replaced by the real views
    raise Http404


urlpatterns = [path("", placeholder, name="list")]
