"""Proofreading (S7) and confirmation by phone (E6): the rules, in one place.

A confirmation counts only for the version of the candidate's record it was given for:
the candidate signed a sheet showing that data, or confirmed it on the phone. Any later
change moves `Candidate.version` on and the confirmation no longer counts, so everything
that asks "is this candidate proofread?" asks `is_proofread` (or filters with
`proofread_q()`), which compares with the version in the database, never a copy in memory.
The photo is on the sheet too, but a new photo does not move the version (it is not the
candidate's row, and the point client syncs it on its own): a sheet printed, or a
confirmation given, before the current photo was taken is outdated in the same way.

Identity keyed in by hand (O1–O3) must be checked against the candidate's document before
a confirmation: with the card reader (candidates.services.verify_with_card), or by hand,
recorded here.

Every write locks the candidate's row, applies the submission rule
(candidates.stage.check_editable), refuses a version other than the one the page showed,
and records its audit event in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import models, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.candidates.errors import CandidateRefused
from gaokao.candidates.models import Candidate, EligibilityPath, IdentitySource
from gaokao.candidates.stage import check_editable
from gaokao.lib.text import clean_text
from gaokao.photos.models import CandidatePhoto
from gaokao.proofreading.models import Confirmation, IdentityCheck, Method, Printout


class ProofreadingRefused(CandidateRefused):
    """A sheet, a signature, a phone confirmation or an identity check is refused (S7)."""


NOTE_LIMIT = 200
# A call may be entered a little ahead of the server's clock (another PC's clock), no more.
CLOCK_SKEW = dt.timedelta(minutes=5)
# A mainland mobile number, or a landline with its area code (the dash optional).
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_LANDLINE = re.compile(r"0[1-9][0-9]{1,2}-?[1-9][0-9]{6,7}")


class State(models.TextChoices):
    """Where a candidate is in proofreading, as the batch page shows it."""

    NOT_PRINTED = "not_printed", _("Not printed")
    PRINTED = "printed", _("Printed, not confirmed")
    SIGNED = "signed", _("Confirmed by signature")
    PHONE = "phone", _("Confirmed by phone")
    OUTDATED = "outdated", _("Outdated: the data changed since")


# ── what counts ────────────────────────────────────────────────────────────────────────


def newer_photo(candidate: str, since: str) -> Exists:
    """The candidate's current photo was taken after `since` (both references to the
    enclosing query): a sheet or confirmation of that time shows another photo."""
    return Exists(
        CandidatePhoto.objects.filter(
            candidate=OuterRef(candidate), is_current=True, created_at__gt=OuterRef(since)
        )
    )


def proofread_q() -> Q:
    """Candidates whose confirmation is for their current data and photo: for filters and
    counts (`Count("pk", filter=proofread_q())`) over Candidate rows."""
    return Q(
        Exists(
            Confirmation.objects.filter(
                candidate=OuterRef("pk"), version=OuterRef("version")
            ).exclude(newer_photo("candidate", "recorded_at"))
        )
    )


# Candidates whose identity needs no check by hand, or had one for the name and number
# they have now.
# O3: for a candidate registered without a card, a check by hand is not enough: the new
# card read at the point, or the city's recorded decision (services.waive_card_read).
IDENTITY_CHECKED = (
    Q(identity_source=IdentitySource.READER)
    | Q(identity_verified_at__isnull=False)
    | Q(card_waived_at__isnull=False)
    | (
        ~Q(eligibility_path=EligibilityPath.NO_CARD)
        & Q(identity_check__name=F("name"), identity_check__id_number_index=F("id_number_index"))
    )
)


def is_proofread(candidate: Candidate) -> bool:
    """True only when a confirmation exists for the candidate's current version."""
    return Candidate.objects.filter(proofread_q(), pk=candidate.pk).exists()


def identity_checked(candidate: Candidate) -> bool:
    """True when the identity was read from the card, verified with the card later, or
    checked by hand against the document it was keyed in from."""
    return Candidate.objects.filter(IDENTITY_CHECKED, pk=candidate.pk).exists()


def with_state(queryset: QuerySet[Candidate]) -> QuerySet[Candidate]:
    """The candidates annotated with `proofreading_state` (a State) and `identity_ok`."""
    current = F("version")
    return queryset.annotate(
        proofreading_state=Case(
            When(
                proofread_q() & Q(proofreading__method=Method.SIGNATURE), then=Value(State.SIGNED)
            ),
            When(proofread_q() & Q(proofreading__method=Method.PHONE), then=Value(State.PHONE)),
            When(proofreading__isnull=False, then=Value(State.OUTDATED)),
            When(
                Q(proofreading_printout__version=current)
                & ~Q(newer_photo("pk", "proofreading_printout__printed_at")),
                then=Value(State.PRINTED),
            ),
            When(proofreading_printout__isnull=False, then=Value(State.OUTDATED)),
            default=Value(State.NOT_PRINTED),
            output_field=models.CharField(),
        ),
        identity_ok=Case(
            When(IDENTITY_CHECKED, then=Value(True)),
            default=Value(False),
            output_field=models.BooleanField(),
        ),
    )


