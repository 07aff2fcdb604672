"""Taking candidates in at a point (S3, S5, O1–O3, R2.5) and issuing their login cards (S4).

Every write runs in one transaction with its audit event. Number allocation locks the
range row; a second registration of the same person in a season is stopped by a unique
constraint, so two points taking the same card in at once cannot both succeed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gaokao.accounts import throttle
from gaokao.accounts.services import generate_password
from gaokao.audit.models import Action, AuditEvent
from gaokao.audit.services import record
from gaokao.candidates import changes
from gaokao.candidates.change_path import Change, Origin, apply_change, window_for_track
from gaokao.candidates.credentials import issue_card, login_card_blockers
from gaokao.candidates.errors import IntakeRefused
from gaokao.candidates.models import (
    REVIEWING_LEVEL,
    Candidate,
    EligibilityPath,
    EligibilityResult,
    IdentitySource,
    ReviewState,
    initial_review_state,
)
from gaokao.candidates.stage import check_editable
from gaokao.codes.models import Table, validate_code
from gaokao.lib.idnumber import InvalidIdNumber, parse_resident_id
from gaokao.lib.text import clean_text
from gaokao.numbering.services import RangeRefused, allocate_number
from gaokao.privacy.lookups import by_index
from gaokao.privacy.masking import mask_id
from gaokao.regions.models import RegistrationPoint
from gaokao.seasons.models import PhaseKind, Season

RESIDENT_ID = "1"


class CardData(Protocol):
    """What the ID-card reader gives (gaokao.idcard.cards.CardIdentity)."""

    document_type: str
    name: str
    sex: str
    ethnicity: str
    birth_date: dt.date
    id_number: str
    issuing_authority: str
    valid_from: dt.date | None
    valid_until: dt.date | None
    photo_wlt: bytes


@dataclass
class ManualIdentity:
    """Identity keyed in by staff from a document (O1–O3)."""

    document_type: str
    id_number: str
    name: str
    sex: str
    ethnicity: str
    birth_date: dt.date
    issuing_authority: str = ""
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None


# ── rules ──────────────────────────────────────────────────────────────────────────────


def check_window(season: Season, point: RegistrationPoint, track_code: str) -> None:
    kind = window_for_track(track_code)
    if not season.is_open(kind, point.county):
        raise window_closed(kind, point)


def window_closed(kind: str, point: RegistrationPoint) -> IntakeRefused:
    return IntakeRefused(
        _("The %(phase)s window is not open for %(county)s now; nobody can be taken in."),
        code="window_closed",
        params={"phase": PhaseKind(kind).label, "county": point.county.name},
    )


def where_registered(candidate: Candidate) -> str:
    point = candidate.point
    return (
        f"{point.county.parent.name}{point.county.name} {point} ({candidate.registration_number})"
    )


def refuse_duplicate(
    season: Season, id_number: str, point: RegistrationPoint, by: Any, request
) -> None:
    existing = (
        Candidate.objects.select_related("point__county__parent")
        .filter(by_index(id_number), season=season)
        .first()
    )
    if existing is not None:
        record(
            Action.DUPLICATE_REFUSED,
            request=request,
            actor=by,
            unit=point,
            registered_at=existing.point.code,
            registration_number=existing.registration_number,
        )
        raise IntakeRefused(
            _("This person is already registered this season at %(where)s."),
            code="duplicate",
            params={"where": where_registered(existing)},
        )


def validate_identity(
    identity: ManualIdentity | CardData, *, valid_code: Callable[[str, str], None] = validate_code
) -> str:
    """Check the identity against the code tables and, for resident ID numbers, the number
    itself (check digit, birth date and sex must agree). Returns the normalised number.
    `valid_code` is validate_code or one that remembers its answers (sync, per push)."""
    errors = []
    for table, value in ((Table.DOCUMENT_TYPE, identity.document_type), (Table.SEX, identity.sex)):
        try:
            valid_code(table, value)
        except ValidationError as e:
            errors.append(e)
    if identity.ethnicity:
        try:
            valid_code(Table.ETHNICITY, identity.ethnicity)
        except ValidationError as e:
            errors.append(e)
    number = identity.id_number.strip().upper()
    if identity.document_type == RESIDENT_ID:
        try:
            parsed = parse_resident_id(number)
        except InvalidIdNumber as e:
            errors.append(ValidationError(e.message, code=e.code))
        else:
            number = parsed.number
            if parsed.birth_date != identity.birth_date:
                errors.append(
                    ValidationError(_("The birth date differs from the one in the ID number."))
                )
            if parsed.sex != identity.sex:
                errors.append(
                    ValidationError(_("The sex differs from the one the ID number gives."))
                )
    elif not (4 <= len(number) <= 30) or not number.isprintable():
        errors.append(
            ValidationError(_("Enter the document number as printed (4 to 30 characters)."))
        )
    if not clean_text(identity.name) or len(clean_text(identity.name)) > 50:
        errors.append(
            ValidationError(_("Enter the name as on the document (at most 50 characters)."))
        )
    if errors:
        raise IntakeRefused(errors)
    return number


def _create(season, point, track_code, identity, number, **fields) -> Candidate:
    """Allocate the number and save, both or neither."""
    try:
        with transaction.atomic():
            number_range, registration_number = allocate_number(season, point, track_code)
            return Candidate.objects.create(
                season=season,
                point=point,
                subject_track=track_code,
                registration_number=registration_number,
                number_range=number_range,
                document_type=identity.document_type,
                id_number=number,
                name=clean_text(identity.name),  # keyed in: no bidi or zero-width tricks
                sex=identity.sex,
                ethnicity=identity.ethnicity,
                birth_date=identity.birth_date,
                issuing_authority=identity.issuing_authority,
                valid_from=identity.valid_from,
                valid_until=identity.valid_until,
                **fields,
            )
    except RangeRefused as e:
        raise IntakeRefused(e.message, code="no_free_number", params=e.params) from e
    except IntegrityError as e:
        # Another point took the same person in a moment ago.
        raise IntakeRefused(
            _("This person was registered elsewhere a moment ago. Search for the ID number."),
            code="duplicate",
        ) from e


# ── intake ─────────────────────────────────────────────────────────────────────────────


def take_in_from_card(
    season: Season,
    point: RegistrationPoint,
    track_code: str,
    card: CardData,
    *,
    by: Any,
    request=None,
) -> Candidate:
    """Batch intake (S3): the card's identity, verified by the reader, and the next number."""
    return _take_in(
        season,
        point,
        track_code,
        card,
        by=by,
        request=request,
        card_photo=card.photo_wlt or None,
        identity_source=IdentitySource.READER,
        identity_verified_at=timezone.now(),
    )


