"""Candidate intake pages of the office web (S3, S4, S5, O1–O3).

Thin: each view parses the request, calls one service in gaokao.candidates.services and
renders. Every candidate is fetched through `visible_to`, so another region's candidate
answers 404 like a missing one.
"""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaokao.accounts.models import Role
from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.candidates import services
from gaokao.candidates.errors import CandidateRefused
from gaokao.candidates.models import REVIEWING_LEVEL, Candidate, EligibilityPath, ReviewState
from gaokao.candidates.services import ManualIdentity
from gaokao.codes.models import Code, Table
from gaokao.documents.login_cards import (
    LoginCard,
    LoginSheetRow,
    render_login_cards,
    render_login_sheet,
)
from gaokao.documents.review_form import EligibilityReviewForm, render_eligibility_review_form
from gaokao.idcard.cards import CardIdentity, InvalidCard
from gaokao.lib.text import clean_text
from gaokao.office.candidates.forms import (
    ManualIntakeForm,
    PointChecksForm,
    ResubmitForm,
    ReviewForm,
    TrackForm,
    WaiveCardForm,
)
from gaokao.privacy import services as privacy
from gaokao.privacy.lookups import by_index
from gaokao.regions.jurisdiction import get_visible_or_404
from gaokao.seasons import current
from gaokao.web import modes, one_time
from gaokao.web.access import roles_required

ISSUED = "issued_login_cards"
points_only = roles_required(Role.POINT)


def _candidate(request, pk):
    qs = Candidate.objects.select_related("point__county__parent", "season")
    return get_visible_or_404(qs, request.user, pk=pk)


def _track_names() -> dict[str, str]:
    return dict(Code.objects.filter(table=Table.SUBJECT_TRACK).values_list("code", "name"))


def _reader_context() -> dict:
    return {"reader_url": settings.GAOKAO_READER_URL}


# ── lists ──────────────────────────────────────────────────────────────────────────────


@login_required
def candidate_list(request):
    qs = Candidate.objects.visible_to(request.user).select_related("point")
    query = clean_text(request.GET.get("q", ""))[:60]  # no NUL or control characters
    if query:
        # An ID number is found exactly, through its blind index (it is encrypted at rest).
        qs = qs.filter(Q(name__contains=query) | Q(registration_number=query) | by_index(query))
    if request.GET.get("review"):
        qs = qs.filter(review_state=request.GET["review"])
    page = Paginator(qs.order_by("registration_number"), 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "query": query,
        "tracks": _track_names(),
        "review_states": ReviewState.choices,
    }
    return render(request, "candidates/list.html", context)


@roles_required(Role.COUNTY, Role.CITY)
def pending_reviews(request):
    """The identity paths this office reviews: migrant children for counties (O1), other
    documents and missing cards for cities (O2, O3)."""
    paths = [path for path, level in REVIEWING_LEVEL.items() if level == request.user.role]
    qs = (
        Candidate.objects.visible_to(request.user)
        .filter(review_state=ReviewState.PENDING, eligibility_path__in=paths)
        .select_related("point")
        .order_by("created_at")
    )
    return render(request, "candidates/reviews.html", {"candidates": qs})


# ── intake ─────────────────────────────────────────────────────────────────────────────


@points_only
def intake(request):
    """Batch intake with the card reader (S3): choose the track, read card after card."""
    recent = Candidate.objects.visible_to(request.user).order_by("-created_at")[:20]
    context = {"form": TrackForm(), "recent": recent, "tracks": _track_names(), **_reader_context()}
    return render(request, "candidates/intake.html", context)


@points_only
@require_POST
def intake_card(request):
    """The page posts what the reader bridge read; the answer is JSON for the page."""

    def take_in(card, payload):
        candidate = services.take_in_from_card(
            current(),
            request.user.point,
            clean_text(payload.get("subject_track")),  # NUL never reaches a query
            card,
            by=request.user,
            request=request,
        )
        answer = {
            "registration_number": candidate.registration_number,
            "name": candidate.name,
            "url": reverse("candidates:detail", args=[candidate.pk]),
        }
        if candidate.eligibility_path == EligibilityPath.MIGRANT:  # routed there (O1)
            answer["note"] = _(
                "The ID number is not of this province: taken in as a child of migrant"
                " workers (O1). Print the eligibility review form; the county reviews it with"
                " the residence documents before a login card can be issued."
            )
        return answer

    return _with_card(request, take_in)


