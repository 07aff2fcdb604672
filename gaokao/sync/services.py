"""同步 — the central side of the point client's sync (R4, S3, E4, E5).

A point client (客户版) is enrolled once by a point account with its password and
authenticator code; then it pulls its point's configuration and candidates and pushes
changes. Each change carries an id the client made, its idempotency key: the server keeps
a Receipt per id, so a change sent twice, or sent by sync and again on a disc
(gaokao.bundles), is applied once. An update names the version it edited; a stale one is
never merged but kept as a Conflict for a person to decide (the ODK rule).

The same rules as the office web apply to every change: the point's own candidates only,
`check_editable` (a submitted record is locked), registration numbers from the point's
own ranges, one registration per person and season, codes from the code tables.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import unicodedata
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.db import IntegrityError, models, transaction
from django.db.models import F, Max, Q
from django.db.models.functions import Coalesce, Greatest
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from gaokao.accounts.models import Role
from gaokao.accounts.services import SignInRefused, check_password, check_totp
from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.bundles.format import server_public_key_b64
from gaokao.candidates.errors import IntakeRefused
from gaokao.candidates.models import (
    REVIEWING_LEVEL,
    Candidate,
    EligibilityPath,
    EligibilityResult,
    FamilyMember,
    IdentitySource,
    ResumeEntry,
    ReviewState,
)
from gaokao.candidates.services import (
    ManualIdentity,
    _refuse_duplicate,
    validate_identity,
    window_closed,
    window_for_track,
)
from gaokao.codes.models import Code, validate_code
from gaokao.lib.text import clean_text
from gaokao.numbering.models import NumberRange
from gaokao.portal.services import (
    DATA_FIELDS,
    FAMILY_FIELDS,
    MAX_ROWS,
    RESUME_FIELDS,
    clean_data,
    clean_family,
    clean_resume,
)
from gaokao.regions.models import RegistrationPoint
from gaokao.seasons.models import Season
from gaokao.submission.rules import check_editable, is_editable_by
from gaokao.sync.keys import InvalidKey, parse_public_key
from gaokao.sync.models import Conflict, Device, Receipt

# ── what a change may carry ────────────────────────────────────────────────────────────

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
PULLED_FIELDS = ("review_state", "review_reason")
POINT_CHECK_FIELDS = ("documents_received", "fee_fen", "fee_receipt", "eligibility")

KINDS = ("create", "update")
VIAS = ("sync", "bundle")
MAX_FEE_FEN = 9_999_999  # 99,999.99 yuan, as the office web's form allows
MAX_TEXT = 60  # identity values longer than this are refused before any other check
SEEN_EVERY = dt.timedelta(minutes=1)
FIRST_CARD_READ = dt.datetime(2004, 1, 1, tzinfo=dt.UTC)  # second-generation cards
# Pulls re-send what changed in the last SETTLE: a transaction that stamped a row earlier
# but committed after a pull is still delivered by the next one.
SETTLE = dt.timedelta(minutes=5)
PULL_LIMIT = 500
CURSOR_SALT = "gaokao.sync.cursor"
ZERO_UUID = "00000000-0000-0000-0000-000000000000"

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NUMBER = re.compile(r"[0-9]{8}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class SyncRefused(IntakeRefused):
    """A sync request or change that breaks a rule; the message is shown as it is.
    `status` is the HTTP status the API answers with."""

    status = 400


class Unauthorised(SyncRefused):
    status = 401


class Forbidden(SyncRefused):
    status = 403


class NotFound(SyncRefused):
    status = 404


class OffsetMismatch(SyncRefused):
    """A photo chunk that does not start where the server has got to: resume from
    `received`."""

    status = 409

    def __init__(self, message: Any, received: int):
        super().__init__(message, code="offset")
        self.received = received


def _not_this_point() -> SyncRefused:
    return NotFound(_("Not this point's candidate."), code="not_this_point")


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in text)


def shown(value: Any, limit: int = 40) -> str:
    """A value a client sent, safe to put into a message: text without control
    characters, cut short."""
    return clean_text(value if isinstance(value, str) else repr(value))[:limit]


def _uuid(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _json(value: Any) -> Any:
    """A field's value as JSON carries it (dates as YYYY-MM-DD)."""
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def current_season() -> Season | None:
    return Season.objects.filter(is_current=True).first()


