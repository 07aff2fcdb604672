"""One sync of the point client with the central server (R4, E5): push the outbox, upload
photos, pull what changed.

The rules that keep work from being lost or applied twice:

- an outbox entry is removed only when the server's answer names its id; a change the
  server refused or found in conflict stays, marked as needing attention, with the
  server's message;
- before a change leaves the device it is frozen (`sent_at`): sending it again after a cut
  sends the same id, which the server answers as a duplicate without applying it again;
- a candidate has at most one change on the wire at a time; its next change is based on
  the version the server gave in answer to the previous one;
- any HTTP failure (refused or reset connection, timeout, a 5xx answer) stops the sync and
  leaves everything where it was, to be sent again next time.

HTTP goes through a Transport (gaokao.payments.gateways.base), so tests route the same
requests to the Django test client.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import http.client
import json
import logging
import socket
import urllib.error
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gaokao.client import records
from gaokao.client.fields import SYNC_FIELDS, UPDATE_FIELDS
from gaokao.client.local import BadConfig, apply_config, apply_snapshot, config_digest
from gaokao.client.models import ClientState, Known, Outbox
from gaokao.payments.gateways.base import GatewayError, Transport, urllib_transport
from gaokao.seasons import NoCurrentSeason, current

log = logging.getLogger(__name__)

API_PATH = "/api/v1"
BATCH = 200  # changes per push
CHUNK = 256 * 1024  # bytes per photo piece
MAX_PULL_PAGES = 10_000
STATUSES = ("applied", "duplicate", "conflict", "refused")


def _network_reason(error: Exception) -> str:
    """Why the server could not be reached, in words point staff understand; the technical
    text of anything else (an IT person reads it)."""
    cause = error.__cause__
    if isinstance(cause, urllib.error.URLError):
        cause = cause.reason
    if isinstance(cause, ConnectionRefusedError):
        return _("the server does not accept connections (stopped, or blocked by a firewall)")
    if isinstance(cause, TimeoutError):
        return _("the server did not answer in time")
    if isinstance(cause, socket.gaierror):
        return _("the server's name cannot be found (check the network and DNS)")
    if isinstance(cause, OSError) and cause.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return _("there is no network route to the server (check the cable or Wi-Fi)")
    return str(error) or type(error).__name__


class SyncError(Exception):
    """The sync stopped: the server could not be reached or refused the device. Nothing in
    the outbox was lost; `message` is for people."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotEnrolled(SyncError):
    pass


def require_state() -> ClientState:
    state = ClientState.load()
    if state is None:
        raise NotEnrolled(
            _("This point client is not enrolled yet: run gaokao client enrol first.")
        )
    return state


def api_base(server_url: str) -> str:
    base = server_url.rstrip("/")
    return base if base.endswith(API_PATH) else base + API_PATH


# ── HTTP ──────────────────────────────────────────────────────────────────────────────


class Api:
    """The sync API as the client calls it: JSON in and out, the device's bearer token."""

    def __init__(self, server_url: str, token: str = "", transport: Transport | None = None):
        self.base, self.token = api_base(server_url), token
        # Looked up when called, so that a test (or the demo) can route every call.
        self.transport = transport or urllib_transport

    def call(
        self,
        method: str,
        path: str,
        payload: Any = None,
        *,
        body: bytes | None = None,
        content_type: str = "application/json",
        device_refused: bool = True,
    ) -> tuple[int, dict[str, Any]]:
        """(status, JSON object) for any answer below 500; SyncError otherwise, and for
        401/403 (`device_refused`: the token is not, or no longer, accepted)."""
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Device {self.token}"
        if payload is not None:
            body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        if body is not None:
            headers["Content-Type"] = content_type
        try:
            status, _headers, raw = self.transport(method, self.base + path, headers, body or b"")
        except (GatewayError, http.client.HTTPException) as e:
            # HTTPException: an answer cut short (IncompleteRead, BadStatusLine), which the
            # standard library does not count among network errors.
            raise SyncError(
                _("The server cannot be reached: %(error)s") % {"error": _network_reason(e)}
            ) from e
        if status >= 500:
            raise SyncError(
                _("The server answered with an error (HTTP %(status)d); try again later.")
                % {"status": status}
            )
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            data = None
        if not isinstance(data, dict):
            if status < 300:
                # Every answer of the API is a JSON object: anything else is an answer cut
                # short on the way (the standard library may take half a header for all).
                raise SyncError(_("The server's answer was cut short or unreadable."))
            data = {}
        if device_refused and status in (401, 403):
            raise SyncError(
                _("The server refused this point client (%(detail)s). Ask the county office.")
                % {"detail": detail(data, status)}
            )
        return status, data


