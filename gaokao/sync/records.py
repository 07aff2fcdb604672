"""The point's other records, up and down (issue 20, E8, S8): incidents and their timeline
entries and the comments a point client recorded go up; the notices meant for the point
come down.

A point without network reports the outage on its client (docs/contingencies.md); the
report reaches the centre at the next sync, under the ids the client gave it, through the
same services as a report made at the centre. So:

- a record sent twice is stored once: an incident or entry by its `uid`, a comment by the
  id of the change (a `Receipt`, like a candidate's change);
- a device sends only records of its own point: an incident naming another point or a
  region, an entry on another point's incident, a comment on another point's candidate
  are refused, and nothing of it is stored;
- each record stands alone: one refused does not stop the others, and its refusal is
  answered with the message the office web would show.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaokao.accounts.models import Role, StaffUser
from gaokao.candidates.models import Candidate
from gaokao.comments.models import Comment
from gaokao.comments.services import save_comment
from gaokao.incidents import services as incidents
from gaokao.incidents.models import Entry, Incident, IncidentEntry
from gaokao.notices.models import Attachment, Notice
from gaokao.sync.errors import NotFound, message_of, shown
from gaokao.sync.models import Device, Receipt


class Refused(Exception):
    """One record refused; the message goes back to the point as it is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _result(kind: str, pk: Any, status: str, message: str = "", version: int | None = None):
    return {"id": str(pk), "kind": kind, "status": status, "message": message, "version": version}


def _author(device: Device, username: Any) -> Any:
    """The centre's account of the person who recorded it at the point (the same user name
    as on the client); the account that enrolled the device if there is none such."""
    if isinstance(username, str) and username:
        user = StaffUser.objects.filter(
            username__iexact=username, role=Role.POINT, point=device.point, is_active=True
        ).first()
        if user is not None:
            return user
    return device.enrolled_by


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _one(kind: str, pk: Any, apply) -> dict[str, Any]:
    """Apply one record in its own savepoint: a refusal leaves nothing of it behind."""
    try:
        with transaction.atomic():
            return apply()
    except Refused as e:
        return _result(kind, pk, "refused", e.message)
    except ValidationError as e:
        return _result(kind, pk, "refused", message_of(e))
    except PermissionDenied:
        return _result(kind, pk, "refused", _("Outside this point's jurisdiction."))


# ── incidents ──────────────────────────────────────────────────────────────────────────


def _not_ours() -> Refused:
    return Refused(_("Not this point's incident."))


def receive_incident(device: Device, item: dict[str, Any]) -> dict[str, Any]:
    uid = item["id"]

    def apply():
        existing = Incident.objects.filter(uid=uid).first()
        if existing is not None:
            if existing.point_id != device.point_id:
                raise _not_ours()
            return _result("incident", uid, "duplicate", version=existing.version)
        if item.get("point") != device.point.code or item.get("region"):
            unit = shown(item.get("region") or item.get("point"))
            raise Refused(
                _("A point client reports its own point's incidents (%(code)s), not %(unit)s.")
                % {"code": device.point.code, "unit": unit}
            )
        if any(code != device.point.code for code in item.get("affected") or ()):
            raise Refused(_("A point names no other unit as affected."))
        incident = incidents.report_incident(
            by=_author(device, item.get("by")),
            kind=item["kind"],
            severity=item["severity"],
            started_at=_aware(item["started_at"]),
            description=item["description"],
            uid=uid,
            reported_at=_aware(item.get("reported_at")),
            entry_uid=item.get("entry"),
        )
        return _result("incident", uid, "applied", version=incident.version)

    try:
        return _one("incident", uid, apply)
    except IntegrityError:  # the same incident arrived twice at once, or a reused entry id
        if Incident.objects.filter(uid=uid, point=device.point).exists():
            return _result("incident", uid, "duplicate")
        return _result("incident", uid, "refused", _("This id is used already."))


ACTIONS = {
    Entry.COMMENT: lambda incident, by, text, sent: incidents.comment(
        incident, by=by, text=text, sent=sent
    ),
    Entry.ESCALATED: lambda incident, by, text, sent: incidents.escalate(
        incident, by=by, note=text, version=None, sent=sent
    ),
    Entry.RESOLVED: lambda incident, by, text, sent: incidents.resolve(
        incident, by=by, resolution=text, version=None, sent=sent
    ),
    Entry.REOPENED: lambda incident, by, text, sent: incidents.reopen(
        incident, by=by, reason=text, version=None, sent=sent
    ),
}