# ── enrolment and authentication ───────────────────────────────────────────────────────


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _device_name(value: Any) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name or len(name) > 60 or _has_control(name):
        raise SyncRefused(
            _("Name the point client (at most 60 characters), e.g. the PC's place."),
            code="device_name",
        )
    return name


def enrol(
    request: HttpRequest,
    username: Any,
    password: Any,
    totp: Any,
    device_name: Any,
    public_key_b64: Any,
) -> tuple[Device, str]:
    """Enrol a point client for the point of the account that signs in (S3): password and
    authenticator code, throttled and audited like the office web's sign-in. Returns the
    device and its bearer token, which is shown this once; only its SHA-256 is kept."""
    name = _device_name(device_name)
    try:
        public_key = parse_public_key(public_key_b64)
    except InvalidKey as e:
        raise SyncRefused(
            _("The public key must be a valid Ed25519 key: 32 bytes in Base64."),
            code="public_key",
        ) from e
    credentials = (username, password, totp)
    if not all(isinstance(v, str) and len(v) <= 256 and not _has_control(v) for v in credentials):
        raise Unauthorised(_("The user name or password is wrong."), code="credentials")
    try:
        user = check_password(request, username, password)
        if user.role != Role.POINT:
            raise Forbidden(
                _("Only a registration point's account enrols a point client."), code="role"
            )
        if user.needs_setup:
            raise Forbidden(
                _(
                    "Complete the real-name authentication in the office web first, then"
                    " enrol the point client."
                ),
                code="setup",
            )
        check_totp(request, user, totp)
    except SignInRefused as e:
        raise Unauthorised(str(e), code="credentials") from e
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        device = Device.objects.create(
            point=user.point,
            name=name,
            public_key=public_key,
            token_hash=token_hash(token),
            enrolled_by=user,
        )
        record(
            Action.DEVICE_ENROLLED,
            actor=user,
            request=request,
            unit=user.point,
            target=device,
            device=str(device.pk),
            name=name,
        )
    return device, token


def authenticate(token: Any) -> Device | None:
    """The active device this bearer token belongs to, or None. A device stops working
    when it is revoked or when the account that enrolled it is disabled."""
    if not isinstance(token, str) or not 16 <= len(token) <= 128:
        return None
    device = (
        Device.objects.select_related("point__county", "enrolled_by")
        .filter(token_hash=token_hash(token), revoked_at__isnull=True)
        .first()
    )
    if device is None or not device.enrolled_by.is_active:
        return None
    now = timezone.now()
    if device.last_seen_at is None or now - device.last_seen_at >= SEEN_EVERY:
        Device.objects.filter(pk=device.pk).filter(
            Q(last_seen_at__isnull=True) | Q(last_seen_at__lte=now - SEEN_EVERY)
        ).update(last_seen_at=now)
        device.last_seen_at = now
    return device


def may_manage(user: Any) -> bool:
    """Point clients are managed by their point and its county."""
    return getattr(user, "role", None) in (Role.POINT, Role.COUNTY)


@transaction.atomic
def revoke(device: Device, by: Any, request: HttpRequest | None = None) -> Device:
    """Stop a point client: its token no longer signs in and its bundles are refused."""
    if not may_manage(by) or not Device.objects.visible_to(by).filter(pk=device.pk).exists():
        raise Forbidden(_("Your office does not manage this point client."), code="forbidden")
    device = Device.objects.select_for_update().select_related("point").get(pk=device.pk)
    if device.revoked_at is not None:
        raise SyncRefused(_("This point client is revoked already."), code="revoked")
    device.revoked_at = timezone.now()
    device.save(update_fields=["revoked_at"])
    record(
        Action.DEVICE_REVOKED,
        actor=by,
        request=request,
        unit=device.point,
        target=device,
        device=str(device.pk),
    )
    return device


