"""校对表 and 报名登记表 — the proofreading sheet and the registration form (S7).

The point prints the proofreading sheet; the candidate checks every field on it against
their ID card, writes down what is wrong and signs. The registration form holds the same
data in the form's layout, with the candidate's photo, and is signed after proofreading.

Both show everything on record, and how much that is varies (a résumé and a family of up
to twelve rows each, up to 500 characters of specialties and of awards), yet each
candidate gets exactly one A4 page: the content is laid out as ReportLab tables and, if it
is too tall, laid out wider and scaled down as a whole to fit the page (see `_fit`) rather
than cut or spilled onto a second page. A batch is one PDF, one page per candidate, in the
order given.

`proofreading_sheet(candidates)` and `registration_form(candidates)` take Candidate rows
(or their primary keys) and read everything they show from the database themselves.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Frame, Image, Paragraph, Spacer, Table, TableStyle

from gaokao.candidates.models import Candidate
from gaokao.candidates.own_data import CODE_FIELDS, FAMILY_FIELDS, RESUME_FIELDS
from gaokao.codes.models import Code
from gaokao.codes.models import Table as CodeTable
from gaokao.documents.fonts import BOLD, REGULAR, missing_glyphs, printable
from gaokao.documents.pdf import A4, GREY, a4_canvas, mm, print_time
from gaokao.documents.review_form import LIGHT
from gaokao.payments.models import yuan
from gaokao.photos.models import CandidatePhoto
from gaokao.regions.models import Region

logger = logging.getLogger(__name__)

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 12 * mm
WIDTH = PAGE_WIDTH - 2 * MARGIN
HEIGHT = PAGE_HEIGHT - 2 * MARGIN
LABEL = 26 * mm  # a label column
PHOTO_WIDTH, PHOTO_HEIGHT = 30 * mm, 40 * mm  # 3:4, as the 480 × 640 standard photo

# The candidate's own data (S6), in the portal's order: code fields show the code's name.
DATA_FIELDS = (
    "political_status",
    "candidate_category",
    "household_type",
    "household_region",
    "disability_category",
    "graduation_type",
    "school",
    "student_number",
    "proficiency_number",
    "foreign_language",
    "mobile",
    "phone",
)
LONG_FIELDS = ("accommodations", "specialties", "awards")
IDENTITY_TABLES = (
    CodeTable.SEX,
    CodeTable.ETHNICITY,
    CodeTable.DOCUMENT_TYPE,
    CodeTable.SUBJECT_TRACK,
)


# ── the data shown ─────────────────────────────────────────────────────────────────────


@dataclass
class Record:
    """Everything one page shows about one candidate, as text."""

    registration_number: str
    name: str
    version: int
    season: str
    point: str
    identity: list[tuple[str, str]]
    data: list[tuple[str, str]]
    long: list[tuple[str, str]]
    resume: list[list[str]]
    family: list[list[str]]
    checks: list[tuple[str, str]]
    professional: list[list[str]] = field(default_factory=list)
    photo: bytes | None = None


def label(name: str) -> str:
    return str(capfirst(Candidate._meta.get_field(name).verbose_name))


def collect(candidates: Iterable[Candidate | str], *, photos: bool = False) -> list[Record]:
    """The records of these candidates (rows or primary keys), in the order given, read
    with a fixed number of queries however many there are."""
    keys = [getattr(c, "pk", c) for c in candidates]
    rows = (
        Candidate.objects.filter(pk__in=keys)
        .select_related("season", "point__county")
        .prefetch_related(
            "resume",
            "family",
            "professional_registrations__category",
            Prefetch(
                "photos",
                queryset=CandidatePhoto.objects.filter(is_current=True),
                to_attr="current_photos",
            ),
        )
    )
    by_key = {c.pk: c for c in rows}
    ordered = [by_key[k] for k in dict.fromkeys(keys) if k in by_key]
    names = _code_names(ordered)
    regions = dict(
        Region.objects.filter(code__in={c.household_region for c in ordered}).values_list(
            "code", "name"
        )
    )
    return [_record(c, names, regions, photos=photos) for c in ordered]


def _code_names(candidates: Sequence[Candidate]) -> dict[tuple[str, str], str]:
    """(table, code) → name for every code these candidates carry, retired ones included."""
    small = [*IDENTITY_TABLES, *(t for f, t in CODE_FIELDS.items() if t != CodeTable.SCHOOL)]
    schools = {c.school for c in candidates if c.school}
    codes = Code.objects.filter(table__in=small) | Code.objects.filter(
        table=CodeTable.SCHOOL, code__in=schools
    )
    return {(t, code): name for t, code, name in codes.values_list("table", "code", "name")}


def _record(c: Candidate, names, regions, *, photos: bool) -> Record:
    def code(table: str, value: str) -> str:
        return names.get((table, value), value) if value else ""

    verified = c.identity_verified_at
    identity = [
        (_("Full name"), c.name),
        (label("sex"), code(CodeTable.SEX, c.sex)),
        (label("birth_date"), c.birth_date.isoformat()),
        (label("ethnicity"), code(CodeTable.ETHNICITY, c.ethnicity)),
        (label("document_type"), code(CodeTable.DOCUMENT_TYPE, c.document_type)),
        (label("id_number"), c.id_number),
        (label("registration_number"), c.registration_number or ""),
        (label("subject_track"), code(CodeTable.SUBJECT_TRACK, c.subject_track)),
        (label("identity_source"), c.get_identity_source_display()),
        (
            _("Verified with the ID card"),
            timezone.localtime(verified).strftime("%Y-%m-%d %H:%M") if verified else _("not yet"),
        ),
    ]
    data = []
    for name in DATA_FIELDS:
        value = getattr(c, name)
        if name == "school" and value:
            value = f"{code(CodeTable.SCHOOL, value)} ({value})"
        elif name in CODE_FIELDS:
            value = code(CODE_FIELDS[name], value)
        elif name == "household_region" and value in regions:
            value = f"{value} {regions[value]}"
        data.append((label(name), value))
    checks = [
        (label("documents_received"), _("Yes") if c.documents_received else _("No")),
        (
            _("Registration fee paid (yuan)"),
            "" if c.fee_fen is None else yuan(c.fee_fen),
        ),
        (label("fee_receipt"), c.fee_receipt),
        (
            label("eligibility"),
            " · ".join(filter(None, [c.get_eligibility_display(), c.eligibility_note])),
        ),
    ]
    professional = [
        [
            r.category.name,
            r.main_item,
            r.secondary_item,
            r.exam_phone,
            r.get_status_display(),
        ]
        for r in c.professional_registrations.all()
    ]
    return Record(
        registration_number=c.registration_number or "",
        name=c.name,
        version=c.version,
        season=c.season.name,
        point=str(c.point),
        identity=identity,
        data=data,
        long=[(label(name), getattr(c, name)) for name in LONG_FIELDS],
        resume=[[getattr(r, f) for f in RESUME_FIELDS] for r in c.resume.all()],
        family=[[getattr(f, n) for n in FAMILY_FIELDS] for f in c.family.all()],
        checks=checks,
        professional=professional,
        photo=_photo(c) if photos else None,
    )


def _photo(candidate: Candidate) -> bytes | None:
    """The current standard photo's JPEG, or None (no photo, or its file is missing)."""
    current = candidate.current_photos[0] if candidate.current_photos else None
    if current is None:
        return None
    try:
        with current.normalised.open("rb") as f:
            return f.read()
    except OSError:
        logger.warning("The photo file of %s is missing (%s)", candidate, current.normalised)
        return None


