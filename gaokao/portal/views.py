"""考生版 — the candidate portal: sign-in, the confirmation password, the status page and
the candidate's own data."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.choices import flatten_choices
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaokao.accounts.services import SignInRefused
from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.candidates import change_path, own_data
from gaokao.candidates import confirmation as confirmation_password
from gaokao.candidates.change_path import Change, Origin, apply_change
from gaokao.candidates.credentials import change_login_password
from gaokao.candidates.errors import CandidateRefused
from gaokao.candidates.history import history, label
from gaokao.candidates.models import Stage
from gaokao.candidates.own_data_forms import identity_rows, posted_rows, show_refusal
from gaokao.candidates.services import login_card_blockers
from gaokao.codes.models import Code, Table
from gaokao.documents.proofreading import proofreading_sheet
from gaokao.gate import services as gate
from gaokao.portal import services, session
from gaokao.portal.forms import (
    CandidateDataForm,
    ConfirmationPasswordForm,
    ConfirmSaveForm,
    LoginPasswordForm,
    PortalSignInForm,
    data_forms,
)
from gaokao.professional import services as professional
from gaokao.proofreading.services import is_proofread
from gaokao.submission.services import last_return


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
            refusal = gate.slot_refusal(candidate)  # E1: the region's time slots
            if refusal:
                form.add_error(None, refusal)
            elif gate.admit(request, candidate):  # E1: a seat under the cap, or the queue
                session.start(request, candidate)
                return redirect("portal:status")
            else:
                return redirect("gate-portal:wait")
    return render(request, "portal/login.html", {"form": form})


@session.candidate_required
def confirmation(request, candidate):
    """O5: right after the first sign-in, before anything else."""
    if candidate.confirmation_password:
        return redirect("portal:status")
    form = ConfirmationPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            confirmation_password.set_confirmation_password(
                candidate, form.cleaned_data["password"], request
            )
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
    context = {
        "c": candidate,
        "track": track,
        "blockers": login_card_blockers(candidate),
        "may_change_data": change_path.may_change_data(candidate, request=request),
        "history": history(candidate),
        "professional": candidate.professional_registrations.select_related("category"),
        "professional_offered": bool(professional.categories_for(candidate)),
        "proofread": is_proofread(candidate),
        "returned": last_return(candidate) if candidate.stage == Stage.POINT else None,
    }
    return render(request, "portal/status.html", context)


@session.candidate_required
def password(request, candidate):
    """S6: the candidate changes the login password (the one on the login card)."""
    form = LoginPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            change_login_password(
                candidate, form.cleaned_data["current"], form.cleaned_data["password"], request
            )
        except ValidationError as e:
            for field, errors in e.message_dict.items():
                form.add_error(field, errors)
        else:
            messages.success(request, _("Your login password is changed."))
            return redirect("portal:status")
    return render(request, "portal/password.html", {"form": form, "c": candidate})


@require_POST
def sign_out(request):
    session.end(request)
    return redirect("portal:login")


def _initial(candidate):
    initial = {name: getattr(candidate, name) for name in own_data.DATA_FIELDS}
    initial["version"] = candidate.version
    resume, family = own_data.saved_rows(candidate)
    return initial, resume, family


@session.candidate_required
def data(request, candidate):
    """S6: the candidate's own data, changeable during their window only, every save
    confirmed with the confirmation password (O5). Only the session's candidate is ever
    read or written: no candidate id comes from the request."""
    refused = change_path.refusal(
        candidate, change_path.OWN_DATA, Origin.PORTAL, by=candidate, request=request
    )
    open_now, posted = refused is None, request.method == "POST"
    # What was typed is shown again whatever the answer, so nothing is lost (issue 19).
    form, resume_set, family_set = data_forms(
        candidate, request.POST if posted else None, open_now=open_now or posted
    )
    confirm = ConfirmSaveForm(request.POST if posted and open_now else None)
    context = {
        "c": candidate,
        "form": form,
        "resume_set": resume_set,
        "family_set": family_set,
        "confirm": confirm,
        "formsets": [
            ("resume", resume_set, _("Résumé (from junior high school on)")),
            ("family", family_set, _("Family members")),
        ],
        "identity": SimpleLazyObject(lambda: identity_rows(candidate)),  # not after a save
        "open_now": open_now,
        "row_errors": {},
        "refusal": None,
    }
    if posted and refused is not None:
        context["refusal"] = getattr(refused, "code", None) or "window_closed"
        context["row_errors"] = show_refusal(form, refused, candidate)
        return render(request, "portal/data.html", context, status=403)
    if posted and all(f.is_valid() for f in (form, resume_set, family_set, confirm)):
        change = Change(
            values={
                **form.own_data(),
                "resume": posted_rows(resume_set),
                "family": posted_rows(family_set),
            },
            origin=Origin.PORTAL,
            version=form.cleaned_data["version"],
            confirmation_password=confirm.cleaned_data["confirmation_password"],
        )
        try:
            apply_change(candidate, change, by=candidate, request=request)
        except CandidateRefused as e:
            context["refusal"] = getattr(e, "code", None) or "invalid"
            context["row_errors"] = show_refusal(form, e, candidate)
        else:
            messages.success(request, _("Your data is saved."))
            return redirect("portal:data")
    return render(request, "portal/data.html", context)


@session.candidate_required
def proofreading(request, candidate):
    """S7 from the candidate's side: everything on record, in the proofreading sheet's
    order, to check before signing at the point (the PDF sheet comes with submission)."""
    initial, resume, family = _initial(candidate)
    form = CandidateDataForm(initial=initial)
    rows = []
    for field in form.visible_fields():
        value = form.initial.get(field.name)
        choices = getattr(field.field, "choices", None)
        if choices:
            value = dict(flatten_choices(choices)).get(value, value)
        rows.append((field.label, value))
    context = {
        "c": candidate,
        "identity": identity_rows(candidate, full_number=True),
        "rows": rows,
        "resume": resume,
        "family": family,
    }
    return render(request, "portal/proofreading.html", context)


@session.candidate_required
def proofreading_pdf(request, candidate):
    """The candidate's own proofreading sheet as a PDF, to check at home (the sheet they
    sign is printed at the point)."""
    record(
        Action.PROOFREAD_PRINTED,
        request=request,
        unit=candidate.point,
        target=candidate,
        label=label(candidate.registration_number),
        by="candidate",
    )
    response = HttpResponse(proofreading_sheet([candidate]), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="proofreading-{candidate.registration_number}.pdf"'
    )
    return response