def take_in_manually(
    season: Season,
    point: RegistrationPoint,
    track_code: str,
    path: str,
    identity: ManualIdentity,
    *,
    by: Any,
    request=None,
) -> Candidate:
    """Identity keyed in by staff for the paths that need a review (O1–O3); until the
    review approves it, no login card can be issued."""
    if path not in REVIEWING_LEVEL:
        raise IntakeRefused(_("Candidates with a readable ID card are taken in with the reader."))
    return _take_in(
        season,
        point,
        track_code,
        identity,
        by=by,
        request=request,
        identity_source=IdentitySource.MANUAL,
        eligibility_path=path,
        review_state=initial_review_state(path),
    )


def routed_path(season: Season, document_type: str, id_number: str, path: str) -> str:
    """O1: a resident ID number of another province (its first two digits are not the
    province's) belongs on the out-of-province path (外省户籍随迁子女), however it was read:
    the county reviews it and the residence documents, instead of a normal registration.
    Every other identity keeps the path it came with."""
    foreign = document_type == RESIDENT_ID and id_number[:2] != season.province.code[:2]
    return EligibilityPath.MIGRANT if path == EligibilityPath.NORMAL and foreign else path


def _take_in(season, point, track_code, identity, *, by, request, **fields) -> Candidate:
    check_window(season, point, track_code)
    number = validate_identity(identity)
    refuse_duplicate(season, number, point, by, request)
    path = fields.get("eligibility_path", EligibilityPath.NORMAL)
    routed = routed_path(season, identity.document_type, number, path)
    if routed != path:
        fields |= {"eligibility_path": routed, "review_state": initial_review_state(routed)}
    # The outer boundary of an intake and its number claim: it commits on its own, so a
    # number is never held by a caller's transaction that could still roll back.
    with transaction.atomic(durable=True):
        candidate = _create(season, point, track_code, identity, number, created_by=by, **fields)
        record(
            Action.CANDIDATE_TAKEN_IN,
            request=request,
            actor=by,
            unit=point,
            target=candidate,
            source=fields["identity_source"],
            path=candidate.eligibility_path,
        )
        changes.candidate_changed(candidate.pk)
    return candidate