def state(candidate: Candidate) -> State:
    return State(with_state(Candidate.objects.filter(pk=candidate.pk)).get().proofreading_state)


def confirmation_blockers(candidate: Candidate) -> list[str]:
    """Why no confirmation can be recorded for the candidate now (empty when it can)."""
    reasons = []
    if not candidate.identity_cleared:
        reasons.append(str(_("The identity review is not approved.")))
    if not identity_checked(candidate) and candidate.eligibility_path == EligibilityPath.NO_CARD:
        reasons.append(
            str(
                _(
                    "Registered without a card (O3): read the new card with the ID card reader"
                    " when the candidate has it, or ask the city office to decide, with a"
                    " reason, that the candidate goes on without it. A check by hand is not"
                    " enough."
                )
            )
        )
    elif not identity_checked(candidate):
        reasons.append(
            str(
                _(
                    "The identity was keyed in by hand: verify it with the ID card reader, or"
                    " record that it was checked by hand against the document."
                )
            )
        )
    return reasons


# ── writes ─────────────────────────────────────────────────────────────────────────────


def _writable(candidate: Candidate, version: int, by: Any) -> Candidate:
    """The candidate's row, locked, if `by` may change it now and it is still `version`."""
    if not Candidate.objects.visible_to(by).filter(pk=candidate.pk).exists():
        raise ProofreadingRefused(
            _("This candidate is not in your jurisdiction."), code="not_visible"
        )
    current = Candidate.objects.select_for_update().get(pk=candidate.pk)
    check_editable(current, getattr(by, "role", None))
    if current.version != version:
        raise ProofreadingRefused(
            _(
                "Someone else changed this candidate a moment ago. Your input is kept below;"
                " check the current data and save again."
            ),
            code="stale",
        )
    return current


def _check_confirmable(candidate: Candidate) -> None:
    reasons = confirmation_blockers(candidate)
    if reasons:
        raise ProofreadingRefused(" ".join(reasons), code="not_confirmable")


def clean_note(note: Any, *, required: bool) -> str:
    """Control and format characters dropped, surrounding space stripped; too long is
    refused rather than cut."""
    note = clean_text(note)
    if required and not note:
        raise ProofreadingRefused(_("Write down what the candidate said."), code="note_required")
    if len(note) > NOTE_LIMIT:
        raise ProofreadingRefused(
            _("The note is too long: at most %(limit)d characters.") % {"limit": NOTE_LIMIT},
            code="note_too_long",
        )
    return note


def clean_phone_number(value: Any) -> str:
    """A mainland mobile number (11 digits) or a landline with its area code, full-width
    digits and spaces allowed; returned as digits (and the landline's dash)."""
    number = unicodedata.normalize("NFKC", clean_text(value)).replace(" ", "")
    if _MOBILE.fullmatch(number) or _LANDLINE.fullmatch(number):
        return number
    raise ProofreadingRefused(
        _(
            "Enter the number called: a mobile number (11 digits) or a landline with its area"
            " code, such as 0731-84390000."
        ),
        code="phone_number",
    )


def _confirm(
    candidate: Candidate, method: str, action: str, *, by: Any, request, **fields
) -> Confirmation:
    previous = Confirmation.objects.filter(candidate=candidate).first()
    confirmation, _created = Confirmation.objects.update_or_create(
        candidate=candidate,
        defaults={
            "method": method,
            "version": candidate.version,
            "recorded_by": by,
            "recorded_at": timezone.now(),
            "called_by": None,
            "called_at": None,
            "phone_number": "",
            "note": "",
            **fields,
        },
    )
    detail = {
        "version": candidate.version,
        "replaces": (
            {"method": previous.method, "version": previous.version} if previous else None
        ),
    }
    if method == Method.PHONE:
        detail |= {
            "called_by": confirmation.called_by.username,
            "called_at": confirmation.called_at.isoformat(),
            "phone_number": confirmation.phone_number,
            "note": confirmation.note,
        }
    record(action, actor=by, request=request, unit=candidate.point, target=candidate, **detail)
    return confirmation


@transaction.atomic
def record_signature(candidate: Candidate, *, version: int, by: Any, request=None) -> Confirmation:
    """S7: the candidate checked the printed proofreading sheet with their ID card and
    signed it. The sheet must show the current data: it was printed for this version."""
    current = _writable(candidate, version, by)
    _check_confirmable(current)
    printed = Printout.objects.filter(candidate=current).first()
    if (
        printed is None
        or printed.version != current.version
        or Printout.objects.filter(newer_photo("candidate", "printed_at"), pk=printed.pk).exists()
    ):
        raise ProofreadingRefused(
            _(
                "Print the proofreading sheet of the current data first: the candidate signs"
                " what is printed on it."
            ),
            code="not_printed",
        )
    return _confirm(current, Method.SIGNATURE, Action.PROOFREAD_SIGNED, by=by, request=request)


