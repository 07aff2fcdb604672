"""What a sync change may carry, and how values travel (R4, S3, S6): the field lists of
the sync contract, a candidate's values as JSON carries them, and the small parsers every
step of the protocol shares."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from gaokao import seasons
from gaokao.candidates.models import Candidate
from gaokao.candidates.own_data import DATA_FIELDS, FAMILY_FIELDS, RESUME_FIELDS
from gaokao.seasons.models import Season

# Identity, set when the candidate is created; later identity changes go through the
# office's review (O1–O3, S7), never through sync.
IDENTITY_FIELDS = (
    "document_type",
    "name",
    "sex",
    "ethnicity",
    "birth_date",
    "id_number",
    "identity_source",
    "eligibility_path",
    "subject_track",
    "registration_number",
)
# Recorded at the point (S5, E4).
POINT_FIELDS = (
    "documents_received",
    "fee_fen",
    "fee_receipt",
    "eligibility",
    "eligibility_note",
    "keyed_from_paper",
)
# The résumé and family rows (S6), each sent whole: the list replaces the saved rows.
ROW_FIELDS = ("resume", "family")
# The ID card read at the point for a candidate registered without one (O3, S7): the time
# it was read. Set by an update only, and never taken back by sync.
VERIFIED = "identity_verified_at"
# Everything a change may carry: on create all of them, on update all but the identity.
# The candidate's own data (DATA_FIELDS and the rows) is checked exactly as the portal
# checks it.
SYNC_FIELDS = (*IDENTITY_FIELDS, *POINT_FIELDS, *DATA_FIELDS, *ROW_FIELDS, VERIFIED)
UPDATE_FIELDS = (*POINT_FIELDS, *DATA_FIELDS, *ROW_FIELDS, VERIFIED)
# Decided by the offices above the point (O1–O3): pulled for the client to show and to
# print login cards by, never pushed.
PULLED_FIELDS = ("review_state", "review_reason", "card_waived_at", "card_waived_reason")

KINDS = ("create", "update")
VIAS = ("sync", "bundle")

SHA256 = re.compile(r"[0-9a-f]{64}")


def has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in text)


def parse_uuid(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def instant(value: dt.datetime) -> str:
    """A time as the sync API carries it: local time to the millisecond, in the form of the
    API's JSON encoder (which drops the microseconds). Every side writes and compares times
    in this one form, so that a time pulled and sent back, or compared with the record's,
    is equal to itself (issue 20: no conflict row 72 µs apart)."""
    return DjangoJSONEncoder().default(timezone.localtime(value))


def to_json(value: Any) -> Any:
    """A field's value as JSON carries it (dates as YYYY-MM-DD, times by `instant`)."""
    if isinstance(value, dt.datetime):
        return instant(value)
    return value.isoformat() if isinstance(value, dt.date) else value


def value_of(candidate: Candidate, name: str) -> Any:
    """A synced field's value as JSON carries it; rows as lists of their columns."""
    if name in ROW_FIELDS:
        columns = RESUME_FIELDS if name == "resume" else FAMILY_FIELDS
        # .all() and a sort in Python: served by prefetch_related when the caller used it.
        rows = sorted(getattr(candidate, name).all(), key=lambda row: (row.order, row.pk))
        return [{column: getattr(row, column) for column in columns} for row in rows]
    return to_json(getattr(candidate, name))


def values_now(candidate: Candidate, names) -> dict[str, Any]:
    return {name: value_of(candidate, name) for name in names}


def current_season() -> Season | None:
    """The current season, or None: a pull and a push work (and say so) without one."""
    try:
        return seasons.current()
    except seasons.NoCurrentSeason:
        return None
