"""Applying a point client's changes (R4, S3, E5): the push, and a disc bundle's import.

Each change carries an id the client made, its idempotency key: the server keeps a Receipt
per id, so a change sent twice, or sent by sync and again on a disc (gaokao.bundles), is
applied once. An update names the version it edited; a stale one is never merged but kept
as a Conflict for a person to decide (the ODK rule). A create is intake
(gaokao.candidates.point_changes: the point's own ranges, one registration per person and
season); an update goes through the one change path (gaokao.candidates.change_path), its
window judged when it was keyed if it arrived within the offline grace, and otherwise
kept as a conflict 截止后修改 for the county (gaokao.sync.offline, E3-E5).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.candidates.change_path import VERIFIED, Change, Origin, apply_change, check_change
from gaokao.candidates.credentials import CardOutcome, take_point_card
from gaokao.candidates.errors import CandidateRefused
from gaokao.candidates.models import Candidate
from gaokao.candidates.point_changes import create_from_point
from gaokao.sync import numbers, offline
from gaokao.sync.errors import SyncRefused, Unauthorised, message_of, not_this_point, shown
from gaokao.sync.fields import (
    KINDS,
    SYNC_FIELDS,
    VIAS,
    current_season,
    is_int,
    parse_uuid,
    to_json,
    values_now,
)
from gaokao.sync.models import Conflict, Device, Receipt
from gaokao.sync.validation import (
    PushMemo,
    clean_card,
    clean_data_fields,
    clean_identity,
    clean_point_fields,
    clean_update,
)


@dataclass
class ChangeOutcome:
    """What became of one pushed change: its receipt status and what the client is told."""

    status: str
    candidate: Candidate | None = None
    version: int | None = None
    message: str = ""
    conflict: Conflict | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    card: CardOutcome | None = None  # the login card the change carried (issue 20)


def _result(change_id: str, status: str, **kw: Any) -> dict[str, Any]:
    return {
        "id": change_id,
        "status": status,
        "version": kw.get("version"),
        "message": kw.get("message", ""),
        "conflict": kw.get("conflict"),
        "original_status": kw.get("original_status"),
        "reason": kw.get("reason"),
        "card": card.status if (card := kw.get("card")) else None,
        "card_message": card.message if card else "",
    }


def apply_changes(
    device: Device, changes: Any, *, via: str = "sync", sent_at: Any = None
) -> list[dict[str, Any]]:
    """Apply a device's changes in order, each in its own transaction, and say what became
    of each: applied, duplicate (its id was received before: nothing is applied, the
    original answer is repeated), conflict or refused. `via` is "sync" or "bundle";
    `sent_at` is the client's clock when it sent a push (its skew is recorded)."""
    if via not in VIAS:
        raise ValueError(via)
    if device.revoked_at is not None:
        raise Unauthorised(_("This point client was revoked."), code="revoked")
    if not isinstance(changes, list):
        raise SyncRefused(_("Send the changes as a list."), code="changes")
    if via == "sync":
        offline.check_clock(device, sent_at)
    memo = PushMemo(current_season())
    return [_apply_one(device, change, via, memo) for change in changes]


