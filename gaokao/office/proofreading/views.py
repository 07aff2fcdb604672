"""Proofreading pages of the office web (S7, E6).

Thin: each view parses the request, calls one service in gaokao.proofreading.services or
one document in gaokao.documents.proofreading, and renders. Candidates are fetched through
`visible_to`, so another region's candidate answers 404 like a missing one. The point does
the proofreading; its county sees it, prints, and records only for records it holds
(candidates.stage decides, in the services).
"""

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gaokao.accounts.models import Role
from gaokao.candidates import stage
from gaokao.candidates.errors import CandidateRefused
from gaokao.candidates.models import Candidate
from gaokao.documents.proofreading import proofreading_sheet, registration_form
from gaokao.office.proofreading.forms import (
    FilterForm,
    IdentityCheckForm,
    PhoneConfirmationForm,
    VersionForm,
)
from gaokao.privacy.lookups import by_index
from gaokao.proofreading import services
from gaokao.proofreading.models import Confirmation, IdentityCheck, Printout
from gaokao.regions.jurisdiction import get_visible_or_404
from gaokao.regions.models import RegistrationPoint
from gaokao.web.access import roles_required

ROLES = (Role.POINT, Role.COUNTY)
proofreading_staff = roles_required(*ROLES)
# One PDF of at most this many pages (about 15 s to make); more are printed in parts.
MAX_BATCH = 1000
DOCUMENTS = {"sheet": proofreading_sheet, "form": registration_form}
# The candidate's page holds three forms: element ids of their own for each.
SIGNATURE, PHONE, IDENTITY = "signature_%s", "phone_%s", "identity_%s"


def _candidates(user):
    return services.with_state(
        Candidate.objects.visible_to(user)
        .filter(season__is_current=True)
        .select_related("point", "proofreading", "proofreading_printout")
    )


def _filtered(request, data):
    """The candidates the filters choose, and the filter form."""
    form = FilterForm(data, points=RegistrationPoint.objects.visible_to(request.user))
    qs = _candidates(request.user)
    if form.is_valid():
        if form.cleaned_data["point"]:
            qs = qs.filter(point=form.cleaned_data["point"])
        query = form.cleaned_data["q"].strip()
        if query:
            qs = qs.filter(Q(name__contains=query) | Q(registration_number=query) | by_index(query))
    unfiltered_state = qs
    if form.is_valid() and form.cleaned_data["state"]:
        qs = qs.filter(proofreading_state=form.cleaned_data["state"])
    return form, qs.order_by("registration_number"), unfiltered_state


@proofreading_staff
@require_GET
def batch(request):
    """The candidates with their proofreading state; print the sheets or forms of a
    selection or of everyone the filters choose."""
    form, qs, all_states = _filtered(request, request.GET)
    counts = dict(all_states.order_by().values_list("proofreading_state").annotate(n=Count("pk")))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    for c in page:
        c.state = services.State(c.proofreading_state)
    context = {
        "form": form,
        "page": page,
        "counts": [(value, label, counts.get(value, 0)) for value, label in services.State.choices],
        "max_batch": MAX_BATCH,
        "filters": {k: request.GET.get(k, "") for k in ("point", "state", "q")},
        "is_county": request.user.role == Role.COUNTY,
    }
    return render(request, "proofreading/batch.html", context)


@proofreading_staff
@require_POST
def batch_print(request):
    """The chosen candidates' sheets or forms as one PDF, one page each."""
    render_pdf = DOCUMENTS.get(request.POST.get("document", ""))
    _form, qs, _all = _filtered(request, request.POST)
    if request.POST.get("scope") != "all":
        qs = qs.filter(pk__in=_keys(request.POST.getlist("candidate")))
    back = redirect(_batch_url(request.POST))
    if render_pdf is None:
        messages.error(request, _("Choose what to print."))
        return back
    # The versions and photos read here are those the PDF shows, or older: never newer.
    read_at = timezone.now()
    printed = [(c, c.version) for c in qs[: MAX_BATCH + 1]]
    if not printed:
        messages.warning(request, _("Choose at least one candidate."))
        return back
    if len(printed) > MAX_BATCH:
        messages.error(
            request,
            _("At most %(n)d candidates at a time: narrow the selection with the filters.")
            % {"n": MAX_BATCH},
        )
        return back
    pdf = render_pdf([c for c, _v in printed])
    document = request.POST["document"]
    services.record_printed(
        printed, document=document, by=request.user, request=request, read_at=read_at
    )
    return _pdf(pdf, f"{document}-{len(printed)}.pdf")


def _keys(values: list[str]) -> list[uuid.UUID]:
    """The well-formed candidate keys posted; anything else chooses nobody."""
    keys = []
    for value in values:
        try:
            keys.append(uuid.UUID(value))
        except ValueError:
            continue
    return keys


