"""Comments (思想品德考核意见, S8): every rule about writing them, their templates and imports.

Every write locks the candidate's row first, so a comment and the candidate's submission
upward (which moves `stage`) never cross: the stage checked is the stage the write commits
under. Refusals are `CommentRefused` (`Locked` for a submitted record), whose message is
shown to staff as it is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.candidates.errors import CandidateRefused, Locked
from gaokao.candidates.models import Candidate
from gaokao.candidates.stage import check_editable, is_editable_by
from gaokao.comments.models import (
    COMMENT_LIMIT,
    TEMPLATE_TITLE_LIMIT,
    Comment,
    CommentTemplate,
    CommentUpload,
)
from gaokao.incidents.models import recorded_here
from gaokao.lib.spreadsheet import SpreadsheetError, read_rows
from gaokao.lib.text import clean_text
from gaokao.notices.services import clean_filename
from gaokao.regions.models import RegistrationPoint
from gaokao.seasons import current


class CommentRefused(CandidateRefused):
    """A comment, a template or an import of comments is refused (S8)."""


__all__ = ["COMMENT_LIMIT", "SpreadsheetError"]


MAX_TEMPLATES = 100  # per unit: a picker longer than that helps nobody
UPLOAD_MAX_BYTES = 10 * 1024 * 1024  # a county's comments are a few MB at most
UPLOAD_LIFETIME = dt.timedelta(days=1)  # an upload not imported by then is dropped
NUMBER_HEADERS = ("报名号", "registration_number")
TEXT_HEADERS = ("评语", "comment")
REGISTRATION_NUMBER_LENGTH = 8
CHUNK = 500  # ids per IN (...) query, well below SQLite's limit on parameters


# ── the text ───────────────────────────────────────────────────────────────────────────


def clean_comment(value: Any) -> str:
    """The comment as stored: control and format characters dropped (escape codes, bidi
    overrides, zero-width characters, line breaks: a comment is one paragraph), surrounding
    space stripped."""
    return clean_text(value)


def check_length(text: str) -> str:
    if len(text) > COMMENT_LIMIT:
        raise CommentRefused(
            _("At most %(limit)d characters; this text has %(length)d.")
            % {"limit": COMMENT_LIMIT, "length": len(text)},
            code="too_long",
        )
    return text


def has_comment(candidate: Candidate) -> bool:
    """Whether a non-empty comment is on record for `candidate` (uses a `select_related`
    comment when there is one)."""
    try:
        return bool(candidate.comment.text)
    except Comment.DoesNotExist:
        return False


def comment_of(candidate: Candidate) -> Comment | None:
    try:
        return candidate.comment
    except Comment.DoesNotExist:
        return None


def may_write(user: Any) -> bool:
    """Comments are written at the point and the county (S8)."""
    return getattr(user, "role", None) in ("point", "county")


def _stale() -> CommentRefused:
    return CommentRefused(
        _(
            "Someone else changed this comment a moment ago. Your input is kept; check the"
            " comment now on record and save again."
        ),
        code="stale",
    )


def _lock_candidate(candidate: Candidate, by: Any) -> Candidate:
    """The candidate's row, locked, if `by` may see it at all."""
    current = Candidate.objects.select_for_update().get(pk=candidate.pk)
    if not Candidate.objects.visible_to(by).filter(pk=current.pk).exists():
        raise PermissionDenied("The candidate is outside the user's jurisdiction.")
    return current


