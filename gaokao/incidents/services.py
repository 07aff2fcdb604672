"""Incidents (突发事件, E8): every rule about reporting one, passing it up the chain
(point → county → city → province), commenting, resolving and reopening it.

An incident is visible at once to its reporter and every level above (so the chain is
informed when it is reported); `current_level` says which of them handles it. Each write
locks the incident's row, checks the state it was shown in (`version`), adds a timeline
entry and records an audit event, all in one transaction: of two people resolving at once,
one wins and the other is told who did. Refusals are `IncidentRefused`, whose message is
shown to staff as it is.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.incidents.models import (
    LEVELS,
    TEXT_LIMIT,
    Entry,
    Incident,
    IncidentEntry,
    Kind,
    Level,
    Severity,
    Status,
    rank,
)
from gaokao.lib.text import clean_text
from gaokao.regions.models import Region, RegistrationPoint

# A start time a little ahead of the server's clock is a PC whose clock is slightly fast;
# more than that is a typing mistake.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)

STAFF_ROLES = frozenset(LEVELS)


class IncidentRefused(ValidationError):
    """An action on an incident refused; the message is shown to staff as it is."""


# ── who may do what ────────────────────────────────────────────────────────────────────


def level_of(user: Any) -> str | None:
    """The level of the chain the user works at (their role), or None for anyone else."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    role = getattr(user, "role", None)
    return role if role in STAFF_ROLES else None


def may_report(user: Any) -> bool:
    return level_of(user) is not None


def may_act(user: Any, incident: Incident) -> bool:
    """The unit handling the incident or any level above it (the user sees the incident:
    the caller fetched it through `visible_to`)."""
    level = level_of(user)
    return level is not None and rank(level) >= rank(incident.current_level)


def may_escalate(user: Any, incident: Incident) -> bool:
    """An open incident is passed up by the level handling it or one above it, up to the
    province; it goes to the level above the user's own."""
    level = level_of(user)
    return incident.is_open and may_act(user, incident) and level != Level.PROVINCE


def may_resolve(user: Any, incident: Incident) -> bool:
    return incident.is_open and may_act(user, incident)


def may_reopen(user: Any, incident: Incident) -> bool:
    """Anyone in the chain may reopen a resolved incident (the reporter finds the problem
    is back, say)."""
    return not incident.is_open and level_of(user) is not None


def may_comment(user: Any, incident: Incident) -> bool:
    return level_of(user) is not None


def level_above(level: str) -> str:
    return LEVELS[rank(level) + 1]


# ── units ──────────────────────────────────────────────────────────────────────────────


def units_below(unit: Region | RegistrationPoint) -> tuple[list[Region], list[RegistrationPoint]]:
    """The regions and points a reporter may name as affected besides itself: a county's
    points; a city's counties and their points; the province's cities and counties (its
    thousands of points are named through their county)."""
    if isinstance(unit, RegistrationPoint):
        return [], []
    if unit.level == Region.Level.COUNTY:
        return [], list(RegistrationPoint.objects.filter(county=unit, is_active=True))
    if unit.level == Region.Level.CITY:
        counties = list(Region.objects.filter(parent=unit))
        points = RegistrationPoint.objects.filter(county__parent=unit, is_active=True)
        return counties, list(points.select_related("county"))
    regions = Region.objects.filter(Q(parent=unit) | Q(parent__parent=unit))
    return list(regions.select_related("parent")), []


def _within(unit: Region | RegistrationPoint, affected: Region | RegistrationPoint) -> bool:
    """Is `affected` the unit itself or below it?"""
    if isinstance(unit, RegistrationPoint):
        return isinstance(affected, RegistrationPoint) and affected.pk == unit.pk
    if isinstance(affected, RegistrationPoint):
        chain = affected.county.ancestors_and_self()
    else:
        chain = affected.ancestors_and_self()
    return unit.pk in {r.pk for r in chain}


