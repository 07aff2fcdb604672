"""The point client's sync API, version 1 (R4, S3, E4, E5), mounted at /api/v1/.

A point client enrols once (POST /enrol with a point account's password and
authenticator code) and from then on sends `Authorization: Device <token>`. It pulls its
point's configuration and candidates, pushes changes (each with its own id, so a change
sent twice is applied once), uploads photos in resumable pieces and resolves the
conflicts its stale changes caused. Every rule lives in `gaokao.sync.services`; this
module only translates HTTP to those calls. Errors are JSON `{"detail": "..."}` with a
4xx status; the OpenAPI document is at /api/v1/openapi.json.
"""

import datetime as dt
import uuid
from typing import Any, Literal

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Query, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestInvalid
from ninja.security import HttpBearer
from pydantic import StrictInt, create_model

from gaokao.candidates.errors import IntakeRefused
from gaokao.portal.services import DATA_FIELDS
from gaokao.sync import photos, services
from gaokao.sync.models import Conflict, Device

MAX_CHANGES = 500
OCTETS = "application/octet-stream"
BINARY = {"type": "string", "format": "binary"}


class DeviceAuth(HttpBearer):
    """`Authorization: Device <token>`: the token the device got at enrolment."""

    openapi_scheme = "device"

    def authenticate(self, request: HttpRequest, token: str) -> Device | None:
        return services.authenticate(token)


api = NinjaAPI(
    version="1",
    urls_namespace="sync-api",
    title="gaokao point client sync",
    description=__doc__,
    auth=DeviceAuth(),
    docs_url=None,  # Swagger UI loads scripts from a CDN; the document is openapi.json
)


# ── schemas ────────────────────────────────────────────────────────────────────────────


class ErrorOut(Schema):
    detail: str


class InvalidOut(Schema):
    detail: str
    errors: list[dict[str, Any]]


class OffsetOut(Schema):
    detail: str
    received: int = Field(description="Bytes the server has: send the next piece from here.")


class EnrolIn(Schema):
    username: str = Field(max_length=150)
    password: str = Field(max_length=256)
    totp: str = Field(max_length=16, description="The authenticator app's current code.")
    device_name: str = Field(max_length=60, description="Where the PC is, e.g. 教务处电脑1.")
    public_key: str = Field(
        max_length=64, description="The device's Ed25519 public key: 32 bytes in Base64."
    )


class PointOut(Schema):
    code: str
    name: str
    county: str = Field(description="The county's six-digit code (GB/T 2260).")
    county_name: str
    registration_code: str = Field(description="The first 4 digits of registration numbers.")


class EnrolOut(Schema):
    device: uuid.UUID
    token: str = Field(description="Send as `Authorization: Device <token>`; shown once.")
    point: PointOut


class PhaseOut(Schema):
    kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime = Field(description="For the point's county, extensions included.")


class SeasonOut(Schema):
    id: int
    name: str
    year: int
    phases: list[PhaseOut]


class RangeOut(Schema):
    id: int
    track: str
    first: int
    last: int
    first_number: str
    last_number: str
    next_serial: int
    used: list[str] = Field(description="Registration numbers of the range already taken.")


class CodeOut(Schema):
    table: str
    code: str
    name: str
    attrs: dict[str, Any]
    is_active: bool


class ConfigOut(Schema):
    point: PointOut
    season: SeasonOut | None
    ranges: list[RangeOut]
    codes: list[CodeOut]


# A snapshot holds every field sync carries (services.SYNC_FIELDS) and the record's state.
CandidateOut = create_model(
    "CandidateOut",
    __base__=Schema,
    id=(uuid.UUID, ...),
    version=(int, ...),
    stage=(str, ...),
    updated_at=(dt.datetime, ...),
    document_type=(str, ...),
    name=(str, ...),
    sex=(str, ...),
    ethnicity=(str, ...),
    birth_date=(dt.date, ...),
    id_number=(str, ...),
    identity_source=(str, ...),
    eligibility_path=(str, ...),
    subject_track=(str, ...),
    registration_number=(str | None, ...),
    documents_received=(bool, ...),
    fee_fen=(int | None, ...),
    fee_receipt=(str, ...),
    eligibility=(str, ...),
    eligibility_note=(str, ...),
    keyed_from_paper=(bool, ...),
    **{name: (str, ...) for name in DATA_FIELDS},
    resume=(list[dict[str, str]], ...),
    family=(list[dict[str, str]], ...),
    identity_verified_at=(dt.datetime | None, ...),
    review_state=(str, ...),
    review_reason=(str, ...),
)


class PullOut(Schema):
    cursor: str = Field(description="Opaque: send it with the next pull.")
    more: bool = Field(description="True: pull again at once with the new cursor.")
    config: ConfigOut
    candidates: list[CandidateOut]  # type: ignore[valid-type]