def detail(data: Mapping[str, Any], status: int) -> str:
    text = data.get("detail") or data.get("message")
    if isinstance(text, list):  # validation errors
        text = "; ".join(str(item.get("msg", item)) for item in text if item)
    return str(text or f"HTTP {status}")[:400]


def _expect_ok(status: int, data: dict[str, Any], what: str) -> dict[str, Any]:
    if status != 200:
        raise SyncError(
            _("The server refused %(what)s: %(detail)s")
            % {"what": what, "detail": detail(data, status)}
        )
    return data


# ── changes ───────────────────────────────────────────────────────────────────────────


@dataclass
class Basis:
    """What the server has (or will have) of a candidate: a change is based on it."""

    version: int
    fields: dict[str, Any]


def basis_of(candidate_id: Any) -> Basis | None:
    known = Known.objects.filter(candidate_id=candidate_id).first()
    return Basis(known.version, dict(known.fields)) if known else None


def finalize(entry: Outbox, basis: Basis | None) -> dict[str, Any] | None:
    """Freeze the entry as the change the server receives (kind, base version, the fields
    that differ from `basis`), or delete it and return None when nothing differs. Frozen
    entries are returned as they are."""
    if entry.sent_at is not None:
        return entry.payload
    values = entry.payload.get("fields", {})
    card = _card_to_send(entry)
    if basis is None:
        kind, base = "create", None
        fields = {name: values[name] for name in SYNC_FIELDS if name in values}
    else:
        kind, base = "update", basis.version
        fields = {
            name: values[name]
            for name in UPDATE_FIELDS
            if name in values and basis.fields.get(name, _MISSING) != values[name]
        }
        if not fields and card is None:
            entry.delete()
            return None
    entry.payload = {
        "id": str(entry.id),
        "kind": kind,
        "candidate": str(entry.candidate_id),
        "base_version": base,
        "fields": fields,
        # When it was last keyed here (E3-E5): a change keyed while its window was open
        # is accepted within the grace after the close.
        "keyed_at": entry.payload.get("keyed_at") or entry.created_at.isoformat(),
    }
    if card is not None:
        entry.payload["card"] = card
    entry.sent_at = timezone.now()
    entry.save(update_fields=["payload", "sent_at"])
    return entry.payload


_MISSING = object()


def _card_to_send(entry: Outbox) -> dict[str, str] | None:
    """The entry's login card, unless the server has answered for it (or a later one)
    since the entry was queued."""
    card = entry.payload.get("card")
    if not isinstance(card, dict):
        return None
    known = Known.objects.filter(candidate_id=entry.candidate_id).first()
    answered = known.card_issued_at if known is not None else None
    try:
        issued_at = dt.datetime.fromisoformat(card["issued_at"])
    except (KeyError, TypeError, ValueError):
        return None
    if answered is not None and issued_at <= answered:
        return None
    return card


def predicted(basis: Basis | None, change: dict[str, Any]) -> Basis:
    """What the server will have once `change` is applied: versions grow by one per
    change, and a new candidate starts at 1."""
    if change["kind"] == "create":
        return Basis(1, dict(change["fields"]))
    version = (change.get("base_version") or (basis.version if basis else 0)) + 1
    return Basis(version, {**(basis.fields if basis else {}), **change["fields"]})


def next_batch() -> list[Outbox]:
    """The oldest pending change of each candidate, at most BATCH of them."""
    batch, seen = [], set()
    pending = Outbox.objects.filter(kind=Outbox.Kind.CHANGE, state=Outbox.State.PENDING)
    for entry in pending.order_by("created_at", "id").iterator():
        if entry.candidate_id in seen:
            continue
        seen.add(entry.candidate_id)
        batch.append(entry)
        if len(batch) == BATCH:
            break
    return batch