# ── drawing ────────────────────────────────────────────────────────────────────────────

BASE = ParagraphStyle("base", fontName=REGULAR, fontSize=9, leading=11.5, wordWrap="CJK")
STYLES = {
    "value": BASE,
    "label": ParagraphStyle("label", BASE, fontSize=8.5),
    "strong": ParagraphStyle("strong", BASE, fontName=BOLD, fontSize=11, leading=14),
    "head": ParagraphStyle("head", BASE, fontName=BOLD, fontSize=9.5),
    "title": ParagraphStyle(
        "title", BASE, fontName=BOLD, fontSize=16, leading=20, alignment=TA_CENTER
    ),
    "small": ParagraphStyle("small", BASE, fontSize=8, leading=10, textColor=GREY),
    "centre": ParagraphStyle("centre", BASE, alignment=TA_CENTER, textColor=GREY),
}
GRID = [
    ("GRID", (0, 0), (-1, -1), 0.6, "black"),
    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ("TOPPADDING", (0, 0), (-1, -1), 2),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ("LEFTPADDING", (0, 0), (-1, -1), 3),
    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
]


def pc(widths: Sequence[float]) -> list[str]:
    """Column widths as shares of the page's width: when KeepInFrame shrinks a page, it
    lays the content out wider and scales it down, and the tables must widen with it."""
    return [f"{w / WIDTH * 100:.3f}%" for w in widths]


