"""Configuration saved with its audit (issue 19): the one home for turning a change to a
configuration row (a phase's dates, a code, a region, a point, a staff role…) into an
event of the audit chain — a diff of the fields changed, before and after, with who, when
and the reason given — in the transaction of the change.

The office web's configuration screens save through `save_audited`/`delete_audited` (from
their domain services); the admin's `Audited` mixin uses `snapshot`/`diff`/`record_change`.
A blank reason is refused (`ReasonRequired`), and a save that changes nothing records
nothing. Secrets never appear in a diff (`IGNORED`); a caller whose rows hold an identity
number passes `masked={"id_number": gaokao.privacy.masking.mask_id}` (audit is below
privacy, which records into it, so it cannot import the mask itself)."""

import datetime as dt
import decimal
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gaokao.audit.models import Action, AuditEvent
from gaokao.audit.services import record

REASON_LIMIT = 200

# Never in a diff: secrets (a password hash, an authenticator's key), sign-in state, blind
# indexes.
IGNORED: frozenset[str] = frozenset(
    {"password", "last_login", "id_number_index", "totp_secret", "totp_last_step"}
)
# Field name → the function that masks its values in a diff.
Masks = Mapping[str, Callable[[Any], Any]]


class ReasonRequired(ValidationError):
    """A configuration change was asked for without a reason."""

    def __init__(self, message=None):
        super().__init__(message or _("Give a reason for the change."), code="reason")


def clean_reason(reason: str | None) -> str:
    """`reason` with its spaces collapsed, cut to `REASON_LIMIT`; blank is refused."""
    reason = " ".join((reason or "").split())[:REASON_LIMIT]
    if not reason:
        raise ReasonRequired()
    return reason


def reason_or_error(reason: str | None, errors: dict[str, list[str]]) -> str:
    """`clean_reason(reason)`, or "" with its refusal under `errors["reason"]`: for a form
    whose every error is shown at once."""
    try:
        return clean_reason(reason)
    except ReasonRequired as e:
        errors["reason"] = [e.message]
        return ""


def plain(value: Any) -> Any:
    """`value` as JSON keeps it in the audit event's detail."""
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else str(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return str(value)


def snapshot(obj: models.Model | None, *, ignored: frozenset[str] = IGNORED) -> dict[str, Any]:
    """`obj`'s fields as JSON values (a relation by its str), without its primary key and
    the `ignored` fields; {} for None."""
    if obj is None:
        return {}
    values = {}
    for field in obj._meta.concrete_fields:
        if field.primary_key or field.name in ignored:
            continue
        value = getattr(obj, field.name) if field.is_relation else field.value_from_object(obj)
        values[field.name] = plain(value)
    return values


def stored_snapshot(obj: models.Model, *, ignored: frozenset[str] = IGNORED) -> dict[str, Any]:
    """The row as the database holds it (a form may already have changed `obj`); {} for a
    row not saved yet."""
    stored = type(obj)._base_manager.filter(pk=obj.pk).first() if obj.pk else None
    return snapshot(stored, ignored=ignored)


def diff(
    before: dict[str, Any], after: dict[str, Any], *, masked: Masks | None = None
) -> dict[str, list]:
    """`{field: [before, after]}` for each field that differs; a field in `masked` has its
    values (other than empty ones) passed through its mask."""
    masked = masked or {}
    changes = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old != new:
            if name in masked:
                old, new = (masked[name](v) if v else v for v in (old, new))
            changes[name] = [old, new]
    return changes


def record_change(
    action: str,
    obj: models.Model,
    changes: dict[str, list],
    *,
    reason: str,
    by: Any = None,
    request: HttpRequest | None = None,
    unit: Any = None,
) -> AuditEvent | None:
    """Record `changes` to `obj` as `action` (Action.CONFIG_ADDED/CHANGED/DELETED); a
    change with an empty diff records nothing. Call it inside the change's transaction."""
    if action == Action.CONFIG_CHANGED and not changes:
        return None
    return record(
        action,
        actor=by,
        request=request,
        unit=unit,
        target=obj,
        model=obj._meta.label_lower,
        changes=changes,
        reason=reason,
    )


def save_audited(
    obj: models.Model,
    *,
    reason: str,
    by: Any,
    request: HttpRequest | None = None,
    before: dict[str, Any] | None = None,
    ignored: frozenset[str] = IGNORED,
    masked: Masks | None = None,
    unit: Any = None,
) -> dict[str, list]:
    """Save `obj` (added when it has no primary key yet) and record its diff with `reason`
    in one transaction. `before` is the row's snapshot before the caller changed `obj`
    (default: as the database holds it). Returns the diff; when nothing changed, nothing
    is saved or recorded. Raises ReasonRequired for a blank reason, before anything is
    written. Validate `obj` first (`full_clean`): this saves what it is given."""
    reason = clean_reason(reason)
    adding = obj.pk is None or obj._state.adding
    with transaction.atomic():
        if before is None:
            before = {} if adding else stored_snapshot(obj, ignored=ignored)
        after = snapshot(obj, ignored=ignored)
        changes = diff(before, after, masked=masked)
        if not adding and not changes:
            return {}
        obj.save()
        action = Action.CONFIG_ADDED if adding else Action.CONFIG_CHANGED
        record_change(action, obj, changes, reason=reason, by=by, request=request, unit=unit)
    return changes


def delete_audited(
    obj: models.Model,
    *,
    reason: str,
    by: Any,
    request: HttpRequest | None = None,
    ignored: frozenset[str] = IGNORED,
    masked: Masks | None = None,
    unit: Any = None,
) -> dict[str, list]:
    """Delete `obj` and record what it held with `reason` in one transaction. Returns the
    diff (every field, [before, None]). Raises ReasonRequired for a blank reason."""
    reason = clean_reason(reason)
    with transaction.atomic():
        changes = diff(stored_snapshot(obj, ignored=ignored), {}, masked=masked)
        # Recorded first, while `obj` still has its primary key for the event's target; a
        # deletion that fails undoes the event with it.
        record_change(
            Action.CONFIG_DELETED, obj, changes, reason=reason, by=by, request=request, unit=unit
        )
        obj.delete()
    return changes
