"""The point client's sync API, version 1 (R4, S3, E4, E5), mounted at /api/v1/.

A point client enrols once (POST /enrol with a point account's password and
authenticator code) and from then on sends `Authorization: Device <token>`. It pulls its
point's configuration and candidates, pushes changes (each with its own id, so a change
sent twice is applied once), uploads photos in resumable pieces and resolves the
conflicts its stale changes caused. Every rule lives in the sync protocol (gaokao.sync:
enrolment, pull, push, photos, conflicts); this module only translates HTTP to those
calls. Errors are JSON `{"detail": "..."}` with a 4xx status; the OpenAPI document is at
/api/v1/openapi.json.
"""

import uuid
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestInvalid
from ninja.security import HttpBearer

from gaokao.api.schemas import (
    ERRORS,
    ConflictsOut,
    EnrolIn,
    EnrolOut,
    ErrorOut,
    OffsetOut,
    PhotoStartIn,
    PhotoStateOut,
    PullOut,
    PushIn,
    PushOut,
    RecordsIn,
    RecordsOut,
    ResolvedOut,
    ResolveIn,
    VersionOut,
)
from gaokao.bundles.format import server_public_key_b64
from gaokao.candidates.errors import CandidateRefused
from gaokao.ops.version import app_version
from gaokao.sync import conflicts as sync_conflicts
from gaokao.sync import enrolment, numbers, photos, records
from gaokao.sync import pull as sync_pull
from gaokao.sync import push as sync_push
from gaokao.sync.errors import NotFound, OffsetMismatch, SyncRefused, message_of
from gaokao.sync.fields import current_season
from gaokao.sync.models import Conflict, Device

OCTETS = "application/octet-stream"
BINARY = {"type": "string", "format": "binary"}


class DeviceAuth(HttpBearer):
    """`Authorization: Device <token>`: the token the device got at enrolment."""

    openapi_scheme = "device"

    def authenticate(self, request: HttpRequest, token: str) -> Device | None:
        return enrolment.authenticate(token)


class SyncApi(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        # The ids the point client and the tests know, from when the API lived in
        # gaokao/sync/api.py: moving the module must not rename the operations.
        return f"gaokao_sync_api_{operation.view_func.__name__}"


api = SyncApi(
    version="1",
    urls_namespace="sync-api",
    title="gaokao point client sync",
    description=__doc__,
    auth=DeviceAuth(),
    docs_url=None,  # Swagger UI loads scripts from a CDN; the document is openapi.json
)


# ── errors ─────────────────────────────────────────────────────────────────────────────

STATE_CODES = ("locked", "stale", "resolved", "revoked")


@api.exception_handler(SyncRefused)
@api.exception_handler(CandidateRefused)
def refused(request, exc: SyncRefused | CandidateRefused):
    status = getattr(exc, "status", 400)
    if status == 400 and getattr(exc, "code", None) in STATE_CODES:
        status = 409  # the request is fine; the record's state stops it
    body: dict[str, Any] = {"detail": message_of(exc)}
    if isinstance(exc, OffsetMismatch):
        body["received"] = exc.received
    return api.create_response(request, body, status=status)


@api.exception_handler(AuthenticationError)
def unauthorised(request, exc):
    detail = _("This point client is not enrolled or was revoked: enrol it again.")
    return api.create_response(request, {"detail": detail}, status=401)


@api.exception_handler(RequestInvalid)
def invalid(request, exc: RequestInvalid):
    errors = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))[:200]}
        for e in exc.errors[:20]
    ]
    where = "; ".join(".".join(e["loc"]) for e in errors)
    detail = _("The request is not valid: %(where)s.") % {"where": where}
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    messages = {400: _("The request body is not valid JSON.")}
    detail = messages.get(exc.status_code, str(exc))
    return api.create_response(request, {"detail": detail}, status=exc.status_code)


@api.exception_handler(RequestDataTooBig)
def too_big(request, exc):
    detail = _("The request is too large: send fewer changes or smaller pieces.")
    return api.create_response(request, {"detail": detail}, status=413)


# ── endpoints ──────────────────────────────────────────────────────────────────────────


def _point(device: Device) -> dict[str, str]:
    county = device.point.county
    return {
        "code": device.point.code,
        "name": device.point.name,
        "county": county.code,
        "county_name": county.name,
        "registration_code": county.registration_code,
    }


@api.post("/enrol", auth=None, response={200: EnrolOut, 403: ErrorOut, **ERRORS})
def enrol(request, body: EnrolIn):
    """Enrol this PC as a point client of the account's point (a point account with
    real-name authentication done; wrong passwords and codes are throttled)."""
    device, token = enrolment.enrol(
        request, body.username, body.password, body.totp, body.device_name, body.public_key
    )
    return {
        "device": device.pk,
        "token": token,
        "point": _point(device),
        "bundle_public_key": server_public_key_b64(),
        # Which PC of the point this is, and the numbers reserved to it (issue 20).
        "peers": numbers.peers(device),
        "blocks": [numbers.block_out(b) for b in numbers.held_blocks(device, current_season())],
    }


