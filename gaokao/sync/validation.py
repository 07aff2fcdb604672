"""Checking the values of a change (R4, S3, S5, S6): what a point client sent, read as
the sync contract allows (types, lengths, formats) and then checked by the same rules as
the office web and the portal: the identity by intake's `validate_identity`, the point's
checks' form (their rules: gaokao.candidates.point_checks), the candidate's own data by
`own_data.clean_*`."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from gaokao.candidates.credentials import CardRefused, check_card_hash
from gaokao.candidates.errors import DataRefused
from gaokao.candidates.models import Candidate, EligibilityPath, EligibilityResult, IdentitySource
from gaokao.candidates.own_data import (
    DATA_FIELDS,
    FAMILY_FIELDS,
    MAX_ROWS,
    RESUME_FIELDS,
    clean_data,
    clean_family,
    clean_resume,
)
from gaokao.candidates.services import (
    ManualIdentity,
    validate_identity,
    window_closed,
    window_for_track,
)
from gaokao.codes.models import validate_code
from gaokao.lib.text import clean_text
from gaokao.regions.models import RegistrationPoint
from gaokao.seasons.models import Season
from gaokao.sync.errors import SyncRefused, shown
from gaokao.sync.fields import (
    IDENTITY_FIELDS,
    POINT_FIELDS,
    UPDATE_FIELDS,
    VERIFIED,
    has_control,
    is_int,
)
from gaokao.sync.offline import skew_limit

MAX_FEE_FEN = 9_999_999  # 99,999.99 yuan, as the office web's form allows
MAX_TEXT = 60  # identity values longer than this are refused before any other check
FIRST_CARD_READ = dt.datetime(2004, 1, 1, tzinfo=dt.UTC)  # second-generation cards

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _identity_text(fields: dict, name: str, *, required: bool = True) -> str:
    value = fields.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise SyncRefused(_("%(field)s must be text.") % {"field": name}, code="type")
    if len(value) > MAX_TEXT or has_control(value):
        raise SyncRefused(
            _("%(field)s is too long or holds control characters.") % {"field": name},
            code="text",
        )
    value = value.strip()
    if required and not value:
        raise SyncRefused(_("%(field)s is missing.") % {"field": name}, code="missing")
    return value


def clean_identity(fields: dict, memo: PushMemo) -> dict[str, Any]:
    """The identity a create carries, read and checked as intake checks it."""
    optional = ("ethnicity",)
    values = {
        name: _identity_text(fields, name, required=name not in optional)
        for name in IDENTITY_FIELDS
        if name != "birth_date"
    }
    birth = _identity_text(fields, "birth_date")
    try:
        if not _DATE.fullmatch(birth):
            raise ValueError(birth)
        values["birth_date"] = dt.date.fromisoformat(birth)
    except ValueError as e:
        raise SyncRefused(
            _("birth_date must be a date written YYYY-MM-DD."), code="birth_date"
        ) from e
    if values["identity_source"] not in IdentitySource.values:
        raise SyncRefused(_("identity_source must be reader or manual."), code="source")
    if values["eligibility_path"] not in EligibilityPath.values:
        raise SyncRefused(
            _("eligibility_path must be one of: %(paths)s.")
            % {"paths": ", ".join(EligibilityPath.values)},
            code="path",
        )
    identity = ManualIdentity(
        document_type=values["document_type"],
        id_number=values["id_number"],
        name=values["name"],
        sex=values["sex"],
        ethnicity=values["ethnicity"],
        birth_date=values["birth_date"],
    )
    values["id_number"] = validate_identity(identity, valid_code=memo.valid_code)
    values["name"] = values["name"].strip()
    memo.window_for_track(values["subject_track"])  # an active subject track
    return values


def clean_point_fields(fields: dict) -> dict[str, Any]:
    """The form of the point's checks (S5) a change carries; their rules (a fee has its
    receipt and is the province's, an ineligible candidate a reason) are checked where
    they are written (gaokao.candidates.point_checks)."""
    out: dict[str, Any] = {}
    for name in (n for n in POINT_FIELDS if n in fields):
        value = fields[name]
        if name in ("documents_received", "keyed_from_paper"):
            if not isinstance(value, bool):
                raise SyncRefused(_("%(field)s must be true or false.") % {"field": name})
        elif name == "fee_fen":
            if value is not None and not (is_int(value) and 0 <= value <= MAX_FEE_FEN):
                raise SyncRefused(
                    _("fee_fen must be empty or a whole number of fen from 0 to %(max)d.")
                    % {"max": MAX_FEE_FEN}
                )
        elif name == "eligibility":
            if value not in EligibilityResult.values:
                raise SyncRefused(
                    _("eligibility must be one of: %(values)s.")
                    % {"values": ", ".join(repr(v) for v in EligibilityResult.values)}
                )
        else:
            if value is not None and not isinstance(value, str):
                raise SyncRefused(_("%(field)s must be text.") % {"field": name}, code="type")
            limit = Candidate._meta.get_field(name).max_length
            value = clean_text(value)
            if len(value) > limit:
                raise SyncRefused(
                    _("%(field)s: at most %(limit)d characters.") % {"field": name, "limit": limit}
                )
        out[name] = value
    return out


def _clean_rows(fields: dict) -> dict[str, list[dict[str, str]]]:
    """The résumé and family rows a change carries, checked as the portal checks them."""
    out = {}
    for name, columns, clean in (
        ("resume", RESUME_FIELDS, clean_resume),
        ("family", FAMILY_FIELDS, clean_family),
    ):
        if name not in fields:
            continue
        rows = fields[name]
        if not (
            isinstance(rows, list)
            and len(rows) <= MAX_ROWS
            and all(
                isinstance(row, dict)
                and set(row) <= set(columns)
                and all(v is None or isinstance(v, str) for v in row.values())
                for row in rows
            )
        ):
            raise SyncRefused(
                _("%(field)s must be a list of at most %(n)d rows with the columns %(columns)s.")
                % {"field": name, "n": MAX_ROWS, "columns": ", ".join(columns)},
                code="rows",
            )
        out[name] = clean(rows)
    return out


def _clean_verified(fields: dict, current: Candidate) -> dict[str, dt.datetime]:
    """The time the point read the candidate's ID card: not in the future, not undone."""
    if VERIFIED not in fields:
        return {}
    value = fields[VERIFIED]
    at = dt.datetime.fromisoformat(value) if isinstance(value, str) and len(value) < 40 else None
    if value is None and current.identity_verified_at is None:
        return {}
    if at is None or timezone.is_naive(at):
        raise SyncRefused(
            _("%(field)s must be a date and time with its UTC offset; it cannot be taken back.")
            % {"field": VERIFIED},
            code="verified",
        )
    if at > timezone.now() + skew_limit():  # a point's clock may run this far ahead
        raise SyncRefused(_("The ID card cannot have been read in the future."), code="verified")
    if at < FIRST_CARD_READ:  # year 1 at UTC+14 would not even fit the database
        raise SyncRefused(
            _("The ID card cannot have been read before second-generation cards existed."),
            code="verified",
        )
    return {VERIFIED: at}