@transaction.atomic
def save_comment(
    candidate: Candidate,
    *,
    text: str,
    version: int,
    by: Any,
    request: HttpRequest | None = None,
    written_at: dt.datetime | None = None,
) -> bool:
    """Write the comment on `candidate` as `by` (point or county staff) from a form based on
    the comment's `version` (0: there was none). Returns whether anything changed: saving
    the text already on record writes and records nothing. An empty text clears the
    comment. Raises CommentRefused: too long, stale version, or locked (submitted) record.
    `written_at` is when a point client saved it (issue 20); on a point client the saved
    text waits for the next sync (`upload`)."""
    if not may_write(by):
        raise PermissionDenied("Only point and county staff write comments.")
    text = check_length(clean_comment(text))
    candidate = _lock_candidate(candidate, by)
    check_editable(candidate, by.role)
    comment = Comment.objects.select_for_update().filter(candidate=candidate).first()
    on_record = comment.version if comment is not None else 0
    if version != on_record:
        raise _stale()
    before = comment.text if comment is not None else ""
    if text == before:
        return False
    if comment is None:
        comment = Comment(candidate=candidate, version=0)
    comment.text, comment.written_by = text, by
    comment.written_at = written_at or timezone.now()
    comment.upload, comment.upload_message = recorded_here(), ""
    comment.version = on_record + 1  # the row is locked: nobody else counts meanwhile
    comment.save()
    record(
        Action.COMMENT_SAVED,
        actor=by,
        request=request,
        unit=candidate.point,
        target=candidate,
        before=before,
        after=text,
        version=comment.version,
    )
    return True


# ── templates ──────────────────────────────────────────────────────────────────────────


def _unit_lookup(user: Any) -> dict[str, Any]:
    unit = user.unit
    return {"point": unit} if isinstance(unit, RegistrationPoint) else {"region": unit}


@transaction.atomic
def create_template(
    *, title: str, text: str, by: Any, request: HttpRequest | None = None
) -> CommentTemplate:
    """A new template of `by`'s unit."""
    if not may_write(by):
        raise PermissionDenied("Only point and county staff keep comment templates.")
    title, text = clean_comment(title), check_length(clean_comment(text))
    if not title or len(title) > TEMPLATE_TITLE_LIMIT:
        raise CommentRefused(
            _("A template needs a title of at most %(limit)d characters.")
            % {"limit": TEMPLATE_TITLE_LIMIT},
            code="title",
        )
    if not text:
        raise CommentRefused(_("A template needs a text."), code="text")
    unit = _unit_lookup(by)
    mine = CommentTemplate.objects.select_for_update().filter(**unit)
    if mine.count() >= MAX_TEMPLATES:
        raise CommentRefused(
            _("A unit keeps at most %(max)d templates; delete one first.") % {"max": MAX_TEMPLATES},
            code="too_many",
        )
    refused = CommentRefused(
        _("Your unit already has a template titled “%(title)s”.") % {"title": title},
        code="duplicate",
    )
    if mine.filter(title=title).exists():
        raise refused
    try:
        with transaction.atomic():  # two people saving the same title at once
            template = CommentTemplate.objects.create(title=title, text=text, created_by=by, **unit)
    except IntegrityError as e:
        raise refused from e
    record(
        Action.COMMENT_TEMPLATE_SAVED,
        actor=by,
        request=request,
        unit=template.unit,
        target=template,
        change="created",
        template=template.pk,
        title=title,
        text=text,
    )
    return template


@transaction.atomic
def delete_template(
    template: CommentTemplate, *, by: Any, request: HttpRequest | None = None
) -> None:
    """Delete a template of `by`'s own unit. Comments written with it keep their text."""
    if not CommentTemplate.objects.owned_by(by).filter(pk=template.pk).exists():
        raise PermissionDenied("Only the template's own unit deletes it.")
    record(
        Action.COMMENT_TEMPLATE_DELETED,
        actor=by,
        request=request,
        unit=template.unit,
        target=template,
        template=template.pk,
        title=template.title,
        text=template.text,
    )
    template.delete()


# ── import from a spreadsheet ──────────────────────────────────────────────────────────