# ── reviews, verification, point checks ────────────────────────────────────────────────


def _locked(
    candidate: Candidate, version: int | None = None, *, at_point: bool = True
) -> Candidate:
    """The candidate's row, locked; refused if someone saved it since `version` was read,
    or (`at_point`) if the point has submitted it upward (S9)."""
    current = Candidate.objects.select_for_update().get(pk=candidate.pk)
    if at_point:
        check_editable(current, "point")
    if version is not None and current.version != version:
        raise IntakeRefused(
            _(
                "Someone else changed this candidate a moment ago. Your input is kept below;"
                " check the current data and save again."
            ),
            code="stale",
        )
    return current


def may_review(user: Any, candidate: Candidate) -> bool:
    level = REVIEWING_LEVEL.get(candidate.eligibility_path)
    return level is not None and getattr(user, "role", None) == level


@transaction.atomic
def review(candidate: Candidate, *, approve: bool, reason: str, by: Any, request=None) -> Candidate:
    """The county (migrant workers' children, O1) or the city (other documents and missing
    cards, O2, O3) approves or rejects; approval opens registration."""
    if (
        not may_review(by, candidate)
        or not Candidate.objects.visible_to(by).filter(pk=candidate.pk).exists()
    ):
        raise IntakeRefused(_("Your office does not review this candidate."), code="not_reviewer")
    candidate = _locked(candidate)
    if candidate.review_state != ReviewState.PENDING:
        raise IntakeRefused(_("This candidate is not awaiting review."), code="not_pending")
    reason = clean_text(reason)
    if not approve and not reason:
        raise IntakeRefused(
            _("Give the reason for the rejection; the point will see it."), code="reason"
        )
    candidate.review_state = ReviewState.APPROVED if approve else ReviewState.REJECTED
    candidate.review_reason = reason[:200]
    candidate.reviewed_by, candidate.reviewed_at = by, timezone.now()
    candidate.version = F("version") + 1
    candidate.save()
    record(
        Action.CANDIDATE_REVIEWED,
        request=request,
        actor=by,
        unit=candidate.point,
        target=candidate,
        result=candidate.review_state,
        reason=reason,
    )
    candidate.refresh_from_db()
    return candidate


