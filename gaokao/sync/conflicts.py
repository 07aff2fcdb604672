"""Conflicts (E3-E5): a point's update based on a version the server has moved past, or
keyed after its window closed or received after the offline grace (截止后修改), is kept,
never merged, until a person decides: keep the point's values, the server's, or choose
field by field. The office web and the point client decide through `resolve` alike; the
point's values are applied through the one change path, and a county user keeping them
on a change after the deadline applies them past the window, the conflict's number
recorded as the reason."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from gaokao.accounts.models import Role
from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.candidates.change_path import Origin
from gaokao.candidates.models import Candidate, Stage
from gaokao.candidates.stage import check_editable, is_editable_by
from gaokao.sync import numbers
from gaokao.sync.errors import NotFound, SyncRefused, shown
from gaokao.sync.fields import to_json, values_now
from gaokao.sync.models import Conflict, Device
from gaokao.sync.push import apply_values
from gaokao.sync.validation import clean_update


def open_conflicts(queryset=None):
    queryset = Conflict.objects.all() if queryset is None else queryset
    return queryset.filter(resolution="").select_related(
        "candidate__point", "receipt__device", "resolved_by"
    )


def current_values(conflict: Conflict) -> dict[str, Any]:
    """The record's values now of the fields the point's change carried."""
    return values_now(conflict.candidate, conflict.point_values)


def device_conflicts(device: Device):
    """The open conflicts of the device's point (any of its clients)."""
    return open_conflicts().filter(candidate__point=device.point)


def may_resolve(user: Any, conflict: Conflict, choice: str) -> bool:
    """Who decides (S9, and who may change which field by the one change path): the point
    applies its values to a record it holds; the county decides a change after the
    deadline (截止后修改) on a record still at the point, and applies its values past the
    window; keeping the server's values changes nothing, so the point may always set its
    own change aside and the county whenever it holds the record."""
    role = getattr(user, "role", None)
    if role not in (Role.POINT, Role.COUNTY):
        return False
    if conflict.reason == Conflict.Reason.NUMBER_TAKEN or choice == Conflict.Resolution.NUMBER:
        # A number clash (issue 20): the county gives a fresh number, nothing else.
        return (
            role == Role.COUNTY
            and conflict.reason == Conflict.Reason.NUMBER_TAKEN
            and choice == Conflict.Resolution.NUMBER
        )
    candidate = conflict.candidate
    after_deadline = conflict.reason == Conflict.Reason.AFTER_DEADLINE
    if after_deadline and role == Role.COUNTY and candidate.stage == Stage.POINT:
        return True
    if choice == Conflict.Resolution.SERVER:
        return role == Role.POINT or is_editable_by(candidate, role)
    if after_deadline:
        return False
    return role == Role.POINT and is_editable_by(candidate, role)


def resolve(
    conflict: Conflict,
    choice: str,
    fields: Any = (),
    by: Any = None,
    *,
    version: int | None = None,
    request: HttpRequest | None = None,
) -> Conflict:
    """Decide a conflict once: "point" applies all the point's values on top of the
    current record, "server" keeps the record as it is, "fields" applies the point's
    values of `fields` only. `version`, if given, is the record's version the decision
    was made on; a record changed since is refused (look again)."""
    role = getattr(by, "role", None)
    if role not in (Role.POINT, Role.COUNTY) or not (
        Conflict.objects.visible_to(by).filter(pk=conflict.pk).exists()
    ):
        raise NotFound(_("No such conflict."), code="not_found")
    if choice not in Conflict.Resolution.values:
        raise SyncRefused(
            _("Choose the point's values, the server's, or field by field."), code="choice"
        )
    if choice == Conflict.Resolution.FIELDS and not (
        isinstance(fields, list | tuple) and all(isinstance(f, str) for f in fields)
    ):
        raise SyncRefused(_("Name the fields whose point values to keep."), code="fields")
    with transaction.atomic():
        candidate = Candidate.objects.select_for_update().get(pk=conflict.candidate_id)
        conflict = (
            Conflict.objects.select_for_update()
            .select_related("receipt__device__enrolled_by")
            .get(pk=conflict.pk)
        )
        conflict.candidate = candidate
        if conflict.resolution:
            raise SyncRefused(
                _("This conflict was resolved already: %(how)s.")
                % {"how": conflict.get_resolution_display()},
                code="resolved",
            )
        if version is not None and version != candidate.version:
            raise SyncRefused(
                _(
                    "Someone else changed this candidate a moment ago. Check the current"
                    " values and decide again."
                ),
                code="stale",
            )
        if not may_resolve(by, conflict, choice):
            if conflict.reason == Conflict.Reason.NUMBER_TAKEN:
                raise SyncRefused(
                    _(
                        "The registration number clashed with another record: the county"
                        " gives the candidate a fresh number."
                    ),
                    code="county_decides",
                )
            if conflict.reason == Conflict.Reason.AFTER_DEADLINE and role == Role.POINT:
                raise SyncRefused(
                    _(
                        "This change was made after the deadline: the county decides whether"
                        " to keep it."
                    ),
                    code="county_decides",
                )
            check_editable(candidate, role)
            raise SyncRefused(
                _(
                    "Only the point applies its values to the record; the county can keep the"
                    " server's values, or return the record to the point."
                ),
                code="not_allowed",
            )
        chosen: dict[str, Any] = {}
        if choice == Conflict.Resolution.POINT:
            chosen = dict(conflict.point_values)
        elif choice == Conflict.Resolution.FIELDS:
            unknown = [f for f in fields if f not in conflict.point_values]
            if unknown:
                raise SyncRefused(
                    _("%(field)s is not among the point's values.") % {"field": shown(unknown[0])},
                    code="fields",
                )
            chosen = {f: conflict.point_values[f] for f in fields}
        before: dict[str, Any] = {}
        if choice == Conflict.Resolution.NUMBER:
            before = {"registration_number": None}
            number = numbers.give_fresh_number(candidate)
            conflict.candidate = candidate
            chosen = {"registration_number": number}
        elif chosen:
            values = clean_update(chosen, candidate)  # today's codes and rules
            before = values_now(candidate, values)
            candidate = _apply(conflict, candidate, values, by, request)
            conflict.candidate = candidate
            chosen = {k: to_json(v) for k, v in values.items()}
        conflict.resolution, conflict.chosen = choice, chosen
        conflict.resolved_by, conflict.resolved_at = by, timezone.now()
        conflict.save(update_fields=["resolution", "chosen", "resolved_by", "resolved_at"])
        record(
            Action.CONFLICT_RESOLVED,
            actor=by,
            request=request,
            unit=candidate.point,
            target=candidate,
            conflict=conflict.pk,
            choice=choice,
            before=before,
            after=chosen,
            version=candidate.version,
        )
    return conflict


def _apply(conflict: Conflict, candidate: Candidate, values: dict[str, Any], by, request):
    """Apply the point's values kept. A change after the deadline is applied by the county
    past the window, under the conflict's number; a stale one as the point's own change,
    judged now."""
    receipt = conflict.receipt
    origin = Origin.BUNDLE if receipt.via == "bundle" else Origin.SYNC
    if conflict.reason == Conflict.Reason.AFTER_DEADLINE:
        return apply_values(
            candidate,
            values,
            origin,
            receipt.keyed_at,
            by=by,
            request=request,
            window_override=f"同步冲突 #{conflict.pk}",
        )
    by = receipt.device.enrolled_by
    return apply_values(candidate, values, origin, receipt.keyed_at, by=by, request=request)