def _batch_url(data) -> str:
    query = {k: data.get(k) for k in ("point", "state", "q") if data.get(k)}
    url = reverse("proofreading:batch")
    return f"{url}?{urlencode(query)}" if query else url


# ── one candidate ──────────────────────────────────────────────────────────────────────


def _candidate(request, pk) -> Candidate:
    qs = services.with_state(Candidate.objects.select_related("point__county", "season"))
    return get_visible_or_404(qs, request.user, pk=pk)


@proofreading_staff
@require_GET
def candidate(request, pk):
    return _render_candidate(request, _candidate(request, pk))


def _render_candidate(request, c: Candidate, **forms):
    locked = stage.refusal(c, request.user.role)  # the stage, then the level's cut-off
    may_write = locked is None
    needs_check = not c.identity_ok
    version = {"version": c.version}
    context = {
        "c": c,
        "state": services.State(c.proofreading_state),
        "confirmation": Confirmation.objects.filter(candidate=c)
        .select_related("recorded_by", "called_by")
        .first(),
        "identity_check": IdentityCheck.objects.filter(candidate=c)
        .select_related("checked_by")
        .first(),
        "printout": Printout.objects.filter(candidate=c).select_related("printed_by").first(),
        "may_write": may_write,
        "locked": locked,
        "needs_check": needs_check,
        "blockers": services.confirmation_blockers(c),
        "signature_form": forms.get("signature_form")
        or VersionForm(initial=version, auto_id=SIGNATURE),
        "phone_form": forms.get("phone_form")
        or PhoneConfirmationForm(
            initial={**version, "called_at": _now()}, user=request.user, auto_id=PHONE
        ),
        "identity_form": forms.get("identity_form")
        or IdentityCheckForm(initial=version, auto_id=IDENTITY),
    }
    return render(request, "proofreading/candidate.html", context)


def _now():
    return timezone.localtime().replace(second=0, microsecond=0)


def _write(request, pk, form_name, form, act, done: str):
    """Run `act(candidate, cleaned_data)` for a valid form; refusals show on the page with
    the input kept (a stale version is replaced by the current one, so that saving again
    is a deliberate choice made after looking at the current data)."""
    c = _candidate(request, pk)
    if form.is_valid():
        try:
            act(c, form.cleaned_data)
        except CandidateRefused as e:
            for message in e.messages:
                form.add_error(None, message)
            if getattr(e, "code", None) == "stale":
                form.data = form.data.copy()
                form.data["version"] = Candidate.objects.get(pk=c.pk).version
        else:
            messages.success(request, done)
            return redirect("proofreading:candidate", pk=c.pk)
    return _render_candidate(request, _candidate(request, pk), **{form_name: form})


@proofreading_staff
@require_POST
def signature(request, pk):
    """S7: the candidate signed the printed sheet."""

    def act(c, data):
        services.record_signature(c, version=data["version"], by=request.user, request=request)

    form = VersionForm(request.POST, auto_id=SIGNATURE)
    return _write(
        request, pk, "signature_form", form, act, _("The candidate's signature is recorded.")
    )


@proofreading_staff
@require_POST
def phone(request, pk):
    """E6: the candidate confirmed by phone."""

    def act(c, data):
        services.record_phone_confirmation(
            c,
            version=data["version"],
            called_by=data["called_by"],
            called_at=data["called_at"],
            phone_number=data["phone_number"],
            note=data["note"],
            by=request.user,
            request=request,
        )

    form = PhoneConfirmationForm(request.POST, user=request.user, auto_id=PHONE)
    return _write(request, pk, "phone_form", form, act, _("The confirmation by phone is recorded."))


@proofreading_staff
@require_POST
def identity(request, pk):
    """S7: the identity keyed in by hand was checked by hand against the document."""

    def act(c, data):
        services.record_identity_check(
            c, version=data["version"], note=data["note"], by=request.user, request=request
        )

    form = IdentityCheckForm(request.POST, auto_id=IDENTITY)
    return _write(
        request, pk, "identity_form", form, act, _("The check of the identity is recorded.")
    )


@proofreading_staff
@require_POST
def sheet(request, pk):
    return _one(request, pk, "sheet")


@proofreading_staff
@require_POST
def form(request, pk):
    return _one(request, pk, "form")


def _one(request, pk, document: str) -> HttpResponse:
    """One candidate's sheet or form. POST: printing is recorded (and marks the sheet as
    printed for this version), which a link prefetched by a browser must not do."""
    read_at = timezone.now()
    c = _candidate(request, pk)
    pdf = DOCUMENTS[document]([c])
    services.record_printed(
        [(c, c.version)], document=document, by=request.user, request=request, read_at=read_at
    )
    return _pdf(pdf, f"{document}-{c.registration_number or c.pk}.pdf")


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