def _with_card(request, act) -> JsonResponse:
    """Parse the card the page posts (untrusted: validated by CardIdentity.from_json), run
    `act(card, payload)` and answer the page in JSON, refusals included."""
    try:
        payload = json.loads(request.body)
        answer = act(CardIdentity.from_json(payload["card"]), payload)
    except (ValueError, KeyError, TypeError, RecursionError):  # deep nesting: RecursionError
        error = _("The page sent no usable card data.")
        return JsonResponse({"ok": False, "error": error}, status=400)
    except InvalidCard as e:
        return JsonResponse({"ok": False, "error": str(e)})
    except CandidateRefused as e:
        return JsonResponse({"ok": False, "error": " ".join(e.messages)})
    return JsonResponse({"ok": True, **answer})


@points_only
def manual_intake(request):
    """Identity keyed in from a document: migrant children (O1), other documents (O2), no or
    a damaged card (O3). A review opens registration."""
    form = ManualIntakeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        identity = ManualIdentity(
            document_type=data["document_type"],
            id_number=data["id_number"],
            name=data["name"],
            sex=data["sex"],
            ethnicity=data["ethnicity"],
            birth_date=data["birth_date"],
        )
        try:
            candidate = services.take_in_manually(
                current(),
                request.user.point,
                data["subject_track"],
                data["path"],
                identity,
                by=request.user,
                request=request,
            )
        except CandidateRefused as e:
            for message in e.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request, _("Taken in; the review by the level above opens registration.")
            )
            return redirect("candidates:detail", pk=candidate.pk)
    return render(request, "candidates/manual.html", {"form": form})


# ── one candidate ──────────────────────────────────────────────────────────────────────


@login_required
def detail(request, pk):
    return _render_detail(request, _candidate(request, pk))


def _render_detail(
    request,
    candidate: Candidate,
    checks_form: PointChecksForm | None = None,
    full_id_number: str | None = None,
):
    is_point = request.user.role == Role.POINT
    rejected_here = is_point and candidate.review_state == ReviewState.REJECTED
    reviewable = (
        services.may_review(request.user, candidate)
        and candidate.review_state == ReviewState.PENDING
    )
    context = {
        "c": candidate,
        "track": _track_names().get(candidate.subject_track, candidate.subject_track),
        "checks_form": checks_form or (_checks_form(candidate) if is_point else None),
        "review_form": ReviewForm() if reviewable else None,
        "waive_form": WaiveCardForm() if services.may_waive_card(request.user, candidate) else None,
        # A rejected review is resubmitted where reviews are decided: never on the client.
        "resubmit_form": (
            ResubmitForm(initial={"version": candidate.version})
            if rejected_here and modes.served("candidates:resubmit_review")
            else None
        ),
        "resubmit_elsewhere": rejected_here and not modes.served("candidates:resubmit_review"),
        "review_attempts": services.review_attempts(candidate),
        "blockers": services.login_card_blockers(candidate),
        "is_point": is_point,
        "photo": candidate.photos.filter(is_current=True).first(),
        "photos_allowed": request.user.role in (Role.POINT, Role.COUNTY),
        "full_id_number": full_id_number,
        **_reader_context(),
    }
    return render(request, "candidates/detail.html", context)


@roles_required(Role.POINT, Role.COUNTY, Role.CITY, Role.PROVINCE)
@require_POST
def reveal_id_number(request, pk):
    """The full document number, for staff whose jurisdiction holds the candidate (another
    region's candidate: 404); every view is recorded in the audit trail. The page shows the
    number masked until then."""
    candidate = _candidate(request, pk)
    number = privacy.reveal_id_number(candidate, by=request.user, request=request)
    if request.htmx:
        context = {"c": candidate, "full_id_number": number}
        return render(request, "candidates/_id_number.html", context)
    return _render_detail(request, candidate, full_id_number=number)