@transaction.atomic
def resubmit_review(
    candidate: Candidate, *, version: int, note: str, by: Any, request=None
) -> Candidate:
    """O1-O3: the point sends a rejected identity back to the office that reviews it, saying
    what it fixed or brought (the note). The review awaits that office again; every attempt
    stays in the audit trail (`review_attempts`)."""
    if getattr(by, "role", None) != "point" or by.point_id != candidate.point_id:
        raise IntakeRefused(_("Only the candidate's point resubmits its review."), code="not_point")
    current = _locked(candidate, version)
    if current.review_state != ReviewState.REJECTED:
        raise IntakeRefused(
            _("Only a rejected review can be resubmitted; this one is %(state)s."),
            code="not_rejected",
            params={"state": current.get_review_state_display()},
        )
    note = clean_text(note)
    if not note:
        raise IntakeRefused(
            _("Say what was fixed or brought since the rejection; the reviewer reads it."),
            code="note",
        )
    current.review_state = ReviewState.PENDING
    current.version = F("version") + 1
    current.save(update_fields=["review_state", "version", "updated_at"])
    record(
        Action.REVIEW_RESUBMITTED,
        request=request,
        actor=by,
        unit=current.point,
        target=current,
        note=note[:200],
        rejected_for=current.review_reason,
    )
    current.refresh_from_db()
    return current


def review_attempts(candidate: Candidate) -> list[AuditEvent]:
    """The chain of the identity's reviews and resubmissions, oldest first; a review's
    decision as people read it in `outcome`."""
    events = list(
        AuditEvent.objects.filter(
            target_type="candidates.candidate",
            target_id=str(candidate.pk),
            action__in=(Action.CANDIDATE_REVIEWED, Action.REVIEW_RESUBMITTED),
        ).order_by("at", "seq")
    )
    for event in events:
        result = (event.detail or {}).get("result")
        event.outcome = ReviewState(result).label if result in ReviewState.values else ""
    return events


@transaction.atomic
def verify_with_card(candidate: Candidate, card: CardData, *, by: Any, request=None) -> Candidate:
    """The candidate shows a (new) card at the point (O3, S7): it must be the same person."""
    candidate = _locked(candidate)
    _check_card(candidate, card)
    candidate.identity_source = IdentitySource.READER
    candidate.identity_verified_at = timezone.now()
    candidate.card_photo = card.photo_wlt or candidate.card_photo
    candidate.issuing_authority = card.issuing_authority
    candidate.valid_from, candidate.valid_until = card.valid_from, card.valid_until
    candidate.version = F("version") + 1
    candidate.save()
    record(
        Action.IDENTITY_VERIFIED, request=request, actor=by, unit=candidate.point, target=candidate
    )
    changes.candidate_changed(candidate.pk)
    candidate.refresh_from_db()
    return candidate


def may_waive_card(user: Any, candidate: Candidate) -> bool:
    """O3: the city office decides for a candidate of its own who registered without a card
    and has not had a new one read yet."""
    return (
        getattr(user, "role", None) == "city"
        and candidate.eligibility_path == EligibilityPath.NO_CARD
        and candidate.identity_verified_at is None
        and candidate.card_waived_at is None
    )


@transaction.atomic
def waive_card_read(candidate: Candidate, *, reason: str, by: Any, request=None) -> Candidate:
    """O3: the city lets a candidate without a card go on without a read of the new card,
    for the reason it gives (kept on the record and in the audit trail). A check by hand at
    the point is not enough for such a candidate; this decision or the new card is."""
    if not Candidate.objects.visible_to(by).filter(pk=candidate.pk).exists():
        raise IntakeRefused(_("This candidate is not in your jurisdiction."), code="not_visible")
    candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
    if not may_waive_card(by, candidate):
        raise IntakeRefused(
            _(
                "Only the city office decides this, for a candidate registered without a card"
                " whose new card has not been read."
            ),
            code="not_waivable",
        )
    reason = clean_text(reason)
    if not reason:
        raise IntakeRefused(_("Give the reason: it is kept with the decision."), code="reason")
    candidate.card_waived_by, candidate.card_waived_at = by, timezone.now()
    candidate.card_waived_reason = reason[:200]
    candidate.version = F("version") + 1
    candidate.save()
    record(
        Action.CARD_WAIVED,
        request=request,
        actor=by,
        unit=candidate.point,
        target=candidate,
        reason=candidate.card_waived_reason,
    )
    changes.candidate_changed(candidate.pk)
    candidate.refresh_from_db()
    return candidate


