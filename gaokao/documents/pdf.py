"""Small helpers for A4 documents drawn with ReportLab's canvas: Chinese text wrapped by
width, dashed cut lines, vector QR codes and page numbers. Everything is set in the
embedded Noto Sans SC (see fonts.py); lengths are in PDF points (1/72 inch)."""

import io
import operator
import re
from collections.abc import Sequence
from datetime import datetime

import segno
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from gaokao.documents.fonts import BOLD, REGULAR, printable, register_fonts

AUTHOR = "gaokao"
GREY = Color(0.45, 0.45, 0.45)

# Chinese line breaking (GB/T 15834, JIS X 4051 "kinsoku"): a line does not start with
# closing punctuation nor end with opening punctuation.
NO_LINE_START = frozenset("，。、；：？！）》」』】〕〉”’…—·,.;:?!)]}%")
NO_LINE_END = frozenset("（《「『【〔〈“‘([{")
# A run of printable ASCII (a word, a number, a user name, a web address) stays on one line
# when it fits; anything else may break after any character, as Chinese has no spaces.
_TOKENS = re.compile(r"[!-~]+| +|.")


def a4_canvas(*, title: str, author: str = AUTHOR, subject: str = "") -> tuple[Canvas, io.BytesIO]:
    """A canvas for an A4 portrait document written into a BytesIO: call canvas.save(),
    then take buffer.getvalue()."""
    register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer,
        pagesize=A4,
        pageCompression=1,
        # Not ReportLab's default Helvetica: every font in the PDF is then embedded.
        initialFontName=REGULAR,
        lang=get_language(),
    )
    canvas.setTitle(title)
    canvas.setAuthor(author)
    canvas.setSubject(subject)
    canvas.setCreator(AUTHOR)
    return canvas, buffer