def _apply_one(device: Device, change: Any, via: str, memo: PushMemo) -> dict[str, Any]:
    raw_id = change.get("id") if isinstance(change, dict) else None
    change_id = parse_uuid(raw_id)
    if change_id is None:
        return _result(
            shown(raw_id, 40) if raw_id is not None else "",
            Receipt.Status.REFUSED,
            message=_("The change has no valid id (a UUID)."),
        )
    kind = change.get("kind")
    candidate_id = parse_uuid(change.get("candidate"))
    # Durable: each change commits on its own, receipt and all, so a caller that wraps a
    # batch in a transaction (and would lose every receipt of it on a rollback) fails.
    with transaction.atomic(durable=True):
        try:
            with transaction.atomic():
                receipt = Receipt.objects.create(
                    id=change_id,
                    device=device,
                    candidate_id=candidate_id,
                    kind=kind if kind in KINDS else "",
                    via=via,
                    status=Receipt.Status.REFUSED,  # until decided, in this transaction
                )
        except IntegrityError:
            # Received before (or this moment by another request, which has committed).
            return _duplicate(device, change_id, change)
        outcome = _outcome(device, receipt, change, kind, candidate_id, memo, via)
        receipt.status, receipt.version = outcome.status, outcome.version
        receipt.message = outcome.message[:300]
        receipt.save(update_fields=["status", "version", "message", "keyed_at"])
        action = {
            Receipt.Status.APPLIED: Action.SYNC_APPLIED,
            Receipt.Status.CONFLICT: Action.SYNC_CONFLICT,
            Receipt.Status.REFUSED: Action.SYNC_REFUSED,
        }[outcome.status]
        record(
            action,
            actor=device.enrolled_by,
            unit=device.point,
            target=outcome.candidate,
            device=str(device.pk),
            change=str(change_id),
            via=via,
            kind=receipt.kind,
            candidate=str(candidate_id) if candidate_id else "",
            message=receipt.message,
            **outcome.detail,
            **({"card": outcome.card.status} if outcome.card else {}),
        )
    return _result(
        str(change_id),
        outcome.status,
        version=outcome.version,
        message=receipt.message,
        conflict=outcome.conflict.pk if outcome.conflict else None,
        reason=outcome.conflict.reason if outcome.conflict else None,
        card=outcome.card,
    )


def _duplicate(device: Device, change_id: uuid.UUID, change: Any) -> dict[str, Any]:
    receipt = Receipt.objects.filter(pk=change_id).first()
    if receipt is None or receipt.device_id != device.pk:
        return _result(
            str(change_id),
            Receipt.Status.REFUSED,
            message=_("This change id is used already; make a new one."),
        )
    conflict = Conflict.objects.filter(receipt=receipt).values("pk", "reason").first() or {}
    return _result(
        str(change_id),
        "duplicate",
        version=receipt.version,
        message=receipt.message,
        conflict=conflict.get("pk"),
        original_status=receipt.status,
        reason=conflict.get("reason"),
        card=_card_now(receipt, change),
    )


def _card_now(receipt: Receipt, change: Any) -> CardOutcome | None:
    """For a change sent again: whether its login card is the one that works now."""
    card = change.get("card") if isinstance(change, dict) else None
    if not isinstance(card, dict) or receipt.candidate_id is None:
        return None
    stored = (
        Candidate.objects.filter(pk=receipt.candidate_id, point=receipt.device.point)
        .values_list("portal_password", flat=True)
        .first()
    )
    if stored is None:
        return None
    if stored and stored == card.get("password_hash"):
        return CardOutcome("same")
    return CardOutcome(
        "void",
        _("The login card printed here no longer works: another card was issued. Issue a new one."),
    )


def _outcome(device, receipt, change, kind, candidate_id, memo, via) -> ChangeOutcome:
    card = None
    try:
        with transaction.atomic():
            receipt.keyed_at = offline.keyed_at_of(change, memo.season, receipt.received_at)
            card = clean_card(change.get("card"))
            if kind == "create":
                return _create(device, change, candidate_id, memo, via, card, receipt)
            if kind == "update":
                return _update(device, receipt, change, candidate_id, memo.season, via, card)
            raise SyncRefused(_("A change is a create or an update."), code="kind")
    except (SyncRefused, CandidateRefused) as e:
        message = message_of(e)
    except IntegrityError:
        message = _(
            "The registration number or the person was registered by another change a moment"
            " ago. Nothing was changed."
        )
    own = None
    if candidate_id is not None:
        own = Candidate.objects.filter(pk=candidate_id, point=device.point).first()
    outcome = ChangeOutcome(Receipt.Status.REFUSED, candidate=own, message=message)
    if card is not None and own is not None and own.season == memo.season and kind == "update":
        # A card stands on its own (a lost card is reissued any time, S4): the change's
        # fields refused do not void the card that came with them.
        outcome.card = _take_card(device, own, card, via)
    return outcome