def _checks_form(candidate: Candidate, data=None) -> PointChecksForm:
    initial = {
        "version": candidate.version,
        "documents_received": candidate.documents_received,
        "fee_yuan": None if candidate.fee_fen is None else candidate.fee_fen / 100,
        "fee_receipt": candidate.fee_receipt,
        "eligibility": candidate.eligibility,
        "note": candidate.eligibility_note,
    }
    return PointChecksForm(data, initial=initial, candidate=candidate)


@points_only
@require_POST
def point_checks(request, pk):
    candidate = _candidate(request, pk)
    form = _checks_form(candidate, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.record_point_checks(
                candidate,
                version=data["version"],
                documents_received=data["documents_received"],
                fee_fen=form.fee_fen,
                fee_receipt=data["fee_receipt"],
                eligibility=data["eligibility"],
                note=data["note"],
                by=request.user,
                request=request,
            )
        except CandidateRefused as e:
            for message in e.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Saved."))
            return redirect("candidates:detail", pk=candidate.pk)
    return _render_detail(request, candidate, form)


@roles_required(Role.COUNTY, Role.CITY)
@require_POST
def review(request, pk):
    candidate = _candidate(request, pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.review(
                candidate,
                approve=form.cleaned_data["decision"] == "approve",
                reason=form.cleaned_data["reason"],
                by=request.user,
                request=request,
            )
        except CandidateRefused as e:
            messages.error(request, " ".join(e.messages))
        else:
            messages.success(request, _("The review is recorded."))
    return redirect("candidates:detail", pk=candidate.pk)


@points_only
@require_POST
def resubmit_review(request, pk):
    """O1-O3: the point sends a rejected identity back for review, saying what it fixed."""
    candidate = _candidate(request, pk)
    form = ResubmitForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say what was fixed or brought since the rejection."))
    else:
        try:
            services.resubmit_review(
                candidate,
                version=form.cleaned_data["version"],
                note=form.cleaned_data["note"],
                by=request.user,
                request=request,
            )
        except CandidateRefused as e:
            messages.error(request, " ".join(e.messages))
        else:
            messages.success(request, _("Resubmitted: the review awaits the office again."))
    return redirect("candidates:detail", pk=candidate.pk)


@roles_required(Role.CITY)
@require_POST
def waive_card(request, pk):
    """O3: the city's decision that a candidate without a card goes on without a read of
    the new card, with the reason."""
    candidate = _candidate(request, pk)
    form = WaiveCardForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason: it is kept with the decision."))
    else:
        try:
            services.waive_card_read(
                candidate, reason=form.cleaned_data["reason"], by=request.user, request=request
            )
        except CandidateRefused as e:
            messages.error(request, " ".join(e.messages))
        else:
            messages.success(request, _("Recorded: the candidate goes on without a card read."))
    return redirect("candidates:detail", pk=candidate.pk)


@points_only
@require_POST
def verify_card(request, pk):
    """O3, S7: the candidate's (new) card is read and must match the record."""
    candidate = _candidate(request, pk)

    def verify(card, _payload):
        services.verify_with_card(candidate, card, by=request.user, request=request)
        return {"url": reverse("candidates:detail", args=[candidate.pk])}

    return _with_card(request, verify)


@points_only
@require_POST
def reset_confirmation(request, pk):
    """O5: a forgotten confirmation password is cleared once the candidate's card is read."""
    candidate = _candidate(request, pk)

    def reset(card, _payload):
        services.reset_confirmation_password(candidate, card, by=request.user, request=request)
        message = _(
            "The confirmation password is cleared. The candidate sets a new one at the"
            " next sign-in."
        )
        return {"message": message}

    return _with_card(request, reset)


@roles_required(Role.POINT, Role.COUNTY)
def review_form_pdf(request, pk):
    """资格审核表 for a migrant worker's child (O1), printed at the point, signed, reviewed."""
    c = _candidate(request, pk)
    names = {
        table: dict(Code.objects.filter(table=table).values_list("code", "name"))
        for table in (Table.SEX, Table.ETHNICITY, Table.DOCUMENT_TYPE)
    }
    form = EligibilityReviewForm(
        registration_number=c.registration_number,
        name=c.name,
        sex=names[Table.SEX].get(c.sex, c.sex),
        birth_date=c.birth_date,
        ethnicity=names[Table.ETHNICITY].get(c.ethnicity, c.ethnicity),
        id_number=c.id_number,
        document_type=names[Table.DOCUMENT_TYPE].get(c.document_type, c.document_type),
        household_region="",
        point=str(c.point),
        county=c.point.county.name,
        guardian_note="",
        created_at=c.created_at,
    )
    record(Action.REVIEW_FORM_PRINTED, request=request, unit=c.point, target=c)
    return _pdf(render_eligibility_review_form(form), f"review-{c.registration_number}.pdf")


# ── login cards (S4) ───────────────────────────────────────────────────────────────────


@points_only
def login_cards(request):
    """Candidates ready for a login card; issue them all at once, or reprint one."""
    visible = Candidate.objects.visible_to(request.user)
    if request.method == "POST":
        chosen = visible.filter(pk__in=request.POST.getlist("candidate"))
        try:
            issued = services.issue_login_cards(list(chosen), by=request.user, request=request)
        except CandidateRefused as e:
            messages.error(request, " ".join(e.messages))
        else:
            if issued:
                one_time.keep(request, ISSUED, [(i.candidate.pk, i.password) for i in issued])
                return redirect("candidates:issued")
            messages.warning(request, _("Choose at least one candidate."))
    candidates = [c for c in visible.order_by("registration_number") if c.may_get_login_card]
    return render(
        request, "candidates/login_cards.html", {"candidates": candidates, "tracks": _track_names()}
    )


@points_only
def issued(request):
    return render(request, "candidates/issued.html", {"issued": _issued(request)})


def _issued(request):
    return one_time.load(request, ISSUED, Candidate.objects.visible_to(request.user))


def _portal_url(request) -> str:
    return settings.GAOKAO_PORTAL_URL or request.build_absolute_uri("/ks/")


@points_only
def issued_cards_pdf(request):
    tracks, portal, issued = _track_names(), _portal_url(request), _issued(request)
    cards = [
        LoginCard(
            portal_url=portal,
            registration_number=c.registration_number,
            password=password,
            name=c.name,
            id_number=c.id_number,
            point=str(c.point),
            subject_track=tracks.get(c.subject_track, c.subject_track),
        )
        for c, password in issued
    ]
    if not cards:
        return _gone(request)
    privacy.record_full_numbers(
        "login_cards", [c for c, _p in issued], by=request.user, request=request
    )
    return _pdf(
        render_login_cards(cards, title=_("Online registration login cards")), "login-cards.pdf"
    )


@points_only
def issued_sheet_pdf(request):
    tracks, issued = _track_names(), _issued(request)
    rows = [
        LoginSheetRow(
            registration_number=c.registration_number,
            name=c.name,
            id_number=c.id_number,
            subject_track=tracks.get(c.subject_track, c.subject_track),
            password=password,
        )
        for c, password in issued
    ]
    if not rows:
        return _gone(request)
    privacy.record_full_numbers(
        "login_sheet", [c for c, _p in issued], by=request.user, request=request
    )
    point = request.user.point
    pdf = render_login_sheet(
        rows, point=str(point), county=point.county.name, title=_("Online registration login sheet")
    )
    return _pdf(pdf, "login-sheet.pdf")


@points_only
@require_POST
def issued_done(request):
    one_time.forget(request, ISSUED)
    messages.success(request, _("The initial passwords were removed from the screen."))
    return redirect("candidates:login_cards")


def _gone(request):
    messages.warning(
        request, _("The initial passwords are no longer available. Reprint the login card.")
    )
    return redirect("candidates:login_cards")


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