def wrap_text(text: str, width: float, *, font: str = REGULAR, size: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width``; "\\n" starts a new line."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, line_width = "", 0.0
        for token in _TOKENS.findall(paragraph):
            token_width = stringWidth(token, font, size)
            if line_width + token_width <= width:
                line, line_width = line + token, line_width + token_width
                continue
            if token.isspace():  # break at the space and drop it
                lines.append(line)
                line, line_width = "", 0.0
                continue
            carried = ""
            if line and (token[0] in NO_LINE_START or line[-1] in NO_LINE_END) and len(line) > 1:
                # Take the last character down with the punctuation (or the opening mark).
                line, carried = line[:-1], line[-1]
            if line.strip():
                lines.append(line.rstrip())
            token = carried + token
            while stringWidth(token, font, size) > width and len(token) > 1:
                # Longer than a whole line (a long web address): break it after a "/", "."
                # or "-" if there is one on the line, else anywhere.
                cut = len(token) - 1
                while cut > 1 and stringWidth(token[:cut], font, size) > width:
                    cut -= 1
                soft = max(token.rfind(mark, 0, cut) for mark in "/.-?&=")
                cut = soft + 1 if soft > 0 else cut
                lines.append(token[:cut])
                token = token[cut:]
            line, line_width = token, stringWidth(token, font, size)
        lines.append(line.rstrip())
    return lines


def fit_text(
    text: str,
    width: float,
    *,
    font: str = REGULAR,
    size: float,
    max_lines: int,
    min_size: float,
) -> tuple[float, list[str]]:
    """The largest size from ``size`` down to ``min_size`` (in half points) at which
    ``text`` wraps into at most ``max_lines`` lines, and those lines. At ``min_size`` the
    last line is cut short with "…" rather than overflow the space it was given."""
    while True:
        lines = wrap_text(text, width, font=font, size=size)
        if len(lines) <= max_lines:
            return size, lines
        if size - 0.5 < min_size:
            break
        size -= 0.5
    last = lines[max_lines - 1]
    while last and stringWidth(last + "…", font, size) > width:
        last = last[:-1]
    return size, [*lines[: max_lines - 1], last + "…"]


def draw_lines(
    canvas: Canvas,
    lines: list[str],
    x: float,
    y: float,
    *,
    font: str = REGULAR,
    size: float,
    leading: float | None = None,
    color: Color = black,
    char_space: float = 0,
) -> float:
    """Draw ``lines`` downwards, the first baseline at ``y``; return the next baseline.
    ``char_space`` sets characters apart (a password read off paper); a character the font
    lacks is drawn as 〓 (see fonts.printable)."""
    leading = leading or size * 1.3
    # Colour and character spacing are graphics state, which outlives a text object.
    canvas.saveState()
    canvas.setFillColor(color)
    text = canvas.beginText(x, y)
    text.setFont(font, size, leading)
    text.setCharSpace(char_space)
    for line in lines:
        text.textLine(printable(line))
    canvas.drawText(text)
    canvas.restoreState()
    return y - leading * len(lines)


def draw_cut_line(canvas: Canvas, x1: float, y1: float, x2: float, y2: float) -> None:
    """A thin dashed grey line to cut along, with scissors at its start."""
    canvas.saveState()
    canvas.setStrokeColor(GREY)
    canvas.setLineWidth(0.5)
    canvas.setDash(4, 3)
    canvas.line(x1, y1, x2, y2)
    if y1 == y2:  # a horizontal line: scissors over its left end
        canvas.setFillColor(GREY)
        canvas.setFont(REGULAR, 9)
        canvas.drawString(x1, y1 + 1.5, "✂")
    canvas.restoreState()


def draw_qr(canvas: Canvas, data: str, x: float, y: float, size: float, *, error="m") -> None:
    """A QR code with its lower left corner at (x, y) and ``size`` points wide, the quiet
    zone (4 modules) included, drawn as vector rectangles: sharp at any print resolution."""
    qr = segno.make(data, error=error, micro=False)
    draw_qr_matrix(canvas, qr.matrix, x, y, size)


# A run of dark modules in a row of segno's matrix (a bytearray of 0 and 1).
_DARK_RUN = re.compile(rb"[^\x00]+")


def qr_runs(matrix: Sequence[Sequence[int]]) -> list[tuple[int, int, int]]:
    """(row, first column, length) of each horizontal run of dark modules, rows counted
    from the top: the rectangles that draw_qr_matrix fills."""
    runs = []
    for row, cells in enumerate(matrix):
        if not isinstance(cells, bytes | bytearray):
            cells = bytes(map(bool, cells))
        for start, end in map(_span, _DARK_RUN.finditer(cells)):
            runs.append((row, start, end - start))
    return runs


_span = operator.methodcaller("span")


def draw_qr_matrix(
    canvas: Canvas,
    matrix: Sequence[Sequence[int]],
    x: float,
    y: float,
    size: float,
    *,
    border: int = 4,
) -> None:
    """A module matrix (segno's ``qr.matrix``, dark modules truthy) drawn as in draw_qr.

    One rectangle per run of dark modules, all in one filled path, written as PDF
    operators in module units under a scaling transform: small integers, where ReportLab's
    path.rect formats four floats per rectangle, which for some 290 rectangles a code costs
    more than all the rest of a login card (bench/login_cards.py). Inside q/Q, so the
    canvas's own colour and transform are untouched."""
    module = size / (len(matrix) + 2 * border)
    left = x + border * module
    top = y + size - border * module
    rects = " ".join(
        f"{column} {-row - 1} {length} 1 re" for row, column, length in qr_runs(matrix)
    )
    canvas.addLiteral(f"q 0 g {fp_str(module, 0, 0, module, left, top)} cm {rects} f Q")


def draw_page_number(canvas: Canvas, page: int, pages: int, *, y: float = 7 * mm) -> None:
    """ "第 n 页 / 共 m 页", centred at the foot of the page."""
    canvas.setFont(REGULAR, 8)
    canvas.setFillColor(GREY)
    text = _("Page %(number)s of %(total)s") % {"number": page, "total": pages}
    canvas.drawCentredString(A4[0] / 2, y, text)
    canvas.setFillColor(black)


def print_time(printed_at: datetime | None = None) -> str:
    """When a document was printed, in the local time (Asia/Shanghai), to the minute."""
    return timezone.localtime(printed_at or timezone.now()).strftime("%Y-%m-%d %H:%M")


def draw_page_header(
    canvas: Canvas, title: str, printed: str, *, left: float, right: float, baseline: float
) -> None:
    """The title in bold at the left, "打印时间：…" in small grey at the right; the title
    shrinks, then is cut short, rather than run into the time."""
    stamp = _("Printed %(time)s") % {"time": printed}
    canvas.saveState()
    canvas.setFont(REGULAR, 8)
    canvas.setFillColor(GREY)
    canvas.drawRightString(right, baseline, stamp)
    canvas.restoreState()
    width = right - left - stringWidth(stamp, REGULAR, 8) - 6 * mm
    size, lines = fit_text(printable(title), width, font=BOLD, size=13, max_lines=1, min_size=9)
    draw_lines(canvas, lines, left, baseline, font=BOLD, size=size)


class TextBlock:
    """Many strings placed anywhere on a page as one PDF text object.

    canvas.drawString and draw_lines make a text object per call, with the font, colour
    and spacing set again each time; a page of login cards holds some 150 strings, so this
    sets each only when it changes. Call draw() once at the end. Colour and character
    spacing are graphics state, which outlives a text object: draw() restores them."""

    def __init__(self, canvas: Canvas):
        self.canvas = canvas
        self._text = canvas.beginText()
        # Unknown until set: the text object starts with whatever the canvas has.
        self._font: tuple[str, float] | None = None
        self._color: Color | None = None
        self._char_space: float | None = None

    def put(
        self,
        x: float,
        y: float,
        text: str,
        *,
        font: str = REGULAR,
        size: float,
        color: Color = black,
        char_space: float = 0,
    ) -> None:
        """``text`` with its baseline starting at (x, y); a character the font lacks is
        drawn as 〓 (see fonts.printable)."""
        if not text:
            return
        t = self._text
        if self._font != (font, size):
            t.setFont(font, size)
            self._font = (font, size)
        if color is not self._color:
            t.setFillColor(color)
            self._color = color
        if char_space != self._char_space:
            t.setCharSpace(char_space)
            self._char_space = char_space
        t.setTextOrigin(x, y)
        # textLine, not textOut: no width measured to advance a cursor nothing uses.
        t.textLine(printable(text))

    def put_lines(
        self,
        x: float,
        y: float,
        lines: Sequence[str],
        *,
        leading: float,
        font: str = REGULAR,
        size: float,
        color: Color = black,
        char_space: float = 0,
        centred: bool = False,
    ) -> float:
        """``lines`` downwards, the first baseline at ``y``, each starting at ``x`` or
        centred on it; return the next baseline."""
        for line in lines:
            start = x - stringWidth(printable(line), font, size) / 2 if centred else x
            self.put(start, y, line, font=font, size=size, color=color, char_space=char_space)
            y -= leading
        return y

    def put_centred(
        self, x: float, y: float, text: str, *, font: str = REGULAR, size: float, **kwargs
    ) -> None:
        """``text`` centred on ``x``."""
        self.put_lines(x, y, [text], leading=0, font=font, size=size, centred=True, **kwargs)

    def draw(self) -> None:
        self.canvas.saveState()
        self.canvas.drawText(self._text)
        self.canvas.restoreState()
