"""网报登录卡 and 网报登录表 — login cards and the login sheet (S4).

A point prints a login card for each candidate whose documents, fee and eligibility it has
checked (S5): eight to an A4 page, cut apart along the dashed lines, each with the portal's
address, the registration number, the initial password, the name and ID number, and a QR
code that opens the portal's sign-in page with the registration number filled in. The
login sheet lists the same candidates in a table that each signs on receiving the card.

A point of 1,000 candidates prints 125 pages of cards: everything is drawn with the canvas
directly (no Platypus), the text of a card as one text object, and the QR codes as raw
path operators (bench/login_cards.py measures it against bare ReportLab).
"""

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode, urlsplit, urlunsplit

import segno
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib.colors import Color, black
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from gaokao.documents.fonts import BOLD, REGULAR, missing_glyphs, printable
from gaokao.documents.pdf import (
    A4,
    GREY,
    TextBlock,
    a4_canvas,
    draw_cut_line,
    draw_page_header,
    draw_page_number,
    draw_qr_matrix,
    fit_text,
    mm,
    print_time,
)

logger = logging.getLogger(__name__)

PAGE_WIDTH, PAGE_HEIGHT = A4
HEADER_BASELINE = PAGE_HEIGHT - 13 * mm
LIGHT = Color(0.9, 0.9, 0.9)
ASCENT = 0.88  # of Noto Sans SC, in em: the first baseline lies this far below the top
LEADING = 1.25
PASSWORD_SPACING = 1.2  # points between the password's characters

# ── login cards ────────────────────────────────────────────────────────────────────────

CARD_COLUMNS, CARD_ROWS = 2, 4
CARDS_PER_PAGE = CARD_COLUMNS * CARD_ROWS
MARGIN = 10 * mm
CARDS_TOP = PAGE_HEIGHT - 19 * mm  # below the page header
CARDS_BOTTOM = 12 * mm  # above the page number
CARD_WIDTH = (PAGE_WIDTH - 2 * MARGIN) / CARD_COLUMNS  # 95 mm
CARD_HEIGHT = (CARDS_TOP - CARDS_BOTTOM) / CARD_ROWS  # 66.5 mm
PAD_X, PAD_Y = 4 * mm, 3.5 * mm
INNER_WIDTH = CARD_WIDTH - 2 * PAD_X
INNER_HEIGHT = CARD_HEIGHT - 2 * PAD_Y
# With its quiet zone: an address of up to 62 characters makes a version 4 symbol (41
# modules with the quiet zone), so a module is 0.66 mm, which any phone reads off paper.
QR_SIZE = 27 * mm
QR_ERROR = "m"
QR_PARAMETER = "bmh"  # 报名号: the portal's sign-in page fills it in
LABEL_SIZE = 7.5
GAP = 4.2  # between the rows of a card, at scale 1
# The scales at which a card is tried, until everything fits; at the last, every field is
# cut to a bounded number of lines, so the card fits whatever it holds.
SCALES = (1, 0.94, 0.88, 0.82, 0.76, 0.7)
MIN_SIGN_IN_SIZE = 7  # points: the registration number, ID number and password


@dataclass(frozen=True)
class LoginCard:
    portal_url: str
    registration_number: str
    password: str
    name: str
    id_number: str
    point: str
    subject_track: str


@dataclass(frozen=True)
class Row:
    """A field of a card: its label and its value, fitted into ``lines``."""

    label: str
    font: str
    size: float
    lines: tuple[str, ...]
    char_space: float = 0

    @property
    def height(self) -> float:
        """From the top of the first line to the foot of the last."""
        return self.size + (len(self.lines) - 1) * LEADING * self.size