class ChangeIn(Schema):
    id: uuid.UUID = Field(description="Made by the client; the same id is applied once.")
    kind: Literal["create", "update"]
    candidate: uuid.UUID
    base_version: StrictInt | None = Field(
        None, description="The candidate's version the change was made on (updates)."
    )
    fields: dict[str, Any] = Field(
        max_length=len(services.SYNC_FIELDS),
        description=(
            "Field → value. On create: "
            + ", ".join(services.SYNC_FIELDS)
            + ". On update: "
            + ", ".join(services.UPDATE_FIELDS)
            + ". birth_date is YYYY-MM-DD, fee_fen whole fen, identity_verified_at a date"
            " and time with its offset; resume and family are lists of rows that replace"
            " the saved ones."
        ),
    )


class PushIn(Schema):
    changes: list[ChangeIn] = Field(max_length=MAX_CHANGES)


class ResultOut(Schema):
    id: str
    status: Literal["applied", "duplicate", "conflict", "refused"]
    version: int | None = Field(description="The candidate's version after the change.")
    message: str
    conflict: int | None = Field(description="The conflict waiting for a person, if any.")
    original_status: str | None = Field(
        description="For a duplicate: what became of the change when it first arrived."
    )


class PushOut(Schema):
    results: list[ResultOut]


class PhotoStartIn(Schema):
    candidate: uuid.UUID
    size: StrictInt = Field(gt=0, description="The file's size in bytes.")
    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$")
    source: Literal["camera", "upload", "network"] = Field(
        "camera", description="Where the photo came from (network: sent by the candidate)."
    )
    note: str = Field("", max_length=200, description="Required for a network photo.")


class PhotoStateOut(Schema):
    received: int
    complete: bool


class ConflictOut(Schema):
    id: int
    change: uuid.UUID
    candidate: uuid.UUID
    registration_number: str | None
    name: str
    base_version: int
    server_version: int = Field(description="The record's version when the change arrived.")
    current_version: int
    created_at: dt.datetime
    point_values: dict[str, Any]
    server_values: dict[str, Any] = Field(description="The record's values of those fields now.")


class ResolveIn(Schema):
    choice: Literal["point", "server", "fields"]
    fields: list[str] = Field(
        default_factory=list,
        max_length=len(services.UPDATE_FIELDS),
        description='With "fields": the fields whose point values to apply.',
    )
    version: StrictInt | None = Field(
        None, description="The record's version the decision was made on (refused if stale)."
    )


class ResolvedOut(Schema):
    id: int
    resolution: str
    chosen: dict[str, Any]
    version: int


ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: InvalidOut}


# ── errors ─────────────────────────────────────────────────────────────────────────────

STATE_CODES = ("locked", "stale", "resolved", "revoked")


@api.exception_handler(IntakeRefused)
def refused(request, exc: IntakeRefused):
    status = getattr(exc, "status", 400)
    if status == 400 and getattr(exc, "code", None) in STATE_CODES:
        status = 409  # the request is fine; the record's state stops it
    body: dict[str, Any] = {"detail": services.message_of(exc)}
    if isinstance(exc, services.OffsetMismatch):
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
    device, token = services.enrol(
        request, body.username, body.password, body.totp, body.device_name, body.public_key
    )
    return {"device": device.pk, "token": token, "point": _point(device)}


@api.get("/pull", response={200: PullOut, **ERRORS})
def pull(request, cursor: str | None = Query(None, max_length=1000)):
    """The point's configuration, and its candidates changed since `cursor`."""
    return services.pull(request.auth, cursor)


@api.post("/push", response={200: PushOut, **ERRORS})
def push(request, body: PushIn):
    """Apply changes in order; each gets its own result (at most 500 per call)."""
    changes = [change.model_dump() for change in body.changes]
    return {"results": services.apply_changes(request.auth, changes, via="sync")}


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
        "base_version": conflict.base_version,
        "server_version": conflict.server_version,
        "current_version": candidate.version,
        "created_at": conflict.created_at,
        "point_values": conflict.point_values,
        "server_values": services.current_values(conflict),
    }


class ConflictsOut(Schema):
    conflicts: list[ConflictOut]


@api.get("/conflicts", response={200: ConflictsOut, **ERRORS})
def conflicts(request):
    """The point's open conflicts, oldest first (an object, like every answer)."""
    rows = services.device_conflicts(request.auth).order_by("created_at", "pk")
    return {"conflicts": [_conflict_out(c) for c in rows]}


@api.post("/conflicts/{conflict_id}/resolve", response={200: ResolvedOut, 409: ErrorOut, **ERRORS})
def resolve(request, conflict_id: int, body: ResolveIn):
    """Keep the point's values, the server's, or the point's values of `fields`."""
    device = request.auth
    conflict = Conflict.objects.filter(pk=conflict_id, candidate__point=device.point).first()
    if conflict is None:
        raise services.NotFound(_("No such conflict."), code="not_found")
    conflict = services.resolve(
        conflict, body.choice, body.fields, by=device.enrolled_by, version=body.version
    )
    return {
        "id": conflict.pk,
        "resolution": conflict.resolution,
        "chosen": conflict.chosen,
        "version": conflict.candidate.version,
    }
