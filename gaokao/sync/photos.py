"""Photos from point clients, in resumable pieces (E4, E5, E6): the device announces a
photo (candidate, size, SHA-256, where it came from), sends bytes from where the server
says it has got to, and the complete, intact photo becomes the candidate's photo once."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gaokao.accounts.models import Role
from gaokao.candidates.errors import Locked
from gaokao.candidates.models import Candidate
from gaokao.candidates.stage import check_editable
from gaokao.lib.text import clean_text
from gaokao.photos.models import PhotoSource
from gaokao.photos.services import MAX_UPLOAD_BYTES, PhotoRefused, add_photo
from gaokao.sync.errors import NotFound, OffsetMismatch, SyncRefused, message_of, not_this_point
from gaokao.sync.fields import SHA256, is_int, parse_uuid
from gaokao.sync.models import Device, PhotoUpload


def photo_state(upload: PhotoUpload) -> dict[str, Any]:
    return {"received": upload.received, "complete": upload.photo_id is not None}


def _own_upload(device: Device, photo_id: Any, *, lock: bool = False) -> PhotoUpload:
    pk = parse_uuid(photo_id)
    queryset = PhotoUpload.objects.select_for_update() if lock else PhotoUpload.objects
    upload = queryset.filter(pk=pk, device__point=device.point).first() if pk else None
    if upload is None:
        raise NotFound(_("No such photo upload. Start it first."), code="no_upload")
    return upload


def _photo_origin(source: Any, note: Any) -> tuple[str, str]:
    """The photo's source and note as the point recorded them, checked like the office
    web's photo form: a photo sent over the network names how it came (E6)."""
    if source not in PhotoSource.values:
        raise SyncRefused(
            _("source must be one of: %(values)s.") % {"values": ", ".join(PhotoSource.values)},
            code="source",
        )
    if note is not None and not isinstance(note, str):
        raise SyncRefused(_("%(field)s must be text.") % {"field": "note"}, code="type")
    note = clean_text(note)[:200]
    if source == PhotoSource.NETWORK and not note:
        raise SyncRefused(_("Say who sent the photo over the network and how."), code="note")
    return source, note


def start_photo(
    device: Device,
    photo_id: Any,
    candidate_id: Any,
    size: Any,
    sha256: Any,
    source: Any = PhotoSource.CAMERA,
    note: Any = "",
) -> dict[str, Any]:
    """Announce a photo of one of the point's candidates (E4: taken at the point, maybe
    offline; E6: sent by the candidate). Starting the same photo again answers where it
    has got to."""
    source, note = _photo_origin(source, note)
    pk, cid = parse_uuid(photo_id), parse_uuid(candidate_id)
    if pk is None:
        raise SyncRefused(_("The photo id must be a UUID."), code="photo_id")
    if not is_int(size) or not 0 < size <= MAX_UPLOAD_BYTES:
        raise SyncRefused(
            _("The photo's size must be from 1 byte to %(mb)d MB.")
            % {"mb": MAX_UPLOAD_BYTES // 2**20},
            code="size",
        )
    digest = sha256.lower() if isinstance(sha256, str) else ""
    if not SHA256.fullmatch(digest):
        raise SyncRefused(_("The SHA-256 must be 64 hexadecimal digits."), code="sha256")
    candidate = (
        Candidate.objects.filter(pk=cid, point=device.point).first() if cid is not None else None
    )
    if candidate is None:
        raise not_this_point()
    existing = PhotoUpload.objects.filter(pk=pk).first()
    if existing is None:
        try:
            check_editable(candidate, Role.POINT)
        except Locked as e:  # as SyncRefused, which the bundle import reports
            raise SyncRefused(message_of(e), code="locked") from e
        try:
            with transaction.atomic():
                existing = PhotoUpload.objects.create(
                    id=pk,
                    device=device,
                    candidate=candidate,
                    size=size,
                    sha256=digest,
                    source=source,
                    note=note,
                )
        except IntegrityError:  # started by a second request at the same moment
            existing = PhotoUpload.objects.get(pk=pk)
    same = (existing.candidate_id, existing.size, existing.sha256) == (candidate.pk, size, digest)
    if existing.device.point_id != device.point_id or not same:
        raise SyncRefused(
            _("This photo id is used already for another photo; make a new one."),
            code="photo_id_used",
        )
    return photo_state(existing)


def photo_status(device: Device, photo_id: Any) -> dict[str, Any]:
    return photo_state(_own_upload(device, photo_id))


def append_photo(device: Device, photo_id: Any, offset: Any, chunk: bytes) -> dict[str, Any]:
    """Add the bytes from `offset`, which must be where the server has got to (else
    OffsetMismatch says where to resume). Complete, the photo is checked against its
    SHA-256 and becomes the candidate's photo exactly once; later pieces change nothing."""
    failure = None
    with transaction.atomic():
        upload = _own_upload(device, photo_id, lock=True)
        if upload.photo_id is not None:
            return photo_state(upload)  # complete already: a repeat changes nothing
        if not is_int(offset) or offset != upload.received:
            raise OffsetMismatch(
                _("The server has %(received)d bytes of this photo: send from there.")
                % {"received": upload.received},
                received=upload.received,
            )
        if offset + len(chunk) > upload.size:
            raise SyncRefused(
                _("These bytes go beyond the photo's announced size (%(size)d bytes).")
                % {"size": upload.size},
                code="beyond_size",
            )
        data = bytes(upload.data) + bytes(chunk)
        upload.data, upload.received = data, len(data)
        if upload.received == upload.size:
            failure = _complete(device, upload, data)
        upload.save(update_fields=["data", "received", "photo_id"])
    if failure is not None:  # raised after the reset is committed, so the client resumes at 0
        raise failure
    return photo_state(upload)


def _complete(device: Device, upload: PhotoUpload, data: bytes) -> SyncRefused | None:
    """Make the photo; on failure empty the upload (to be sent again) and return the
    error to raise once that is saved."""
    if hashlib.sha256(data).hexdigest() != upload.sha256:
        failure = SyncRefused(
            _(
                "The photo's bytes do not match its SHA-256: they were damaged on the way."
                " Send the photo again from the start."
            ),
            code="sha256_mismatch",
        )
    else:
        candidate = Candidate.objects.select_related("point").get(pk=upload.candidate_id)
        try:
            photo = add_photo(
                candidate,
                data,
                source=upload.source,
                note=upload.note or _("point client %(name)s") % {"name": device.name},
                by=device.enrolled_by,
            )
        except PhotoRefused as e:
            failure = SyncRefused(e.messages[0], code=e.code)
        else:
            upload.photo_id, upload.data = photo.pk, b""
            return None
    upload.data, upload.received = b"", 0
    return failure
