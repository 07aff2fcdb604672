"""The office web's sign-in: password, then real-name authentication at first sign-in or
the authenticator code afterwards. Nobody is signed in (request.user stays anonymous)
until both factors passed, so no other page can be reached half-way."""

import time

import pyotp
import segno
from django.contrib import messages
from django.contrib.auth import login, logout
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaokao.accounts.models import StaffUser
from gaokao.accounts.services import (
    SignInRefused,
    check_password,
    check_totp,
    complete_setup,
    provisioning_uri,
)
from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.office.accounts.forms import SetupForm, SignInForm, TotpForm

PENDING = "pending_sign_in"
PENDING_SECONDS = 600
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    ok = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    return target if ok else ""


def _pending(request, stage: str) -> StaffUser | None:
    """The user who passed the password step, if that was recently and at this stage."""
    state = request.session.get(PENDING)
    if not state or state["stage"] != stage or time.time() - state["at"] > PENDING_SECONDS:
        return None
    return StaffUser.objects.filter(pk=state["user"], is_active=True).first()


def _finish(request, user: StaffUser):
    next_url = request.session.get(PENDING, {}).get("next")
    login(request, user, backend=BACKEND)  # a new session key: no fixation
    record(Action.LOGIN, request=request, actor=user)
    return redirect(next_url or "office:home")


def sign_in(request):
    if request.user.is_authenticated:
        return redirect("office:home")
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = check_password(
                request, form.cleaned_data["username"], form.cleaned_data["password"]
            )
        except SignInRefused as e:
            form.add_error(None, str(e))
        else:
            request.session.cycle_key()
            request.session[PENDING] = {
                "user": user.pk,
                "stage": "setup" if user.needs_setup else "totp",
                "at": time.time(),
                "next": _safe_next(request),
            }
            return redirect("office:setup" if user.needs_setup else "office:totp")
    return render(request, "office/login.html", {"form": form, "next": _safe_next(request)})


def second_factor(request):
    user = _pending(request, "totp")
    if user is None:
        messages.info(request, _("Please sign in again."))
        return redirect("office:login")
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            check_totp(request, user, form.cleaned_data["code"])
        except SignInRefused as e:
            form.add_error("code", str(e))
        else:
            return _finish(request, user)
    return render(request, "accounts/totp.html", {"form": form, "pending_user": user})


def setup(request):
    """实名认证: confirm name and ID number, choose a password, enrol an authenticator."""
    user = _pending(request, "setup")
    if user is None:
        messages.info(request, _("Please sign in again."))
        return redirect("office:login")
    state = request.session[PENDING]
    if "secret" not in state:
        state["secret"] = pyotp.random_base32()
        request.session.modified = True
    form = SetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        errors = complete_setup(
            request,
            user,
            real_name=form.cleaned_data["real_name"],
            id_number=form.cleaned_data["id_number"],
            new_password=form.cleaned_data["new_password"],
            totp_secret=state["secret"],
            code=form.cleaned_data["code"],
        )
        for field, message in errors.items():
            form.add_error(field, message)
        if not errors:
            user.refresh_from_db()
            messages.success(request, _("Real-name authentication is complete."))
            return _finish(request, user)
    uri = provisioning_uri(user, state["secret"])
    context = {
        "form": form,
        "pending_user": user,
        "secret": state["secret"],
        "qr_svg": segno.make(uri, error="m").svg_inline(scale=5, title=_("Authenticator QR code")),
    }
    return render(request, "accounts/setup.html", context)


@require_POST
def sign_out(request):
    if request.user.is_authenticated:
        record(Action.LOGOUT, request=request, actor=request.user)
    logout(request)
    return redirect("office:login")