@dataclass(frozen=True)
class CardLayout:
    """Where the parts of one card go, at the scale at which they fit."""

    scale: float
    label_width: float
    title: Row
    beside_qr: tuple[Row, ...]  # name, registration number, track, ID number, password
    below_qr: tuple[Row, ...]  # the portal's address, the point
    caption: Row  # under the QR code
    instruction: Row  # at the foot of the card
    qr_size: float

    @property
    def gap(self) -> float:
        return GAP * self.scale

    @property
    def top_height(self) -> float:
        """The rows beside the QR code, or the code and its caption if they are taller."""
        rows = sum(row.height for row in self.beside_qr) + self.gap * (len(self.beside_qr) - 1)
        return max(rows, self.qr_size + self.caption.height + self.gap / 2)

    @property
    def height(self) -> float:
        below = sum(row.height + self.gap for row in self.below_qr)
        return self.title.height + self.top_height + 2 * self.gap + below + self.instruction.height


def login_qr_payload(card: LoginCard) -> str:
    """What the card's QR code holds: the portal's address with the registration number
    as the query parameter ``bmh`` (报名号), e.g. https://gaokao.example.cn/portal/?bmh=43010001,
    for the sign-in page to fill in. An address that has a query already keeps it."""
    parts = urlsplit(card.portal_url)
    query = urlencode({QR_PARAMETER: card.registration_number})
    query = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit(parts._replace(query=query))


def render_login_cards(
    cards: Sequence[LoginCard], *, title: str, printed_at: datetime | None = None
) -> bytes:
    """The cards as a PDF, eight to an A4 page in two columns of four: a header with
    ``title`` and the print time (Asia/Shanghai) on every page, dashed cut lines around
    each card, "第 n 页 / 共 m 页" at the foot. Each card carries ``title`` too, since it
    is cut from the page."""
    if not cards:
        raise ValueError("no login cards to print")
    title = str(title)  # a lazy translation becomes text once
    printed = print_time(printed_at)
    canvas, buffer = a4_canvas(title=title)
    layouts = _CardLayouts(title)
    pages = math.ceil(len(cards) / CARDS_PER_PAGE)
    for page in range(1, pages + 1):
        on_page = cards[(page - 1) * CARDS_PER_PAGE : page * CARDS_PER_PAGE]
        draw_page_header(
            canvas, title, printed, left=MARGIN, right=PAGE_WIDTH - MARGIN, baseline=HEADER_BASELINE
        )
        text = TextBlock(canvas)
        for index, card in enumerate(on_page):
            row, column = divmod(index, CARD_COLUMNS)
            left = MARGIN + column * CARD_WIDTH
            top = CARDS_TOP - row * CARD_HEIGHT
            _draw_card(canvas, text, card, layouts.layout(card), left, top)
        text.draw()
        _draw_card_cut_lines(canvas, math.ceil(len(on_page) / CARD_COLUMNS))
        draw_page_number(canvas, page, pages)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def card_layout(card: LoginCard, *, title: str) -> CardLayout:
    """The layout of one card (for the tests; a document makes many with one _CardLayouts)."""
    return _CardLayouts(title).layout(card)


