"""考生版 — the candidate portal: sign-in, the confirmation password, the status page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaokao.accounts.services import SignInRefused
from gaokao.candidates.services import login_card_blockers
from gaokao.codes.models import Code, Table
from gaokao.portal import services, session
from gaokao.portal.forms import ConfirmationPasswordForm, PortalSignInForm


def sign_in(request):
    if session.current(request) is not None:
        return redirect("portal:status")
    form = PortalSignInForm(
        request.POST or None, initial={"registration_number": request.GET.get("bmh", "")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            candidate = services.sign_in(
                request, form.cleaned_data["registration_number"], form.cleaned_data["password"]
            )
        except SignInRefused as e:
            form.add_error(None, str(e))
        else:
            session.start(request, candidate)
            return redirect("portal:status")
    return render(request, "portal/login.html", {"form": form})


@session.candidate_required
def confirmation(request, candidate):
    """O5: right after the first sign-in, before anything else."""
    if candidate.confirmation_password:
        return redirect("portal:status")
    form = ConfirmationPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_confirmation_password(candidate, form.cleaned_data["password"], request)
        except ValidationError as e:
            for message in e.messages:
                form.add_error("password", message)
        else:
            messages.success(
                request, _("The confirmation password is set. You will need it for every save.")
            )
            return redirect("portal:status")
    return render(request, "portal/confirmation.html", {"form": form, "c": candidate})


@session.candidate_required
def status(request, candidate):
    track = Code.objects.filter(table=Table.SUBJECT_TRACK, code=candidate.subject_track).first()
    context = {"c": candidate, "track": track, "blockers": login_card_blockers(candidate)}
    return render(request, "portal/status.html", context)


@require_POST
def sign_out(request):
    session.end(request)
    return redirect("portal:login")
