"""Extensions (延期, E3, E6, E7): the province grants one phase a later close for one or more
regions, and withdraws it again.

`Phase.ends_at_for` and `Season.is_open` already honour every `Extension` row, so granting
is all it takes for every deadline in the system to move. Each region has at most one
extension per phase: granting again replaces its close, and the audit trail keeps what it
was before. Every grant and withdrawal is an audit event in the same transaction.

The province also sets each phase's own dates and its cut-off for each level (issue 19):
`save_phase` validates them and records the change as a diff with its reason
(gaokao.audit.config).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from gaokao.audit import config
from gaokao.audit.models import Action, AuditEvent
from gaokao.audit.services import record
from gaokao.lib.text import clean_text
from gaokao.regions.models import Region
from gaokao.seasons.models import Extension, Level, Phase, Season

REASON_LIMIT = Extension._meta.get_field("reason").max_length


class ExtensionRefused(ValidationError):
    """A grant or withdrawal refused; the message is shown to the province as it is."""


def may_grant(user: Any, season: Season) -> bool:
    """Only the province authority of the season's province grants extensions."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and getattr(user, "role", None) == "province"
        and user.region_id == season.province_id
    )


def grantable_regions(province: Region) -> list[Region]:
    """The regions an extension may be granted to: the province itself, its cities and
    their counties, in code order."""
    return list(
        Region.objects.filter(pk=province.pk)
        | Region.objects.filter(parent=province)
        | Region.objects.filter(parent__parent=province)
    )


def _in_province(region: Region, province: Region) -> bool:
    return province.pk in {r.pk for r in region.ancestors_and_self()}


def clean_reason(value: Any) -> str:
    """One line: control and format characters (line breaks, bidi overrides, zero-width
    characters) dropped, surrounding space stripped."""
    return clean_text(value)


def _local(at: dt.datetime) -> str:
    return date_format(timezone.localtime(at), "Y-m-d H:i:s")


def _iso(at: dt.datetime) -> str:
    """For the audit trail: ISO 8601 in Beijing time, whichever zone the database used."""
    return timezone.localtime(at).isoformat()


def close_problem(phase: Phase, ends_at: dt.datetime) -> str | None:
    """Why `ends_at` cannot be the phase's new close, or None: it must be later than the
    phase's own close, and not already past."""
    if ends_at <= phase.ends_at:
        return _("The new close must be later than the phase's own close (%(close)s).") % {
            "close": _local(phase.ends_at)
        }
    if ends_at <= timezone.now():
        return _("The new close is already past.")
    return None


def grant_extension(
    phase: Phase,
    regions: Iterable[Region],
    ends_at: dt.datetime,
    reason: str,
    *,
    by: Any,
    request: HttpRequest | None = None,
) -> list[Extension]:
    """Give `phase` the later close `ends_at` for each of `regions` (and so for every region
    and point below them), for `reason`. A region that already has an extension for the
    phase gets the new close instead (the earlier one stays in the audit trail).

    Raises PermissionDenied for anyone but the season's province authority and
    ExtensionRefused (messages by form field) for a close not later than the phase's own
    or already past, a region outside the province, or a missing reason; nothing is
    stored then.
    """
    season = phase.season
    if not may_grant(by, season):
        raise PermissionDenied("Only the province authority grants extensions.")
    regions = list(dict.fromkeys(regions))  # each region once, in the order given
    reason = clean_reason(reason)
    errors: dict[str, list[str]] = {}
    if not regions:
        errors["regions"] = [_("Choose at least one region.")]
    elif any(not _in_province(r, season.province) for r in regions):
        errors["regions"] = [_("An extension can only be granted to regions of this province.")]
    if problem := close_problem(phase, ends_at):
        errors["closes_on"] = [problem]
    if not reason:
        errors["reason"] = [_("Give the reason for the extension.")]
    elif len(reason) > REASON_LIMIT:
        errors["reason"] = [_("At most %(limit)d characters.") % {"limit": REASON_LIMIT}]
    if errors:
        raise ExtensionRefused(errors)

    now, granted = timezone.now(), []
    with transaction.atomic():
        # The phase's row lock serialises grants for one phase, so that two grants to the
        # same region at once still leave one row (there is no unique constraint to lean on).
        Phase.objects.select_for_update().get(pk=phase.pk)
        for region in regions:
            granted.append(_grant_one(phase, region, ends_at, reason, now, by, request))
    return granted


def _grant_one(phase, region, ends_at, reason, now, by, request) -> Extension:
    existing = list(Extension.objects.filter(phase=phase, region=region).order_by("pk"))
    previous = None
    if existing:
        extension, duplicates = existing[0], existing[1:]
        previous = {"ends_at": _iso(extension.ends_at), "reason": extension.reason}
        # Rows entered twice elsewhere (the admin) merge into this one.
        for duplicate in duplicates:
            duplicate.delete()
        extension.ends_at, extension.reason, extension.created_at = ends_at, reason, now
        extension.save(update_fields=["ends_at", "reason", "created_at"])
    else:
        extension = Extension.objects.create(
            phase=phase, region=region, ends_at=ends_at, reason=reason
        )
    record(
        Action.EXTENSION_GRANTED,
        actor=by,
        request=request,
        unit=region,
        target=extension,
        extension=extension.pk,
        season=phase.season_id,
        phase=phase.kind,
        region=region.code,
        ends_at=_iso(ends_at),
        reason=reason,
        replaced=previous,
    )
    return extension


