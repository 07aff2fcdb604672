"""Submission upward (S9, R2.3, R2.4), in the manner of DHIS2's approvals: each level holds
its candidates until it submits them to the level above; the level above can return one or
a batch with a reason, which unlocks them below; the province accepts.

- A point submits a candidate only when it is complete (`problems` lists what is missing);
  the county also needs the comment (S8) before it submits.
- Deadlines: each level submits by its own cut-off in the record's submission phase (art
  candidates R2.3, gaokao-youth R2.5, everyone else R2.4; the cut-offs per level are the
  phase's, the phase's close by default, and the province has none unless set), with the
  extensions for the county (gaokao.candidates.stage, the one home of the rule). A record
  returned to a level after its cut-off may be changed and submitted again by that level,
  even after the cut-off, once: the return reopens it until it is submitted.
- BatchResult lock candidate rows (in primary-key order) and re-check the stage under the lock,
  so a submission racing an edit has one clean winner: the edit sees a locked record, or
  the submission sees the edit's result.
"""

import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.candidates.models import Candidate, Stage
from gaokao.candidates.stage import HOLDER, cutoff, governing_phase, is_reopened, moment
from gaokao.comments.services import has_comment
from gaokao.photos.models import CandidatePhoto
from gaokao.proofreading.services import is_proofread, proofread_q
from gaokao.seasons.models import Level
from gaokao.submission.models import Move

# The stage each role holds, where its submission sends the record, and where a return
# sends it back.
HOLDS = {
    "point": Stage.POINT,
    "county": Stage.COUNTY,
    "city": Stage.CITY,
    "province": Stage.PROVINCE,
}
UP = {
    Stage.POINT: Stage.COUNTY,
    Stage.COUNTY: Stage.CITY,
    Stage.CITY: Stage.PROVINCE,
    Stage.PROVINCE: Stage.ACCEPTED,
}
DOWN = {Stage.COUNTY: Stage.POINT, Stage.CITY: Stage.COUNTY, Stage.PROVINCE: Stage.CITY}
REQUIRED_DATA = ("candidate_category", "household_type", "graduation_type", "mobile")
REASON_LIMIT = 200


@dataclass
class BatchResult:
    """What one submit or return did: the candidates moved, and why each other was not."""

    moved: list[Candidate] = field(default_factory=list)
    refused: dict[str, list[str]] = field(default_factory=dict)  # registration number → why


def held_by(user) -> QuerySet:
    """The candidates the user's level holds now, within the user's jurisdiction."""
    stage = HOLDS.get(getattr(user, "role", None))
    if stage is None:
        return Candidate.objects.none()
    return Candidate.objects.visible_to(user).filter(stage=stage)


def with_checks(candidates: QuerySet) -> QuerySet:
    """`candidates` with what `problems` and `last_return` ask about each of them, fetched
    in the same query and one prefetch: a page of 100 rows costs two queries, not 300."""
    return (
        candidates.select_related("point", "comment")
        .annotate(
            has_current_photo=Exists(
                CandidatePhoto.objects.filter(candidate=OuterRef("pk"), is_current=True)
            ),
            is_proofread_now=ExpressionWrapper(proofread_q(), output_field=BooleanField()),
        )
        .prefetch_related(
            Prefetch("moves", Move.objects.filter(kind=Move.Kind.RETURN), to_attr="returns")
        )
    )


def problems(candidate: Candidate, role: str) -> list[str]:
    """What keeps `role` from submitting the candidate: the completeness rules (from the
    annotations of `with_checks` when the candidate has them)."""
    missing = []
    if not candidate.identity_cleared:
        missing.append(_("identity not cleared"))
    if not candidate.point_checks_done:
        missing.append(_("documents, fee or eligibility not recorded"))
    has_photo = getattr(candidate, "has_current_photo", None)
    if has_photo is None:
        has_photo = CandidatePhoto.objects.filter(candidate=candidate, is_current=True).exists()
    if not has_photo:
        missing.append(_("no photo"))
    if not candidate.data_saved_at or not all(getattr(candidate, f) for f in REQUIRED_DATA):
        missing.append(_("the candidate's data is incomplete"))
    proofread = getattr(candidate, "is_proofread_now", None)
    if not (is_proofread(candidate) if proofread is None else proofread):
        missing.append(_("not proofread and signed"))
    if role != "point" and not has_comment(candidate):
        missing.append(_("no comment"))
    return missing