@dataclass
class Report:
    """What one sync did."""

    ok: bool = True
    error: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def summary(self) -> str:
        if not self.ok:
            return self.error
        c = self.counts
        return _(
            "%(applied)d changes applied, %(attention)d need attention, %(photos)d photos"
            " uploaded, %(pulled)d candidates received."
        ) % {
            "applied": c.get("applied", 0),
            "attention": c.get("conflict", 0)
            + c.get("refused", 0)
            + c.get("cards_void", 0)  # a login card printed here that does not work
            + c.get("cards_replaced", 0),
            "photos": c.get("photos", 0),
            "pulled": c.get("pulled", 0),
        }


def push(api: Api, report: Report) -> None:
    """Send the outbox's changes in order until none is left to send."""
    while True:
        with transaction.atomic():
            changes, entries = [], {}
            for entry in next_batch():
                change = finalize(entry, basis_of(entry.candidate_id))
                if change is not None:
                    changes.append(change)
                    entries[change["id"]] = entry
        if not changes:
            return
        Outbox.objects.filter(pk__in=[e.pk for e in entries.values()]).update(attempts=_plus_one())
        try:
            sent_at = timezone.now().isoformat()
            status, data = api.call("POST", "/push", {"changes": changes, "sent_at": sent_at})
            data = _expect_ok(status, data, _("the changes"))
        except SyncError as error:
            Outbox.objects.filter(pk__in=[e.pk for e in entries.values()]).update(
                last_error=error.message[:500]
            )
            raise
        _record_clock(data.get("clock"))
        results = data.get("results")
        answered = 0
        for result in results if isinstance(results, list) else []:
            entry = entries.get(str(result.get("id"))) if isinstance(result, dict) else None
            if entry is not None:
                record_result(entry, result, report)
                answered += 1
        if answered == 0:
            raise SyncError(_("The server's answer did not name any of the changes sent."))


def _record_clock(clock: Any) -> None:
    """Keep the server's reading of this PC's clock, for `gaokao client status`."""
    if not isinstance(clock, dict) or not isinstance(clock.get("skew_seconds"), int):
        return
    ClientState.objects.filter(pk=1).update(
        clock_skew_seconds=clock["skew_seconds"], clock_flagged=bool(clock.get("flagged"))
    )


def _plus_one() -> F:
    return F("attempts") + 1


def record_result(entry: Outbox, result: dict[str, Any], report: Report) -> None:
    """The server's answer to one change: applied (or a duplicate of an applied one) → the
    entry goes and the server's version is remembered; refused or in conflict → it stays,
    needing attention, with the server's message."""
    status = result.get("status")
    if status not in STATUSES:
        return
    outcome = status
    if status == "duplicate":
        # The server answers a duplicate with what it answered the first time.
        report.add("duplicate")
        outcome = result.get("original_status") or ""
        if outcome not in ("applied", "conflict", "refused"):
            outcome = "applied" if result.get("version") is not None else "refused"
            if result.get("conflict"):
                outcome = "conflict"
    report.add(outcome)
    card, card_message = _card_answer(entry, result)
    with transaction.atomic():
        if outcome == "applied":
            version = result.get("version")
            if version is not None:
                known = Known.objects.filter(candidate_id=entry.candidate_id).first()
                fields = {**(known.fields if known else {}), **entry.payload.get("fields", {})}
                Known.objects.update_or_create(
                    candidate_id=entry.candidate_id,
                    defaults={"version": int(version), "fields": fields},
                )
            _card_answered(entry, card)
            if card_message:
                # The change is on the server; what is left is for the point to know about
                # its login card (issue 20): it stays in the list until a person removes it.
                report.add("cards_void" if card == "void" else "cards_replaced")
                entry.state, entry.answer = Outbox.State.ATTENTION, CARD_ANSWER
                entry.last_error, entry.answered_at = card_message[:500], timezone.now()
                entry.save(update_fields=["state", "answer", "last_error", "answered_at"])
                return
            entry.delete()
            return
        _card_answered(entry, card)
        entry.state, entry.answer = Outbox.State.ATTENTION, outcome
        entry.last_error = str(result.get("message") or _("Refused by the server."))[:500]
        if outcome == "conflict" and result.get("reason") == "after_deadline":
            entry.last_error = _(
                "Changed after the deadline: the county decides whether to keep this change."
                " %(message)s"
            ) % {"message": result.get("message") or ""}
            entry.last_error = entry.last_error.strip()[:500]
        elif outcome == "conflict" and result.get("reason") == "number_taken":
            # The server's message says it all: saved without the number, the county
            # gives a fresh one (issue 20).
            pass
        elif outcome == "conflict":
            entry.last_error = _(
                "Conflict: someone changed this candidate on the server meanwhile. Resolve it"
                " here, or the county or the point does in the office web. %(message)s"
            ) % {"message": result.get("message") or ""}
            entry.last_error = entry.last_error.strip()[:500]
        if card_message:
            entry.last_error = f"{entry.last_error} {card_message}".strip()[:500]
        entry.answered_at = timezone.now()
        entry.save(update_fields=["state", "answer", "last_error", "answered_at"])
        # The local record still shows what the server did not take: pull the point's
        # candidates again from the start, so that it shows the server's record (the
        # point's values stay in this entry, and on the server in the conflict).
        ClientState.objects.filter(pk=1).update(cursor="")