def receive_entry(device: Device, item: dict[str, Any]) -> dict[str, Any]:
    """A line the point added to its incident's timeline: a comment, or passing it up,
    resolving or reopening it, judged by the incident's state at the centre now (an
    incident the county resolved meanwhile is not resolved twice)."""
    uid = item["id"]

    def apply():
        existing = IncidentEntry.objects.filter(uid=uid).select_related("incident").first()
        if existing is not None:
            if existing.incident.point_id != device.point_id:
                raise _not_ours()
            return _result("entry", uid, "duplicate", version=existing.incident.version)
        incident = Incident.objects.filter(uid=item["incident"]).first()
        if incident is None:
            raise Refused(_("The centre does not have this incident: send the incident first."))
        if incident.point_id != device.point_id:
            raise _not_ours()
        action = ACTIONS.get(item["kind"])
        if action is None:
            raise Refused(_("A report is sent with its incident."))
        sent = {"uid": uid, "at": _aware(item["at"])}
        action(incident, _author(device, item.get("by")), item.get("text") or "", sent)
        incident.refresh_from_db(fields=["version"])
        return _result("entry", uid, "applied", version=incident.version)

    try:
        return _one("entry", uid, apply)
    except IntegrityError:
        if IncidentEntry.objects.filter(uid=uid, incident__point=device.point).exists():
            return _result("entry", uid, "duplicate")
        return _result("entry", uid, "refused", _("This id is used already."))


# ── comments ───────────────────────────────────────────────────────────────────────────


def receive_comment(device: Device, item: dict[str, Any], *, via: str = "sync") -> dict:
    """The point's comment on one of its candidates (S8), replacing the centre's version
    `base_version` (0: none). A comment the county changed meanwhile is refused, never
    overwritten; the centre already having the very text is no change."""
    pk = item["id"]
    receipt = Receipt.objects.filter(pk=pk).select_related("device").first()
    if receipt is not None:
        if receipt.device.point_id != device.point_id:
            return _result("comment", pk, "refused", _("This id is used already."))
        result = _result("comment", pk, "duplicate", receipt.message, receipt.version)
        return result | {"original_status": receipt.status}

    def apply():
        candidate = Candidate.objects.filter(pk=item["candidate"], point=device.point).first()
        if candidate is None:
            raise NotFound(_("Not this point's candidate."), code="not_this_point")
        text = item.get("text") or ""
        on_record = Comment.objects.filter(candidate=candidate).first()
        if on_record is None or on_record.text != text:
            save_comment(
                candidate,
                text=text,
                version=item["base_version"],
                by=_author(device, item.get("by")),
                written_at=_aware(item.get("written_at")),
            )
            on_record = Comment.objects.get(candidate=candidate)
        Receipt.objects.create(
            id=pk,
            device=device,
            candidate_id=candidate.pk,
            kind="comment",
            via=via,
            status=Receipt.Status.APPLIED,
            version=on_record.version,
        )
        return _result("comment", pk, "applied", version=on_record.version)

    result = _one("comment", pk, apply)
    if result["status"] == "refused":
        # The same id gets the same answer, however often it is sent.
        Receipt.objects.get_or_create(
            id=pk,
            defaults={
                "device": device,
                "kind": "comment",
                "via": via,
                "status": Receipt.Status.REFUSED,
                "message": result["message"][:300],
            },
        )
    return result


# ── all of them ────────────────────────────────────────────────────────────────────────


def receive(
    device: Device, records: dict[str, list[dict[str, Any]]], *, via: str = "sync"
) -> list[dict[str, Any]]:
    """Incidents first, then the entries (oldest first: they may be on those incidents),
    then comments; one result for each, in that order. `via`: "sync", or "bundle" for the
    records of a disc bundle the county imports (E5), kept on the comments' receipts."""
    results = [receive_incident(device, item) for item in records.get("incidents") or ()]
    entries = sorted(records.get("entries") or (), key=lambda item: item["at"])
    results += [receive_entry(device, item) for item in entries]
    results += [receive_comment(device, item, via=via) for item in records.get("comments") or ()]
    return results


# ── notices, down ──────────────────────────────────────────────────────────────────────


def notices_for(device: Device) -> list[dict[str, Any]]:
    """The notices the point's staff read (its county's, city's and province's, not
    withdrawn), with their attachments' names and sizes: the client keeps exactly these."""
    notices = Notice.objects.for_point(device.point).select_related("region")
    notices = notices.prefetch_related("attachments")
    return [
        {
            "id": notice.pk,
            "title": notice.title,
            "body": notice.body,
            "region": notice.region.code,
            "posted_at": notice.posted_at,
            "pinned": notice.pinned,
            "attachments": [
                {
                    "id": a.pk,
                    "filename": a.filename,
                    "size": a.size,
                    "content_type": a.content_type,
                    "sha256": a.sha256,
                }
                for a in notice.attachments.all()
            ],
        }
        for notice in notices
    ]


def attachment_for(device: Device, attachment_id: int) -> Attachment:
    """An attachment of a notice the point reads, or NotFound."""
    notices = Notice.objects.for_point(device.point).values("pk")
    attachment = Attachment.objects.filter(pk=attachment_id, notice__in=notices).first()
    if attachment is None:
        raise NotFound(_("No such attachment."), code="not_found")
    return attachment
