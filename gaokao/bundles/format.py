"""The disc bundle (E5) — 数据盘: a point client's pending work in one file that only the
central server can read and that only one enrolled device can have written.

When the network stays out until the deadline, the point client writes its pending changes
and photos into a bundle (`gaokao client export`), someone carries it to the county, and the
county imports it in the office web (gaokao.bundles.services). The changes inside are the
same objects the client would have pushed by sync, under the same change ids, so a bundle
imported twice, or imported after the changes arrived by sync, applies nothing twice.

Cryptography (the `cryptography` package):

- confidentiality: the payload is encrypted with AES-256-GCM under a key made for this
  bundle alone: an ephemeral X25519 key pair of the writer and the server's X25519 public key
  give a shared secret (ECDH), HKDF-SHA256 derives the key (salt: the ephemeral public key
  followed by the server's public key; info: ``INFO``). Only the server's private key (kept
  in ``DATA_DIR/bundles/server_x25519.pem``) opens it. The header and manifest are the GCM
  associated data, so they cannot be changed without the decryption failing too.
- attribution: the device signs everything before the signature with its Ed25519 key (the
  key it enrolled with, gaokao.sync.models.Device.public_key). The signature is checked
  before anything is decrypted; a revoked device's bundles are refused.
- integrity of the payload as the device meant it: the manifest carries the payload's
  SHA-256, checked after decryption.

Binary layout, version 1 (all integers unsigned, big-endian)::

    offset      size  field
    0           8     magic: b"GKBUNDLE"
    8           2     format version: 1
    10          4     M: length of the manifest
    14          M     manifest: UTF-8 JSON object (below)
    14+M        32    ephemeral X25519 public key (raw)
    46+M        12    AES-GCM nonce
    58+M        8     C: length of the ciphertext (the GCM tag's 16 bytes included)
    66+M        C     ciphertext of the payload; associated data: bytes 0 .. 14+M
    66+M+C      64    Ed25519 signature of bytes 0 .. 66+M+C by the device's key
    130+M+C           end of file: nothing may follow

The manifest, readable without the server's key (so that a person can see whose disc it
is) but covered by the signature::

    {"format": 1, "device": "<device uuid>", "point": "<point code>",
     "changes": <number of changes>, "photos": <number of photos>,
     "created_at": "<ISO 8601 with offset>", "payload_sha256": "<64 hex digits>",
     "records": {"incidents": <n>, "entries": <n>, "comments": <n>}}   (optional)

The payload, once decrypted, is UTF-8 JSON::

    {"changes": [<change>, ...],
     "photos": [{"id": "<photo uuid>", "candidate": "<candidate uuid>",
                 "sha256": "<64 hex digits>", "data": "<Base64 of the photo's bytes>",
                 "source": "camera|upload|network", "note": "<text>"}, ...]}
    (source and note are optional: a camera photo without a note)

and, optionally (issue 20, item 4 — added in the same version 1, as an extension)::

     "records": {"incidents": [<incident>, ...], "entries": [<entry>, ...],
                 "comments": [<comment>, ...]}

the point's other records that wait for the sync: incidents with their timeline entries
and comments on candidates, each the object `POST /api/v1/records` takes
(gaokao.api.schemas.RecordsIn; datetimes as ISO 8601 with offset), under the ids the client
gave them. They are inside the encrypted payload and so covered by the signature; the
manifest's "records" gives their numbers. A bundle without "records" (written before this
extension, or with no such records) holds none; the key is then absent from both the
manifest and the payload, which are byte for byte what they were before. The records are
applied by `gaokao.sync.records.receive`, like records by sync.

where a change is the object of the sync contract (gaokao.sync.push): id, kind,
candidate, base_version, fields, keyed_at (when the point keyed it, E3-E5). This module
checks the payload's shape only; what the changes ask for is checked by
`gaokao.sync.push.apply_changes`, like changes by sync.

`read_bundle` treats its input as hostile: anything wrong raises `BundleRefused` with a
reason code (`REASONS`) and a message for people, never another exception.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.translation import gettext as _

MAGIC = b"GKBUNDLE"
VERSION = 1
INFO = b"gaokao bundle v1 payload key"
HEADER = struct.Struct(">8sHI")  # magic, version, manifest length
KEY_BYTES = 32
NONCE_BYTES = 12
LENGTH = struct.Struct(">Q")  # ciphertext length
TAG_BYTES = 16
SIGNATURE_BYTES = 64
MAX_MANIFEST_BYTES = 4096  # a manifest is about 300 bytes
RECORD_KINDS = ("incidents", "entries", "comments")  # the payload's optional "records"

NOT_A_BUNDLE = "not_a_bundle"
UNKNOWN_VERSION = "unknown_version"
TRUNCATED = "truncated"
UNKNOWN_DEVICE = "unknown_device"
REVOKED_DEVICE = "revoked_device"
BAD_SIGNATURE = "bad_signature"
DECRYPTION_FAILED = "decryption_failed"
PAYLOAD_HASH = "payload_hash"
MALFORMED = "malformed"
REASONS = (
    NOT_A_BUNDLE,
    UNKNOWN_VERSION,
    TRUNCATED,
    UNKNOWN_DEVICE,
    REVOKED_DEVICE,
    BAD_SIGNATURE,
    DECRYPTION_FAILED,
    PAYLOAD_HASH,
    MALFORMED,
)

_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
# What parsing hostile bytes could raise if a check above were missed; errors of the
# device lookup (the database) are not among them and propagate as they are.
_PARSING_ERRORS = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    OverflowError,
    RecursionError,
    struct.error,
)


class BundleRefused(Exception):
    """The file is not a bundle this server accepts. `reason` is a code of REASONS (or a
    service's own, such as "foreign"); `message` is shown to staff as it is."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Manifest:
    format: int
    device_id: uuid.UUID
    point_code: str
    changes: int
    photos: int
    created_at: dt.datetime
    payload_sha256: str
    records: dict[str, int] = field(default_factory=dict)  # kind → number; {} if none


@dataclass(frozen=True)
class Photo:
    id: uuid.UUID
    candidate: uuid.UUID
    sha256: str
    data: bytes = field(repr=False)
    source: str = "camera"  # where the point recorded the photo came from (optional key)
    note: str = ""


@dataclass(frozen=True)
class Bundle:
    manifest: Manifest
    changes: list[dict[str, Any]]
    photos: list[Photo]
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # RECORD_KINDS


# ── the server's key pair ─────────────────────────────────────────────────────────────


def server_key_path() -> Path:
    return Path(settings.DATA_DIR) / "bundles" / "server_x25519.pem"


def server_private_key() -> X25519PrivateKey:
    """The server's X25519 key, made on first use. Every app server must read the same
    file (the data directory is shared, like the media files)."""
    path = server_key_path()
    if not path.exists():
        _create_key(path)
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def _create_key(path: Path) -> None:
    # Two processes may start at once: each writes its own temporary file and links it into
    # place; link() fails if the other won, and then both use the winner's key.
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = X25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def server_public_key_b64() -> str:
    """The server's public key as the point client receives it (raw 32 bytes, Base64)."""
    raw = (
        server_private_key()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return base64.b64encode(raw).decode("ascii")


def x25519_public_key(b64: str) -> X25519PublicKey:
    """The server's public key from its Base64 form (raises ValueError if it is not one)."""
    return X25519PublicKey.from_public_bytes(_raw_key(b64))


def ed25519_public_key(b64: str) -> Ed25519PublicKey:
    """A device's public key from its Base64 form (raises ValueError if it is not one)."""
    return Ed25519PublicKey.from_public_bytes(_raw_key(b64))


def _raw_key(b64: str) -> bytes:
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, TypeError) as e:
        raise ValueError("not Base64") from e
    if len(raw) != KEY_BYTES:
        raise ValueError("not a 32-byte key")
    return raw


# ── writing ───────────────────────────────────────────────────────────────────────────


def write_bundle(
    *,
    device_id: uuid.UUID | str,
    device_private_key: Ed25519PrivateKey,
    server_public_key: X25519PublicKey,
    point_code: str,
    changes: list[dict[str, Any]],
    photos: list[dict[str, Any]],
    created_at: dt.datetime,
    records: dict[str, list[dict[str, Any]]] | None = None,
) -> bytes:
    """The bundle of `changes` (sync contract objects), `photos` (dicts with id,
    candidate, sha256 and data: bytes) and `records` (incidents, entries, comments as
    JSON-ready objects of the records contract) for the server, signed by the device."""
    if created_at.tzinfo is None:
        raise ValueError("created_at must be aware")
    records = {kind: list((records or {}).get(kind) or ()) for kind in RECORD_KINDS}
    extra = {"records": records} if any(records.values()) else {}
    payload = _canonical(
        extra
        | {
            "changes": list(changes),
            "photos": [
                {
                    "id": str(p["id"]),
                    "candidate": str(p["candidate"]),
                    "sha256": p["sha256"],
                    "source": p.get("source", "camera"),
                    "note": p.get("note", ""),
                    "data": base64.b64encode(p["data"]).decode("ascii"),
                }
                for p in photos
            ],
        }
    )
    manifest = _canonical(
        {
            "format": VERSION,
            "device": str(uuid.UUID(str(device_id))),
            "point": point_code,
            "changes": len(changes),
            "photos": len(photos),
            "created_at": created_at.isoformat(),
            "payload_sha256": hashlib.sha256(payload).hexdigest(),
        }
        | ({"records": {kind: len(items) for kind, items in records.items()}} if extra else {})
    )
    head = HEADER.pack(MAGIC, VERSION, len(manifest)) + manifest
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    key = _payload_key(ephemeral.exchange(server_public_key), ephemeral_public, server_public_key)
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(key).encrypt(nonce, payload, head)
    body = b"".join([head, ephemeral_public, nonce, LENGTH.pack(len(ciphertext)), ciphertext])
    return body + device_private_key.sign(body)


def _canonical(value: Any) -> bytes:
    return json.dumps(
        value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def _payload_key(shared: bytes, ephemeral_public: bytes, server_public: X25519PublicKey) -> bytes:
    salt = ephemeral_public + server_public.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=INFO).derive(shared)


# ── reading ───────────────────────────────────────────────────────────────────────────


def peek_manifest(data: bytes) -> Manifest:
    """The manifest as written, NOT authenticated: for telling people whose disc a refused
    file claims to be. Raises BundleRefused like read_bundle."""
    return _parse_manifest(_split(data)[1])


def read_bundle(
    data: bytes,
    *,
    server_private_key: X25519PrivateKey,
    device_key_for: Callable[[uuid.UUID], Ed25519PublicKey | None],
) -> Bundle:
    """The bundle in `data`, verified and decrypted, or BundleRefused.

    `device_key_for(device_id)` returns the public key of an enrolled, unrevoked device, or
    None; it may also raise BundleRefused itself with a more precise reason (a revoked
    device)."""
    try:
        return _read(data, server_private_key, device_key_for)
    except _PARSING_ERRORS as e:  # defence in depth: hostile input must never cause a 500
        raise _damaged() from e


def _split(data: bytes) -> tuple[bytes, bytes, bytes, bytes, bytes, bytes, bytes]:
    """(head, manifest, ephemeral public key, nonce, ciphertext, signed body, signature)."""
    view = memoryview(data)
    if len(view) < len(MAGIC) or bytes(view[: len(MAGIC)]) != MAGIC:
        raise BundleRefused(NOT_A_BUNDLE, _("This file is not a bundle of a point client."))
    if len(view) < HEADER.size:
        raise _truncated()
    _magic, version, manifest_length = HEADER.unpack_from(view)
    if version != VERSION:
        raise BundleRefused(
            UNKNOWN_VERSION,
            _("The bundle has format version %(version)d, which this server does not read.")
            % {"version": version},
        )
    position = HEADER.size + manifest_length
    fixed = KEY_BYTES + NONCE_BYTES + LENGTH.size
    if position + fixed > len(view):
        raise _truncated()
    if manifest_length > MAX_MANIFEST_BYTES:
        raise BundleRefused(MALFORMED, _("The bundle's content is damaged."))
    head = view[:position]
    manifest = view[HEADER.size : position]
    ephemeral = view[position : position + KEY_BYTES]
    nonce = view[position + KEY_BYTES : position + KEY_BYTES + NONCE_BYTES]
    (cipher_length,) = LENGTH.unpack_from(view, position + KEY_BYTES + NONCE_BYTES)
    start = position + fixed
    end = start + cipher_length
    if end + SIGNATURE_BYTES > len(view):
        raise _truncated()
    if end + SIGNATURE_BYTES != len(view):
        raise BundleRefused(MALFORMED, _("The bundle has data after its end."))
    if cipher_length < TAG_BYTES:
        raise BundleRefused(MALFORMED, _("The bundle's content is damaged."))
    return (
        bytes(head),
        bytes(manifest),
        bytes(ephemeral),
        bytes(nonce),
        view[start:end],
        view[:end],
        bytes(view[end:]),
    )


def _truncated() -> BundleRefused:
    return BundleRefused(
        TRUNCATED, _("The bundle is incomplete: the file was cut short while copying.")
    )


def _read(data, server_key, device_key_for) -> Bundle:
    head, manifest_bytes, ephemeral, nonce, ciphertext, body, signature = _split(data)
    manifest = _parse_manifest(manifest_bytes)
    device_key = device_key_for(manifest.device_id)
    if device_key is None:
        raise BundleRefused(
            UNKNOWN_DEVICE, _("The bundle was written by a point client this server does not know.")
        )
    try:
        device_key.verify(signature, body)
    except InvalidSignature:
        raise BundleRefused(
            BAD_SIGNATURE,
            _("The bundle's signature does not match: it was changed after it was written."),
        ) from None
    try:
        ephemeral_key = X25519PublicKey.from_public_bytes(ephemeral)
        key = _payload_key(server_key.exchange(ephemeral_key), ephemeral, server_key.public_key())
        payload = AESGCM(key).decrypt(nonce, ciphertext, head)
    except (InvalidTag, ValueError):
        raise BundleRefused(
            DECRYPTION_FAILED,
            _("The bundle cannot be decrypted: it was written for another server's key."),
        ) from None
    if hashlib.sha256(payload).hexdigest() != manifest.payload_sha256:
        raise BundleRefused(PAYLOAD_HASH, _("The bundle's content does not match its manifest."))
    changes, photos, records = _parse_payload(payload)
    counts = {kind: len(items) for kind, items in records.items() if items}
    if (
        len(changes) != manifest.changes
        or len(photos) != manifest.photos
        or counts != {kind: n for kind, n in manifest.records.items() if n}
    ):
        raise BundleRefused(MALFORMED, _("The bundle's content does not match its manifest."))
    return Bundle(manifest=manifest, changes=changes, photos=photos, records=records)


def _damaged() -> BundleRefused:
    return BundleRefused(MALFORMED, _("The bundle's content is damaged."))


def _json(raw: bytes) -> Any:
    def refuse_constant(name: str) -> Any:
        raise ValueError(name)

    try:
        return json.loads(raw.decode("utf-8"), parse_constant=refuse_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        raise _damaged() from None


def _uuid(value: Any) -> uuid.UUID:
    if not isinstance(value, str):
        raise _damaged()
    try:
        return uuid.UUID(value)
    except ValueError:
        raise _damaged() from None


def _count(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise _damaged()
    return value


def _parse_manifest(raw: bytes) -> Manifest:
    m = _json(raw)
    if not isinstance(m, dict) or m.get("format") != VERSION:
        raise _damaged()
    point, created, digest = m.get("point"), m.get("created_at"), m.get("payload_sha256")
    if not isinstance(point, str) or not 0 < len(point) <= 20 or not point.isascii():
        raise _damaged()
    if not isinstance(digest, str) or not _HEX64.match(digest):
        raise _damaged()
    if not isinstance(created, str) or len(created) > 40:
        raise _damaged()
    try:
        created_at = dt.datetime.fromisoformat(created)
    except ValueError:
        raise _damaged() from None
    if created_at.tzinfo is None or not 2000 <= created_at.year <= 9998:
        raise _damaged()  # (year 1 at UTC+14 cannot even be shown in Beijing time)
    return Manifest(
        format=VERSION,
        device_id=_uuid(m.get("device")),
        point_code=point,
        changes=_count(m.get("changes")),
        photos=_count(m.get("photos")),
        created_at=created_at,
        payload_sha256=digest,
        records=_record_counts(m.get("records", {})),
    )


def _record_counts(value: Any) -> dict[str, int]:
    if not isinstance(value, dict) or not set(value) <= set(RECORD_KINDS):
        raise _damaged()
    return {kind: _count(n) for kind, n in value.items()}


def _parse_payload(raw: bytes):
    p = _json(raw)
    if not isinstance(p, dict):
        raise _damaged()
    changes, photos = p.get("changes"), p.get("photos")
    if not isinstance(changes, list) or not isinstance(photos, list):
        raise _damaged()
    if not all(isinstance(c, dict) for c in changes):
        raise _damaged()
    records = _parse_records(p.get("records", {}))
    return changes, [_parse_photo(item) for item in photos], records


# The records' shape, as the API checks it (gaokao.api.schemas.RecordsIn): key → parser.
# What the records ask for is checked by gaokao.sync.records, like records by sync.
def _text_of(limit: int):
    def parse(value: Any) -> str:
        if not isinstance(value, str) or len(value) > limit:
            raise _damaged()
        return value

    return parse


def _optional(parse):
    return lambda value: None if value is None else parse(value)


def _moment(value: Any) -> dt.datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise _damaged()
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise _damaged() from None
    if moment.tzinfo is None:
        raise _damaged()
    return moment


def _codes(value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > 20:
        raise _damaged()
    return [_text_of(7)(code) for code in value]


_RECORD_FIELDS: dict[str, dict[str, tuple[Callable[[Any], Any], Any]]] = {
    # field: (parser, default if absent; ... = required)
    "incidents": {
        "id": (_uuid, ...),
        "point": (_text_of(7), ...),
        "region": (_optional(_text_of(6)), None),
        "affected": (_codes, []),
        "kind": (_text_of(16), ...),
        "severity": (_text_of(16), ...),
        "started_at": (_moment, ...),
        "reported_at": (_optional(_moment), None),
        "description": (_text_of(2000), ...),
        "entry": (_optional(_uuid), None),
        "by": (_text_of(150), ""),
    },
    "entries": {
        "id": (_uuid, ...),
        "incident": (_uuid, ...),
        "kind": (_text_of(16), ...),
        "at": (_moment, ...),
        "text": (_text_of(2000), ""),
        "by": (_text_of(150), ""),
    },
    "comments": {
        "id": (_uuid, ...),
        "candidate": (_uuid, ...),
        "text": (_text_of(400), ""),
        "base_version": (_count, ...),
        "written_at": (_optional(_moment), None),
        "by": (_text_of(150), ""),
    },
}


def _parse_records(value: Any) -> dict[str, list[dict[str, Any]]]:
    if not isinstance(value, dict) or not set(value) <= set(RECORD_KINDS):
        raise _damaged()
    records = {}
    for kind in RECORD_KINDS:
        items = value.get(kind, [])
        if not isinstance(items, list):
            raise _damaged()
        records[kind] = [_parse_record(_RECORD_FIELDS[kind], item) for item in items]
    return records


def _parse_record(fields, item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise _damaged()
    out = {}
    for name, (parse, default) in fields.items():
        if name in item:
            out[name] = parse(item[name])
        elif default is ...:
            raise _damaged()
        else:
            out[name] = default
    return out


def _parse_photo(item: Any) -> Photo:
    if not isinstance(item, dict):
        raise _damaged()
    digest, data = item.get("sha256"), item.get("data")
    if not isinstance(digest, str) or not _HEX64.match(digest) or not isinstance(data, str):
        raise _damaged()
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _damaged() from None
    source, note = item.get("source", "camera"), item.get("note", "")
    if not isinstance(source, str) or not isinstance(note, str):
        raise _damaged()
    return Photo(
        id=_uuid(item.get("id")),
        candidate=_uuid(item.get("candidate")),
        sha256=digest,
        data=raw,
        source=source,
        note=note,
    )