def _clean(value: Any, *, field: str, required: str) -> str:
    text = clean_text(value, multiline=True)
    if not text:
        raise IncidentRefused({field: [required]})
    if len(text) > TEXT_LIMIT:
        raise IncidentRefused({field: [_("At most %(limit)d characters.") % {"limit": TEXT_LIMIT}]})
    return text


def _local(at: dt.datetime) -> str:
    return date_format(timezone.localtime(at), "Y-m-d H:i")


def _unit_fields(user: Any) -> dict[str, Any]:
    unit = user.unit
    if isinstance(unit, RegistrationPoint):
        return {"point": unit}
    return {"region": unit}


# ── reporting ──────────────────────────────────────────────────────────────────────────


def report_incident(
    *,
    by: Any,
    kind: str,
    started_at: dt.datetime,
    description: str,
    severity: str = Severity.SERIOUS,
    affected: Iterable[Region | RegistrationPoint] = (),
    request: HttpRequest | None = None,
    uid: uuid.UUID | None = None,
    reported_at: dt.datetime | None = None,
    entry_uid: uuid.UUID | None = None,
) -> Incident:
    """Report an incident from the user's unit. It is handled by that unit's level at first
    and visible at once to every level above. `affected` are units below the reporter
    (the reporter's own unit is always affected).

    Raises PermissionDenied for anyone but staff, IncidentRefused (messages by form field)
    for a start time in the future, an empty description, or an affected unit outside the
    reporter's jurisdiction; nothing is stored then.

    A report made on a point client arrives with the ids the client gave the incident and
    its first entry (`uid`, `entry_uid`) and the time it was reported there."""
    level = level_of(by)
    if level is None:
        raise PermissionDenied("Only staff report incidents.")
    unit = by.unit
    errors: dict[str, list[str]] = {}
    if kind not in Kind.values:
        errors["kind"] = [_("Choose the kind of incident.")]
    if severity not in Severity.values:
        errors["severity"] = [_("Choose how serious it is.")]
    if started_at > timezone.now() + FUTURE_TOLERANCE:
        errors["started_at"] = [_("The start time is in the future. Check the date and time.")]
    try:
        description = _clean(
            description, field="description", required=_("Describe what happened.")
        )
    except IncidentRefused as e:
        errors.update(e.message_dict)
    affected = list(dict.fromkeys(affected))
    outside = [a for a in affected if not _within(unit, a)]
    if outside:
        errors["affected"] = [
            _("Outside your jurisdiction: %(units)s.")
            % {"units": "、".join(str(a) for a in outside)}
        ]
    if errors:
        raise IncidentRefused(errors)

    ids = {"uid": uid} if uid is not None else {}
    with transaction.atomic():
        incident = Incident.objects.create(
            **ids,
            **({"reported_at": reported_at} if reported_at is not None else {}),
            **_unit_fields(by),
            kind=kind,
            severity=severity,
            started_at=started_at,
            description=description,
            reported_by=by,
            current_level=level,
        )
        regions = [a for a in [unit, *affected] if isinstance(a, Region)]
        points = [a for a in [unit, *affected] if isinstance(a, RegistrationPoint)]
        incident.affected_regions.set(regions)
        incident.affected_points.set(points)
        IncidentEntry.objects.create(
            **({"uid": entry_uid} if entry_uid is not None else {}),
            incident=incident,
            kind=Entry.REPORTED,
            by=by,
            at=incident.reported_at,
            **_unit_fields(by),
        )
        record(
            Action.INCIDENT_REPORTED,
            actor=by,
            request=request,
            unit=unit,
            target=incident,
            incident=incident.pk,
            kind=kind,
            severity=severity,
            started_at=timezone.localtime(started_at).isoformat(),
            affected=[str(a) for a in dict.fromkeys([unit, *affected])],
        )
    return incident


# ── acting on one ──────────────────────────────────────────────────────────────────────


