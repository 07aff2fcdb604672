"""Exports of submitted candidates (S9): the data in the national layout of the registration
database (报名库, T_BMK) as CSV or XLSX, and the photos as a ZIP named by registration number.

A city exports what it has confirmed (stage city, province or accepted), the province what
reached it (province or accepted); county and point staff export nothing here. Every export
is streamed: rows are read from the database in chunks and written out as they come, so
memory stays flat whatever the number of candidates (`bench/exports.py` measures it).

The audit event is recorded *before* the first byte leaves, with the count from a COUNT
query (CSV, ZIP) or from the finished file (XLSX, which is written whole before it is
sent). Recording at the end of a stream would lose exactly the exports one wants to see
— a download cut off half-way, a worker killed mid-stream — while the data already sent is
out either way. Rows that change stage between the COUNT and the read can make a CSV or
ZIP differ from the recorded count by those rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import logging
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.db.models import Case, CharField, Count, OuterRef, QuerySet, Subquery, Value, When
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.candidates.models import Candidate, Stage
from gaokao.codes.models import Code, Table
from gaokao.comments.models import Comment
from gaokao.exports.zipstream import zip_chunks
from gaokao.photos.models import CandidatePhoto

log = logging.getLogger(__name__)

# What each level may export: the stages at or above its own confirmation.
EXPORTABLE_STAGES: dict[str, tuple[str, ...]] = {
    "province": (Stage.PROVINCE, Stage.ACCEPTED),
    "city": (Stage.CITY, Stage.PROVINCE, Stage.ACCEPTED),
}
CHUNK_SIZE = 2000  # rows per database round trip
CSV_BATCH = 500  # rows per chunk of the HTTP response
SHEET_NAME = "T_BMK"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MISSING_PHOTOS_NAME = "MISSING.txt"
# A spreadsheet program runs a CSV cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@")
# Control, format and unpaired surrogate characters (the last cannot even be encoded).
_DROPPED = ("Cc", "Cf", "Cs")


def exportable_stages(user: Any) -> tuple[str, ...]:
    return EXPORTABLE_STAGES.get(getattr(user, "role", None), ())


@dataclass(frozen=True)
class Filters:
    """The optional filters of an export: one subject track, one stage ("" = all)."""

    subject_track: str = ""
    stage: str = ""

    def as_detail(self) -> dict[str, str]:
        return {"subject_track": self.subject_track, "stage": self.stage}

    def suffix(self) -> str:
        return "".join(f"-{v}" for v in (self.subject_track, self.stage) if v)


def exportable(user: Any, filters: Filters = Filters()) -> QuerySet[Candidate]:
    """The candidates of the current season within the user's jurisdiction that the user's
    level may export, narrowed by `filters`. Empty for county and point staff."""
    stages = exportable_stages(user)
    if filters.stage:
        stages = tuple(s for s in stages if s == filters.stage)
    queryset = Candidate.objects.visible_to(user).filter(season__is_current=True, stage__in=stages)
    if filters.subject_track:
        queryset = queryset.filter(subject_track=filters.subject_track)
    return queryset


# ── the national layout ────────────────────────────────────────────────────────────────


def clean(value: Any) -> str:
    """A cell's text: control and format characters dropped (bidi overrides, zero-width,
    escape codes, which no spreadsheet may hold), line breaks kept as \\n."""
    text = "" if value is None else str(value)
    if text.isprintable():  # the common case, checked at C speed
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) not in _DROPPED)


@dataclass(frozen=True)
class Column:
    """One column of T_BMK: its national field name, what it holds, and where its cell
    comes from: `source`, a model field or an annotation of `rows` ("" for data never
    held), written YYYYMMDD when `is_date`."""

    name: str
    label: str | Promise
    source: str = ""
    is_date: bool = False
    annotated: bool = False

    @property
    def fields(self) -> tuple[str, ...]:
        """The model fields the cell reads (the export loads only those)."""
        return (self.source,) if self.source and not self.annotated else ()


def _field(name: str, label: str | Promise, field: str) -> Column:
    return Column(name, label, field)


def _date(name: str, label: str | Promise, field: str) -> Column:
    return Column(name, label, field, is_date=True)


def _annotated(name: str, label: str | Promise, annotation: str) -> Column:
    return Column(name, label, annotation, annotated=True)


def _never_held(name: str, label: str | Promise) -> Column:
    """A column of the national layout for data we never collect (O4): always empty."""
    return Column(name, label)


# In the order of docs/domain/candidate-record.md: identity, set at the point, entered by the
# candidate, entered by staff. Codes are exported as stored (they are the code tables' codes).
COLUMNS: tuple[Column, ...] = (
    _field("BMH", _("Registration number"), "registration_number"),
    _field("XM", _("Full name"), "name"),
    _field("XBDM", _("Sex"), "sex"),
    _field("MZDM", _("Ethnicity"), "ethnicity"),
    _date("CSRQ", _("Birth date"), "birth_date"),
    _field("ZJLXDM", _("Document type"), "document_type"),
    _field("ZJHM", _("Document number"), "id_number"),
    _field("KLDM", _("Subject track"), "subject_track"),
    _annotated("KSLXDM", _("Exam type"), "export_exam_type"),
    _field("ZZMMDM", _("Political status"), "political_status"),
    _field("KSLBDM", _("Candidate category"), "candidate_category"),
    _field("HJLBDM", _("Household type"), "household_type"),
    _field("DQDM", _("Household region"), "household_region"),
    _field("BYLBDM", _("Graduation type"), "graduation_type"),
    _field("BYXXDM", _("Graduating school code"), "school"),
    _annotated("BYXXMC", _("Graduating school name"), "export_school_name"),
    _field("XJH", _("Student registration number"), "student_number"),
    _field("HKKH", _("Academic proficiency exam number"), "proficiency_number"),
    _field("WYYZDM", _("Foreign language"), "foreign_language"),
    _field("CZLBDM", _("Disability category"), "disability_category"),
    _field("LXSJ", _("Mobile phone"), "mobile"),
    _field("LXDH", _("Other phone"), "phone"),
    _never_held("TXDZ", _("Mailing address (never collected)")),
    _never_held("YZBM", _("Postcode (never collected)")),
    _never_held("SJR", _("Recipient (never collected)")),
    _field("KSTC", _("Specialties"), "specialties"),
    _field("KSJLHCF", _("Awards and punishments"), "awards"),
    _annotated("SXPDKHYJ", _("Comment (moral and political assessment)"), "export_comment"),
)
HEADER: tuple[str, ...] = tuple(c.name for c in COLUMNS)
_FIELDS = tuple(dict.fromkeys(f for c in COLUMNS for f in c.fields))


# What `table` reads per candidate, and where each column's cell comes from in that tuple:
# the place past its end holds "" for the columns never held.
_SOURCES = tuple(dict.fromkeys(c.source for c in COLUMNS if c.source))
_PICK = itemgetter(*(_SOURCES.index(c.source) if c.source else len(_SOURCES) for c in COLUMNS))
_DATES = tuple(i for i, c in enumerate(COLUMNS) if c.is_date)
_BLANK = ("",)


def table(queryset: QuerySet[Candidate]) -> Iterator[list[str]]:
    """The cells of each candidate of `queryset` (from `rows`), in the order of HEADER,
    read as tuples: no model instance per row and no function call per cell, which were
    two thirds of an export's time. The encrypted columns are decrypted by their field
    (EncryptedTextField.from_db_value), as values_list applies it."""
    for values in queryset.values_list(*_SOURCES).iterator(chunk_size=CHUNK_SIZE):
        cells = ["" if v is None else v for v in _PICK(values + _BLANK)]
        for i in _DATES:
            cells[i] = cells[i].strftime("%Y%m%d") if cells[i] else ""
        try:
            printable = "".join(cells).isprintable()  # nearly always: checked at C speed
        except TypeError:  # a value that is not text
            printable = False
        yield cells if printable else [clean(v) for v in cells]


def _exam_type() -> Case:
    """KSLXDM: the track's own exam type (attrs["exam_type"], e.g. 对口 → 对口招生), else the
    first exam type of the code table (普通高考). Built from the small track table once per
    export, so that no row needs a query of its own."""
    default = Code.objects.of(Table.EXAM_TYPE).values_list("code", flat=True).first() or ""
    tracks = Code.objects.filter(table=Table.SUBJECT_TRACK)
    whens = [
        When(subject_track=t.code, then=Value(str(t.attrs["exam_type"])))
        for t in tracks
        if isinstance(t.attrs, dict) and t.attrs.get("exam_type")
    ]
    return Case(*whens, default=Value(default), output_field=CharField())


def rows(user: Any, filters: Filters = Filters()) -> QuerySet[Candidate]:
    """`exportable` with what the cells need, in one query per chunk of rows."""
    school_name = Code.objects.filter(table=Table.SCHOOL, code=OuterRef("school"))
    comment = Comment.objects.filter(candidate=OuterRef("pk"))
    return (
        exportable(user, filters)
        .only(*_FIELDS)
        .annotate(
            export_exam_type=_exam_type(),
            export_school_name=Subquery(school_name.values("name")[:1]),
            export_comment=Subquery(comment.values("text")[:1]),
        )
        .order_by("registration_number", "pk")
    )


# ── CSV ────────────────────────────────────────────────────────────────────────────────


class _Echo:
    """A file that hands back what is written to it, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def _inert(value: str) -> str:
    """A CSV cell a spreadsheet program will not run: a leading apostrophe before a value
    that would start a formula. (The XLSX needs none: its cells are typed as text.)"""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def csv_chunks(queryset: QuerySet[Candidate]) -> Iterator[bytes]:
    """UTF-8 with a BOM (so that Excel and WPS read it as UTF-8), the header, then the rows
    in batches."""
    writer = csv.writer(_Echo())
    yield ("\ufeff" + writer.writerow(HEADER)).encode("utf-8")
    lines: list[str] = []
    starts = _FORMULA_STARTS
    for cells in table(queryset):
        lines.append(writer.writerow([("'" + v) if v.startswith(starts) else v for v in cells]))
        if len(lines) >= CSV_BATCH:
            yield "".join(lines).encode("utf-8")
            lines.clear()
    if lines:
        yield "".join(lines).encode("utf-8")