@api.get("/pull", response={200: PullOut, **ERRORS})
def pull(request, cursor: str | None = Query(None, max_length=1000)):
    """The point's configuration, its candidates changed since `cursor`, and the notices
    its staff read."""
    answer = sync_pull.pull(request.auth, cursor, bundle_public_key=server_public_key_b64())
    return answer | {"notices": records.notices_for(request.auth)}


@api.post("/push", response={200: PushOut, **ERRORS})
def push(request, body: PushIn):
    """Apply changes in order; each gets its own result (at most 500 per call)."""
    changes = [change.model_dump() for change in body.changes]
    device = request.auth
    results = sync_push.apply_changes(device, changes, via="sync", sent_at=body.sent_at)
    clock = None
    if body.sent_at is not None and device.clock_skew_seconds is not None:
        clock = {"skew_seconds": device.clock_skew_seconds, "flagged": device.clock_flagged}
    return {"results": results, "clock": clock}


@api.post("/records", response={200: RecordsOut, **ERRORS})
def push_records(request, body: RecordsIn):
    """The point's incidents, their timeline entries and its comments (issue 20); each
    gets its own result, and the same id is stored once."""
    return {"results": records.receive(request.auth, body.model_dump())}


@api.get(
    "/notices/attachments/{attachment_id}",
    response={200: None, **ERRORS},
    openapi_extra={"responses": {200: {"content": {OCTETS: {"schema": BINARY}}}}},
)
def notice_attachment(request, attachment_id: int):
    """The bytes of an attachment of a notice the point reads."""
    attachment = records.attachment_for(request.auth, attachment_id)
    with attachment.file.open("rb") as f:
        content = f.read()
    return HttpResponse(content, content_type=OCTETS)


@api.post("/photos/{photo_id}", response={200: PhotoStateOut, **ERRORS})
def photo_start(request, photo_id: uuid.UUID, body: PhotoStartIn):
    """Announce a photo (its candidate, size and SHA-256); again: where it has got to."""
    return photos.start_photo(
        request.auth, photo_id, body.candidate, body.size, body.sha256, body.source, body.note
    )


@api.put(
    "/photos/{photo_id}",
    response={200: PhotoStateOut, 409: OffsetOut, 413: ErrorOut, 415: ErrorOut, **ERRORS},
    openapi_extra={"requestBody": {"required": True, "content": {OCTETS: {"schema": BINARY}}}},
)
def photo_append(request, photo_id: uuid.UUID, offset: int = Query(..., ge=0)):
    """The photo's bytes from `offset`, which must be what the server has received (409
    with `received` otherwise: resume from there)."""
    if request.content_type != OCTETS:
        detail = _("Send the photo's bytes as application/octet-stream.")
        return Status(415, {"detail": detail})
    return photos.append_photo(request.auth, photo_id, offset, request.body)


@api.get("/photos/{photo_id}", response={200: PhotoStateOut, **ERRORS})
def photo_status(request, photo_id: uuid.UUID):
    return photos.photo_status(request.auth, photo_id)


def _conflict_out(conflict: Conflict) -> dict[str, Any]:
    candidate = conflict.candidate
    return {
        "id": conflict.pk,
        "change": conflict.receipt_id,
        "candidate": candidate.pk,
        "registration_number": candidate.registration_number,
        "name": candidate.name,
        "reason": conflict.reason,
        "base_version": conflict.base_version,
        "server_version": conflict.server_version,
        "current_version": candidate.version,
        "created_at": conflict.created_at,
        "point_values": conflict.point_values,
        "server_values": sync_conflicts.current_values(conflict),
    }


@api.get("/conflicts", response={200: ConflictsOut, **ERRORS})
def conflicts(request):
    """The point's open conflicts, oldest first (an object, like every answer)."""
    rows = sync_conflicts.device_conflicts(request.auth).order_by("created_at", "pk")
    return {"conflicts": [_conflict_out(c) for c in rows]}


@api.post("/conflicts/{conflict_id}/resolve", response={200: ResolvedOut, 409: ErrorOut, **ERRORS})
def resolve(request, conflict_id: int, body: ResolveIn):
    """Keep the point's values, the server's, or the point's values of `fields`."""
    device = request.auth
    conflict = Conflict.objects.filter(pk=conflict_id, candidate__point=device.point).first()
    if conflict is None:
        raise NotFound(_("No such conflict."), code="not_found")
    conflict = sync_conflicts.resolve(
        conflict, body.choice, body.fields, by=device.enrolled_by, version=body.version
    )
    return {
        "id": conflict.pk,
        "resolution": conflict.resolution,
        "chosen": conflict.chosen,
        "version": conflict.candidate.version,
    }


@api.get("/version", auth=None, response={200: VersionOut})
def version(request):
    """The server's version and the point client version it publishes (the same package:
    a point runs the version its centre runs). The client compares at each sync."""
    return {"version": app_version(), "client_version": app_version()}