def p(text: str, style: str = "value") -> Paragraph:
    """Text as a paragraph: escaped, line breaks kept, characters the font lacks as 〓."""
    markup = escape(printable(str(text or ""))).replace("\n", "<br/>")
    return Paragraph(markup, STYLES[style])


def _shade(cells: list[tuple[int, int]]) -> list:
    return [("BACKGROUND", cell, cell, LIGHT) for cell in cells]


def _pairs(pairs: Sequence[tuple[str, str]], widths: Sequence[float], *, first_strong=False):
    """(label, value) pairs two to a row, labels shaded; the first value in bold if asked."""
    rows, shade = [], []
    for index in range(0, len(pairs), 2):
        row = []
        for offset, (text, value) in enumerate(pairs[index : index + 2]):
            style = "strong" if first_strong and index == offset == 0 else "value"
            row += [p(text, "label"), p(value, style)]
            shade.append((2 * offset, len(rows)))
        rows.append(row + [""] * (4 - len(row)))
    if len(pairs) % 2:
        last = len(rows) - 1
        span = [("SPAN", (1, last), (3, last))]
    else:
        span = []
    return Table(rows, colWidths=pc(widths), style=TableStyle(GRID + _shade(shade) + span))


def _long(pairs: Sequence[tuple[str, str]], widths: Sequence[float]):
    rows = [[p(text, "label"), p(value)] for text, value in pairs]
    shade = [(0, n) for n in range(len(rows))]
    return Table(rows, colWidths=pc(widths), style=TableStyle(GRID + _shade(shade)))


def _list(heading: str, columns: Sequence[str], rows: Sequence[Sequence[str]], widths):
    """A table with a heading row, a row of column names and the rows (an empty one when
    there are none, to write in)."""
    body = [[p(v) for v in row] for row in rows] or [["" for _c in columns]]
    data = [[p(heading, "head")] + [""] * (len(columns) - 1), [p(c, "label") for c in columns]]
    style = [*GRID, ("SPAN", (0, 0), (-1, 0)), ("BACKGROUND", (0, 0), (-1, 1), LIGHT)]
    return Table(data + body, colWidths=pc(widths), style=TableStyle(style))


def _heading(text: str):
    return Table(
        [[p(text, "head")]],
        colWidths=["100%"],
        style=TableStyle([*GRID, ("BACKGROUND", (0, 0), (-1, -1), LIGHT)]),
    )


def _resume(r: Record):
    columns = [_("From (YYYY-MM)"), _("To (YYYY-MM)"), _("School or employer"), _("Role")]
    widths = [26 * mm, 26 * mm, WIDTH - 92 * mm, 40 * mm]
    return _list(_("Résumé"), columns, r.resume, widths)


def _family(r: Record):
    columns = [_("Full name"), _("Relation"), _("Employer"), _("Phone")]
    widths = [30 * mm, 22 * mm, WIDTH - 92 * mm, 40 * mm]
    return _list(_("Family members"), columns, r.family, widths)


def _professional(r: Record):
    columns = [
        capfirst(_("category")),
        capfirst(_("main item")),
        capfirst(_("secondary item")),
        capfirst(_("phone during the exams")),
        capfirst(_("status")),
    ]
    widths = [40 * mm, 32 * mm, 32 * mm, 32 * mm, WIDTH - 136 * mm]
    return _list(_("Professional exams"), columns, r.professional, widths)


