"""Writing the outbox to a disc bundle (E5) when the network stays out until the deadline.

The bundle carries the same changes, under the same ids, that sync would send, so the
county importing it and a later sync of this client apply each of them once. Entries
written to a bundle are frozen like sent ones and stay in the outbox until the server
acknowledges them (by a sync after the import), so a lost disc loses nothing.

The point's other records waiting for the sync (issue 20: incidents, their timeline
entries, comments) go on the disc too, under their ids, and likewise stay pending here:
the next sync sends them again and the centre answers that it has them.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaokao.bundles.format import write_bundle, x25519_public_key
from gaokao.candidates.models import Candidate
from gaokao.client.capture import candidate_changed
from gaokao.client.enrolment import load_device_key
from gaokao.client.models import ClientState, Outbox
from gaokao.client.records import batch as pending_records
from gaokao.client.sync import SyncError, basis_of, finalize, photo_bytes, predicted, require_state


@dataclass
class Exported:
    path: Path
    again: int  # changes refused by sync and sent again on the disc
    changes: int
    photos: int
    missing_photos: int
    size: int
    records: int = 0  # incidents, entries and comments


def requeue_refused() -> int:
    """Changes the server refused by sync go on the disc again, under new ids (the old
    ids have their answer on the server). Above all, candidates taken in offline whose
    sync came after the deadline: sync is refused then, and the county's import of the
    disc is how they reach the server (E5). Conflicts are not among them: a person
    decides those on the server. Returns how many were queued again."""
    again = 0
    refused = Outbox.objects.select_for_update().filter(
        kind=Outbox.Kind.CHANGE, state=Outbox.State.ATTENTION, answer="refused"
    )
    for entry in refused.order_by("created_at", "id"):
        if not Candidate.objects.filter(pk=entry.candidate_id).exists():
            continue  # nothing here to send again; the entry keeps what was sent
        entry.delete()
        if candidate_changed(entry.candidate_id):
            again += 1
    return again


def export_bundle(
    path: Path, *, server_key_b64: str | None = None, now: dt.datetime | None = None
) -> Exported:
    """Write every pending change and photo to `path` (replaced if it exists).

    The bundle is encrypted for the server's key: the one the enrolment and the pulls
    brought, or `server_key_b64` (what `gaokao bundles public-key` prints on the server,
    published by the province with the client), which is then kept for next time. When a
    pull announced a different key, no bundle is written until a person confirms one."""
    state = require_state()
    key_b64 = (server_key_b64 or state.bundle_public_key or "").strip()
    if not key_b64:
        raise SyncError(
            _(
                "The server's bundle key is not known on this PC: sync once while the network"
                " is up, or give it with --server-key (the province publishes it with the"
                " point client)."
            )
        )
    if state.bundle_key_offered and not server_key_b64:
        raise SyncError(
            _(
                "The server announced a bundle key different from the one this PC was enrolled"
                " with. No bundle is written for a key nobody confirmed: ask the county office"
                " for the key the province publishes and give it with --server-key."
            )
        )
    try:
        server_key = x25519_public_key(key_b64)
    except ValueError as e:
        raise SyncError(
            _("The server's bundle key is not valid: 32 bytes in Base64 are expected.")
        ) from e
    if key_b64 != state.bundle_public_key or state.bundle_key_offered:
        # Confirmed by a person: the key given is trusted from now on.
        ClientState.objects.filter(pk=state.pk).update(
            bundle_public_key=key_b64, bundle_key_offered=""
        )
    device_key = load_device_key()
    path = Path(path)
    with transaction.atomic():
        again = requeue_refused()
        pending = Outbox.objects.select_for_update().filter(state=Outbox.State.PENDING)
        changes, bases = [], {}
        for entry in pending.filter(kind=Outbox.Kind.CHANGE).order_by("created_at", "id"):
            key = entry.candidate_id
            basis = bases[key] if key in bases else basis_of(key)
            change = finalize(entry, basis)
            if change is None:
                continue
            # Later changes of the same candidate build on what the earlier will make.
            bases[key] = predicted(basis, change)
            changes.append(change)
        photos, missing = [], 0
        for entry in pending.filter(kind=Outbox.Kind.PHOTO).order_by("created_at", "id"):
            data = photo_bytes(entry)
            if data is None:
                missing += 1
                continue
            photos.append(
                {
                    "id": entry.id,
                    "candidate": entry.candidate_id,
                    "sha256": entry.payload["sha256"],
                    "source": entry.payload.get("source", "camera"),
                    "note": entry.payload.get("note", ""),
                    "data": data,
                }
            )
        records, _sent = pending_records(
            state, limit=None, with_changes={c["candidate"] for c in changes}
        )
        n_records = sum(len(items) for items in records.values())
        if not changes and not photos and not n_records:
            raise SyncError(_("Nothing is waiting to be sent: no bundle was written."))
        content = write_bundle(
            device_id=state.device_id,
            device_private_key=device_key,
            server_public_key=server_key,
            point_code=state.point_code,
            changes=changes,
            photos=photos,
            records=records,
            created_at=now or timezone.now(),
        )
        # Written beside the target and renamed: a half-written file never has its name.
        temporary = path.with_name(f".{path.name}.partial")
        try:
            with open(temporary, "wb") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temporary, path)
        except OSError as e:
            temporary.unlink(missing_ok=True)
            raise SyncError(
                _("The bundle cannot be written to %(path)s: %(error)s")
                % {"path": path, "error": e.strerror or e}
            ) from e
        ClientState.objects.filter(pk=state.pk).update(last_export_at=timezone.now())
    return Exported(
        path=path,
        again=again,
        changes=len(changes),
        photos=len(photos),
        missing_photos=missing,
        size=len(content),
        records=n_records,
    )