# What a change's entry answers once only its login card needs the point's attention.
CARD_ANSWER = "card"
CARD_STATUSES = ("accepted", "replaced", "void", "same")


def _card_answer(entry: Outbox, result: dict[str, Any]) -> tuple[str, str]:
    """The server's answer for the login card the change carried: (status, message)."""
    if not isinstance(entry.payload.get("card"), dict):
        return "", ""
    card = result.get("card")
    if card not in CARD_STATUSES:
        return "", ""
    message = str(result.get("card_message") or "")
    if card in ("void", "replaced") and not message:
        message = _("The login card printed here no longer works: another card was issued.")
    return card, message if card in ("void", "replaced") else ""


def _card_answered(entry: Outbox, card: str) -> None:
    """The server decided on the card (taken or void): it is not sent again."""
    if not card:
        return
    issued_at = dt.datetime.fromisoformat(entry.payload["card"]["issued_at"])
    Known.objects.filter(candidate_id=entry.candidate_id).update(card_issued_at=issued_at)


# ── photos ────────────────────────────────────────────────────────────────────────────


def photo_bytes(entry: Outbox) -> bytes | None:
    """The photo's file as it was taken, or None if it is gone or changed."""
    from gaokao.photos.models import CandidatePhoto

    photo = CandidatePhoto.objects.filter(pk=entry.id).first()
    if photo is None:
        return None
    try:
        with photo.original.open("rb") as f:
            data = f.read()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != entry.payload.get("sha256"):
        return None
    return data


def upload_photos(api: Api, report: Report) -> None:
    pending = Outbox.objects.filter(kind=Outbox.Kind.PHOTO, state=Outbox.State.PENDING)
    for entry in pending.order_by("created_at", "id"):
        if Outbox.objects.filter(
            kind=Outbox.Kind.CHANGE, candidate_id=entry.candidate_id, state=Outbox.State.PENDING
        ).exists():
            continue  # the candidate itself is not on the server yet
        if upload_photo(api, entry):
            report.add("photos")