def clean_card(value: Any) -> tuple[str, dt.datetime] | None:
    """The login card a point client issued offline (S4, issue 20), as a change carries
    it beside its fields: the password's hash (never the password) and when the card was
    issued, by the client's clock. None when the change carries no card."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"password_hash", "issued_at"}:
        raise SyncRefused(
            _("A login card is sent as its password_hash and issued_at."), code="card"
        )
    try:
        password_hash = check_card_hash(value["password_hash"])
    except CardRefused as e:
        raise SyncRefused(
            _(
                "The login card's password hash is not one this server makes: a card is sent"
                " as the hash the point client made, never as a password."
            ),
            code="card",
        ) from e
    raw = value["issued_at"]
    try:
        at = dt.datetime.fromisoformat(raw) if isinstance(raw, str) and len(raw) < 40 else raw
    except ValueError:
        at = None
    if not isinstance(at, dt.datetime):  # the API's schema has read it already
        at = None
    if at is None or timezone.is_naive(at) or at < FIRST_CARD_READ:
        raise SyncRefused(_("issued_at must be a date and time with its UTC offset."), code="card")
    if at > timezone.now() + skew_limit():
        raise SyncRefused(_("A login card cannot have been issued in the future."), code="card")
    return password_hash, at


def clean_data_fields(fields: dict, current: Candidate | None) -> dict[str, Any]:
    """The candidate's own data a change carries, checked as the portal checks it; a
    problem in data the change does not touch does not stop it."""
    rows = _clean_rows(fields)
    provided = {name: fields[name] for name in DATA_FIELDS if name in fields}
    if not provided:
        return rows
    for name, value in provided.items():
        if value is not None and not isinstance(value, str):
            raise SyncRefused(_("%(field)s must be text.") % {"field": name}, code="type")
    base = {name: getattr(current, name) for name in DATA_FIELDS} if current else {}
    try:
        cleaned = clean_data(base | provided)
    except DataRefused as e:
        touched = set(provided)
        if "candidate_category" in touched:
            touched.add("household_type")
        errors = {k: v for k, v in e.message_dict.items() if k in touched}
        if errors:
            raise DataRefused(errors) from e
        cleaned = clean_data(provided)
    return {name: cleaned[name] for name in provided} | rows


def clean_update(fields: Any, current: Candidate) -> dict[str, Any]:
    """The values of an update to `current`, checked; SyncRefused says what is wrong."""
    if not isinstance(fields, dict) or not fields:
        raise SyncRefused(_("The change carries no fields."), code="no_fields")
    for name in fields:
        if name in IDENTITY_FIELDS:
            raise SyncRefused(
                _(
                    "%(field)s is part of the identity: it changes through the office's"
                    " review, not by sync."
                )
                % {"field": name},
                code="identity",
            )
        if name not in UPDATE_FIELDS:
            raise SyncRefused(
                _("%(field)s cannot be changed by sync.") % {"field": shown(name)},
                code="unknown_field",
            )
    try:
        verified = _clean_verified(fields, current)
    except ValueError as e:  # not an ISO date and time
        raise SyncRefused(
            _("%(field)s must be a date and time with its UTC offset; it cannot be taken back.")
            % {"field": VERIFIED},
            code="verified",
        ) from e
    return clean_point_fields(fields) | clean_data_fields(fields, current) | verified


class PushMemo:
    """What one push (or one bundle's apply) reads once for all its changes rather than
    once per change: the current season, the subject tracks' windows, the codes found
    valid, and each phase's opening and close for a county (its extensions included).
    Only answers that let a change through are kept: a refusal asks the database again
    and is worded as before. The clock is read per change; an extension granted during a
    push counts from the next push."""

    def __init__(self, season: Season | None):
        self.season = season
        self._kinds: dict[str, str] = {}
        self._valid: set[tuple[str, str]] = set()
        self._spans: dict[tuple[str, int], tuple[dt.datetime, dt.datetime] | None] = {}

    def window_for_track(self, track_code: str) -> str:
        if track_code not in self._kinds:
            self._kinds[track_code] = window_for_track(track_code)
        return self._kinds[track_code]

    def valid_code(self, table: str, value: str) -> None:
        if (table, value) not in self._valid:
            validate_code(table, value)
            self._valid.add((table, value))

    def check_window(self, point: RegistrationPoint, track_code: str) -> None:
        """candidates.services.check_window: Season.is_open's rule on a phase read once."""
        kind = self.window_for_track(track_code)
        county = point.county
        if (kind, county.pk) not in self._spans:
            phase = self.season.phases.filter(kind=kind).first()
            span = None if phase is None else (phase.starts_at, phase.ends_at_for(county))
            self._spans[kind, county.pk] = span
        span = self._spans[kind, county.pk]
        if span is None or not span[0] <= timezone.now() <= span[1]:
            raise window_closed(kind, point)
