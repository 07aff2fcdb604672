"""The sync API's request and answer schemas (R4): the OpenAPI document the point client
is built against. The field lists come from the sync contract (gaokao.sync.fields)."""

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import StrictInt, create_model

from gaokao.candidates.own_data import DATA_FIELDS
from gaokao.sync.fields import SYNC_FIELDS, UPDATE_FIELDS

MAX_CHANGES = 500


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


BUNDLE_KEY = "The server's X25519 key that disc bundles are encrypted for (E5), Base64."


class DeviceOut(Schema):
    """Which point client of its point this is (issue 20)."""

    id: uuid.UUID
    name: str
    number: int = Field(description="Its place among the point's working clients: 2 = the second.")
    of: int = Field(description="How many working point clients the point has.")
    others: list[str] = Field(description="The names of the point's other working clients.")


class BlockOut(Schema):
    id: int
    track: str
    range_first: int = Field(description="The first serial of the range the block is part of.")
    first: int
    last: int
    first_number: str
    last_number: str
    next_serial: int = Field(
        description="The block's next serial unused as far as the server knows."
    )


class EnrolOut(Schema):
    device: uuid.UUID
    token: str = Field(description="Send as `Authorization: Device <token>`; shown once.")
    point: PointOut
    bundle_public_key: str = Field("", description=BUNDLE_KEY)
    peers: DeviceOut | None = Field(
        None, description="Which point client of its point this is: the second, the third..."
    )
    blocks: list[BlockOut] = Field(
        default_factory=list, description="The numbers reserved to this point client."
    )


class PhaseOut(Schema):
    kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime = Field(description="For the point's county, extensions included.")


class FeeOut(Schema):
    track: str
    fee_fen: int


class SeasonOut(Schema):
    id: int
    name: str
    year: int
    phases: list[PhaseOut]
    fees: list[FeeOut] = Field(
        default_factory=list,
        description="The registration fee per subject track, in fen, as the province set it.",
    )


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
    device: DeviceOut | None = Field(None, description="This point client among its point's.")
    blocks: list[BlockOut] = Field(
        default_factory=list,
        description=(
            "The numbers reserved to this point client (issue 20), topped up at each pull:"
            " it takes registration numbers from these blocks only."
        ),
    )
    bundle_public_key: str = Field(
        "", description=BUNDLE_KEY + " The client keeps the first and flags a change."
    )


# A snapshot holds every field sync carries (fields.SYNC_FIELDS) and the record's state.
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
    # O3: the city let a candidate without a card go on without a read of the new card.
    card_waived_at=(dt.datetime | None, None),
    card_waived_reason=(str, ""),
)


class PullOut(Schema):
    cursor: str = Field(description="Opaque: send it with the next pull.")
    more: bool = Field(description="True: pull again at once with the new cursor.")
    config: ConfigOut
    candidates: list[CandidateOut]  # type: ignore[valid-type]
    notices: list["NoticeOut"] = Field(
        default_factory=list,
        description="Every notice the point reads now (issue 20): the client keeps exactly these.",
    )


class CardIn(Schema):
    password_hash: str = Field(
        max_length=128, description="The login card password's hash, as the client made it."
    )
    issued_at: dt.datetime = Field(description="When the card was issued, with the offset.")


class ChangeIn(Schema):
    id: uuid.UUID = Field(description="Made by the client; the same id is applied once.")
    kind: Literal["create", "update"]
    candidate: uuid.UUID
    base_version: StrictInt | None = Field(
        None, description="The candidate's version the change was made on (updates)."
    )
    fields: dict[str, Any] = Field(
        max_length=len(SYNC_FIELDS),
        description=(
            "Field → value. On create: "
            + ", ".join(SYNC_FIELDS)
            + ". On update: "
            + ", ".join(UPDATE_FIELDS)
            + ". birth_date is YYYY-MM-DD, fee_fen whole fen, identity_verified_at a date"
            " and time with its offset; resume and family are lists of rows that replace"
            " the saved ones."
        ),
    )
    keyed_at: dt.datetime | None = Field(
        None,
        description=(
            "When the change was keyed on the client, by its clock, with the offset: a change"
            " keyed while its window was open is accepted within the grace after the close."
        ),
    )
    card: CardIn | None = Field(
        None,
        description=(
            "A login card issued on the client (S4): its password's hash, never the password."
            " Of two cards of a candidate the later one wins; an update may carry a card alone."
        ),
    )


class PushIn(Schema):
    changes: list[ChangeIn] = Field(max_length=MAX_CHANGES)
    sent_at: dt.datetime | None = Field(
        None, description="The client's clock when it sent the push (its skew is checked)."
    )


