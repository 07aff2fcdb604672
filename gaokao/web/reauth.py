"""Re-authentication ("sudo mode") before dangerous staff actions: resetting another
account's password or authenticator, exporting candidates' data, pausing the service.

A signed-in session is trusted for these only within `WINDOW_SECONDS` of the user typing
the password and the authenticator code: at sign-in (both factors, see `auth_views`), or
again on the re-authentication page. A browser left signed in at the office, or a session
cookie taken from it, cannot reset credentials, take the candidates' data or pause the
system without them.

Views are wrapped with `reauth_required`; the page they send the user to
(`accounts:reauth`) returns to where the user was, and the action is then done again by
the user (a POST is never replayed on its own)."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from gaokao.accounts.services import SignInRefused, check_password, check_totp
from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.web.forms import StyledForm

SESSION_KEY = "reauth_at"
WINDOW_SECONDS = 10 * 60


def mark(request: HttpRequest) -> None:
    """The user has just typed the password and the authenticator code."""
    request.session[SESSION_KEY] = time.time()


def is_recent(request: HttpRequest) -> bool:
    at = request.session.get(SESSION_KEY)
    return isinstance(at, int | float) and 0 <= time.time() - at <= WINDOW_SECONDS


@receiver(user_logged_in, dispatch_uid="gaokao.web.reauth.signed_in")
def _signed_in(sender, request, user, **kwargs) -> None:
    # login() is called only once both factors passed (auth_views._finish); the admin's
    # password-only login page is closed (gaokao.admin.site). So a sign-in is a fresh
    # authentication.
    if request is not None and hasattr(request, "session"):
        mark(request)


def ask(request: HttpRequest, back: str | None = None) -> HttpResponse:
    """Send the user to the re-authentication page, which returns to `back` (default:
    this page; for a POST, give the page the form was on)."""
    if request.method not in ("GET", "HEAD"):
        messages.info(
            request,
            _("Nothing was done yet. Confirm it is you, then do it again."),
        )
    target = back or request.get_full_path()
    return redirect(f"{reverse('accounts:reauth')}?{urlencode({'next': target})}")


Back = Callable[..., str] | str | None


def reauth_required(
    view: Callable | None = None,
    *,
    back: Back = None,
    only: Callable[..., bool] | None = None,
) -> Callable:
    """Let the view run only within `WINDOW_SECONDS` of a re-authentication.

    `back`: where the re-authentication page returns to — a URL name, or a function of
    the view's arguments returning a URL (default: the request's own URL, right for a
    GET page; POST-only views name the page their form is on). `only`: a function of the
    view's arguments; the check applies when it returns True (one view, several actions).
    Put it inside the role check, so that others are refused as before."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            needed = only is None or only(request, *args, **kwargs)
            if not needed or is_recent(request):
                return view(request, *args, **kwargs)
            if callable(back):
                target = back(request, *args, **kwargs)
            elif back:
                target = reverse(back)
            else:
                target = None
            return ask(request, target)

        wrapper.reauth_required = True  # type: ignore[attr-defined]
        return wrapper

    return decorator(view) if view is not None else decorator


# ── the page ───────────────────────────────────────────────────────────────────────────


class ReauthForm(StyledForm):
    password = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label=gettext_lazy("Authenticator code"),
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


def confirm(request: HttpRequest, password: str, code: str) -> None:
    """Check both factors of the signed-in user (throttled and audited like sign-in);
    raises SignInRefused with the message to show."""
    check_password(request, request.user.get_username(), password)
    check_totp(request, request.user, code)
    request.session.cycle_key()  # more rights from here: a new session key
    mark(request)


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    ok = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    return target if ok and target.startswith("/") else ""


@sensitive_post_parameters("password", "code")
@login_required
@require_http_methods(["GET", "POST"])
def reauth(request):
    """确认身份 — the password and the authenticator code again, then back."""
    next_url = _safe_next(request) or reverse("office:home")
    form = ReauthForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            confirm(request, form.cleaned_data["password"], form.cleaned_data["code"])
        except SignInRefused as e:
            form.add_error(None, str(e))
        else:
            record(Action.REAUTHENTICATED, request=request, next=next_url)
            return redirect(next_url)
    context = {"form": form, "next": next_url, "minutes": WINDOW_SECONDS // 60}
    return render(request, "web/reauth.html", context)