def _signatures(lines: Sequence[str]):
    """Labels with room to sign after each, and the date, on one row."""
    cells = []
    for text in lines:
        cells += [p(text, "label"), ""]
    widths = []
    for _text in lines:
        widths += [30 * mm, WIDTH / len(lines) - 30 * mm]
    style = [("LINEBELOW", (n, 0), (n, 0), 0.6, "black") for n in range(1, 2 * len(lines), 2)] + [
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ("TOPPADDING", (0, 0), (-1, -1), 10),
    ]
    return Table([cells], colWidths=pc(widths), style=TableStyle(style))


def _header(title: str, r: Record, printed: str) -> list:
    line = " · ".join(
        [
            r.season,
            r.point,
            _("Data version %(version)s") % {"version": r.version},
            _("Printed %(time)s") % {"time": printed},
        ]
    )
    return [p(title, "title"), Spacer(0, 1.5 * mm), p(line, "small"), Spacer(0, 2 * mm)]


def _sheet_page(r: Record, printed: str) -> list:
    half = [LABEL, WIDTH / 2 - LABEL, LABEL, WIDTH / 2 - LABEL]
    gap = Spacer(0, 2.5 * mm)
    story = [
        *_header(_("Proofreading sheet"), r, printed),
        _heading(_("Identity")),
        _pairs(r.identity, half, first_strong=True),
        gap,
        _heading(_("Candidate's data")),
        _pairs(r.data, half),
        _long(r.long, [LABEL, WIDTH - LABEL]),
        gap,
        _resume(r),
        gap,
        _family(r),
        gap,
        _heading(_("Documents, fee and eligibility")),
        _pairs(r.checks, half),
    ]
    if r.professional:
        story += [gap, _professional(r)]
    corrections = Table(
        [[p(_("Corrections: write down what is wrong and what is right"), "label")], [""]],
        colWidths=["100%"],
        rowHeights=[None, 22 * mm],
        style=TableStyle([*GRID, ("BACKGROUND", (0, 0), (0, 0), LIGHT)]),
    )
    declaration = _(
        "I have checked every item above against my ID card and documents. Apart from the"
        " corrections written above, it is correct."
    )
    story += [
        gap,
        corrections,
        gap,
        p(declaration),
        _signatures([_("Candidate's signature"), _("Date")]),
        _signatures([_("Checked by (point staff)"), _("Date")]),
    ]
    return story


def _form_page(r: Record, printed: str) -> list:
    """The registration form: identity beside the photo, then the same sections."""
    value = (WIDTH - PHOTO_WIDTH - 2 * LABEL) / 2
    widths = [LABEL, value, LABEL, value, PHOTO_WIDTH]
    identity = list(r.identity[:8])
    rows, shade = [], []
    for index in range(0, len(identity), 2):
        row = []
        for offset, (text, val) in enumerate(identity[index : index + 2]):
            style = "strong" if index == offset == 0 else "value"
            row += [p(text, "label"), p(val, style)]
            shade.append((2 * offset, len(rows)))
        rows.append([*row, ""])
    if r.photo:
        photo = Image(io.BytesIO(r.photo), width=PHOTO_WIDTH - 4, height=PHOTO_HEIGHT - 4)
    else:
        photo = p(_("No photo yet."), "centre")
    rows[0][4] = photo
    height = PHOTO_HEIGHT / len(rows)
    top = Table(
        rows,
        colWidths=pc(widths),
        rowHeights=[height] * len(rows),
        style=TableStyle(
            GRID
            + _shade(shade)
            + [
                ("SPAN", (4, 0), (4, len(rows) - 1)),
                ("ALIGN", (4, 0), (4, 0), "CENTER"),
                ("LEFTPADDING", (4, 0), (4, 0), 2),
                ("RIGHTPADDING", (4, 0), (4, 0), 2),
            ]
        ),
    )
    half = [LABEL, WIDTH / 2 - LABEL, LABEL, WIDTH / 2 - LABEL]
    gap = Spacer(0, 2.5 * mm)
    story = [
        *_header(_("Registration form"), r, printed),
        top,
        _pairs([*r.identity[8:], (capfirst(_("registration point")), r.point)], half),
        gap,
        _heading(_("Candidate's data")),
        _pairs(r.data, half),
        _long(r.long, [LABEL, WIDTH - LABEL]),
        gap,
        _resume(r),
        gap,
        _family(r),
    ]
    if r.professional:
        story += [gap, _professional(r)]
    declaration = _(
        "I declare that the data on this form is true and complete, and I accept the"
        " consequences of any false statement."
    )
    story += [
        gap,
        p(declaration),
        _signatures([_("Candidate's signature"), _("Date")]),
        _signatures([_("Handled by (signature)"), _("Registration point (seal)")]),
    ]
    return story