class RowStatus(models.TextChoices):
    NEW = "new", gettext_lazy("OK: new comment")
    CHANGED = "changed", gettext_lazy("OK: replaces the comment on record")
    UNCHANGED = "unchanged", gettext_lazy("OK: already on record, nothing to do")
    UNKNOWN = "unknown", gettext_lazy("Unknown registration number")
    OUTSIDE = "outside", gettext_lazy("Not in your jurisdiction")
    LOCKED = "locked", gettext_lazy("Locked")
    TOO_LONG = "too_long", gettext_lazy("Too long")
    EMPTY = "empty", gettext_lazy("Empty comment")
    DUPLICATE = "duplicate", gettext_lazy("Duplicate in the file")


OK_STATUSES = frozenset({RowStatus.NEW, RowStatus.CHANGED, RowStatus.UNCHANGED})
WRITING_STATUSES = frozenset({RowStatus.NEW, RowStatus.CHANGED})


@dataclass
class ReportRow:
    """What the check found on one line of the file."""

    line: int
    number: str
    text: str
    status: str
    message: str = ""
    candidate: Candidate | None = None  # only for a candidate in the user's jurisdiction
    version: int = 0  # of the comment on record when checked; 0: none

    @property
    def ok(self) -> bool:
        return self.status in OK_STATUSES

    @property
    def writes(self) -> bool:
        return self.status in WRITING_STATUSES

    @property
    def status_label(self) -> str:
        return str(RowStatus(self.status).label)

    def plan_entry(self) -> list:
        return [
            self.line,
            self.number,
            self.status,
            str(self.candidate.pk) if self.candidate is not None else "",
            self.version,
        ]


@dataclass
class ImportReport:
    filename: str
    sha256: str
    rows: list[ReportRow]

    def plan(self) -> list[list]:
        return [row.plan_entry() for row in self.rows]

    @property
    def counts(self) -> Counter:
        return Counter(row.status for row in self.rows)

    @property
    def ok_count(self) -> int:
        return sum(1 for row in self.rows if row.ok)

    @property
    def problem_count(self) -> int:
        return len(self.rows) - self.ok_count

    @property
    def write_count(self) -> int:
        return sum(1 for row in self.rows if row.writes)


@dataclass
class ImportOutcome:
    report: ImportReport
    applied: bool  # False: the data changed since the dry run; `report` is the new one
    written: int = 0
    per_point: dict[str, int] = field(default_factory=dict)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def normalise_number(value: str) -> str:
    """A registration number as typed or as a spreadsheet stored it: Excel turns 01020001
    into the number 1020001, so a shorter all-digit number gets its leading zeros back."""
    value = clean_text(value).replace(" ", "")
    if value.isascii() and value.isdigit() and len(value) < REGISTRATION_NUMBER_LENGTH:
        value = value.zfill(REGISTRATION_NUMBER_LENGTH)
    return value