def late(candidate: Candidate, at) -> str | None:
    """Why the holder may not submit the record at `at`: before its phase opens, or after
    the holder's cut-off unless the record was returned to it after that; else None."""
    level = HOLDER[Stage(candidate.stage)]
    phase = governing_phase(candidate)
    if phase is None:  # the province accepts without a window, as before cut-offs
        return None if level == Level.PROVINCE else _("the submission deadline has passed")
    if at < phase.starts_at and level != Level.PROVINCE:
        return _("the submission deadline has passed")
    closes = cutoff(candidate, level, phase)
    if closes is None or at <= closes or is_reopened(candidate):
        return None
    return _("the submission deadline has passed: the %(level)s's cut-off was %(moment)s") % {
        "level": Level(level).label,
        "moment": moment(closes),
    }


def _locked_rows(user, pks) -> list[Candidate]:
    return list(
        Candidate.objects.visible_to(user)
        .select_for_update(of=("self",))
        .select_related("point__county", "season")
        .filter(pk__in=pks)
        .order_by("pk")
    )


@transaction.atomic
def submit(user, pks, *, request=None, at=None) -> BatchResult:
    """Submit the given candidates one level up (the province: accept them). Those not
    held by the user's level, incomplete or past their deadline stay, each with why."""
    at = at or timezone.now()
    role = user.role
    stage = HOLDS[role]
    outcome, batch = BatchResult(), uuid.uuid4()
    for candidate in _locked_rows(user, pks):
        if candidate.stage != stage:
            outcome.refused[candidate.registration_number] = [
                _("not held here (%(stage)s)") % {"stage": Stage(candidate.stage).label}
            ]
            continue
        why = [] if role == "province" else problems(candidate, role)
        if (too_late := late(candidate, at)) is not None:
            why.append(too_late)
        if why:
            outcome.refused[candidate.registration_number] = why
            continue
        kind = Move.Kind.ACCEPT if role == "province" else Move.Kind.SUBMIT
        _move(candidate, kind, UP[stage], user, batch)
        outcome.moved.append(candidate)
    _audit(Action.ACCEPTED if role == "province" else Action.SUBMITTED, user, outcome, request)
    return outcome


@transaction.atomic
def return_down(user, pks, *, reason: str, request=None, at=None) -> BatchResult:
    """Return candidates the user's level holds to the level below, with a reason; that
    unlocks them there. The province may also return what it has accepted. A return after
    the cut-off of the level below reopens the record for it until it submits it again."""
    at = at or timezone.now()
    reason = " ".join(reason.split())[:REASON_LIMIT]
    if not reason:
        raise ValueError(_("Say why the candidates are returned."))
    stage = HOLDS.get(user.role)
    if stage not in DOWN:
        raise ValueError(_("Points have nothing to return."))
    returnable = {stage, Stage.ACCEPTED} if stage == Stage.PROVINCE else {stage}
    outcome, batch = BatchResult(), uuid.uuid4()
    for candidate in _locked_rows(user, pks):
        if candidate.stage not in returnable:
            outcome.refused[candidate.registration_number] = [
                _("not held here (%(stage)s)") % {"stage": Stage(candidate.stage).label}
            ]
            continue
        below = DOWN[stage]
        closes = cutoff(candidate, HOLDER[below])
        reopened = below if closes is not None and at > closes else ""
        _move(candidate, Move.Kind.RETURN, below, user, batch, reason=reason, reopened=reopened)
        outcome.moved.append(candidate)
    _audit(Action.RETURNED, user, outcome, request, reason=reason)
    return outcome


def _move(
    candidate: Candidate, kind: str, to: str, user, batch, reason: str = "", reopened: str = ""
) -> None:
    """Record the move and put the record at `to`; `reopened`: the stage a return after its
    cut-off reopens it at (a submission clears it)."""
    Move.objects.create(
        candidate=candidate,
        kind=kind,
        from_stage=candidate.stage,
        to_stage=to,
        by=user,
        reason=reason,
        batch=batch,
    )
    Candidate.objects.filter(pk=candidate.pk).update(stage=to, reopened_after_cutoff_at=reopened)
    candidate.stage, candidate.reopened_after_cutoff_at = to, reopened


def _audit(action, user, outcome: BatchResult, request, **detail) -> None:
    if outcome.moved:
        record(
            action,
            actor=user,
            request=request,
            count=len(outcome.moved),
            numbers=[c.registration_number for c in outcome.moved][:500],
            **detail,
        )


def last_return(candidate: Candidate) -> Move | None:
    if hasattr(candidate, "returns"):  # prefetched by `with_checks`, newest first
        return candidate.returns[0] if candidate.returns else None
    return candidate.moves.filter(kind=Move.Kind.RETURN).first()
