"""Importing disc bundles at the county (E5): check, then apply.

A county user uploads the bundle a point brought on a disc. `check` verifies it (format,
signature, device, jurisdiction) and reports what it holds without changing anything;
the file is held server-side (`hold`) until the same user confirms, and `apply` hands the
changes to the same service sync uses (`gaokao.sync.push.apply_changes`, via="bundle")
and the photos to the same resumable upload. Every change carries the id the point client
gave it and the server keeps a receipt per id, so a bundle imported twice, or imported
after its changes arrived by sync, changes nothing the second time. The import is when
the server receives the changes: a change keyed while its window was open is applied if
the import comes within the grace after the close (gaokao.sync.offline), and otherwise
waits as a conflict 截止后修改 for the county.

The point's other records on the disc (issue 20: incidents, their timeline entries,
comments) go to `gaokao.sync.records.receive` with via="bundle", as by sync: a device
reports only its own point's records, each is stored once by its id however often it
arrives (disc twice, disc then sync), and a comment the county changed meanwhile is
refused, never overwritten.

Only the county of the device's point imports its bundles: the county is the level that
receives the point's records (S9), and its staff know the point's people and disc.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from gaokao.accounts.models import Role
from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.bundles.format import (
    REVOKED_DEVICE,
    Bundle,
    BundleRefused,
    Photo,
    ed25519_public_key,
    peek_manifest,
    read_bundle,
    server_private_key,
)
from gaokao.candidates.models import Candidate
from gaokao.regions.models import RegistrationPoint
from gaokao.sync import photos as sync_photos
from gaokao.sync.errors import shown
from gaokao.sync.keys import parse_public_key
from gaokao.sync.models import Device, PhotoUpload, Receipt
from gaokao.sync.push import apply_changes
from gaokao.sync.records import receive as receive_records

MAX_BYTES = 200 * 1024 * 1024  # a point's photos and changes; a CD holds 700 MB
KEEP = dt.timedelta(days=1)  # a checked file waits this long for its confirmation
CHUNK = 500  # ids per query (SQLite allows 999 variables in old builds)

FORBIDDEN = "forbidden"
TOO_LARGE = "too_large"
FOREIGN = "foreign"
POINT_MISMATCH = "point_mismatch"
NOT_HELD = "not_held"

STATUSES = ("applied", "duplicate", "conflict", "refused")
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")


@dataclass
class Summary:
    """What a verified bundle holds, before anything is applied."""

    sha256: str
    size: int
    device: Device
    point: RegistrationPoint
    created_at: dt.datetime
    changes: int
    creates: int
    updates: int
    already_received: int  # changes whose id the server has a receipt for
    photos: int
    photos_received: int  # photos already complete on the server
    incidents: int = 0
    entries: int = 0
    comments: int = 0

    @property
    def new_changes(self) -> int:
        return self.changes - self.already_received


@dataclass(frozen=True)
class Problem:
    """A change or photo of the bundle that was not applied, and why."""

    id: str
    candidate: str
    number: str  # registration number
    name: str
    message: str
    earlier: bool = False  # refused when it first arrived (by sync or an earlier import)
    kind: str = ""  # for the point's other records: incident, entry or comment


@dataclass
class ImportResult:
    summary: Summary
    counts: dict[str, int]
    refused: list[Problem] = field(default_factory=list)
    conflicts: list[Problem] = field(default_factory=list)
    photos: dict[str, int] = field(default_factory=dict)
    photo_problems: list[Problem] = field(default_factory=list)
    records: dict[str, int] = field(default_factory=dict)  # applied, duplicate, refused
    record_problems: list[Problem] = field(default_factory=list)


# ── verifying ─────────────────────────────────────────────────────────────────────────


def _verified(data: bytes, user: Any, request=None) -> tuple[Bundle, Device, str]:
    """The bundle, its device and the file's SHA-256, or BundleRefused (audited)."""
    digest = hashlib.sha256(data).hexdigest()
    found: dict[str, Device] = {}

    def device_key_for(device_id: uuid.UUID):
        device = Device.objects.select_related("point").filter(pk=device_id).first()
        if device is None:
            return None
        # Before the signature: another county's disc is none of this user's business.
        if not Device.objects.visible_to(user).filter(pk=device.pk).exists():
            raise BundleRefused(
                FOREIGN,
                _(
                    "This bundle comes from a point of another county; only that county can"
                    " import it."
                ),
            )
        if device.revoked_at is not None:
            raise BundleRefused(
                REVOKED_DEVICE,
                _(
                    "The point client that wrote this bundle (%(device)s) was revoked; its"
                    " bundles are not accepted. Ask the point to enrol its client again and"
                    " export anew."
                )
                % {"device": device},
            )
        try:  # checked at enrolment; again here, as a small-order key would accept forgeries
            key = ed25519_public_key(parse_public_key(device.public_key))
        except ValueError:
            return None
        found["device"] = device
        return key

    try:
        if getattr(user, "role", None) != Role.COUNTY:
            raise BundleRefused(FORBIDDEN, _("Only county offices import bundles."))
        if len(data) > MAX_BYTES:
            raise BundleRefused(
                TOO_LARGE,
                _("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // 2**20},
            )
        bundle = read_bundle(
            data, server_private_key=server_private_key(), device_key_for=device_key_for
        )
        device = found["device"]
        if bundle.manifest.point_code != device.point.code:
            raise BundleRefused(
                POINT_MISMATCH,
                _("The bundle names point %(code)s, but its client belongs to %(point)s.")
                % {"code": bundle.manifest.point_code, "point": device.point},
            )
    except BundleRefused as e:
        record(
            Action.BUNDLE_REFUSED,
            actor=user,
            request=request,
            reason=e.reason,
            sha256=digest,
            size=len(data),
            claimed_device=_claimed_device(data),
        )
        raise
    return bundle, device, digest


def _claimed_device(data: bytes) -> str:
    """The device a refused file claims to come from (unauthenticated), for the trail."""
    try:
        return str(peek_manifest(data).device_id)
    except BundleRefused:
        return ""


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _uuids(values) -> list[uuid.UUID]:
    out = []
    for value in values:
        try:
            out.append(uuid.UUID(str(value)))
        except ValueError:
            continue  # apply_changes refuses it with its reason
    return out


def _text(value: Any) -> str:
    """A value of the (signed, but not trusted) payload as text, whatever its type."""
    return value if isinstance(value, str) else ""


def _summary(bundle: Bundle, device: Device, digest: str, size: int) -> Summary:
    kinds = Counter(_text(c.get("kind")) for c in bundle.changes)
    change_ids = _uuids(c.get("id") for c in bundle.changes)
    received = sum(Receipt.objects.filter(pk__in=chunk).count() for chunk in _chunks(change_ids))
    photo_ids = [p.id for p in bundle.photos]
    photos_received = sum(
        PhotoUpload.objects.filter(device=device, pk__in=chunk, photo_id__isnull=False).count()
        for chunk in _chunks(photo_ids)
    )
    return Summary(
        sha256=digest,
        size=size,
        device=device,
        point=device.point,
        created_at=bundle.manifest.created_at,
        changes=len(bundle.changes),
        creates=kinds["create"],
        updates=kinds["update"],
        already_received=received,
        photos=len(bundle.photos),
        photos_received=photos_received,
        incidents=len(bundle.records.get("incidents") or ()),
        entries=len(bundle.records.get("entries") or ()),
        comments=len(bundle.records.get("comments") or ()),
    )


def check(data: bytes, user: Any, *, request=None) -> Summary:
    """Dry run: verify the bundle for a county user and say what it holds; nothing changes
    (except the trail of a refused file)."""
    bundle, device, digest = _verified(data, user, request)
    return _summary(bundle, device, digest, len(data))


# ── applying ──────────────────────────────────────────────────────────────────────────


def apply(data: bytes, user: Any, *, request=None) -> ImportResult:
    """Verify the bundle again and apply it: its changes as sync would, then its photos.
    Each change is its own transaction (in apply_changes), so a refused one stops nothing."""
    bundle, device, digest = _verified(data, user, request)
    summary = _summary(bundle, device, digest, len(data))
    results = apply_changes(device, bundle.changes, via="bundle")
    counts = dict.fromkeys(STATUSES, 0)
    counts.update(Counter(r["status"] for r in results))
    labels = _labels(bundle, user)
    refused, conflicts = [], []
    for change, r in zip(bundle.changes, results, strict=True):
        # A change refused when it first arrived is listed again: the point must still act.
        earlier = r["status"] == "duplicate" and r.get("original_status") == "refused"
        if r["status"] not in ("refused", "conflict") and not earlier:
            continue
        candidate = _text(change.get("candidate"))
        problem = _problem(
            str(r.get("id") or ""), candidate, labels, r.get("message") or "", earlier=earlier
        )
        (conflicts if r["status"] == "conflict" else refused).append(problem)
    photos, photo_problems = _apply_photos(device, bundle.photos, labels)
    record_counts, record_problems = _apply_records(device, bundle, labels)
    record(
        Action.BUNDLE_IMPORTED,
        actor=user,
        request=request,
        unit=device.point,
        target=device,
        device=str(device.pk),
        sha256=digest,
        size=len(data),
        created_at=bundle.manifest.created_at.isoformat(),
        changes=counts,
        photos=photos,
        records=record_counts,
    )
    return ImportResult(
        summary=summary,
        counts=counts,
        refused=refused,
        conflicts=conflicts,
        photos=photos,
        photo_problems=photo_problems,
        records=record_counts,
        record_problems=record_problems,
    )


def _apply_records(device: Device, bundle: Bundle, labels):
    """The incidents, entries and comments of the disc, as sync would receive them."""
    counts = {"applied": 0, "duplicate": 0, "refused": 0}
    if not any(bundle.records.values()):
        return counts, []
    results = receive_records(device, bundle.records, via="bundle")
    candidates = {str(c["id"]): str(c["candidate"]) for c in bundle.records.get("comments", ())}
    problems = []
    for r in results:
        earlier = r["status"] == "duplicate" and r.get("original_status") == "refused"
        counts[r["status"]] += 1
        if r["status"] == "refused" or earlier:
            candidate = candidates.get(r["id"], "") if r["kind"] == "comment" else ""
            message = r["message"] or ""
            problems.append(
                _problem(r["id"], candidate, labels, message, earlier=earlier, kind=r["kind"])
            )
    return counts, problems


def _labels(bundle: Bundle, user: Any) -> dict[str, tuple[str, str]]:
    """Candidate id → (registration number, name), for telling people which change was
    refused: what a create gives, or the record's if the user may see it (never another
    county's)."""
    labels = {}
    for change in bundle.changes:
        fields = change.get("fields")
        if change.get("kind") == "create" and isinstance(fields, dict):
            number, name = fields.get("registration_number"), fields.get("name")
            labels[_text(change.get("candidate"))] = (
                shown(number, 8) if isinstance(number, str) else "",
                shown(name, 50) if isinstance(name, str) else "",
            )
    candidates = {_text(c.get("candidate")) for c in bundle.changes}
    candidates |= {str(c["candidate"]) for c in bundle.records.get("comments", ())}
    ids = _uuids(candidates | {p.candidate for p in bundle.photos})
    visible = Candidate.objects.visible_to(user)
    for chunk in _chunks(ids):
        rows = visible.filter(pk__in=chunk).values_list("pk", "registration_number", "name")
        for pk, number, name in rows:
            labels[str(pk)] = (number or "", name)
    return labels


def _problem(id: str, candidate: str, labels, message: str, **kw) -> Problem:
    number, name = labels.get(candidate, ("", ""))
    return Problem(id=id, candidate=candidate, number=number, name=name, message=message, **kw)


def _apply_photos(device: Device, photos: list[Photo], labels):
    counts = {"stored": 0, "already": 0, "refused": 0}
    problems = []
    for photo in photos:
        try:
            outcome = _apply_photo(device, photo)
        except ValidationError as e:  # SyncRefused, Locked (submitted), a photo refused
            outcome, message = "refused", " ".join(str(m) for m in e.messages)[:300]
        else:
            message = ""
        counts[outcome] += 1
        if outcome == "refused":
            problems.append(_problem(str(photo.id), str(photo.candidate), labels, message))
    return counts, problems


def _apply_photo(device: Device, photo: Photo) -> str:
    """The whole photo as one chunk, from wherever the server has got to (part of it may
    have arrived by sync before the network went out)."""
    state = sync_photos.start_photo(
        device,
        photo.id,
        photo.candidate,
        len(photo.data),
        photo.sha256,
        photo.source,
        photo.note,
    )
    if _complete(state):
        return "already"
    received = _received(state)
    state = sync_photos.append_photo(device, photo.id, received, photo.data[received:])
    return "stored" if _complete(state) else "refused"


def _received(state: Any) -> int:
    return state["received"] if isinstance(state, dict) else state.received


def _complete(state: Any) -> bool:
    if isinstance(state, dict):
        return bool(state.get("complete"))
    return state.photo_id is not None


# ── the file between check and confirmation ───────────────────────────────────────────


def _pending_dir() -> Path:
    return Path(settings.DATA_DIR) / "bundles" / "pending"


def _held_path(user: Any, sha256: str) -> Path:
    return _pending_dir() / f"{int(user.pk)}-{sha256}.bundle"


def hold(data: bytes, user: Any) -> str:
    """Keep the checked file for its confirmation by the same user; its SHA-256 names it.
    Files kept longer than KEEP, of anyone, go now. The file is encrypted: the disc's
    content stays unreadable on disk too."""
    purge_expired()
    digest = hashlib.sha256(data).hexdigest()
    path = _held_path(user, digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(temporary, path)  # a second check of the same file starts its day again
    return digest


def not_held_message() -> str:
    return _("The checked file is no longer here (files wait one day). Check the file again.")


def held(user: Any, sha256: str) -> bytes:
    """The file `user` checked under `sha256`, or BundleRefused if it is gone or expired."""
    gone = BundleRefused(NOT_HELD, not_held_message())
    if not isinstance(sha256, str) or not _HEX64.match(sha256):
        raise gone
    path = _held_path(user, sha256)
    try:
        if _expired(path):
            path.unlink(missing_ok=True)
            raise gone
        data = path.read_bytes()
    except FileNotFoundError:
        raise gone from None
    if hashlib.sha256(data).hexdigest() != sha256:
        path.unlink(missing_ok=True)
        raise gone
    return data


def discard(user: Any, sha256: str) -> None:
    if isinstance(sha256, str) and _HEX64.match(sha256):
        _held_path(user, sha256).unlink(missing_ok=True)


def _expired(path: Path) -> bool:
    # The file system's clock, like the file's modification time.
    return time.time() - path.stat().st_mtime > KEEP.total_seconds()


def purge_expired() -> int:
    """Delete held files older than KEEP; the number deleted."""
    deleted = 0
    folder = _pending_dir()
    if not folder.is_dir():
        return 0
    for path in folder.glob("*.bundle"):
        try:
            if _expired(path):
                path.unlink(missing_ok=True)
                deleted += 1
        except FileNotFoundError:
            continue  # another process purged it
    return deleted