@transaction.atomic
def record_phone_confirmation(
    candidate: Candidate,
    *,
    version: int,
    called_by: Any,
    called_at: dt.datetime,
    phone_number: str,
    note: str,
    by: Any,
    request=None,
) -> Confirmation:
    """E6: a candidate who cannot come to the point (flood, epidemic) went through their
    data with staff on the phone and confirmed it. Who called, when, which number and what
    was said are kept; the call must have been after the data last changed."""
    current = _writable(candidate, version, by)
    _check_confirmable(current)
    number = clean_phone_number(phone_number)
    note = clean_note(note, required=True)
    if (
        called_by is None
        or not called_by.is_active
        or called_by.role != by.role
        or called_by.unit != by.unit
    ):
        raise ProofreadingRefused(
            _("Choose who called: someone of your own unit."), code="called_by"
        )
    if called_at is None or timezone.is_naive(called_at):
        raise ProofreadingRefused(_("Enter when the call was."), code="called_at")
    if called_at > timezone.now() + CLOCK_SKEW:
        raise ProofreadingRefused(_("The call cannot be in the future."), code="called_at")
    # Calls are entered to the minute; the current photo is part of the data confirmed.
    photo = CandidatePhoto.objects.filter(candidate=current, is_current=True).first()
    last_change = max(current.updated_at, photo.created_at if photo else current.updated_at)
    changed = last_change.replace(second=0, microsecond=0)
    if called_at < changed:
        raise ProofreadingRefused(
            _(
                "The candidate's data changed at %(time)s, after this call: the candidate"
                " confirmed older data. Call again."
            )
            % {"time": date_format(timezone.localtime(last_change), "Y-m-d H:i")},
            code="call_before_change",
        )
    return _confirm(
        current,
        Method.PHONE,
        Action.PROOFREAD_PHONE,
        by=by,
        request=request,
        called_by=called_by,
        called_at=called_at,
        phone_number=number,
        note=note,
    )


@transaction.atomic
def record_identity_check(
    candidate: Candidate, *, version: int, note: str, by: Any, request=None
) -> IdentityCheck:
    """S7: identity keyed in by hand, compared by hand with the document the candidate
    brought (the card could not be read). Not needed once the card reader verified it."""
    current = _writable(candidate, version, by)
    if current.identity_source == IdentitySource.READER or current.identity_verified_at:
        raise ProofreadingRefused(
            _("The identity is verified with the ID card reader; no check by hand is needed."),
            code="not_needed",
        )
    if current.eligibility_path == EligibilityPath.NO_CARD:
        raise ProofreadingRefused(
            _(
                "Registered without a card (O3): a check by hand is not enough. Read the new"
                " card with the ID card reader, or ask the city office to decide."
            ),
            code="no_card",
        )
    note = clean_note(note, required=False)
    previous = IdentityCheck.objects.filter(candidate=current).first()
    check, _created = IdentityCheck.objects.update_or_create(
        candidate=current,
        defaults={
            "checked_by": by,
            "checked_at": timezone.now(),
            "note": note,
            "name": current.name,
            "id_number_index": current.id_number_index,
        },
    )
    record(
        Action.IDENTITY_CHECKED_MANUALLY,
        actor=by,
        request=request,
        unit=current.point,
        target=current,
        version=current.version,
        note=note,
        replaces=previous.checked_at.isoformat() if previous else None,
    )
    return check


@transaction.atomic
def record_printed(
    printed: Iterable[tuple[Candidate, int]],
    *,
    document: str,
    by: Any,
    request=None,
    read_at: dt.datetime | None = None,
) -> None:
    """The proofreading sheets or registration forms of these candidates were printed, each
    showing the version given, with the photo current at `read_at` (both read before the
    PDF was made: a change in between shows as outdated, never as current). One audit
    event per point."""
    printed = list(printed)
    keys = [c.pk for c, _v in printed]
    now = read_at or timezone.now()
    # Two people printing the same candidates at once take turns (in key order, so that
    # they cannot deadlock), so the second finds the first one's printouts to update.
    list(Candidate.objects.select_for_update().filter(pk__in=keys).order_by("pk").values("pk"))
    existing = {p.candidate_id: p for p in Printout.objects.filter(candidate__in=keys)}
    new, changed = [], []
    by_point: dict[Any, list[str]] = defaultdict(list)
    for candidate, version in printed:
        row = existing.get(candidate.pk)
        if row is None:
            new.append(
                Printout(candidate=candidate, version=version, printed_by=by, printed_at=now)
            )
        else:
            row.version, row.printed_by, row.printed_at = version, by, now
            row.count += 1
            changed.append(row)
        by_point[candidate.point].append(candidate.registration_number or str(candidate.pk))
    Printout.objects.bulk_create(new)
    Printout.objects.bulk_update(changed, ["version", "printed_by", "printed_at", "count"])
    for point, numbers in by_point.items():
        record(
            Action.PROOFREAD_PRINTED,
            actor=by,
            request=request,
            unit=point,
            target=numbers[0] if len(numbers) == 1 else "",
            document=document,
            numbers=numbers,
        )