def _take_card(device, candidate, card, via) -> CardOutcome:
    password_hash, issued_at = card
    origin = Origin.BUNDLE if via == "bundle" else Origin.SYNC
    return take_point_card(
        candidate, password_hash, issued_at, by=device.enrolled_by, origin=str(origin)
    )


def _create(device, change, candidate_id, memo, via, card=None, receipt=None) -> ChangeOutcome:
    point, season = device.point, memo.season
    if season is None:
        raise SyncRefused(_("No registration season is current."), code="no_season")
    if candidate_id is None:
        raise SyncRefused(_("The change names no valid candidate id (a UUID)."), code="id")
    existing = Candidate.objects.filter(pk=candidate_id).values_list("point_id", flat=True).first()
    if existing is not None:
        if existing != point.pk:
            raise not_this_point()
        raise SyncRefused(
            _("This candidate exists already: send its changes as updates."), code="exists"
        )
    fields = change.get("fields")
    if not isinstance(fields, dict):
        raise SyncRefused(_("The change carries no fields."), code="no_fields")
    for name in fields:
        if name not in SYNC_FIELDS:
            raise SyncRefused(
                _("%(field)s cannot be sent by sync.") % {"field": shown(name)},
                code="unknown_field",
            )
    identity = clean_identity(fields, memo)
    if via == "sync":
        # Like intake at the point, while the window is open; after the deadline the
        # point's data comes on a disc and its county imports it (E5).
        memo.check_window(point, identity["subject_track"])
    values = clean_point_fields(fields) | clean_data_fields(fields, None)
    number = identity["registration_number"]
    try:
        with transaction.atomic():
            candidate = create_from_point(
                candidate_id=candidate_id,
                season=season,
                point=point,
                identity=identity,
                values=values,
                by=device.enrolled_by,
                holder=device.pk,
            )
    except (CandidateRefused, IntegrityError) as e:
        # A number clash never drops the candidate (issue 20): saved without the
        # number, it waits in the county's queue for a fresh one.
        clashed = numbers.clash(season, candidate_id, number, e)
        if clashed is None or receipt is None:
            raise
        candidate = create_from_point(
            candidate_id=candidate_id,
            season=season,
            point=point,
            identity=identity | {"registration_number": None},
            values=values,
            by=device.enrolled_by,
        )
        return ChangeOutcome(
            Receipt.Status.CONFLICT,
            candidate=candidate,
            version=candidate.version,
            message=numbers.clash_message(number),
            conflict=numbers.number_conflict(receipt, candidate, number, clashed),
            detail={"registration_number": number, "clashed": clashed},
        )
    return ChangeOutcome(
        Receipt.Status.APPLIED,
        candidate=candidate,
        version=candidate.version,
        detail={
            "fields": sorted(name for name in values if name != VERIFIED),
            "registration_number": identity["registration_number"],
        },
        card=_take_card(device, candidate, card, via) if card else None,
    )


def _update(device, receipt, change, candidate_id, season, via, card=None) -> ChangeOutcome:
    if candidate_id is None or season is None:
        raise not_this_point()
    candidate = (
        Candidate.objects.select_for_update()
        .filter(pk=candidate_id, point=device.point, season=season)
        .first()
    )
    if candidate is None:
        raise not_this_point()
    if card is not None and not change.get("fields"):
        # A login card alone: not one of the record's versioned fields, so neither a
        # stale base nor a closed window stops it (a lost card is reissued any time, S4).
        return ChangeOutcome(
            Receipt.Status.APPLIED,
            candidate=candidate,
            version=candidate.version,
            card=_take_card(device, candidate, card, via),
        )
    outcome = _update_fields(device, receipt, change, candidate, via)
    if card is not None:  # after the fields: the card is written on the row as saved
        outcome.card = _take_card(device, candidate, card, via)
    return outcome