def _check_card(candidate: Candidate, card: CardData) -> str:
    """The card read must be this candidate's: the same ID number and name."""
    number = validate_identity(card)
    if number != candidate.id_number or card.name.strip() != candidate.name:
        raise IntakeRefused(
            _("The card read (%(name)s, %(number)s) is not this candidate's. Nothing was changed."),
            code="card_mismatch",
            params={"name": card.name, "number": mask_id(number)},
        )
    return number


@transaction.atomic
def reset_confirmation_password(
    candidate: Candidate, card: CardData, *, by: Any, request=None
) -> Candidate:
    """O5: a candidate who forgot the confirmation password shows the ID card at the point;
    the password is cleared and the candidate sets a new one at the next sign-in."""
    candidate = _locked(candidate)
    _check_card(candidate, card)
    candidate.confirmation_password = ""
    candidate.save(update_fields=["confirmation_password"])
    # Guesses counted against the old password no longer lock saving.
    throttle.reset("candidate-number", f"confirm:{candidate.registration_number or candidate.pk}")
    record(
        Action.PASSWORD_RESET,
        request=request,
        actor=by,
        unit=candidate.point,
        target=candidate,
        which="confirmation",
    )
    return candidate


def record_point_checks(
    candidate: Candidate,
    *,
    version: int,
    documents_received: bool,
    fee_fen: int | None,
    fee_receipt: str,
    eligibility: str,
    note: str,
    by: Any,
    request=None,
) -> Candidate:
    """S5: documents handed in, registration fee paid, eligibility reviewed at the point.
    The form of the values is checked here; their rules (gaokao.candidates.point_checks),
    who, the stage, the version and the write are the change path's
    (gaokao.candidates.change_path, Origin.OFFICE)."""
    if eligibility not in EligibilityResult.values:
        raise IntakeRefused(_("Choose an eligibility result."))
    if fee_fen is not None and fee_fen < 0:
        raise IntakeRefused(_("The fee cannot be negative."))
    fee_receipt, note = clean_text(fee_receipt), clean_text(note)
    change = Change(
        values={
            "documents_received": documents_received,
            "fee_fen": fee_fen,
            "fee_receipt": fee_receipt,
            "eligibility": eligibility,
            "eligibility_note": note[:200],
        },
        origin=Origin.OFFICE,
        version=version,
    )
    return apply_change(candidate, change, by=by, request=request)


# ── login cards (S4) ───────────────────────────────────────────────────────────────────


@dataclass
class IssuedLogin:
    candidate: Candidate
    password: str


@transaction.atomic
def issue_login_cards(candidates: list[Candidate], *, by: Any, request=None) -> list[IssuedLogin]:
    """New initial portal passwords, printed once on login cards; only the hash is kept.
    A reprint issues a new password and the old one stops working."""
    issued = []
    for candidate in candidates:
        candidate = _locked(candidate, at_point=False)  # a lost card is reissued any time
        blockers = login_card_blockers(candidate)
        if blockers:
            raise IntakeRefused(
                _("No login card for %(name)s (%(number)s): %(reasons)s"),
                code="not_ready",
                params={
                    "name": candidate.name,
                    "number": candidate.registration_number,
                    "reasons": " ".join(blockers),
                },
            )
        password = generate_password()
        issue_card(candidate, make_password(password), timezone.now())
        issued.append(IssuedLogin(candidate, password))
    if issued:
        # On a point client the card's hash goes up with the candidate (issue 20).
        changes.candidates_changed([i.candidate.pk for i in issued])
        record(
            Action.LOGIN_CARDS_ISSUED,
            request=request,
            actor=by,
            unit=issued[0].candidate.point,
            numbers=[i.candidate.registration_number for i in issued],
        )
    return issued