def upload_photo(api: Api, entry: Outbox) -> bool:
    """Send one photo from where the server has got to. True once the server has it all."""
    path = f"/photos/{entry.id}"
    Outbox.objects.filter(pk=entry.pk).update(attempts=_plus_one(), sent_at=timezone.now())
    status, data = api.call("GET", path)
    if status == 404:
        status, data = api.call(
            "POST",
            path,
            {
                "candidate": entry.payload["candidate"],
                "size": entry.payload["size"],
                "sha256": entry.payload["sha256"],
                "source": entry.payload.get("source", "camera"),
                "note": entry.payload.get("note", ""),
            },
        )
    if status not in (200, 201):
        _photo_error(entry, detail(data, status))
        return False
    if data.get("complete"):
        entry.delete()
        return True
    content = photo_bytes(entry)
    if content is None:
        entry.state = Outbox.State.ATTENTION
        _photo_error(entry, _("The photo's file on this PC is missing or changed."))
        return False
    received = _offset(data)
    for _attempt in range(len(content) // CHUNK + 10):
        if received >= len(content):
            break
        chunk = content[received : received + CHUNK]
        status, data = api.call(
            "PUT", f"{path}?offset={received}", body=chunk, content_type="application/octet-stream"
        )
        if status == 409 and "received" in data:  # the server has a different offset
            received = _offset(data)
            continue
        if status != 200:
            _photo_error(entry, detail(data, status))
            return False
        received = _offset(data)
        if data.get("complete"):
            break
    else:
        _photo_error(entry, _("The upload did not advance."))
        return False
    if not data.get("complete"):
        status, data = api.call("GET", path)
        if status != 200 or not data.get("complete"):
            _photo_error(entry, detail(data, status))
            return False
    entry.delete()
    return True


def _offset(data: dict[str, Any]) -> int:
    try:
        return max(0, int(data.get("received", 0)))
    except (TypeError, ValueError):
        return 0


def _photo_error(entry: Outbox, message: str) -> None:
    entry.last_error = str(message)[:500]
    entry.save(update_fields=["state", "last_error"])


# ── incidents, their entries, comments (issue 20) ─────────────────────────────────────


def push_records(api: Api, report: Report) -> None:
    """Send the incidents, timeline entries and comments recorded here, batch by batch,
    until none waits; each keeps the server's answer (gaokao.client.records)."""
    state = ClientState.load()
    for _round in range(MAX_PULL_PAGES):
        body, sent = records.batch(state)
        if not sent:
            return
        status, data = api.call("POST", "/records", body)
        data = _expect_ok(status, data, _("the incidents and comments"))
        answered = 0
        for result in data.get("results") or []:
            record = sent.get(str(result.get("id"))) if isinstance(result, dict) else None
            if record is not None:
                report.add(records.record_answer(record, result))
                answered += 1
        if answered == 0:
            raise SyncError(_("The server's answer did not name any of the records sent."))


# ── pull ──────────────────────────────────────────────────────────────────────────────


def pull(api: Api, state: ClientState, report: Report) -> None:
    """Fetch configuration and changed candidates until the cursor stops moving."""
    for _page in range(MAX_PULL_PAGES):
        status, data = api.call("GET", "/pull?cursor=" + quote(state.cursor or "", safe=""))
        data = _expect_ok(status, data, _("the pull"))
        if _page == 0:  # the notices the point reads, and their attachments
            records.apply_notices(api, data.get("notices"), _local_point(state))
        cursor = str(data.get("cursor") or "")
        with transaction.atomic():
            config = data.get("config")
            point = None
            if isinstance(config, dict) and config:
                digest = config_digest(config)
                if digest != state.config_sha256:
                    try:
                        point = apply_config(config, state)
                    except (BadConfig, KeyError, TypeError, ValueError) as e:
                        raise SyncError(
                            _("The server's configuration cannot be used: %(error)s") % {"error": e}
                        ) from e
                    state.config_sha256 = digest
            point = point or _local_point(state)
            try:
                season = current()
            except NoCurrentSeason:  # fine as long as the server sends no candidates
                season = None
            candidates = data.get("candidates") or []
            if candidates and (point is None or season is None):
                raise SyncError(_("The server sent candidates before its configuration."))
            for snapshot in candidates:
                if isinstance(snapshot, dict) and snapshot.get("id"):
                    outcome = apply_snapshot(snapshot, season, point)
                    report.add("pulled" if outcome == "written" else outcome)
            moved = cursor != (state.cursor or "")
            state.cursor = cursor
            state.save()
            _create_local_account(state)
        if data.get("more") is False or not moved or not candidates:
            return
    raise SyncError(_("The server kept sending more; the pull stops here."))


def _local_point(state: ClientState):
    from gaokao.regions.models import RegistrationPoint

    return RegistrationPoint.objects.filter(code=state.point_code).first()


def _create_local_account(state: ClientState) -> None:
    """The account made at enrolment, once the point is known locally."""
    from gaokao.accounts.models import Role, StaffUser

    account = state.local_account
    point = _local_point(state)
    if not account or point is None:
        return
    user = StaffUser.objects.filter(username__iexact=account["username"]).first()
    if user is None:
        user = StaffUser(username=account["username"], role=Role.POINT, point=point)
    user.role, user.point, user.region = Role.POINT, point, None
    user.password = account["password_hash"]
    user.totp_secret, user.totp_last_step = account["totp_secret"], None
    user.real_name = account.get("real_name", "")[:50]
    user.real_name_verified_at = user.real_name_verified_at or timezone.now()
    user.is_active = True
    user.save()
    state.local_account = {}
    state.save(update_fields=["local_account"])


# ── one sync ──────────────────────────────────────────────────────────────────────────


def sync_once(transport: Transport | None = None) -> Report:
    """Push, upload photos, pull. Never raises for network trouble: the report says."""
    state = require_state()
    api = Api(state.server_url, state.token, transport)
    report = Report()
    try:
        push(api, report)
        upload_photos(api, report)
        push_records(api, report)
        pull(api, ClientState.load(), report)  # the push may have reset the cursor
    except SyncError as e:
        report.ok, report.error = False, e.message
        log.warning("sync failed: %s", e.message)
    state = ClientState.load()
    now = timezone.now()
    state.last_sync_at, state.last_sync_ok = now, report.ok
    state.last_sync_result = report.summary()[:500]
    if report.ok:
        state.last_success_at = now
    state.save(
        update_fields=["last_sync_at", "last_sync_ok", "last_sync_result", "last_success_at"]
    )
    return report


# ── what the status shows ─────────────────────────────────────────────────────────────


@dataclass
class Status:
    state: ClientState | None
    pending_changes: int
    pending_photos: int
    in_flight: int
    attention: list[Outbox]
    oldest_pending: dt.datetime | None
    # Incidents, their entries and comments recorded here and not synced yet (issue 20).
    pending_records: dict[str, int] = field(default_factory=dict)


def status() -> Status:
    pending = Outbox.objects.filter(state=Outbox.State.PENDING)
    oldest = pending.order_by("created_at").values_list("created_at", flat=True).first()
    attention = Outbox.objects.filter(state=Outbox.State.ATTENTION) | pending.exclude(
        last_error=""
    ).filter(kind=Outbox.Kind.PHOTO)
    return Status(
        state=ClientState.load(),
        pending_changes=pending.filter(kind=Outbox.Kind.CHANGE).count(),
        pending_photos=pending.filter(kind=Outbox.Kind.PHOTO).count(),
        in_flight=pending.filter(sent_at__isnull=False, kind=Outbox.Kind.CHANGE).count(),
        attention=list(attention.order_by("created_at")),
        oldest_pending=oldest,
        pending_records=records.pending_counts(),
    )


def candidate_labels(entries) -> dict:
    """Candidate id → "registration number and name" of the outbox entries' candidates, as
    point staff know them (issue 20: never a UUID): from the local record, else from the
    change itself."""
    from gaokao.candidates.models import Candidate

    ids = {entry.candidate_id for entry in entries}
    rows = Candidate.objects.filter(pk__in=ids).values_list("pk", "registration_number", "name")
    labels = {pk: " ".join(filter(None, (number, name))) for pk, number, name in rows}
    for entry in entries:
        fields = (entry.payload.get("fields") or {}) if entry.kind == Outbox.Kind.CHANGE else {}
        if not labels.get(entry.candidate_id):
            number, name = fields.get("registration_number"), fields.get("name")
            labels[entry.candidate_id] = " ".join(filter(None, (number, name))) or _(
                "a candidate not on this PC"
            )
    return labels


# "Online" on every page of the client (issue 20): the last contact with the server
# succeeded within this time. The sync loop of `gaokao client serve` tries every minute
# (a failed sync again after RETRY_SECONDS), so a few missed rounds mean offline.
ONLINE_WITHIN = dt.timedelta(minutes=5)


def is_online(state: ClientState | None, now: dt.datetime | None = None) -> bool:
    """Whether the last sync reached the server, and recently: read from the local state,
    never a network call."""
    if state is None or not state.last_sync_ok or state.last_success_at is None:
        return False
    return (now or timezone.now()) - state.last_success_at <= ONLINE_WITHIN


def run_loop(every: float, stop, on_report=None, transport: Transport | None = None) -> None:
    """Sync every `every` seconds until `stop` (a threading.Event) is set. A failed sync
    is tried again after a shorter wait, so work goes out soon after the network returns."""
    from django.db import close_old_connections, connection

    while not stop.is_set():
        close_old_connections()
        try:
            report = sync_once(transport)
        except NotEnrolled as e:
            report = Report(ok=False, error=e.message)
        except Exception:  # the loop must outlive one bad sync; it is logged
            log.exception("sync failed unexpectedly")
            report = Report(ok=False, error="unexpected error; see the log")
        finally:
            connection.close()
        if on_report is not None:
            on_report(report)
        stop.wait(every if report.ok else min(every, RETRY_SECONDS))


RETRY_SECONDS = 15