def _update_fields(device, receipt, change, candidate, via) -> ChangeOutcome:
    values = clean_update(change.get("fields"), candidate)
    base_version = change.get("base_version")
    if not is_int(base_version) or base_version < 1:
        raise SyncRefused(
            _("An update names the version it was based on (base_version)."), code="base"
        )
    origin = Origin.BUNDLE if via == "bundle" else Origin.SYNC
    the_change = Change(
        values=values, origin=origin, version=candidate.version, keyed_at=receipt.keyed_at
    )
    by = device.enrolled_by
    # A stale base is a conflict, decided below; this raises any other refusal.
    at = _judged_at(candidate, the_change, by, receipt)
    if at is None:
        return _conflict(
            receipt,
            candidate,
            base_version,
            values,
            Conflict.Reason.AFTER_DEADLINE,
            _(
                "Changed after the deadline: the change was keyed after its window closed, or"
                " reached the server after the grace for work keyed offline. Nothing was"
                " changed: the county decides."
            ),
        )
    if base_version != candidate.version:
        return _conflict(
            receipt,
            candidate,
            base_version,
            values,
            Conflict.Reason.STALE,
            _(
                "The record changed on the server after version %(base)d (it is now at"
                " %(version)d). Nothing was overwritten: a person keeps the point's values,"
                " the server's, or chooses field by field."
            )
            % {"base": base_version, "version": candidate.version},
        )
    before = values_now(candidate, values)
    candidate = apply_values(candidate, values, origin, receipt.keyed_at, by=by, at=at)
    return ChangeOutcome(
        Receipt.Status.APPLIED,
        candidate=candidate,
        version=candidate.version,
        detail={
            "before": before,
            "after": {k: to_json(v) for k, v in values.items()},
            **({"judged_at": at.isoformat()} if at != receipt.received_at else {}),
        },
    )


def apply_values(
    candidate: Candidate,
    values: dict[str, Any],
    origin: str,
    keyed_at: dt.datetime | None,
    *,
    by: Any,
    at: dt.datetime | None = None,
    window_override: str = "",
    request: Any = None,
) -> Candidate:
    """Apply a point's checked values to the locked candidate through the one change path
    (judged at `at`), in the caller's transaction. The candidate as saved is returned."""
    change = Change(values=values, origin=origin, version=candidate.version, keyed_at=keyed_at)
    return apply_change(
        candidate, change, by=by, request=request, at=at, window_override=window_override
    )


# The refusals of a moment passed: the window of the change's fields, and the point's own
# cut-off for the record (gaokao.candidates.stage.past_cutoff).
DEADLINES = ("window_closed", "past_cutoff")


def _judged_at(candidate, change: Change, by, receipt: Receipt) -> dt.datetime | None:
    """The moment the change's window is judged at: its arrival; or, when the window (or
    the point's cut-off) had passed by then, the moment it was keyed, if that was before
    the close and it arrived within the grace after it. None: a change after the deadline
    (a conflict for the county). Any other refusal (a record submitted upward, a field the
    point may not change) is raised, judged at the arrival."""
    received = receipt.received_at
    try:
        check_change(candidate, change, by=by, at=received)
        return received
    except CandidateRefused as e:
        if e.code not in DEADLINES:
            raise
    keyed = change.keyed_at
    if keyed is None or keyed >= received:
        return None
    # The window is one span: open when keyed, and still open at the grace's start (or
    # keyed after it), means it closed at most the grace before the change arrived.
    grace_start = received - offline.grace(candidate.season)
    for at in (keyed, max(keyed, grace_start)):
        try:
            check_change(candidate, change, by=by, at=at)
        except CandidateRefused as e:
            if e.code not in DEADLINES:
                raise
            return None
    return keyed


def _conflict(receipt, candidate, base_version, values, reason, message) -> ChangeOutcome:
    conflict = Conflict.objects.create(
        receipt=receipt,
        candidate=candidate,
        reason=reason,
        base_version=base_version,
        server_version=candidate.version,
        point_values={k: to_json(v) for k, v in values.items()},
        server_values=values_now(candidate, values),
    )
    return ChangeOutcome(
        Receipt.Status.CONFLICT,
        candidate=candidate,
        version=candidate.version,
        conflict=conflict,
        message=message,
        detail={"fields": sorted(values), "conflict": conflict.pk, "reason": reason},
    )