class ResultOut(Schema):
    id: str
    status: Literal["applied", "duplicate", "conflict", "refused"]
    version: int | None = Field(description="The candidate's version after the change.")
    message: str
    conflict: int | None = Field(description="The conflict waiting for a person, if any.")
    original_status: str | None = Field(
        description="For a duplicate: what became of the change when it first arrived."
    )
    reason: Literal["stale", "after_deadline", "number_taken"] | None = Field(
        None,
        description=(
            "For a conflict: stale, after_deadline (截止后修改), or number_taken (saved"
            " without the number, the county gives a fresh one)."
        ),
    )
    card: Literal["accepted", "replaced", "void", "same"] | None = Field(
        None,
        description=(
            "The change's login card: accepted, replaced (an earlier card stops working),"
            " void (it does not work: a later card, or not ready at the server), same."
        ),
    )
    card_message: str = Field("", description="What the point is told about the card.")


class ClockOut(Schema):
    skew_seconds: int = Field(description="The client's clock minus the server's.")
    flagged: bool = Field(description="True: the clock is off by more than the tolerance.")


class PushOut(Schema):
    results: list[ResultOut]
    clock: ClockOut | None = Field(None, description="The client's clock, as the server saw it.")


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
    reason: Literal["stale", "after_deadline", "number_taken"] = Field(
        description=(
            "stale: changed on the server meanwhile; after_deadline: 截止后修改;"
            " number_taken: the registration number was not free (the county decides)."
        )
    )
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
        max_length=len(UPDATE_FIELDS),
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


class ConflictsOut(Schema):
    conflicts: list[ConflictOut]


# ── the point's other records (issue 20): incidents, their entries, comments; notices ──

MAX_RECORDS = 500
RECORD_TEXT = 2000  # gaokao.incidents.models.TEXT_LIMIT


class IncidentIn(Schema):
    id: uuid.UUID = Field(description="The incident's id, made by the client (its uid).")
    point: str = Field(max_length=7, description="The reporting point: the device's own.")
    region: str | None = Field(None, max_length=6, description="Never set by a point client.")
    affected: list[str] = Field(default_factory=list, max_length=20)
    kind: str = Field(max_length=16)
    severity: str = Field(max_length=16)
    started_at: dt.datetime
    reported_at: dt.datetime | None = None
    description: str = Field(max_length=RECORD_TEXT)
    entry: uuid.UUID | None = Field(None, description="The id of its first timeline entry.")
    by: str = Field("", max_length=150, description="The user name of who reported it.")


class IncidentEntryIn(Schema):
    id: uuid.UUID
    incident: uuid.UUID = Field(description="The id of the incident it belongs to.")
    kind: Literal["comment", "escalated", "resolved", "reopened"]
    at: dt.datetime
    text: str = Field("", max_length=RECORD_TEXT)
    by: str = Field("", max_length=150)


class CommentIn(Schema):
    id: uuid.UUID = Field(description="Made by the client; the same id is applied once.")
    candidate: uuid.UUID
    text: str = Field("", max_length=400)
    base_version: StrictInt = Field(
        ge=0, description="The centre's version of the comment this text replaces (0: none)."
    )
    written_at: dt.datetime | None = None
    by: str = Field("", max_length=150)


class RecordsIn(Schema):
    incidents: list[IncidentIn] = Field(default_factory=list, max_length=MAX_RECORDS)
    entries: list[IncidentEntryIn] = Field(default_factory=list, max_length=MAX_RECORDS)
    comments: list[CommentIn] = Field(default_factory=list, max_length=MAX_RECORDS)


class RecordResultOut(Schema):
    id: str
    kind: Literal["incident", "entry", "comment"]
    status: Literal["applied", "duplicate", "refused"]
    message: str
    version: int | None = Field(None, description="The incident's or comment's version now.")
    original_status: str | None = None


class RecordsOut(Schema):
    results: list[RecordResultOut]


class AttachmentOut(Schema):
    id: int
    filename: str
    size: int
    content_type: str
    sha256: str


class NoticeOut(Schema):
    id: int
    title: str
    body: str
    region: str = Field(description="The posting unit's code (the point's county or above).")
    posted_at: dt.datetime
    pinned: bool
    attachments: list[AttachmentOut]


PullOut.model_rebuild()


class VersionOut(Schema):
    version: str = Field(description="The version of the central server.")
    client_version: str = Field(
        description="The point client version the centre publishes: a client that runs an"
        " older one asks its county for the new installation package."
    )


ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: InvalidOut}
