"""资格审核表 — the eligibility review form for migrant workers' children (O1).

The point keys in the candidate's identity through the office web, prints this form, checks
the documents that the family brings (ticking them off by hand), writes its opinion and
signs; the county reviews, signs and seals it. Approval, recorded in the office web, opens
the candidate's registration. One A4 page, drawn with the canvas like the other documents.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from reportlab.lib.colors import Color, black
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from gaokao.documents.fonts import BOLD, REGULAR, missing_glyphs, printable
from gaokao.documents.pdf import A4, GREY, TextBlock, a4_canvas, fit_text, mm

logger = logging.getLogger(__name__)

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
WIDTH = PAGE_WIDTH - 2 * MARGIN  # 174 mm
LABEL_WIDTH = 30 * mm
VALUE_WIDTH = WIDTH / 2 - LABEL_WIDTH
ROW_HEIGHT = 10 * mm
NOTE_HEIGHT = 30 * mm
BAR_HEIGHT = 8 * mm  # a section's heading
CELL_PAD = 2 * mm
BOX = 3.4 * mm  # a checkbox
SECTION_GAP = 5 * mm
ASCENT = 0.88
LEADING = 1.3
LIGHT = Color(0.92, 0.92, 0.92)


@dataclass(frozen=True)
class EligibilityReviewForm:
    registration_number: str
    name: str
    sex: str
    birth_date: date | str
    ethnicity: str
    id_number: str
    document_type: str
    household_region: str
    point: str
    county: str
    guardian_note: str  # the family's circumstances, as the point noted them
    created_at: datetime


def documents_checked() -> list[str]:
    """What the point checks before it gives its opinion, each with a box to tick."""
    return [
        _("Parents' residence permit"),
        _("Parents' proof of employment"),
        _("Parents' social insurance record"),
        _("Student status certificate"),
        _("Household register"),
        _("Candidate's ID card"),
    ]


def render_eligibility_review_form(form: EligibilityReviewForm) -> bytes:
    """The form as a one-page PDF."""
    missing = missing_glyphs(form.name + form.household_region + form.point + form.guardian_note)
    if missing:
        # Printed as 〓, to be written in by hand.
        logger.warning(
            "The PDF font has no glyph for %r (review form of %s)",
            missing,
            form.registration_number,
        )
    title = _("Eligibility review form for migrant workers' children")
    canvas, buffer = a4_canvas(title=title, subject=form.registration_number)
    text = TextBlock(canvas)
    size, lines = fit_text(title, WIDTH, font=BOLD, size=16, max_lines=1, min_size=11)
    text.put_centred(PAGE_WIDTH / 2, PAGE_HEIGHT - 22 * mm, lines[0], font=BOLD, size=size)
    created = timezone.localtime(form.created_at).strftime("%Y-%m-%d %H:%M")
    stamp = _("Created %(time)s") % {"time": created}
    text.put(
        PAGE_WIDTH - MARGIN - stringWidth(stamp, REGULAR, 8),
        PAGE_HEIGHT - 30 * mm,
        stamp,
        size=8,
        color=GREY,
    )

    y = _draw_identity(canvas, text, form, PAGE_HEIGHT - 33 * mm)
    y = _draw_documents(canvas, text, y - SECTION_GAP)
    y = _draw_opinion(
        canvas,
        text,
        y - SECTION_GAP,
        heading=_("Opinion of the registration point"),
        height=40 * mm,
        signatures=[_("Handled by (signature)"), _("Head of the point (signature)")],
    )
    y = _draw_opinion(
        canvas,
        text,
        y - SECTION_GAP,
        heading=_("Review of the county's admissions office"),
        height=48 * mm,
        choices=[_("Approved"), _("Rejected")],
        signatures=[_("Reviewed by (signature)")],
        seal=True,
    )
    note = _("Attach copies of the documents checked. The county office keeps this form.")
    text.put(MARGIN, y - 6 * mm, note, size=8, color=GREY)
    text.draw()
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def identity_cells(form: EligibilityReviewForm) -> list[list[tuple[str, str]]]:
    """The rows of the identity table: (label, value) pairs, two or one to a row."""
    birth = form.birth_date
    birth = birth.isoformat() if isinstance(birth, date) else birth
    return [
        [(_("Real name"), form.name), (capfirst(_("sex")), form.sex)],
        [(capfirst(_("birth date")), birth), (capfirst(_("ethnicity")), form.ethnicity)],
        [
            (capfirst(_("document type")), form.document_type),
            (capfirst(_("document number")), form.id_number),
        ],
        [
            (capfirst(_("registration number")), form.registration_number),
            (capfirst(_("household region")), form.household_region),
        ],
        [(capfirst(_("registration point")), form.point)],
        [(capfirst(_("county")), form.county)],
    ]


def _draw_identity(
    canvas: Canvas, text: TextBlock, form: EligibilityReviewForm, top: float
) -> float:
    """The candidate's data as a bordered table; return its foot."""
    rows = identity_cells(form)
    bottom = top - len(rows) * ROW_HEIGHT - NOTE_HEIGHT
    grid = canvas.beginPath()
    grid.rect(MARGIN, bottom, WIDTH, top - bottom)
    shade = canvas.beginPath()
    y = top
    for cells in rows:
        x = MARGIN
        for index, (label, value) in enumerate(cells):
            value_width = VALUE_WIDTH if len(cells) == 2 else WIDTH - LABEL_WIDTH
            shade.rect(x, y - ROW_HEIGHT, LABEL_WIDTH, ROW_HEIGHT)
            _put_cell(text, label, x, y, LABEL_WIDTH, ROW_HEIGHT, size=9.5, max_lines=2)
            font, size = (BOLD, 12) if index == 0 and y == top else (REGULAR, 10.5)
            _put_cell(
                text, value, x + LABEL_WIDTH, y, value_width, ROW_HEIGHT, font=font, size=size
            )
            if x > MARGIN:
                grid.moveTo(x, y)
                grid.lineTo(x, y - ROW_HEIGHT)
            grid.moveTo(x + LABEL_WIDTH, y)
            grid.lineTo(x + LABEL_WIDTH, y - ROW_HEIGHT)
            x += LABEL_WIDTH + value_width
        y -= ROW_HEIGHT
        grid.moveTo(MARGIN, y)
        grid.lineTo(MARGIN + WIDTH, y)

    # The family's circumstances: a tall cell, the text from its top.
    label = _("Circumstances of the parents (residence, employment)")
    shade.rect(MARGIN, bottom, LABEL_WIDTH, NOTE_HEIGHT)
    _put_cell(text, label, MARGIN, y, LABEL_WIDTH, NOTE_HEIGHT, size=9.5, max_lines=4)
    grid.moveTo(MARGIN + LABEL_WIDTH, y)
    grid.lineTo(MARGIN + LABEL_WIDTH, bottom)
    width = WIDTH - LABEL_WIDTH - 2 * CELL_PAD
    max_lines = int((NOTE_HEIGHT - 2 * CELL_PAD) // (LEADING * 10))
    size, lines = fit_text(
        printable(form.guardian_note), width, size=10, max_lines=max_lines, min_size=7
    )
    # As many lines as fit at the size fit_text settled on.
    lines = lines[: int((NOTE_HEIGHT - 2 * CELL_PAD - size) // (LEADING * size)) + 1]
    text.put_lines(
        MARGIN + LABEL_WIDTH + CELL_PAD,
        y - CELL_PAD - ASCENT * size,
        lines,
        leading=LEADING * size,
        size=size,
    )
    _stroke(canvas, shade, grid)
    return bottom


def _draw_documents(canvas: Canvas, text: TextBlock, top: float) -> float:
    """The documents checked, each with a blank box to tick; return the section's foot."""
    items = [*documents_checked(), _("Other:")]
    per_row = 2
    rows = -(-len(items) // per_row)
    line_height = 8 * mm
    bottom = top - BAR_HEIGHT - rows * line_height - 2 * mm
    shade = _bar(text, _("Documents checked"), top)
    grid = canvas.beginPath()
    grid.rect(MARGIN, bottom, WIDTH, top - bottom)
    grid.moveTo(MARGIN, top - BAR_HEIGHT)
    grid.lineTo(MARGIN + WIDTH, top - BAR_HEIGHT)
    column = WIDTH / per_row
    for index, item in enumerate(items):
        row, col = divmod(index, per_row)
        x = MARGIN + 4 * mm + col * column
        baseline = top - BAR_HEIGHT - 1 * mm - (row + 0.5) * line_height - 3.5
        grid.rect(x, baseline - 0.5, BOX, BOX)
        label_x = x + BOX + 2 * mm
        size, lines = fit_text(item, column - 12 * mm, size=10, max_lines=1, min_size=7)
        text.put(label_x, baseline, lines[0], size=size)
        if item == items[-1]:  # "Other:" is followed by a line to write on
            start = label_x + stringWidth(lines[0], REGULAR, size) + 2 * mm
            grid.moveTo(start, baseline - 2)
            grid.lineTo(MARGIN + WIDTH - 6 * mm, baseline - 2)
    _stroke(canvas, shade, grid)
    return bottom


def _draw_opinion(
    canvas: Canvas,
    text: TextBlock,
    top: float,
    *,
    heading: str,
    height: float,
    signatures: Sequence[str],
    choices: Sequence[str] = (),
    seal: bool = False,
) -> float:
    """A section to write an opinion in: ruled lines, boxes for the decision if any, and
    lines to sign and date, with room for a seal; return its foot."""
    bottom = top - BAR_HEIGHT - height
    shade = _bar(text, heading, top)
    grid = canvas.beginPath()
    grid.rect(MARGIN, bottom, WIDTH, top - bottom)
    grid.moveTo(MARGIN, top - BAR_HEIGHT)
    grid.lineTo(MARGIN + WIDTH, top - BAR_HEIGHT)
    left = MARGIN + 4 * mm
    right = MARGIN + WIDTH - 4 * mm
    y = top - BAR_HEIGHT - 8 * mm
    if choices:
        x = left
        for choice in choices:
            grid.rect(x, y - 0.5, BOX, BOX)
            text.put(x + BOX + 2 * mm, y, choice, size=10.5)
            x += BOX + 2 * mm + stringWidth(choice, REGULAR, 10.5) + 12 * mm
        y -= 8 * mm
    # Ruled lines for the opinion, down to the signatures.
    signature_y = bottom + 7 * mm
    seal_width = 38 * mm if seal else 0
    while y - 2 > signature_y + 14 * mm:
        grid.moveTo(left, y - 2)
        grid.lineTo(right - seal_width, y - 2)
        y -= 8 * mm
    # The signatures on one line with the date at the right; above them, room for a seal.
    date_label = _("Date")
    date_width = stringWidth(date_label, REGULAR, 10) + 32 * mm
    room = right - left - date_width - 6 * mm
    x = left
    for label in signatures:
        line = room / len(signatures) - 6 * mm - stringWidth(label, REGULAR, 10)
        x = _field(text, grid, label, x, signature_y, max(line, 15 * mm)) + 6 * mm
    _field(text, grid, date_label, right - date_width, signature_y, 32 * mm - 2 * mm)
    if seal:
        text.put_centred(
            right - seal_width / 2, signature_y + 17 * mm, _("(Seal)"), size=9, color=GREY
        )
    _stroke(canvas, shade, grid)
    return bottom


def _field(text: TextBlock, grid, label: str, x: float, baseline: float, line: float) -> float:
    """A label and a line to write on after it; return where the line ends."""
    text.put(x, baseline, label, size=10)
    start = x + stringWidth(label, REGULAR, 10) + 1.5 * mm
    grid.moveTo(start, baseline - 2)
    grid.lineTo(start + line, baseline - 2)
    return start + line


def _bar(text: TextBlock, heading: str, top: float):
    """A section's heading on a light band; return the band, to be filled."""
    text.put(MARGIN + 3 * mm, top - BAR_HEIGHT / 2 - 3.6, heading, font=BOLD, size=10.5)
    band = text.canvas.beginPath()
    band.rect(MARGIN, top - BAR_HEIGHT, WIDTH, BAR_HEIGHT)
    return band


def _put_cell(
    text: TextBlock,
    value: str,
    left: float,
    top: float,
    width: float,
    height: float,
    *,
    font: str = REGULAR,
    size: float,
    max_lines: int = 1,
) -> None:
    """``value`` fitted into the cell, centred in its height."""
    value = printable(value)
    if not value:
        return
    size, lines = fit_text(
        value, width - 2 * CELL_PAD, font=font, size=size, max_lines=max_lines, min_size=7
    )
    block = size + (len(lines) - 1) * LEADING * size
    baseline = top - (height - block) / 2 - ASCENT * size
    text.put_lines(left + CELL_PAD, baseline, lines, leading=LEADING * size, font=font, size=size)


def _stroke(canvas: Canvas, shade, grid) -> None:
    """Fill the shaded areas, then stroke the lines over them."""
    canvas.saveState()
    canvas.setFillColor(LIGHT)
    canvas.drawPath(shade, stroke=0, fill=1)
    canvas.setStrokeColor(black)
    canvas.setLineWidth(0.6)
    canvas.drawPath(grid, stroke=1, fill=0)
    canvas.restoreState()