def _fit(build: Callable[[], list[Flowable]]) -> tuple[float, list[Flowable]]:
    """The page's content and the factor to lay it out larger by: 1 when it fits the page;
    otherwise it is laid out on a page that much wider and taller (so wider tables wrap
    less) and drawn scaled down by it. ReportLab's KeepInFrame does the same, but wraps the
    same tables again, which keep the column widths of their first layout: each attempt
    here builds the content afresh."""

    def attempt(scale: float) -> tuple[float, list[Flowable]]:
        story = build()
        width = WIDTH * scale
        height = sum(f.wrap(width, 1e9)[1] + f.getSpaceBefore() + f.getSpaceAfter() for f in story)
        return height, story

    height, story = attempt(1.0)
    if height <= HEIGHT:
        return 1.0, story
    # Wider, the content wraps into fewer lines, so height / HEIGHT is enough, if not
    # least; the least is then found between 1 and the first factor that fits.
    low, high = 1.0, height / HEIGHT
    while True:
        height, story = attempt(high)
        if height <= HEIGHT * high:
            break
        low, high = high, max(height / HEIGHT, high * 1.01)
    best = (high, story)
    for _step in range(6):
        middle = (low + high) / 2
        height, story = attempt(middle)
        if height <= HEIGHT * middle:
            high, best = middle, (middle, story)
        else:
            low = middle
    return best


def _draw_page(canvas, build: Callable[[], list[Flowable]]) -> None:
    scale, story = _fit(build)
    canvas.saveState()
    canvas.translate(MARGIN, PAGE_HEIGHT - MARGIN)
    canvas.scale(1 / scale, 1 / scale)
    # A little more room than measured, so that rounding never leaves a table behind.
    frame = Frame(0, -HEIGHT * scale - 1, WIDTH * scale, HEIGHT * scale + 1, 0, 0, 0, 0)
    frame.addFromList(story, canvas)
    canvas.restoreState()
    if story:  # pragma: no cover - _fit measured that everything fits
        raise RuntimeError("page content left over")


def _render(records: Sequence[Record], *, title: str, page) -> bytes:
    """One page per record."""
    subject = records[0].registration_number if len(records) == 1 else ""
    canvas, buffer = a4_canvas(title=title, subject=subject)
    printed = print_time()
    for r in records:
        missing = missing_glyphs(r.name + r.point + "".join(v for _l, v in r.data))
        if missing:
            # Printed as 〓, to be written in by hand.
            logger.warning("The PDF font has no glyph for %r (%s)", missing, r.registration_number)
        _draw_page(canvas, lambda r=r: page(r, printed))
        canvas.showPage()
    if not records:
        canvas.showPage()  # a PDF needs a page; an empty batch is refused before this
    canvas.save()
    return buffer.getvalue()


def proofreading_sheet(candidates: Iterable[Candidate | str]) -> bytes:
    """校对表: one page per candidate, everything on record, with lines to correct and
    sign. The candidate portal offers it for the candidate's own record too."""
    return _render(collect(candidates), title=_("Proofreading sheet"), page=_sheet_page)


def registration_form(candidates: Iterable[Candidate | str]) -> bytes:
    """报名登记表: one page per candidate, in the form's layout, with the current photo."""
    records = collect(candidates, photos=True)
    return _render(records, title=_("Registration form"), page=_form_page)