def _locked(incident: Incident, by: Any) -> Incident:
    """The incident's row, locked for the rest of the transaction, or PermissionDenied if
    it is outside the user's jurisdiction (views answer 404 before that)."""
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if not Incident.objects.visible_to(by).filter(pk=incident.pk).exists():
        raise PermissionDenied("This incident is outside the user's jurisdiction.")
    return locked


def _check_version(locked: Incident, version: int | None) -> None:
    if version is not None and locked.version != version:
        raise IncidentRefused(
            _(
                "The incident changed while you were looking at it (%(state)s). Read the "
                "timeline below and try again; your text is kept."
            )
            % {"state": _state(locked)},
            code="stale",
        )


def _state(incident: Incident) -> str:
    if incident.is_open:
        return _("open, handled by %(unit)s") % {"unit": incident.handling_unit}
    return _("resolved by %(who)s at %(at)s") % {
        "who": incident.resolved_by,
        "at": _local(incident.resolved_at),
    }


def _entry(incident, kind, by, text="", *, sent=None, **levels) -> IncidentEntry:
    """A timeline entry; `sent` ({"uid": ..., "at": ...}) for one a point client made."""
    return IncidentEntry.objects.create(
        incident=incident, kind=kind, by=by, text=text, **(sent or {}), **_unit_fields(by), **levels
    )


def _audit(action, incident, by, request, **detail) -> None:
    record(
        action,
        actor=by,
        request=request,
        unit=incident.unit,  # the whole chain above the reporter reads it
        target=incident,
        incident=incident.pk,
        **detail,
    )


def comment(
    incident: Incident,
    *,
    by: Any,
    text: str,
    request: HttpRequest | None = None,
    sent: dict[str, Any] | None = None,
) -> IncidentEntry:
    """Add a comment to the timeline (any level of the chain, open or resolved)."""
    if level_of(by) is None:
        raise PermissionDenied("Only staff comment on incidents.")
    text = _clean(text, field="text", required=_("Write the comment."))
    with transaction.atomic():
        locked = _locked(incident, by)
        entry = _entry(locked, Entry.COMMENT, by, text, sent=sent)
        _audit(Action.INCIDENT_COMMENTED, locked, by, request, entry=entry.pk)
    return entry


def escalate(
    incident: Incident,
    *,
    by: Any,
    note: str,
    version: int | None,
    request: HttpRequest | None = None,
    sent: dict[str, Any] | None = None,
) -> Incident:
    """Pass the incident up to the level above the user's own, with a note for it."""
    if level_of(by) is None:
        raise PermissionDenied("Only staff pass incidents up.")
    note = _clean(note, field="text", required=_("Say what the level above should know or do."))
    with transaction.atomic():
        locked = _locked(incident, by)
        _check_version(locked, version)
        if not may_escalate(by, locked):
            raise IncidentRefused(_refusal(locked, by), code="not_allowed")
        from_level, to_level = locked.current_level, level_above(level_of(by))
        locked.current_level = to_level
        locked.version += 1
        locked.save(update_fields=["current_level", "version"])
        _entry(
            locked,
            Entry.ESCALATED,
            by,
            note,
            sent=sent,
            from_level=from_level,
            to_level=to_level,
        )
        _audit(
            Action.INCIDENT_ESCALATED, locked, by, request, from_level=from_level, to_level=to_level
        )
    return locked


