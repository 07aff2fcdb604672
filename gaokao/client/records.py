"""The point's other records at a sync (issue 20): the incidents, timeline entries and
comments recorded on this PC go up; the notices meant for the point come down.

Each of those records says itself whether the centre has it (`upload`: pending, done,
refused), in the same row and so in the same transaction as the record: nothing recorded
here can be forgotten, and nothing needs an outbox entry. A record goes up under the id it
got here (`uid`; for a comment, one made of the device, the candidate and the comment's
version), so sending it again after a cut stores it once. It becomes "done" only on the
server's answer naming it; a refusal keeps the server's message on the record.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from gaokao.client.models import ClientState, Outbox
from gaokao.comments.models import Comment
from gaokao.incidents.models import Entry, Incident, IncidentEntry, Upload
from gaokao.notices.models import Attachment, Notice
from gaokao.payments.gateways.base import GatewayError
from gaokao.regions.models import Region

BATCH = 200  # records of each kind per call
MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024


def _at(value: Any) -> str:
    return timezone.localtime(value).isoformat() if value else None


def comment_change_id(device_id: Any, comment: Comment) -> uuid.UUID:
    """The id the comment as it is now goes up under: the same until it is changed here."""
    return uuid.uuid5(
        uuid.UUID(str(device_id)), f"comment:{comment.candidate_id}:{comment.version}"
    )


def _incident_out(incident: Incident) -> dict[str, Any]:
    reported = incident.entries.filter(kind=Entry.REPORTED).order_by("at", "pk").first()
    return {
        "id": str(incident.uid),
        "point": incident.point.code if incident.point_id else "",
        "region": incident.region.code if incident.region_id else None,
        "affected": [p.code for p in incident.affected_points.all()],
        "kind": incident.kind,
        "severity": incident.severity,
        "started_at": _at(incident.started_at),
        "reported_at": _at(incident.reported_at),
        "description": incident.description,
        "entry": str(reported.uid) if reported else None,
        "by": incident.reported_by.username,
    }


def _entry_out(entry: IncidentEntry) -> dict[str, Any]:
    return {
        "id": str(entry.uid),
        "incident": str(entry.incident.uid),
        "kind": entry.kind,
        "at": _at(entry.at),
        "text": entry.text,
        "by": entry.by.username,
    }


def _comment_out(state: ClientState, comment: Comment) -> dict[str, Any]:
    return {
        "id": str(comment_change_id(state.device_id, comment)),
        "candidate": str(comment.candidate_id),
        "text": comment.text,
        "base_version": comment.server_version,
        "written_at": _at(comment.written_at),
        "by": comment.written_by.username,
    }


def pending_counts() -> dict[str, int]:
    """How many of each kind wait for the next sync (for the status)."""
    return {
        "incidents": Incident.objects.filter(upload=Upload.PENDING).count(),
        "entries": IncidentEntry.objects.filter(upload=Upload.PENDING)
        .exclude(kind=Entry.REPORTED)
        .count(),
        "comments": Comment.objects.filter(upload=Upload.PENDING).count(),
    }


def batch(
    state: ClientState, *, limit: int | None = BATCH, with_changes: Any = ()
) -> tuple[dict[str, list], dict[str, Any]]:
    """What goes up now, and the local record behind each id sent. The disc bundle (E5)
    takes all (`limit` None), and comments on the candidates `with_changes` whose
    pending changes go on the same disc ahead of them."""
    sent: dict[str, Any] = {}
    incidents = list(
        Incident.objects.filter(upload=Upload.PENDING)
        .select_related("point", "region", "reported_by")
        .prefetch_related("affected_points")
        .order_by("reported_at", "pk")[:limit]
    )
    entries = list(
        IncidentEntry.objects.filter(upload=Upload.PENDING)
        .exclude(kind=Entry.REPORTED)  # goes up with its incident
        # On an incident the server has, or that goes up with them.
        .filter(Q(incident__upload=Upload.DONE) | Q(incident__in=[i.pk for i in incidents]))
        .select_related("incident", "by")
        .order_by("at", "pk")[:limit]
    )
    waiting = Outbox.objects.filter(kind=Outbox.Kind.CHANGE, state=Outbox.State.PENDING)
    comments = list(
        Comment.objects.filter(upload=Upload.PENDING)
        # Not before the candidate itself is on the server.
        .exclude(
            candidate_id__in=waiting.exclude(candidate_id__in=list(with_changes)).values(
                "candidate_id"
            )
        )
        .select_related("written_by")
        .order_by("written_at", "pk")[:limit]
    )
    body = {
        "incidents": [_incident_out(i) for i in incidents],
        "entries": [_entry_out(e) for e in entries],
        "comments": [_comment_out(state, c) for c in comments],
    }
    for incident, item in zip(incidents, body["incidents"], strict=True):
        sent[item["id"]] = incident
    for entry, item in zip(entries, body["entries"], strict=True):
        sent[item["id"]] = entry
    for comment, item in zip(comments, body["comments"], strict=True):
        sent[item["id"]] = comment
    return body, sent


def record_answer(record: Any, result: dict[str, Any]) -> str:
    """Keep the server's answer on the record sent; the report's count to add."""
    status = result.get("status")
    if status == "duplicate":
        status = result.get("original_status") or "applied"
    done = status in ("applied", "duplicate")
    values = {"upload": Upload.DONE if done else Upload.REFUSED}
    values["upload_message"] = "" if done else str(result.get("message") or "")[:300]
    with transaction.atomic():
        if isinstance(record, Comment):
            if done and isinstance(result.get("version"), int):
                values["server_version"] = result["version"]
            # Changed here since it was sent: the new text still waits.
            Comment.objects.filter(pk=record.pk, version=record.version).update(**values)
        elif isinstance(record, Incident):
            Incident.objects.filter(pk=record.pk).update(**values)
            # Its report went with it.
            record.entries.filter(kind=Entry.REPORTED).update(**values)
        else:
            IncidentEntry.objects.filter(pk=record.pk).update(**values)
    return "records" if done else "records_refused"


# ── notices, down ─────────────────────────────────────────────────────────────────────


def _chain(point) -> list[int]:
    row = Region.objects.filter(pk=point.county_id).values_list(
        "pk", "parent_id", "parent__parent_id"
    )
    return [pk for pk in row.first() or () if pk is not None]


def apply_notices(api, notices: Any, point) -> int:
    """Keep exactly the notices the server says the point reads: new and changed ones
    written, attachments fetched, the others withdrawn here. Returns how many are new."""
    if not isinstance(notices, list) or point is None:
        return 0
    regions = {r.code: r for r in Region.objects.filter(pk__in=_chain(point))}
    now, new, kept = timezone.now(), 0, []
    for item in notices:
        region = regions.get(str(item.get("region"))) if isinstance(item, dict) else None
        if region is None:
            continue  # not a unit above this point: never shown here
        posted_at = parse_datetime(str(item.get("posted_at"))) or now
        notice, created = Notice.objects.update_or_create(
            pk=int(item["id"]),
            defaults={
                "title": str(item.get("title") or "")[:200],
                "body": str(item.get("body") or ""),
                "region": region,
                "posted_at": posted_at,
                "pinned": bool(item.get("pinned")),
                "withdrawn_at": None,
            },
        )
        new += created
        kept.append(notice.pk)
        for attachment in item.get("attachments") or []:
            _fetch_attachment(api, notice, attachment)
    Notice.objects.filter(region__in=regions.values(), withdrawn_at__isnull=True).exclude(
        pk__in=kept
    ).update(withdrawn_at=now)
    return new


def _fetch_attachment(api, notice: Notice, item: dict[str, Any]) -> None:
    """Download an attachment the client does not have yet (checked against its SHA-256);
    one that cannot be fetched now is tried again at the next sync."""
    pk, sha256 = int(item["id"]), str(item.get("sha256") or "")
    have = Attachment.objects.filter(pk=pk, sha256=sha256).first()
    if have is not None and have.file and have.file.storage.exists(have.file.name):
        return
    if not 0 < int(item.get("size") or 0) <= MAX_ATTACHMENT_BYTES:
        return
    headers = {"Authorization": f"Device {api.token}"}
    try:
        status, _headers, content = api.transport(
            "GET", f"{api.base}/notices/attachments/{pk}", headers, b""
        )
    except GatewayError:
        return
    if status != 200 or hashlib.sha256(content).hexdigest() != sha256:
        return
    filename = str(item.get("filename") or "attachment")
    attachment = have or Attachment(pk=pk, notice=notice)
    attachment.notice, attachment.filename, attachment.size = notice, filename[:255], len(content)
    attachment.content_type = str(item.get("content_type") or "application/octet-stream")[:100]
    attachment.sha256 = sha256
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    attachment.file.save(uuid.uuid4().hex + suffix[:10], ContentFile(content), save=False)
    attachment.save()