class _CardLayouts:
    """Lays out cards, fitting each text once per document: the title, the instruction,
    the labels, and the address and point that most cards of a document share."""

    def __init__(self, title: str):
        self.title = printable(title)
        self.labels = {
            "name": _("Real name"),
            "number": capfirst(_("registration number")),
            "track": _("Subject track"),
            "id": _("ID number"),
            "password": _("Initial password"),
            "address": _("Address"),
            "point": _("Registration point"),
        }
        self.caption = _("Scan to open the sign-in page")
        self.instruction = _(
            "Sign in at the address with your registration number and this password. At "
            "first sign-in you set a confirmation password that every save of your data "
            "needs. Keep this card to yourself."
        )
        self._fits: dict[tuple, tuple[float, tuple[str, ...]]] = {}
        self._label_widths: dict[float, float] = {}

    def fit(
        self, text: str, width: float, font: str, size: float, max_lines: int, min_size: float
    ) -> tuple[float, tuple[str, ...]]:
        key = (text, width, font, size, max_lines, min_size)
        fitted = self._fits.get(key)
        if fitted is None and "\n" not in text and stringWidth(text, font, size) <= width:
            fitted = (size, (text,))  # most values fit on one line as they are
        if fitted is None:
            size, lines = fit_text(
                text, width, font=font, size=size, max_lines=max_lines, min_size=min_size
            )
            fitted = self._fits[key] = (size, tuple(lines))
        return fitted

    def label_width(self, scale: float) -> float:
        width = self._label_widths.get(scale)
        if width is None:
            labels = self.labels.values()
            width = max(stringWidth(label, REGULAR, LABEL_SIZE * scale) for label in labels)
            width = self._label_widths[scale] = width + 2.5 * mm * scale
        return width

    def layout(self, card: LoginCard) -> CardLayout:
        missing = missing_glyphs(card.name + card.point)
        if missing:
            # Printed as 〓, to be written in by hand; the number and password are ASCII.
            logger.warning(
                "The PDF font has no glyph for %r (login card of %s)",
                missing,
                card.registration_number,
            )
        for scale in SCALES:
            layout = self._layout(card, scale)
            # A smaller scale also makes the QR code and labels narrower, which leaves more
            # room for a long ID number (a passport's, O2) or password beside them.
            readable = all(row.size >= MIN_SIGN_IN_SIZE for row in layout.beside_qr[1:])
            if layout.height <= INNER_HEIGHT and readable:
                break
        return layout

    def _layout(self, card: LoginCard, s: float) -> CardLayout:
        labels, fit = self.labels, self.fit
        label_width = self.label_width(s)
        qr_size = QR_SIZE * s
        # The QR code's quiet zone, and a little more, is the gutter.
        beside = INNER_WIDTH - qr_size - label_width - 1.5 * mm * s
        below = INNER_WIDTH - label_width
        return CardLayout(
            scale=s,
            label_width=label_width,
            title=Row("", BOLD, *fit(self.title, INNER_WIDTH, BOLD, 10.5 * s, 1, 7 * s)),
            beside_qr=(
                Row(labels["name"], BOLD, *fit(printable(card.name), beside, BOLD, 14 * s, 2, 8)),
                Row(
                    labels["number"], BOLD, *_shrunk(card.registration_number, beside, BOLD, 15 * s)
                ),
                Row(
                    labels["track"],
                    REGULAR,
                    *fit(printable(card.subject_track), beside, REGULAR, 10 * s, 1, 6.5),
                ),
                Row(labels["id"], REGULAR, *_shrunk(card.id_number, beside, REGULAR, 10.5 * s)),
                Row(
                    labels["password"],
                    BOLD,
                    *_shrunk(card.password, beside, BOLD, 13 * s, PASSWORD_SPACING),
                    PASSWORD_SPACING,
                ),
            ),
            below_qr=(
                Row(labels["address"], REGULAR, *fit(card.portal_url, below, REGULAR, 9 * s, 2, 6)),
                Row(
                    labels["point"],
                    REGULAR,
                    *fit(printable(card.point), below, REGULAR, 9 * s, 2, 6),
                ),
            ),
            caption=Row("", REGULAR, *fit(self.caption, qr_size, REGULAR, 6.5 * s, 2, 5)),
            instruction=Row(
                "", REGULAR, *fit(self.instruction, INNER_WIDTH, REGULAR, 7.5 * s, 4, 5.5)
            ),
            qr_size=qr_size,
        )


def _shrunk(
    text: str, width: float, font: str, size: float, char_space: float = 0
) -> tuple[float, tuple[str, ...]]:
    """The registration number, ID number and password, which sign-in needs: never wrapped
    nor cut short, only made smaller if need be (as the password on the credential slips).
    The password is set apart by ``char_space`` so that each character can be read off."""
    text = printable(text)
    room = width - char_space * len(text)
    return min(size, room / max(stringWidth(text, font, 1), 1)), (text,)