# ── XLSX ───────────────────────────────────────────────────────────────────────────────


def write_xlsx(queryset: QuerySet[Candidate], target: IO[bytes]) -> int:
    """Write the workbook to `target`; return the number of candidate rows. openpyxl's
    write-only mode puts each row into a temporary file as it is appended."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_NAME)
    sheet.append(HEADER)
    count = 0

    def text_cell(value: str) -> str | WriteOnlyCell:
        if not value.startswith("="):
            return value
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # openpyxl would store "=…" as a formula
        return cell

    for cells in table(queryset):
        sheet.append([text_cell(v) for v in cells])
        count += 1
    workbook.save(target)
    return count


# ── photos ─────────────────────────────────────────────────────────────────────────────


def photos(user: Any, filters: Filters = Filters()) -> QuerySet[CandidatePhoto]:
    """The current photos of the exportable candidates."""
    return CandidatePhoto.objects.filter(
        is_current=True, candidate__in=exportable(user, filters).values("pk")
    )


def photo_name(registration_number: str | None, candidate_id: Any) -> str:
    """As CandidatePhoto.download_name: the registration number, .jpg."""
    return f"{registration_number or candidate_id}.jpg"


def _photo_entries(queryset: QuerySet[CandidatePhoto]) -> Iterator[tuple[str, bytes, dt.datetime]]:
    storage = CandidatePhoto._meta.get_field("normalised").storage
    values = queryset.order_by("candidate__registration_number", "candidate_id").values_list(
        "candidate__registration_number", "candidate_id", "normalised", "normalised_sha256",
        "created_at",
    )  # fmt: skip
    missing = []
    for number, candidate_id, path, sha256, created_at in values.iterator(chunk_size=CHUNK_SIZE):
        name = photo_name(number, candidate_id)
        try:
            with storage.open(path, "rb") as f:
                data = f.read()
        except OSError:
            data = None
        if data is None or hashlib.sha256(data).hexdigest() != sha256:
            # The file is gone or not what was stored: leave it out, and say so in the
            # archive, so that the receiving office need not find out by counting.
            log.error("photo export: %s (%s) is missing or damaged", name, path)
            missing.append(name)
            continue
        yield name, data, timezone.localtime(created_at).replace(tzinfo=None)
    if missing:
        note = "\r\n".join(missing) + "\r\n"
        now = timezone.localtime().replace(tzinfo=None)
        yield MISSING_PHOTOS_NAME, note.encode("utf-8"), now


def photo_zip_chunks(queryset: QuerySet[CandidatePhoto]) -> Iterator[bytes]:
    return zip_chunks(_photo_entries(queryset))


# ── the exports, audited ───────────────────────────────────────────────────────────────


@dataclass
class Export:
    """What a view sends: a file name and either chunks to stream or a file to send."""

    filename: str
    count: int
    chunks: Iterator[bytes] | None = None
    file: IO[bytes] | None = None


def _filename(user: Any, kind: str, filters: Filters, extension: str) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"{kind}-{user.unit.code}{filters.suffix()}-{stamp}.{extension}"


def _check_role(user: Any) -> None:
    if not exportable_stages(user):
        raise PermissionDenied


def export_csv(user: Any, filters: Filters, *, request: HttpRequest | None = None) -> Export:
    _check_role(user)
    queryset = rows(user, filters)
    count = exportable(user, filters).count()
    record(
        Action.CANDIDATES_EXPORTED,
        actor=user,
        request=request,
        format="csv",
        filters=filters.as_detail(),
        rows=count,
    )
    return Export(_filename(user, SHEET_NAME, filters, "csv"), count, chunks=csv_chunks(queryset))


def export_xlsx(user: Any, filters: Filters, *, request: HttpRequest | None = None) -> Export:
    """The workbook is written whole to a temporary file (on disk, removed when closed)
    before anything is sent, so the count recorded is the exact one."""
    _check_role(user)
    # Not a `with`: the response closes (and so removes) it once it has been sent.
    target = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    try:
        count = write_xlsx(rows(user, filters), target)
        target.seek(0)
        record(
            Action.CANDIDATES_EXPORTED,
            actor=user,
            request=request,
            format="xlsx",
            filters=filters.as_detail(),
            rows=count,
        )
    except BaseException:
        target.close()
        raise
    return Export(_filename(user, SHEET_NAME, filters, "xlsx"), count, file=target)


def export_photos(user: Any, filters: Filters, *, request: HttpRequest | None = None) -> Export:
    _check_role(user)
    queryset = photos(user, filters)
    count = queryset.count()
    record(
        Action.PHOTOS_EXPORTED,
        actor=user,
        request=request,
        filters=filters.as_detail(),
        photos=count,
        without_photo=exportable(user, filters).count() - count,
    )
    return Export(
        _filename(user, "photos", filters, "zip"), count, chunks=photo_zip_chunks(queryset)
    )


def summary(user: Any, filters: Filters) -> dict[str, Any]:
    """The counts the export page shows: per exportable stage (with the track filter), the
    selected candidates and how many of them have a current photo."""
    by_track = exportable(user, Filters(subject_track=filters.subject_track))
    per_stage = dict(by_track.values_list("stage").annotate(n=Count("pk")).order_by())
    return {
        "stages": [(Stage(s).label, per_stage.get(s, 0)) for s in exportable_stages(user)],
        "selected": exportable(user, filters).count(),
        "photos": photos(user, filters).count(),
    }
