"""What of a candidate travels between the point client and the server, and in what form:
the sync contract's fields (`gaokao.sync.services.SYNC_FIELDS`), as JSON values."""

from __future__ import annotations

import datetime as dt
from typing import Any

from gaokao.candidates.models import Candidate
from gaokao.portal.services import saved_rows
from gaokao.sync.services import IDENTITY_FIELDS as CREATE_ONLY_FIELDS
from gaokao.sync.services import SYNC_FIELDS, UPDATE_FIELDS

__all__ = ["CREATE_ONLY_FIELDS", "SYNC_FIELDS", "UPDATE_FIELDS", "from_json", "values_of"]

DATE_FIELDS = frozenset({"birth_date"})
ROW_FIELDS = frozenset({"resume", "family"})  # only if the contract carries them


def values_of(candidate: Candidate) -> dict[str, Any]:
    """The candidate's synced fields as JSON values (dates as YYYY-MM-DD)."""
    values: dict[str, Any] = {}
    rows = saved_rows(candidate) if ROW_FIELDS & set(SYNC_FIELDS) else None
    for name in SYNC_FIELDS:
        if name in ROW_FIELDS:
            values[name] = rows[0] if name == "resume" else rows[1]
            continue
        value = getattr(candidate, name)
        if isinstance(value, dt.date):
            value = value.isoformat()
        values[name] = value
    return values


def from_json(name: str, value: Any) -> Any:
    """A synced field's JSON value as the model field takes it."""
    if name in DATE_FIELDS and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value