def _draw_card(
    canvas: Canvas, text: TextBlock, card: LoginCard, layout: CardLayout, left: float, top: float
) -> None:
    x = left + PAD_X
    y = top - PAD_Y
    gap = layout.gap
    title = layout.title
    text.put(x, y - ASCENT * title.size, title.lines[0], font=BOLD, size=title.size, color=black)
    y -= title.height + gap

    # The rows: beside the QR code, then across the card below it.
    rows = []
    for row in layout.beside_qr:
        rows.append((row, y - ASCENT * row.size))
        y -= row.height + gap
    y = top - PAD_Y - title.height - gap - layout.top_height - gap
    for row in layout.below_qr:
        rows.append((row, y - ASCENT * row.size))
        y -= row.height + gap
    value_x = x + layout.label_width
    for row, baseline in rows:
        text.put_lines(
            value_x,
            baseline,
            row.lines,
            leading=LEADING * row.size,
            font=row.font,
            size=row.size,
            char_space=row.char_space,
        )
    # The instruction sits at the foot of the card, whatever the rows above took.
    instruction = layout.instruction
    y = top - CARD_HEIGHT + PAD_Y + instruction.height
    text.put_lines(
        x,
        y - ASCENT * instruction.size,
        instruction.lines,
        leading=LEADING * instruction.size,
        size=instruction.size,
    )

    # In grey, after all the black, so that the colour changes twice a card, not per row.
    label_size = LABEL_SIZE * layout.scale
    for row, baseline in rows:
        text.put(x, baseline, row.label, size=label_size, color=GREY)
    qr_top = top - PAD_Y - title.height - gap
    qr_left = x + INNER_WIDTH - layout.qr_size
    caption = layout.caption
    text.put_lines(
        qr_left + layout.qr_size / 2,
        qr_top - layout.qr_size - ASCENT * caption.size,
        caption.lines,
        leading=LEADING * caption.size,
        size=caption.size,
        color=GREY,
        centred=True,
    )

    qr = segno.make(login_qr_payload(card), error=QR_ERROR, micro=False)
    draw_qr_matrix(canvas, qr.matrix, qr_left, qr_top - layout.qr_size, layout.qr_size)


def _draw_card_cut_lines(canvas: Canvas, rows: int) -> None:
    """Across the page between the rows of cards, and down between and beside the columns."""
    bottom = CARDS_TOP - rows * CARD_HEIGHT
    for row in range(rows + 1):
        y = CARDS_TOP - row * CARD_HEIGHT
        draw_cut_line(canvas, MARGIN / 2, y, PAGE_WIDTH - MARGIN / 2, y)
    for column in range(CARD_COLUMNS + 1):
        x = MARGIN + column * CARD_WIDTH
        draw_cut_line(canvas, x, CARDS_TOP + 2 * mm, x, bottom - 2 * mm)


# ── login sheet ────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class LoginSheetRow:
    registration_number: str
    name: str
    id_number: str
    subject_track: str
    password: str


