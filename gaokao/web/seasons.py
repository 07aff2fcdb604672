"""报名季未开放 — the one answer every front end gives when no season is current.

Domain code asks `gaokao.seasons.current()`, which raises `NoCurrentSeason` when the
province has not opened a season. Rather than each view catching it, this middleware turns
it into a page in the front end's own frame (the portal's or the office's, the point client
being the office web in client mode), and the sync API into its usual JSON error.

The status is 503, as for the pause (gaokao.gate.middleware): the service is not available
now and will be once the province opens a season, and the request itself is not at fault,
so there is nothing in it for the client to change (which is what a 409 would say). There
is no Retry-After: nobody here knows when the season opens.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from gaokao.seasons import NoCurrentSeason

STATUS = 503
PORTAL_PREFIX = "/ks/"
API_PREFIX = "/api/"


def message() -> str:
    return _(
        "No registration season is open: the province has not opened one yet. Please "
        "contact the exam office."
    )


def no_season_response(request: HttpRequest, exc: NoCurrentSeason | None = None) -> HttpResponse:
    """The answer to a request that needed the current season when there is none: JSON
    for the sync API (usable as its exception handler), a page for everything else."""
    if request.path_info.startswith(API_PREFIX):
        response = JsonResponse({"detail": message()}, status=STATUS)
    else:
        portal = request.path_info.startswith(PORTAL_PREFIX)
        context = {
            "base": "portal/base.html" if portal else "base.html",
            "unsaved": request.method not in ("GET", "HEAD", "OPTIONS"),
        }
        response = render(request, "web/no_season.html", context, status=STATUS)
        if request.headers.get("HX-Request") and request.method == "GET":
            response["HX-Refresh"] = "true"  # show the whole page, not a silent failure
    response["Cache-Control"] = "no-store"
    # Between seasons this is the expected answer, not a server error: Django would log
    # each one at ERROR level (the request log still records them).
    response._has_been_logged = True
    return response


class NoSeasonMiddleware:
    """Renders NoCurrentSeason raised by any view, of any front end (settings.MIDDLEWARE)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NoCurrentSeason):
            return no_season_response(request, exception)
        return None