# ── pull ───────────────────────────────────────────────────────────────────────────────


def value_of(candidate: Candidate, name: str) -> Any:
    """A synced field's value as JSON carries it; rows as lists of their columns."""
    if name in ROW_FIELDS:
        columns = RESUME_FIELDS if name == "resume" else FAMILY_FIELDS
        # .all() and a sort in Python: served by prefetch_related when the caller used it.
        rows = sorted(getattr(candidate, name).all(), key=lambda row: (row.order, row.pk))
        return [{column: getattr(row, column) for column in columns} for row in rows]
    value = getattr(candidate, name)
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat()
    return _json(value)


def snapshot(candidate: Candidate) -> dict[str, Any]:
    """A candidate as the point client keeps it."""
    out = {
        "id": str(candidate.pk),
        "version": candidate.version,
        "stage": candidate.stage,
        "updated_at": timezone.localtime(candidate.updated_at).isoformat(),
    }
    out.update({name: value_of(candidate, name) for name in (*SYNC_FIELDS, *PULLED_FIELDS)})
    return out


def _config(point: RegistrationPoint, season: Season | None) -> dict[str, Any]:
    county = point.county
    config: dict[str, Any] = {
        "point": {
            "code": point.code,
            "name": point.name,
            "county": county.code,
            "county_name": county.name,
            "registration_code": county.registration_code,
        },
        "season": None,
        "ranges": [],
        # The server's key that disc bundles are encrypted for (E5).
        "bundle_public_key": server_public_key_b64(),
        "codes": [
            {
                "table": c.table,
                "code": c.code,
                "name": c.name,
                "attrs": c.attrs,
                "is_active": c.is_active,
            }
            for c in Code.objects.order_by("table", "sort_order", "code")
        ],
    }
    if season is None:
        return config
    config["season"] = {
        "id": season.pk,
        "name": season.name,
        "year": season.year,
        "phases": [
            {
                "kind": phase.kind,
                "starts_at": timezone.localtime(phase.starts_at).isoformat(),
                # For the point's county: extensions included.
                "ends_at": timezone.localtime(phase.ends_at_for(county)).isoformat(),
            }
            for phase in season.phases.all()
        ],
    }
    ranges = NumberRange.objects.filter(season=season, point=point).select_related(
        "subject_track", "point__county"
    )
    for number_range in ranges:
        used = Candidate.objects.filter(
            season=season,
            registration_number__gte=number_range.first_number,
            registration_number__lte=number_range.last_number,
        ).order_by("registration_number")
        config["ranges"].append(
            {
                "id": number_range.pk,
                "track": number_range.subject_track.code,
                "first": number_range.first,
                "last": number_range.last,
                "first_number": number_range.first_number,
                "last_number": number_range.last_number,
                "next_serial": number_range.next_serial,
                "used": list(used.values_list("registration_number", flat=True)),
            }
        )
    return config