SHEET_MARGIN = 12 * mm
TABLE_TOP = PAGE_HEIGHT - 26 * mm  # below the title and the point's line
TABLE_BOTTOM = 13 * mm  # above the page number
HEADER_HEIGHT = 9 * mm
ROW_HEIGHT = 7.5 * mm  # room to sign in
TOTALS_HEIGHT = 16 * mm  # the count and the issuer's signature, under the last row
ROWS_PER_PAGE = int((TABLE_TOP - TABLE_BOTTOM - HEADER_HEIGHT - TOTALS_HEIGHT) // ROW_HEIGHT)
CELL_PAD = 1.5 * mm


@dataclass(frozen=True)
class Column:
    key: str
    width: float
    font: str = REGULAR
    size: float = 9.5
    max_lines: int = 1
    centred: bool = False
    char_space: float = 0


COLUMNS = (  # 186 mm: the page less its margins
    Column("number", 11 * mm, size=9, centred=True),
    Column("registration_number", 22 * mm, BOLD, 10),
    Column("name", 30 * mm, BOLD, 10, max_lines=2),
    Column("id_number", 41 * mm, size=9.5),
    Column("subject_track", 20 * mm, size=9, max_lines=2),
    Column("password", 34 * mm, BOLD, 10.5, char_space=1),
    Column("signature", 28 * mm),
)


def column_headings() -> dict[str, str]:
    return {
        "number": pgettext("row number in a table", "No."),
        "registration_number": capfirst(_("registration number")),
        "name": _("Real name"),
        "id_number": _("ID number"),
        "subject_track": _("Subject track"),
        "password": _("Initial password"),
        "signature": _("Signature on receipt"),
    }


def sheet_pages(rows: int) -> int:
    return max(1, math.ceil(rows / ROWS_PER_PAGE))


def render_login_sheet(
    rows: Sequence[LoginSheetRow],
    *,
    point: str,
    county: str,
    title: str,
    printed_at: datetime | None = None,
) -> bytes:
    """The point's candidates in a table, ROWS_PER_PAGE to an A4 page with the column
    headings repeated on each, the point and county under the title, the count and a line
    for the issuer's signature after the last row, "第 n 页 / 共 m 页" at the foot."""
    if not rows:
        raise ValueError("no candidates for the login sheet")
    title, point, county = str(title), str(point), str(county)
    missing = missing_glyphs("".join(row.name for row in rows) + point + county)
    if missing:
        logger.warning("The PDF font has no glyph for %r (login sheet of %s)", missing, point)
    printed = print_time(printed_at)
    canvas, buffer = a4_canvas(title=title)
    headings = column_headings()
    pages = sheet_pages(len(rows))
    fits: dict[tuple, tuple[float, list[str]]] = {}
    for page in range(1, pages + 1):
        first = (page - 1) * ROWS_PER_PAGE
        on_page = rows[first : first + ROWS_PER_PAGE]
        right = PAGE_WIDTH - SHEET_MARGIN
        draw_page_header(
            canvas, title, printed, left=SHEET_MARGIN, right=right, baseline=HEADER_BASELINE
        )
        text = TextBlock(canvas)
        place = f"{county} · {point}"
        size, lines = fit_text(
            printable(place),
            PAGE_WIDTH - 2 * SHEET_MARGIN - 70 * mm,
            size=9.5,
            max_lines=1,
            min_size=7,
        )
        text.put(SHEET_MARGIN, TABLE_TOP + 4 * mm, lines[0], size=size)
        warning = _("Contains initial passwords: keep it locked away.")
        text.put(
            right - stringWidth(warning, REGULAR, 7.5),
            TABLE_TOP + 4 * mm,
            warning,
            size=7.5,
            color=GREY,
        )
        bottom = _draw_table(canvas, text, headings, on_page, first, fits)
        if page == pages:
            _draw_totals(canvas, text, len(rows), bottom)
        text.draw()
        draw_page_number(canvas, page, pages)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_table(
    canvas: Canvas,
    text: TextBlock,
    headings: dict[str, str],
    rows: Sequence[LoginSheetRow],
    first: int,
    fits: dict,
) -> float:
    """The headings and ``rows``; return the foot of the table."""
    left = SHEET_MARGIN
    width = sum(column.width for column in COLUMNS)
    bottom = TABLE_TOP - HEADER_HEIGHT - len(rows) * ROW_HEIGHT
    canvas.saveState()
    canvas.setFillColor(LIGHT)
    canvas.rect(left, TABLE_TOP - HEADER_HEIGHT, width, HEADER_HEIGHT, stroke=0, fill=1)
    grid = canvas.beginPath()
    for y in [
        TABLE_TOP,
        *(TABLE_TOP - HEADER_HEIGHT - i * ROW_HEIGHT for i in range(len(rows) + 1)),
    ]:
        grid.moveTo(left, y)
        grid.lineTo(left + width, y)
    x = left
    for column in (None, *COLUMNS):
        x += column.width if column else 0
        grid.moveTo(x, TABLE_TOP)
        grid.lineTo(x, bottom)
    canvas.setLineWidth(0.5)
    canvas.setStrokeColor(black)
    canvas.drawPath(grid, stroke=1, fill=0)
    canvas.restoreState()

    x = left
    for column in COLUMNS:
        _put_cell(
            text,
            headings[column.key],
            x,
            column.width,
            TABLE_TOP,
            HEADER_HEIGHT,
            font=BOLD,
            size=8.5,
            max_lines=2,
            centred=True,
            fits=fits,
        )
        x += column.width
    for index, row in enumerate(rows):
        top = TABLE_TOP - HEADER_HEIGHT - index * ROW_HEIGHT
        values = {
            "number": str(first + index + 1),
            "registration_number": row.registration_number,
            "name": printable(row.name),
            "id_number": row.id_number,
            "subject_track": printable(row.subject_track),
            "password": row.password,
            "signature": "",
        }
        x = left
        for column in COLUMNS:
            if column.key == "password":
                _put_password(text, row.password, x, column, top)
            else:
                _put_cell(
                    text,
                    values[column.key],
                    x,
                    column.width,
                    top,
                    ROW_HEIGHT,
                    font=column.font,
                    size=column.size,
                    max_lines=column.max_lines,
                    centred=column.centred,
                    fits=fits,
                )
            x += column.width
    return bottom


def _put_cell(
    text: TextBlock,
    value: str,
    left: float,
    width: float,
    top: float,
    height: float,
    *,
    font: str,
    size: float,
    max_lines: int,
    centred: bool,
    fits: dict,
) -> None:
    """``value`` fitted into the cell and centred in its height."""
    if not value:
        return
    key = (value, width, font, size, max_lines, height)
    fitted = fits.get(key)
    if fitted is None:
        fitted = fits[key] = _fit_cell(value, width - 2 * CELL_PAD, font, size, max_lines, height)
    size, lines = fitted
    block = size + (len(lines) - 1) * LEADING * size
    baseline = top - (height - block) / 2 - ASCENT * size
    for line in lines:
        if centred:
            text.put_centred(left + width / 2, baseline, line, font=font, size=size)
        else:
            text.put(left + CELL_PAD, baseline, line, font=font, size=size)
        baseline -= LEADING * size


def _fit_cell(
    value: str, width: float, font: str, size: float, max_lines: int, height: float
) -> tuple[float, list[str]]:
    """On one line if it fits at a legible size, else on up to ``max_lines`` lines as large
    as the cell's height allows."""
    if max_lines == 1:
        return fit_text(value, width, font=font, size=size, max_lines=1, min_size=6)
    one_line = fit_text(value, width, font=font, size=size, max_lines=1, min_size=min(size, 8))
    if one_line[1] == [value]:
        return one_line
    tallest = (height - 3) / (1 + LEADING * (max_lines - 1))
    size = min(size, tallest)
    return fit_text(
        value, width, font=font, size=size, max_lines=max_lines, min_size=min(size, 5.5)
    )


def _put_password(text: TextBlock, password: str, left: float, column: Column, top: float) -> None:
    room = column.width - 2 * CELL_PAD - column.char_space * len(password)
    size = min(column.size, room / max(stringWidth(password, column.font, 1), 1))
    baseline = top - (ROW_HEIGHT - size) / 2 - ASCENT * size
    text.put(
        left + CELL_PAD,
        baseline,
        password,
        font=column.font,
        size=size,
        char_space=column.char_space,
    )


def _draw_totals(canvas: Canvas, text: TextBlock, count: int, bottom: float) -> None:
    """The count, and lines for the issuer to sign and date, under the last row."""
    baseline = bottom - 7 * mm
    total = _("Total: %(count)d candidates") % {"count": count}
    text.put(SHEET_MARGIN, baseline, total, font=BOLD, size=10, color=black)
    right = PAGE_WIDTH - SHEET_MARGIN
    lines = canvas.beginPath()
    for label, start, end in (
        (_("Issued by (signature)"), right - 120 * mm, right - 55 * mm),
        (_("Date"), right - 45 * mm, right),
    ):
        label_width = stringWidth(label, REGULAR, 9.5)
        text.put(start - label_width - 1.5 * mm, baseline, label, size=9.5)
        lines.moveTo(start, baseline - 2)
        lines.lineTo(end, baseline - 2)
    canvas.saveState()
    canvas.setLineWidth(0.5)
    canvas.drawPath(lines, stroke=1, fill=0)
    canvas.restoreState()