def withdraw_extension(
    extension: Extension, *, by: Any, request: HttpRequest | None = None
) -> bool:
    """Withdraw `extension`: the phase closes for its region as it would without it. The
    row goes; the audit trail keeps the grant and the withdrawal. Returns False if it was
    already withdrawn (nothing changes then)."""
    if not may_grant(by, extension.phase.season):
        raise PermissionDenied("Only the province authority withdraws extensions.")
    with transaction.atomic():
        # Of two people withdrawing at once, one deletes the row and records the event.
        deleted, _rows = Extension.objects.filter(pk=extension.pk).delete()
        if not deleted:
            return False
        record(
            Action.EXTENSION_WITHDRAWN,
            actor=by,
            request=request,
            unit=extension.region,
            target=extension,
            extension=extension.pk,
            season=extension.phase.season_id,
            phase=extension.phase.kind,
            region=extension.region.code,
            ends_at=_iso(extension.ends_at),
            reason=extension.reason,
        )
    return True


def extensions_of(season: Season):
    return (
        Extension.objects.filter(phase__season=season)
        .select_related("phase", "region", "region__parent")
        .order_by("phase__starts_at", "phase__ends_at", "region__code", "pk")
    )


def granted_by(extensions: Iterable[Extension]) -> dict[int, AuditEvent]:
    """The audit event of each extension's latest grant, by extension id: who granted the
    close now in force, from the trail rather than a column of its own."""
    ids = [e.pk for e in extensions]
    if not ids:
        return {}
    events = (
        AuditEvent.objects.filter(action=Action.EXTENSION_GRANTED, detail__extension__in=ids)
        .select_related("actor")
        .order_by("at", "pk")
    )
    return {event.detail["extension"]: event for event in events}  # the latest wins


# ── a phase's dates and cut-offs (issue 19) ──────────────────────────────────────────────

PHASE_FIELDS = (
    "starts_at",
    "ends_at",
    *(f"{level}_cutoff" for level in Level.values),
)


class PhaseRefused(ValidationError):
    """A phase's dates refused; messages by form field, shown to the province as they are."""


def phase_bounds(season: Season) -> tuple[dt.date, dt.date]:
    """The days a date of `season`'s schedule may fall on: registration opens in the
    autumn before the exam year, and everything is over by the end of the exam year."""
    return dt.date(season.year - 1, 1, 1), dt.date(season.year, 12, 31)


def phase_problems(phase: Phase) -> dict[str, list[str]]:
    """What is wrong with `phase`'s dates, by field (None: the whole phase): the window
    closes after it opens, every cut-off comes after the opening, each level's cut-off
    is no earlier than the one below (point ≤ county ≤ city ≤ province, the model's own
    rule), and every date lies within the season's two years."""
    errors: dict[str | None, list[str]] = {}
    first, last = phase_bounds(phase.season)
    for name in PHASE_FIELDS:
        at = getattr(phase, name)
        if at is not None and not first <= timezone.localdate(at) <= last:
            errors.setdefault(name, []).append(
                _("A date of the %(year)s season lies between %(first)s and %(last)s.")
                % {"year": phase.season.year, "first": first, "last": last}
            )
    if phase.starts_at is None:
        errors.setdefault("starts_at", []).append(_("The phase needs its opening."))
    if phase.ends_at is None:
        errors.setdefault("ends_at", []).append(_("The phase needs its close."))
    if not errors:
        try:
            phase.clean()
        except ValidationError as e:
            errors.setdefault(None, []).extend(e.messages)
    return errors


def save_phase(
    phase: Phase,
    values: dict[str, dt.datetime | None],
    *,
    reason: str,
    by: Any,
    request: HttpRequest | None = None,
) -> dict[str, list]:
    """Give `phase` the dates in `values` (any of PHASE_FIELDS; an empty cut-off takes its
    default) for `reason`, and record the diff in the audit trail. Returns the diff
    (empty: nothing changed, nothing recorded).

    Raises PermissionDenied for anyone but the season's province authority, and
    PhaseRefused (messages by form field) for dates out of order or out of the season, or
    a missing reason; nothing is stored then."""
    if not may_grant(by, phase.season):
        raise PermissionDenied("Only the province authority sets the phases' dates.")
    unknown = set(values) - set(PHASE_FIELDS)
    if unknown:
        raise ValueError(f"not a date of a phase: {sorted(unknown)}")
    reason = clean_reason(reason)
    with transaction.atomic():
        phase = Phase.objects.select_for_update().select_related("season").get(pk=phase.pk)
        before = config.snapshot(phase)
        for name, at in values.items():
            setattr(phase, name, at)
        errors = phase_problems(phase)
        if not reason:
            errors["reason"] = [_("Give the reason for the change.")]
        elif len(reason) > REASON_LIMIT:
            errors["reason"] = [_("At most %(limit)d characters.") % {"limit": REASON_LIMIT}]
        if errors:
            raise PhaseRefused({k or "__all__": v for k, v in errors.items()})
        return config.save_audited(phase, reason=reason, by=by, request=request, before=before)