def resolve(
    incident: Incident,
    *,
    by: Any,
    resolution: str,
    version: int | None,
    request: HttpRequest | None = None,
    sent: dict[str, Any] | None = None,
) -> Incident:
    """Record the incident as resolved, with what was done. Only the level handling it or
    one above it; that level is then the one that handled it."""
    if level_of(by) is None:
        raise PermissionDenied("Only staff resolve incidents.")
    resolution = _clean(resolution, field="text", required=_("Say how it was resolved."))
    with transaction.atomic():
        locked = _locked(incident, by)
        if not locked.is_open:
            raise IncidentRefused(
                _("This incident is already %(state)s.") % {"state": _state(locked)},
                code="resolved",
            )
        _check_version(locked, version)
        if not may_resolve(by, locked):
            raise IncidentRefused(_refusal(locked, by), code="not_allowed")
        now = (sent or {}).get("at") or timezone.now()  # a point client's: when it was
        if rank(level_of(by)) > rank(locked.current_level):
            locked.current_level = level_of(by)
        locked.status, locked.resolved_at, locked.resolved_by = Status.RESOLVED, now, by
        locked.resolution = resolution
        locked.version += 1
        locked.save(
            update_fields=[
                "status",
                "resolved_at",
                "resolved_by",
                "resolution",
                "current_level",
                "version",
            ]
        )
        _entry(locked, Entry.RESOLVED, by, resolution, sent=sent)
        _audit(Action.INCIDENT_RESOLVED, locked, by, request, level=locked.current_level)
    return locked


def reopen(
    incident: Incident,
    *,
    by: Any,
    reason: str,
    version: int | None,
    request: HttpRequest | None = None,
    sent: dict[str, Any] | None = None,
) -> Incident:
    """Reopen a resolved incident, with the reason; the level that resolved it handles it
    again. The resolution stays in the timeline."""
    if level_of(by) is None:
        raise PermissionDenied("Only staff reopen incidents.")
    reason = _clean(reason, field="text", required=_("Say why it is reopened."))
    with transaction.atomic():
        locked = _locked(incident, by)
        if locked.is_open:
            raise IncidentRefused(
                _("This incident is open already (%(state)s).") % {"state": _state(locked)},
                code="open",
            )
        _check_version(locked, version)
        previous = {
            "resolved_at": timezone.localtime(locked.resolved_at).isoformat(),
            "resolved_by": str(locked.resolved_by),
        }
        locked.status, locked.resolved_at, locked.resolved_by = Status.OPEN, None, None
        locked.resolution = ""
        locked.version += 1
        locked.save(update_fields=["status", "resolved_at", "resolved_by", "resolution", "version"])
        _entry(locked, Entry.REOPENED, by, reason, sent=sent)
        _audit(Action.INCIDENT_REOPENED, locked, by, request, previous=previous)
    return locked


def _refusal(incident: Incident, by: Any) -> str:
    return _(
        "Your unit cannot do this now: the incident is handled by %(unit)s, and only that "
        "level or one above it acts on it."
    ) % {"unit": incident.handling_unit}


# ── lists, the board, the badge ────────────────────────────────────────────────────────


def visible(user: Any):
    """The incidents `user` sees: reported by their unit or a unit below it."""
    return Incident.objects.visible_to(user)


def board(
    user: Any,
    *,
    kind: str = "",
    status: str = Status.OPEN,
    city: Region | None = None,
    severity: str = "",
):
    """The incidents the user sees, filtered (status "" means all), newest first, and
    their counts by kind under the same filters except the kind itself."""
    qs = visible(user).select_related(
        "region__parent__parent", "point__county__parent__parent", "reported_by"
    )
    if status:
        qs = qs.filter(status=status)
    if city is not None:
        qs = qs.in_city(city)
    if severity:
        qs = qs.filter(severity=severity)
    counts = dict(qs.order_by().values_list("kind").annotate(n=Count("pk")))
    by_kind = [(value, label, counts.get(value, 0)) for value, label in Kind.choices]
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-reported_at", "-pk"), by_kind


def open_count(user: Any) -> int:
    """How many open incidents `user` sees (for a badge in the navigation): a new incident
    below shows up at once at every level above it."""
    if level_of(user) is None:
        return 0
    return visible(user).open().count()


def timeline(incident: Incident):
    return incident.entries.select_related("by", "region", "point").order_by("at", "pk")