def _read_cursor(device: Device, season: Season | None, cursor: Any) -> tuple:
    """(changed_at, pk) to continue after, or (None, "") to start from the beginning."""
    if cursor in (None, ""):
        return None, ""
    refused = SyncRefused(
        _("The cursor is not valid for this point client. Pull again without one."),
        code="cursor",
    )
    if not isinstance(cursor, str) or len(cursor) > 1000:
        raise refused
    try:
        data = signing.loads(cursor, salt=CURSOR_SALT)
        if data["d"] != str(device.pk):
            raise refused
        if season is None or data["s"] != season.pk:
            return None, ""  # a new season: everything again
        return dt.datetime.fromisoformat(data["t"]), str(uuid.UUID(data["k"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError) as e:
        raise refused from e


def _make_cursor(device: Device, season: Season | None, at: dt.datetime | None, pk: str) -> str:
    if season is None or at is None:
        return signing.dumps(
            {"d": str(device.pk), "s": None, "t": None, "k": ZERO_UUID}, salt=CURSOR_SALT
        )
    return signing.dumps(
        {"d": str(device.pk), "s": season.pk, "t": at.isoformat(), "k": pk}, salt=CURSOR_SALT
    )


def pull(device: Device, cursor: Any = None, *, limit: int = PULL_LIMIT) -> dict[str, Any]:
    """The point's configuration and its candidates of the current season changed since
    `cursor` (all of them without one), oldest change first, at most `limit`; `more` says
    whether to pull again at once with the new cursor. A candidate counts as changed when
    its row was saved or it moved up or down (S9), which does not save the row."""
    season = current_season()
    after, after_pk = _read_cursor(device, season, cursor)
    config = _config(device.point, season)
    if season is None:
        return {
            "cursor": _make_cursor(device, None, None, ""),
            "more": False,
            "config": config,
            "candidates": [],
        }
    rows = (
        Candidate.objects.filter(point=device.point, season=season)
        .prefetch_related(*ROW_FIELDS)
        .annotate(
            changed_at=Greatest(
                "updated_at",
                Coalesce(Max("moves__at"), "updated_at"),
                output_field=models.DateTimeField(),
            )
        )
        .order_by("changed_at", "pk")
    )
    if after is not None:
        rows = rows.filter(Q(changed_at__gt=after) | Q(changed_at=after, pk__gt=after_pk))
    page = list(rows[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    if more:
        at, pk = page[-1].changed_at, str(page[-1].pk)
    else:
        horizon = timezone.now() - SETTLE
        at, pk = (page[-1].changed_at, str(page[-1].pk)) if page else (after, after_pk)
        if at is None or at > horizon:
            at, pk = horizon, ZERO_UUID
    return {
        "cursor": _make_cursor(device, season, at, pk),
        "more": more,
        "config": config,
        "candidates": [snapshot(c) for c in page],
    }


# ── checking the values of a change ────────────────────────────────────────────────────


def _identity_text(fields: dict, name: str, *, required: bool = True) -> str:
    value = fields.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise SyncRefused(_("%(field)s must be text.") % {"field": name}, code="type")
    if len(value) > MAX_TEXT or _has_control(value):
        raise SyncRefused(
            _("%(field)s is too long or holds control characters.") % {"field": name},
            code="text",
        )
    value = value.strip()
    if required and not value:
        raise SyncRefused(_("%(field)s is missing.") % {"field": name}, code="missing")
    return value


def _clean_identity(fields: dict, memo: PushMemo) -> dict[str, Any]:
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


def _clean_point_fields(fields: dict, current: Candidate | None) -> dict[str, Any]:
    """The point's checks (S5) a change carries, checked like `record_point_checks`."""
    out: dict[str, Any] = {}
    for name in (n for n in POINT_FIELDS if n in fields):
        value = fields[name]
        if name in ("documents_received", "keyed_from_paper"):
            if not isinstance(value, bool):
                raise SyncRefused(_("%(field)s must be true or false.") % {"field": name})
        elif name == "fee_fen":
            if value is not None and not (_is_int(value) and 0 <= value <= MAX_FEE_FEN):
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
    defaults = {"fee_fen": None, "fee_receipt": "", "eligibility": "", "eligibility_note": ""}
    merged = {k: getattr(current, k) if current else v for k, v in defaults.items()} | out
    fee_touched = bool({"fee_fen", "fee_receipt"} & out.keys())
    if fee_touched and merged["fee_fen"] is not None and not merged["fee_receipt"]:
        raise SyncRefused(_("Enter the receipt number of the fee."), code="receipt")
    eligibility_touched = bool({"eligibility", "eligibility_note"} & out.keys())
    ineligible = merged["eligibility"] == EligibilityResult.INELIGIBLE
    if eligibility_touched and ineligible and not merged["eligibility_note"]:
        raise SyncRefused(_("Say why the candidate is not eligible."), code="note")
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
    if at > timezone.now() + SEEN_EVERY * 5:
        raise SyncRefused(_("The ID card cannot have been read in the future."), code="verified")
    if at < FIRST_CARD_READ:  # year 1 at UTC+14 would not even fit the database
        raise SyncRefused(
            _("The ID card cannot have been read before second-generation cards existed."),
            code="verified",
        )
    return {VERIFIED: at}


def _clean_data_fields(fields: dict, current: Candidate | None) -> dict[str, Any]:
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
    except IntakeRefused as e:
        touched = set(provided)
        if "candidate_category" in touched:
            touched.add("household_type")
        errors = {k: v for k, v in e.message_dict.items() if k in touched}
        if errors:
            raise IntakeRefused(errors) from e
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
    return _clean_point_fields(fields, current) | _clean_data_fields(fields, current) | verified


def _set_values(candidate: Candidate, values: dict[str, Any], by: Any) -> None:
    """Set the values on the unsaved row; the rows are written by `_write_rows` once
    the candidate is saved."""
    for name, value in values.items():
        if name not in ROW_FIELDS:
            setattr(candidate, name, value)
    now = timezone.now()
    if set(POINT_CHECK_FIELDS) & values.keys():
        candidate.point_checked_by, candidate.point_checked_at = by, now
    if {*DATA_FIELDS, *ROW_FIELDS} & values.keys():
        candidate.data_saved_at = now
    if VERIFIED in values:
        candidate.identity_source = IdentitySource.READER


def _write_rows(candidate: Candidate, values: dict[str, Any]) -> None:
    for name, model in (("resume", ResumeEntry), ("family", FamilyMember)):
        if name in values:
            model.objects.filter(candidate=candidate).delete()
            model.objects.bulk_create(
                model(candidate=candidate, order=n, **row) for n, row in enumerate(values[name])
            )


def _values_now(candidate: Candidate, names) -> dict[str, Any]:
    return {name: value_of(candidate, name) for name in names}


# ── applying changes ───────────────────────────────────────────────────────────────────


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


@dataclass
class Outcome:
    status: str
    candidate: Candidate | None = None
    version: int | None = None
    message: str = ""
    conflict: Conflict | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def message_of(error: IntakeRefused) -> str:
    """The refusal's messages as one line (fields named), at most 300 characters."""
    if hasattr(error, "error_dict"):
        parts = [f"{name}: {' '.join(msgs)}" for name, msgs in error.message_dict.items()]
    else:
        parts = list(error.messages)
    return " ".join(str(p) for p in parts)[:300]


def _result(change_id: str, status: str, **kw: Any) -> dict[str, Any]:
    return {
        "id": change_id,
        "status": status,
        "version": kw.get("version"),
        "message": kw.get("message", ""),
        "conflict": kw.get("conflict"),
        "original_status": kw.get("original_status"),
    }


def apply_changes(device: Device, changes: Any, *, via: str = "sync") -> list[dict[str, Any]]:
    """Apply a device's changes in order, each in its own transaction, and say what became
    of each: applied, duplicate (its id was received before: nothing is applied, the
    original answer is repeated), conflict or refused. `via` is "sync" or "bundle"."""
    if via not in VIAS:
        raise ValueError(via)
    if device.revoked_at is not None:
        raise Unauthorised(_("This point client was revoked."), code="revoked")
    if not isinstance(changes, list):
        raise SyncRefused(_("Send the changes as a list."), code="changes")
    memo = PushMemo(current_season())
    return [_apply_one(device, change, via, memo) for change in changes]


def _apply_one(device: Device, change: Any, via: str, memo: PushMemo) -> dict[str, Any]:
    raw_id = change.get("id") if isinstance(change, dict) else None
    change_id = _uuid(raw_id)
    if change_id is None:
        return _result(
            shown(raw_id, 40) if raw_id is not None else "",
            Receipt.Status.REFUSED,
            message=_("The change has no valid id (a UUID)."),
        )
    kind = change.get("kind")
    candidate_id = _uuid(change.get("candidate"))
    with transaction.atomic():
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
            return _duplicate(device, change_id)
        outcome = _outcome(device, receipt, change, kind, candidate_id, memo, via)
        receipt.status, receipt.version = outcome.status, outcome.version
        receipt.message = outcome.message[:300]
        receipt.save(update_fields=["status", "version", "message"])
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
        )
    return _result(
        str(change_id),
        outcome.status,
        version=outcome.version,
        message=receipt.message,
        conflict=outcome.conflict.pk if outcome.conflict else None,
    )


def _duplicate(device: Device, change_id: uuid.UUID) -> dict[str, Any]:
    receipt = Receipt.objects.filter(pk=change_id).first()
    if receipt is None or receipt.device_id != device.pk:
        return _result(
            str(change_id),
            Receipt.Status.REFUSED,
            message=_("This change id is used already; make a new one."),
        )
    conflict = Conflict.objects.filter(receipt=receipt).values_list("pk", flat=True).first()
    return _result(
        str(change_id),
        "duplicate",
        version=receipt.version,
        message=receipt.message,
        conflict=conflict,
        original_status=receipt.status,
    )


def _outcome(device, receipt, change, kind, candidate_id, memo, via) -> Outcome:
    try:
        with transaction.atomic():
            if kind == "create":
                return _create(device, change, candidate_id, memo, via)
            if kind == "update":
                return _update(device, receipt, change, candidate_id, memo.season)
            raise SyncRefused(_("A change is a create or an update."), code="kind")
    except IntakeRefused as e:
        message = message_of(e)
    except IntegrityError:
        message = _(
            "The registration number or the person was registered by another change a moment"
            " ago. Nothing was changed."
        )
    own = None
    if candidate_id is not None:
        own = Candidate.objects.filter(pk=candidate_id, point=device.point).first()
    return Outcome(Receipt.Status.REFUSED, candidate=own, message=message)


def _create(device, change, candidate_id, memo, via) -> Outcome:
    point, season = device.point, memo.season
    if season is None:
        raise SyncRefused(_("No registration season is current."), code="no_season")
    if candidate_id is None:
        raise SyncRefused(_("The change names no valid candidate id (a UUID)."), code="id")
    existing = Candidate.objects.filter(pk=candidate_id).values_list("point_id", flat=True).first()
    if existing is not None:
        if existing != point.pk:
            raise _not_this_point()
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
    identity = _clean_identity(fields, memo)
    track, number = identity["subject_track"], identity["registration_number"]
    if via == "sync":
        # Like intake at the point, while the window is open; after the deadline the
        # point's data comes on a disc and its county imports it (E5).
        memo.check_window(point, track)
    values = _clean_point_fields(fields, None) | _clean_data_fields(fields, None)
    _refuse_duplicate(season, identity["id_number"], point, device.enrolled_by, None)
    number_range = _range_for(season, point, track, number)
    if Candidate.objects.filter(season=season, registration_number=number).exists():
        raise SyncRefused(
            _("The registration number %(number)s is used already.") % {"number": number},
            code="number_used",
        )
    serial = int(number[4:])
    if number_range.next_serial <= serial:
        # The office web issues numbers after the ones the client has issued.
        number_range.next_serial = serial + 1
        number_range.save(update_fields=["next_serial", "updated_at"])
    path = identity["eligibility_path"]
    candidate = Candidate(
        id=candidate_id,
        season=season,
        point=point,
        number_range=number_range,
        created_by=device.enrolled_by,
        review_state=ReviewState.PENDING if path in REVIEWING_LEVEL else ReviewState.NOT_REQUIRED,
        identity_verified_at=(
            timezone.now() if identity["identity_source"] == IdentitySource.READER else None
        ),
        **identity,
    )
    values.pop(VERIFIED, None)  # set from the identity's source on create
    _set_values(candidate, values, device.enrolled_by)
    candidate.save(force_insert=True)
    _write_rows(candidate, values)
    return Outcome(
        Receipt.Status.APPLIED,
        candidate=candidate,
        version=candidate.version,
        detail={"fields": sorted(values), "registration_number": number},
    )


def _range_for(season, point, track: str, number: str) -> NumberRange:
    """The point's range for the track holding `number`, locked (S2)."""
    prefix = point.county.registration_code
    number_range = None
    if prefix and _NUMBER.fullmatch(number) and number.startswith(prefix):
        number_range = (
            NumberRange.objects.select_for_update()
            .filter(
                season=season,
                point=point,
                subject_track__code=track,
                first__lte=int(number[4:]),
                last__gte=int(number[4:]),
            )
            .first()
        )
    if number_range is None:
        raise SyncRefused(
            _(
                "The registration number %(number)s is not in %(point)s's number ranges for"
                " this subject track."
            )
            % {"number": shown(number, 12), "point": point},
            code="number_outside",
        )
    return number_range


def _update(device, receipt, change, candidate_id, season) -> Outcome:
    if candidate_id is None or season is None:
        raise _not_this_point()
    candidate = (
        Candidate.objects.select_for_update()
        .filter(pk=candidate_id, point=device.point, season=season)
        .first()
    )
    if candidate is None:
        raise _not_this_point()
    check_editable(candidate, Role.POINT)
    values = clean_update(change.get("fields"), candidate)
    base_version = change.get("base_version")
    if not _is_int(base_version) or base_version < 1:
        raise SyncRefused(
            _("An update names the version it was based on (base_version)."), code="base"
        )
    if base_version != candidate.version:
        conflict = Conflict.objects.create(
            receipt=receipt,
            candidate=candidate,
            base_version=base_version,
            server_version=candidate.version,
            point_values={k: _json(v) for k, v in values.items()},
            server_values=_values_now(candidate, values),
        )
        return Outcome(
            Receipt.Status.CONFLICT,
            candidate=candidate,
            version=candidate.version,
            conflict=conflict,
            message=_(
                "The record changed on the server after version %(base)d (it is now at"
                " %(version)d). Nothing was overwritten: a person keeps the point's values,"
                " the server's, or chooses field by field."
            )
            % {"base": base_version, "version": candidate.version},
            detail={"fields": sorted(values), "conflict": conflict.pk},
        )
    before = _values_now(candidate, values)
    _set_values(candidate, values, device.enrolled_by)
    candidate.version = F("version") + 1
    candidate.save()
    _write_rows(candidate, values)
    candidate.refresh_from_db()
    return Outcome(
        Receipt.Status.APPLIED,
        candidate=candidate,
        version=candidate.version,
        detail={"before": before, "after": {k: _json(v) for k, v in values.items()}},
    )


# ── conflicts ──────────────────────────────────────────────────────────────────────────


def open_conflicts(queryset=None):
    queryset = Conflict.objects.all() if queryset is None else queryset
    return queryset.filter(resolution="").select_related(
        "candidate__point", "receipt__device", "resolved_by"
    )


def current_values(conflict: Conflict) -> dict[str, Any]:
    """The record's values now of the fields the point's change carried."""
    return _values_now(conflict.candidate, conflict.point_values)


def device_conflicts(device: Device):
    """The open conflicts of the device's point (any of its clients)."""
    return open_conflicts().filter(candidate__point=device.point)


def may_resolve(user: Any, conflict: Conflict, choice: str) -> bool:
    """Only the level that holds the record applies values to it (S9); the point may also
    set its own stale change aside (keep the server's values) whoever holds the record,
    since that changes nothing."""
    role = getattr(user, "role", None)
    if role not in (Role.POINT, Role.COUNTY):
        return False
    if choice == Conflict.Resolution.SERVER and role == Role.POINT:
        return True
    return is_editable_by(conflict.candidate, role)


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
            check_editable(candidate, role)
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
        if chosen:
            values = clean_update(chosen, candidate)  # today's codes and rules
            before = _values_now(candidate, values)
            _set_values(candidate, values, conflict.receipt.device.enrolled_by)
            candidate.version = F("version") + 1
            candidate.save()
            _write_rows(candidate, values)
            candidate.refresh_from_db()
            chosen = {k: _json(v) for k, v in values.items()}
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
