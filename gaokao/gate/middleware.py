"""The pause switch (暂停, E3) in front of every page, and the answer a paused request
gets. The answer lives here, beside the switch, because every front end (portal, office,
sync API, admin) gets the same one."""

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_deny

from gaokao.gate import services
from gaokao.gate.models import Pause, Scope


@xframe_options_deny  # the clickjacking middleware sits after the gate and is skipped
def paused(request, pause: Pause):
    """503 with the province's message and Retry-After; JSON for the point clients' API."""
    if request.path_info.startswith("/api/"):
        detail = _("The service is paused. %(message)s") % {"message": pause.message}
        response = JsonResponse({"detail": detail}, status=503)
    else:
        context = {
            "pause": pause,
            "base": "portal/base.html" if pause.scope == Scope.PORTAL else "base.html",
            "unsaved": request.method not in ("GET", "HEAD", "OPTIONS"),
            "sign_in": pause.scope == Scope.OFFICE and not request.user.is_authenticated,
        }
        response = render(request, "gate/paused.html", context, status=503)
        if request.headers.get("HX-Request") and request.method == "GET":
            response["HX-Refresh"] = "true"  # show the whole page, not a silent failure
    response["Retry-After"] = str(services.RETRY_AFTER_SECONDS)
    # A pause is the province's decision, not a server error: Django would log every
    # paused request at ERROR level (the request log still records each one).
    response._has_been_logged = True
    return response


class GateMiddleware:
    """The pause switch (E3) in front of every page: a paused part of the site answers 503
    with the province's message. Runs after authentication, so the province's own staff
    pass; what never pauses (payment notifications, probes, the office sign-in) is
    decided by `services.scope_of` before the database is asked."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        pause = services.pause_for(request)
        if pause is not None:
            return paused(request, pause)
        return self.get_response(request)
