"""Refusals as pages (issue 20): 403 (PermissionDenied, and a form sent with an expired
CSRF token) and 404 render in the front end's own frame with what to do next (back to the
home page, sign in, ask the county), on the central server and on the point client alike,
instead of Django's bare "403 Forbidden". The sync API answers JSON.

Wired in `gaokao.urls` (handler403, handler404) and `settings.CSRF_FAILURE_VIEW`.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from gaokao.web.seasons import API_PREFIX, PORTAL_PREFIX


def _page(request: HttpRequest, status: int, title: str, explanation: str) -> HttpResponse:
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"detail": title}, status=status)
    portal = request.path_info.startswith(PORTAL_PREFIX)
    context = {
        "base": "portal/base.html" if portal else "base.html",
        "portal": portal,
        "status": status,
        "title": title,
        "explanation": explanation,
    }
    return render(request, "web/refused.html", context, status=status)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        explanation = _(
            "Your account (%(unit)s) may not open this page: it belongs to another unit or"
            " another level. If your work needs it, ask the county office (or the office"
            " above you) to do it or to give you access."
        ) % {"unit": getattr(user, "unit", "") or user.get_username()}
    else:
        explanation = _("Sign in first; if you are signed in elsewhere, sign in here again.")
    return _page(request, 403, _("You may not open this page"), explanation)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return _page(
        request,
        404,
        _("This page does not exist"),
        _(
            "The address is wrong, or what it showed is gone or outside your jurisdiction."
            " Go back to the home page and look for it there."
        ),
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _page(
        request,
        403,
        _("The page had expired: nothing was saved"),
        _(
            "The form was open too long, or you signed out in another window. Open the page"
            " again (sign in if asked) and send it once more."
        ),
    )