def read_comment_file(data: bytes, filename: str) -> list[tuple[int, str, str]]:
    """(line, registration number, raw comment) for every non-empty row. Raises
    SpreadsheetError with a message for people for anything that is not such a table."""
    if len(data) > UPLOAD_MAX_BYTES:
        raise SpreadsheetError(
            _("The file is larger than %(mb)d MB.") % {"mb": UPLOAD_MAX_BYTES // (1024 * 1024)}
        )
    header, rows = read_rows(data, filename)
    number_column = next((h for h in NUMBER_HEADERS if h in header), None)
    text_column = next((h for h in TEXT_HEADERS if h in header), None)
    if number_column is None or text_column is None:
        raise SpreadsheetError(
            _(
                "The first row must name the columns 报名号 and 评语 (or registration_number"
                " and comment)."
            )
        )
    return [
        (row.line, normalise_number(row.cells.get(number_column, "")), row.cells[text_column])
        for row in rows
    ]


def _chunks(values: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def check_rows(
    entries: Iterable[tuple[int, str, str]], user: Any, *, lock: bool = False
) -> list[ReportRow]:
    """Check every line for `user`, against the current season. With `lock` (in a
    transaction) the candidates and comments concerned stay locked until it ends."""
    entries = list(entries)
    season = current()
    numbers = sorted({number for _line, number, _text in entries if number})
    mine: dict[str, Candidate] = {}  # the user's own candidates, by number
    for chunk in _chunks(numbers):
        qs = Candidate.objects.visible_to(user).filter(season=season, registration_number__in=chunk)
        if lock:
            # Only the candidate rows, not the points and regions joined to scope them. One
            # order for every importer: two imports of the same candidates queue, never
            # deadlock.
            qs = qs.select_for_update(of=("self",))
        mine.update(
            {
                c.registration_number: c
                for c in qs.select_related("point").order_by("registration_number")
            }
        )
    elsewhere: set[str] = set()  # numbers registered outside the user's jurisdiction
    for chunk in _chunks([n for n in numbers if n not in mine]):
        elsewhere.update(
            Candidate.objects.filter(season=season, registration_number__in=chunk).values_list(
                "registration_number", flat=True
            )
        )
    comments: dict[Any, Comment] = {}
    for chunk in _chunks([c.pk for c in mine.values()]):
        qs = Comment.objects.filter(candidate_id__in=chunk)
        if lock:
            qs = qs.select_for_update()
        comments.update({c.candidate_id: c for c in qs})

    lines_of: dict[str, list[int]] = defaultdict(list)
    for line, number, _text in entries:
        if number:
            lines_of[number].append(line)

    report = []
    for line, number, raw in entries:
        text = clean_comment(raw)
        row = ReportRow(line=line, number=number, text=text, status=RowStatus.UNKNOWN)
        candidate = mine.get(number)
        if not number:
            row.message = _("No registration number.")
        elif len(lines_of[number]) > 1:
            row.status = RowStatus.DUPLICATE
            row.message = _("The number is on lines %(lines)s; keep one of them.") % {
                "lines": ", ".join(str(n) for n in lines_of[number])
            }
        elif number in elsewhere:
            row.status = RowStatus.OUTSIDE
            row.message = _("The candidate is registered outside your jurisdiction.")
        elif candidate is None:
            row.message = _("No candidate of the current season has this number.")
        else:
            row.candidate = candidate
            _judge(row, candidate, comments.get(candidate.pk), user)
        report.append(row)
    return report


def _judge(row: ReportRow, candidate: Candidate, comment: Comment | None, user: Any) -> None:
    row.version = comment.version if comment is not None else 0
    if not is_editable_by(candidate, user.role):
        row.status = RowStatus.LOCKED
        try:
            check_editable(candidate, user.role)
        except Locked as e:
            row.message = " ".join(e.messages)
    elif not row.text:
        row.status = RowStatus.EMPTY
        row.message = _("The comment is empty.")
    elif len(row.text) > COMMENT_LIMIT:
        row.status = RowStatus.TOO_LONG
        row.message = _("At most %(limit)d characters; this text has %(length)d.") % {
            "limit": COMMENT_LIMIT,
            "length": len(row.text),
        }
    elif comment is None or not comment.text:
        row.status = RowStatus.NEW
    elif comment.text == row.text:
        row.status = RowStatus.UNCHANGED
    else:
        row.status = RowStatus.CHANGED


def _purge_uploads(user: Any, sha256: str) -> None:
    """Drop uploads nobody imported in time, and this user's earlier dry run of the file."""
    stale = CommentUpload.objects.filter(applied_at__isnull=True)
    stale.filter(uploaded_at__lt=timezone.now() - UPLOAD_LIFETIME).delete()
    stale.filter(uploaded_by=user, sha256=sha256).delete()


@transaction.atomic
def dry_run(data: bytes, filename: str, *, by: Any) -> tuple[CommentUpload, ImportReport]:
    """Check an uploaded file line by line and keep it for the import; change nothing else.
    Raises SpreadsheetError for a file that is not a usable table."""
    if not may_write(by):
        raise PermissionDenied("Only point and county staff import comments.")
    entries = read_comment_file(data, filename)
    name = clean_filename(filename) or "upload"
    digest = sha256_of(data)
    report = ImportReport(name, digest, check_rows(entries, by))
    _purge_uploads(by, digest)
    upload = CommentUpload.objects.create(
        uploaded_by=by, filename=name, sha256=digest, data=data, plan=report.plan()
    )
    return upload, report


def pending_upload(user: Any, pk: Any, sha256: str) -> CommentUpload | None:
    """The user's own upload `pk` of the file with this hash, not imported yet."""
    try:
        return CommentUpload.objects.get(
            pk=pk, sha256=sha256, uploaded_by=user, applied_at__isnull=True
        )
    except (CommentUpload.DoesNotExist, ValueError, TypeError):
        return None


def apply_import(
    upload: CommentUpload, *, by: Any, request: HttpRequest | None = None
) -> ImportOutcome:
    """Write the rows that were OK in the dry run, all of them or none. The same bytes are
    checked again with the rows locked; if anything differs from the dry run (a comment
    changed meanwhile, a record was submitted upward...), nothing is written and the
    outcome carries the new report, which becomes the plan the user may confirm next."""
    with transaction.atomic():
        upload = CommentUpload.objects.select_for_update().get(pk=upload.pk)
        if upload.uploaded_by_id != by.pk:
            raise PermissionDenied("Only the uploader imports an upload.")
        if upload.applied_at is not None:
            raise CommentRefused(_("This file is already imported."), code="applied")
        data = bytes(upload.data)
        if sha256_of(data) != upload.sha256:
            raise CommentRefused(_("The stored upload is damaged; upload the file again."))
        rows = check_rows(read_comment_file(data, upload.filename), by, lock=True)
        report = ImportReport(upload.filename, upload.sha256, rows)
        if report.plan() != upload.plan:
            upload.plan = report.plan()
            upload.save(update_fields=["plan"])
            return ImportOutcome(report, applied=False)
        outcome = ImportOutcome(report, applied=True)
        _write(report, outcome, by, request)
        upload.applied_at, upload.data = timezone.now(), b""
        upload.save(update_fields=["applied_at", "data"])
    return outcome


def _write(report: ImportReport, outcome: ImportOutcome, by: Any, request) -> None:
    now = timezone.now()
    existing = {
        c.candidate_id: c
        for chunk in _chunks([r.candidate.pk for r in report.rows if r.writes])
        for c in Comment.objects.filter(candidate_id__in=chunk)
    }
    numbers_by_point: dict[RegistrationPoint, list[str]] = defaultdict(list)
    for row in report.rows:
        if not row.writes:
            continue
        comment = existing.get(row.candidate.pk) or Comment(candidate=row.candidate, version=0)
        comment.text, comment.written_by, comment.written_at = row.text, by, now
        comment.version = row.version + 1
        comment.upload, comment.upload_message = recorded_here(), ""
        comment.save()
        numbers_by_point[row.candidate.point].append(row.number)
    counts = report.counts
    totals = {
        "lines": len(report.rows),
        "new": counts[RowStatus.NEW],
        "changed": counts[RowStatus.CHANGED],
        "unchanged": counts[RowStatus.UNCHANGED],
        "refused": report.problem_count,
    }
    # One event per point concerned: each point reads what changed among its candidates
    # (and the county all of them), without one event per comment flooding the trail.
    for point, numbers in sorted(numbers_by_point.items(), key=lambda item: item[0].code):
        record(
            Action.COMMENTS_IMPORTED,
            actor=by,
            request=request,
            unit=point,
            target=report.filename,
            file=report.filename,
            sha256=report.sha256,
            written=len(numbers),
            registration_numbers=numbers,
            file_totals=totals,
        )
        outcome.per_point[str(point)] = len(numbers)
    outcome.written = sum(outcome.per_point.values())
