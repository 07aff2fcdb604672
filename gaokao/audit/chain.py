"""The hash chain of the audit trail (E3): editing, deleting or reordering an event shows.

Every event belongs to one chain, named by its unit and its day in Beijing time
(``p17:2026-11-28`` for registration point 17, ``r3:2026-11-28`` for region 3): appending
locks only that chain's head (`AuditChainHead`), so the writers of different points or
days never wait for each other. Events that belong to no unit (a sign-in with an unknown
user name, counted against the province) are spread over a few chains of the province
(``r1:2026-11-28:5``), so that an attack with made-up names does not queue every such
event behind one lock.

An event's `hash` is HMAC-SHA256 over a canonical JSON of its fields, its place in the
chain (`seq`) and the hash of the event before it (`prev_hash`). It is an HMAC, not a plain
hash, because whoever can write to the database could otherwise recompute the whole chain
after an edit; the key lives outside the database (settings.AUDIT_KEY if the operators set
one, otherwise derived from SECRET_KEY). The format is versioned (`VERSION`) and must never
change for version 1: the migration that chained the events made before the chain existed
uses these functions too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import zlib
from typing import Any

from django.conf import settings
from django.utils import timezone

VERSION = 1
GENESIS = "0" * 64  # the `prev_hash` of the first event of every chain
# Chains of the province for events that belong to no unit (see the module docstring).
UNOWNED_STRIPES = 8
# The latest key of each secret comes first; the others only verify older events.
_CONTEXT = b"gaokao.audit.chain.v1"


def _derive(secret: str | bytes) -> bytes:
    raw = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(raw, _CONTEXT, hashlib.sha256).digest()


def keys() -> list[bytes]:
    """The keys events are hashed with: the first writes, every one is accepted when
    verifying (so that a SECRET_KEY rotated into SECRET_KEY_FALLBACKS, or the move to a
    dedicated AUDIT_KEY, does not make the older events look edited)."""
    secrets = [
        getattr(settings, "AUDIT_KEY", None),
        *getattr(settings, "AUDIT_KEY_FALLBACKS", ()),
        settings.SECRET_KEY,
        *getattr(settings, "SECRET_KEY_FALLBACKS", ()),
    ]
    derived: list[bytes] = []
    for secret in secrets:
        if secret and _derive(secret) not in derived:
            derived.append(_derive(secret))
    return derived


def chain_key(
    *, region_id: int | None, point_id: int | None, at: dt.datetime, stripe: int | None = None
) -> str:
    """The chain of an event of this unit at this moment."""
    if point_id is not None:
        unit = f"p{point_id}"
    elif region_id is not None:
        unit = f"r{region_id}"
    else:
        unit = "-"
    key = f"{unit}:{timezone.localdate(at).isoformat()}"
    return key if stripe is None else f"{key}:{stripe}"


def stripe_of(*values: Any) -> int:
    """A stable stripe for an event without a unit, from its address or label."""
    text = "|".join(str(v) for v in values if v)
    return zlib.crc32(text.encode()) % UNOWNED_STRIPES


def _plain(value: Any) -> Any:
    """JSON as the database gives it back: PostgreSQL's jsonb returns a float with an
    integral value (1e20) as an integer, so both are written as the integer."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _instant(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical(event: Any, *, seq: int | None = None) -> bytes:
    """The bytes an event's hash covers. `event` is an AuditEvent (or the migration's
    historical model of it); `seq` replaces its own, to find where a moved event was."""
    fields = {
        "v": VERSION,
        "at": _instant(event.at),
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "ip": str(event.ip) if event.ip else None,
        "region": event.region_id,
        "point": event.point_id,
        "target": event.target,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "detail": _plain(event.detail),
        "chain": event.chain,
        "seq": event.seq if seq is None else seq,
        "prev_hash": event.prev_hash,
    }
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode()


def digest(event: Any, key: bytes | None = None, *, seq: int | None = None) -> str:
    """The event's hash under `key` (default: the key that writes)."""
    key = key if key is not None else keys()[0]
    return hmac.new(key, canonical(event, seq=seq), hashlib.sha256).hexdigest()


def intact(event: Any, *, seq: int | None = None, candidates: list[bytes] | None = None) -> bool:
    """Whether the stored hash is the hash of the event's fields under one of our keys."""
    if not event.hash:
        return False
    for key in candidates if candidates is not None else keys():
        if hmac.compare_digest(digest(event, key, seq=seq).encode(), event.hash.encode()):
            return True
    return False


def chain_legacy(event_model: Any, head_model: Any, *, batch: int = 1000) -> int:
    """Chain the events made before the chain existed, in (at, id) order per chain, and
    write their heads. Used by migration 0011 with its historical models; memory holds one
    head per chain, never the events. Returns the number of events chained."""
    heads: dict[str, Any] = {}
    pending = event_model.objects.filter(seq__isnull=True).order_by("at", "id")
    done = 0
    # Each batch leaves the `seq IS NULL` set once written, so the next query starts after.
    while events := list(pending[:batch]):
        for event in events:
            event.chain = chain_key(region_id=event.region_id, point_id=event.point_id, at=event.at)
            head = heads.get(event.chain)
            if head is None:
                day = timezone.localdate(event.at)
                head = heads[event.chain] = head_model(chain=event.chain, day=day, hash="")
                head.seq = 0
            event.seq, event.prev_hash = head.seq + 1, head.hash or GENESIS
            event.hash = digest(event)
            head.seq, head.hash = event.seq, event.hash
        event_model.objects.bulk_update(events, ["chain", "seq", "prev_hash", "hash"])
        done += len(events)
    head_model.objects.bulk_create(heads.values(), batch_size=batch)
    return done
