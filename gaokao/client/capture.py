"""Capturing local work on the point client (E4, E5): every change of a candidate or a new
photo becomes an outbox entry, in the same transaction as the change, so that nothing saved
locally can miss the outbox and nothing rolled back can reach it.

The services that change candidates say so explicitly (gaokao.candidates.changes), bulk
updates included; `connect` (called by ClientConfig.ready in client mode only) makes the
outbox their listener. Writes that come *from* the server (a pull) run inside
`from_server()` and queue nothing.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.utils import timezone

from gaokao.candidates import changes
from gaokao.candidates.models import Candidate
from gaokao.client.fields import values_of
from gaokao.client.models import Known, Outbox

_local = threading.local()


@contextlib.contextmanager
def from_server() -> Iterator[None]:
    """Writes inside this block are the server's own data: they queue nothing."""
    depth = getattr(_local, "depth", 0)
    _local.depth = depth + 1
    try:
        yield
    finally:
        _local.depth = depth


def suppressed() -> bool:
    return getattr(_local, "depth", 0) > 0


def pending_change(candidate_id: Any) -> Outbox | None:
    """The candidate's change that has not left the device yet (the one that coalesces)."""
    return (
        Outbox.objects.select_for_update()
        .filter(
            kind=Outbox.Kind.CHANGE,
            candidate_id=candidate_id,
            state=Outbox.State.PENDING,
            sent_at__isnull=True,
        )
        .first()
    )


def card_of(candidate: Candidate, known: Known | None) -> dict[str, str] | None:
    """The login card issued here that the server has not answered for yet (issue 20):
    its password's hash, never the password, and when it was issued."""
    issued_at = candidate.credentials_issued_at
    if not candidate.portal_password or issued_at is None:
        return None
    if known is not None and known.card_issued_at is not None and issued_at <= known.card_issued_at:
        return None
    return {"password_hash": candidate.portal_password, "issued_at": issued_at.isoformat()}


def candidate_changed(candidate_id: Any) -> Outbox | None:
    """Queue (or update) the candidate's pending change from its values now. Returns the
    entry, or None when the values are what the server last confirmed and nothing waits."""
    if suppressed():
        return None
    with transaction.atomic():
        # Read back from the database: the instance saved may hold F() expressions.
        candidate = Candidate.objects.get(pk=candidate_id)
        values = values_of(candidate)
        known = Known.objects.filter(candidate_id=candidate.pk).first()
        entry = pending_change(candidate.pk)
        in_flight = Outbox.objects.filter(
            kind=Outbox.Kind.CHANGE,
            candidate_id=candidate.pk,
            state=Outbox.State.PENDING,
            sent_at__isnull=False,
        ).exists()
        card = card_of(candidate, known)
        if known is not None and known.fields == values and not in_flight and card is None:
            # Back to what the server has: nothing to send (a save of other columns, or an
            # edit undone before it was sent).
            if entry is not None:
                entry.delete()
            return None
        payload = {
            "kind": "update" if known is not None else "create",
            "base_version": known.version if known is not None else None,
            "fields": values,
            # The last time the values were keyed (E3-E5): a later edit coalescing into
            # this entry moves it on, so the server judges the window by the last edit.
            "keyed_at": timezone.now().isoformat(),
        }
        if card is not None:
            payload["card"] = card
        if entry is None:
            entry = Outbox(id=uuid.uuid4(), kind=Outbox.Kind.CHANGE, candidate_id=candidate.pk)
        entry.payload = payload
        entry.save()
        return entry


def photo_added(photo: Any) -> Outbox | None:
    """Queue a new photo for upload; its bytes are read from the file at upload time."""
    if suppressed():
        return None
    entry, _created = Outbox.objects.get_or_create(
        id=photo.pk,
        defaults={
            "kind": Outbox.Kind.PHOTO,
            "candidate_id": photo.candidate_id,
            "payload": {
                "photo": str(photo.pk),
                "candidate": str(photo.candidate_id),
                "sha256": photo.original_sha256,
                "size": photo.original_bytes,
                "source": photo.source,
                "note": photo.note,
            },
        },
    )
    return entry


def candidates_changed(candidate_ids: Any) -> list[Outbox]:
    """Queue (or update) the pending change of each candidate: the batch form, for a bulk
    update."""
    entries = (candidate_changed(pk) for pk in candidate_ids)
    return [entry for entry in entries if entry is not None]


LISTENER = "gaokao.client.outbox"


def connect() -> None:
    changes.listen(LISTENER, candidates=candidates_changed, photo=photo_added)


def disconnect() -> None:
    changes.stop_listening(LISTENER)
