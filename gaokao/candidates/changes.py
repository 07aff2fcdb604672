"""Telling whoever keeps a copy of candidates that a record changed (E4, E5, R4).

The point client (客户版) sends its local work to the central server from an outbox; the
outbox entry must be written in the same transaction as the change, so that nothing saved
can miss it and nothing rolled back can reach it. Every service that changes a candidate's
synced values or adds a photo says so here, explicitly, in its transaction:
`candidate_changed`, or `candidates_changed` after a bulk update (which no post_save signal
would see). On the central server nobody listens; the point client registers its outbox
(gaokao.client.capture) when it starts in client mode. The domain names the event; it does
not know who listens.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

CandidatesListener = Callable[[list[uuid.UUID]], None]
PhotoListener = Callable[[Any], None]

_listeners: dict[str, tuple[CandidatesListener, PhotoListener]] = {}


def listen(key: str, *, candidates: CandidatesListener, photo: PhotoListener) -> None:
    """Register `candidates(ids)` and `photo(candidate_photo)` under `key` (once)."""
    _listeners[key] = (candidates, photo)


def stop_listening(key: str) -> None:
    _listeners.pop(key, None)


def candidates_changed(candidate_ids: Iterable[Any]) -> None:
    """These candidates' values changed (a bulk update included); call inside the
    transaction that changed them."""
    if not _listeners:
        return
    ids = [uuid.UUID(str(pk)) for pk in candidate_ids]
    for on_candidates, _on_photo in list(_listeners.values()):
        on_candidates(ids)


def candidate_changed(candidate_id: Any) -> None:
    candidates_changed([candidate_id])


def photo_added(photo: Any) -> None:
    """A new photo of a candidate (gaokao.photos.models.CandidatePhoto) was saved."""
    for _on_candidates, on_photo in list(_listeners.values()):
        on_photo(photo)
