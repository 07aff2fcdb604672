"""What of a candidate travels between the point client and the server, and in what form:
the sync contract's fields (`gaokao.sync.fields.SYNC_FIELDS`), as JSON values."""

from __future__ import annotations

import datetime as dt
from typing import Any

from gaokao.candidates.models import Candidate
from gaokao.sync.fields import IDENTITY_FIELDS as CREATE_ONLY_FIELDS
from gaokao.sync.fields import PULLED_FIELDS, ROW_FIELDS, SYNC_FIELDS, UPDATE_FIELDS, value_of

__all__ = [
    "CREATE_ONLY_FIELDS",
    "PULLED_FIELDS",
    "ROW_FIELDS",
    "SYNC_FIELDS",
    "UPDATE_FIELDS",
    "from_json",
    "values_of",
]

DATE_FIELDS = frozenset({"birth_date"})
DATETIME_FIELDS = frozenset({"identity_verified_at", "card_waived_at"})


def values_of(candidate: Candidate) -> dict[str, Any]:
    """The candidate's synced fields as the server writes them in a snapshot."""
    return {name: value_of(candidate, name) for name in SYNC_FIELDS}


def from_json(name: str, value: Any) -> Any:
    """A synced field's JSON value as the model field takes it."""
    if name in DATE_FIELDS and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if name in DATETIME_FIELDS and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value
