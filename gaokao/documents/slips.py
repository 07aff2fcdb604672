"""账号凭条 — credential slips: one per staff account, four to an A4 page, to be cut apart
along the dashed lines and handed to each person with their initial password."""

import logging
import math
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.password_validation import get_default_password_validators
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from gaokao.documents.fonts import BOLD, REGULAR, missing_glyphs
from gaokao.documents.pdf import (
    A4,
    GREY,
    a4_canvas,
    draw_cut_line,
    draw_lines,
    draw_page_number,
    fit_text,
    mm,
    wrap_text,
)

logger = logging.getLogger(__name__)

SLIPS_PER_PAGE = 4
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 12 * mm
SLIPS_TOP = PAGE_HEIGHT - 22 * mm  # below the page header
SLIPS_BOTTOM = 13 * mm  # above the page number
SLIP_HEIGHT = (SLIPS_TOP - SLIPS_BOTTOM) / SLIPS_PER_PAGE
PADDING = 10  # points inside a slip, above and below its text
LEFT_WIDTH = 100 * mm  # the account; the first sign-in steps take the rest
GUTTER = 6 * mm
LABEL_SIZE = 9
HEADING = 10.5  # the size of the headings in a slip
HEADING_HEIGHT = HEADING + 8
ASCENT = 0.88  # of Noto Sans SC, in em: the first baseline lies this far below the top
LEADING = 1.3
ROW_GAP = 4.5
NOTE_GAP = 4  # above "keep this slip safe"
PASSWORD_SPACING = 1.2  # points between the password's characters


@dataclass(frozen=True)
class CredentialSlip:
    unit: str
    username: str
    password: str
    office_url: str
    role_label: str
    real_name: str


@dataclass(frozen=True)
class Row:
    """A line of a slip: a label and its value, wrapped into ``lines``."""

    label: str
    font: str
    size: float
    lines: list[str]
    char_space: float = 0

    @property
    def height(self) -> float:
        return self.size + (len(self.lines) - 1) * LEADING * self.size + ROW_GAP


@dataclass(frozen=True)
class Steps:
    """The first sign-in steps, the same on every slip, wrapped once per document."""

    size: float
    numbered: list[tuple[str, list[str]]]  # ("1.", lines)
    note: list[str]


def render_credential_slips(
    slips: list[CredentialSlip], *, title: str, printed_at: datetime | None = None
) -> bytes:
    """The slips as a PDF: a header with ``title`` and the print time (Asia/Shanghai) on
    every page, dashed cut lines around each slip, "第 n 页 / 共 m 页" at the foot."""
    if not slips:
        raise ValueError("no credential slips to print")
    printed = timezone.localtime(printed_at or timezone.now()).strftime("%Y-%m-%d %H:%M")
    canvas, buffer = a4_canvas(title=title)
    pages = math.ceil(len(slips) / SLIPS_PER_PAGE)
    steps = _steps_layout(PAGE_WIDTH - MARGIN - (MARGIN + LEFT_WIDTH + GUTTER))
    for page in range(1, pages + 1):
        on_page = slips[(page - 1) * SLIPS_PER_PAGE : page * SLIPS_PER_PAGE]
        _draw_header(canvas, title, printed)
        for index, slip in enumerate(on_page):
            top = SLIPS_TOP - index * SLIP_HEIGHT
            draw_cut_line(canvas, MARGIN / 2, top, PAGE_WIDTH - MARGIN / 2, top)
            _draw_slip(canvas, slip, top, steps)
        bottom = SLIPS_TOP - len(on_page) * SLIP_HEIGHT
        draw_cut_line(canvas, MARGIN / 2, bottom, PAGE_WIDTH - MARGIN / 2, bottom)
        draw_page_number(canvas, page, pages)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_header(canvas: Canvas, title: str, printed: str) -> None:
    baseline = PAGE_HEIGHT - 15 * mm
    stamp = _("Printed %(time)s") % {"time": printed}
    canvas.setFont(REGULAR, 8)
    canvas.setFillColor(GREY)
    canvas.drawRightString(PAGE_WIDTH - MARGIN, baseline, stamp)
    width = PAGE_WIDTH - 2 * MARGIN - stringWidth(stamp, REGULAR, 8) - 6 * mm
    size, lines = fit_text(title, width, font=BOLD, size=13, max_lines=1, min_size=9)
    draw_lines(canvas, lines, MARGIN, baseline, font=BOLD, size=size)


def _draw_slip(canvas: Canvas, slip: CredentialSlip, top: float, steps: Steps) -> None:
    missing = missing_glyphs(slip.real_name + slip.unit)
    if missing:
        # Printed as 〓, to be written in by hand; the user name and password are ASCII.
        logger.warning("The PDF font has no glyph for %r (slip of %s)", missing, slip.username)
    cursor = top - PADDING
    draw_lines(canvas, [_("Credential slip")], MARGIN, cursor - HEADING, font=BOLD, size=HEADING)
    cursor -= HEADING_HEIGHT
    label_width, rows = account_rows(slip)
    for row in rows:
        baseline = cursor - ASCENT * row.size
        draw_lines(canvas, [row.label], MARGIN, baseline, size=LABEL_SIZE, color=GREY)
        draw_lines(
            canvas,
            row.lines,
            MARGIN + label_width,
            baseline,
            font=row.font,
            size=row.size,
            leading=LEADING * row.size,
            char_space=row.char_space,
        )
        cursor -= row.height
    _draw_steps(canvas, steps, MARGIN + LEFT_WIDTH + GUTTER, top - PADDING)


def account_rows(slip: CredentialSlip) -> tuple[float, list[Row]]:
    """The width of the labels, and the slip's rows: long values wrap, and all shrink
    together until they fit the slip."""
    fields = [  # label, value, font, size, at most so many lines
        (_("Unit"), slip.unit, BOLD, 12, 3),
        (_("Role"), slip.role_label, REGULAR, 10.5, 1),
        (_("Real name"), slip.real_name, BOLD, 12, 1),
        (_("User name"), slip.username, BOLD, 13, 1),
        (_("Address"), slip.office_url, REGULAR, 10, 2),
    ]
    password_label = _("Initial password")
    labels = [password_label, *(field[0] for field in fields)]
    label_width = max(stringWidth(label, REGULAR, LABEL_SIZE) for label in labels) + 3 * mm
    width = LEFT_WIDTH - label_width
    available = SLIP_HEIGHT - 2 * PADDING - HEADING_HEIGHT
    for scale in (1, 0.9, 0.8, 0.7, 0.6):
        rows = []
        for label, value, font, size, max_lines in fields:
            fitted = fit_text(
                value, width, font=font, size=size * scale, max_lines=max_lines, min_size=7 * scale
            )
            rows.append(Row(label, font, *fitted))
        # Set apart so that each character can be read off and typed in; never wrapped nor
        # cut short, only made smaller if need be. The generated passwords leave out 0/O
        # and 1/l/I (accounts.services.PASSWORD_ALPHABET), so Noto Sans SC serves here too
        # and the PDF needs no other font, embedded or not.
        room = width - PASSWORD_SPACING * len(slip.password)
        size = min(15 * scale, room / stringWidth(slip.password, BOLD, 1))
        rows.insert(4, Row(password_label, BOLD, size, [slip.password], PASSWORD_SPACING))
        if sum(row.height for row in rows) <= available:
            break
    return label_width, rows


def _steps_layout(width: float) -> Steps:
    """The steps at the largest size at which they fit the slip."""
    height = SLIP_HEIGHT - 2 * PADDING - HEADING_HEIGHT
    steps = _steps()
    numbers = [f"{n}." for n in range(1, len(steps) + 1)]
    for tenth in range(95, 55, -5):
        size = tenth / 10
        indent = max(stringWidth(n, REGULAR, size) for n in numbers) + 3
        numbered = [
            (n, wrap_text(step, width - indent, size=size))
            for n, step in zip(numbers, steps, strict=True)
        ]
        keep_safe = _("Keep this slip safe and do not pass it on to anyone.")
        note = wrap_text(keep_safe, width, font=BOLD, size=size)
        lines = sum(len(w) for _n, w in numbered) + len(note)
        if size + (lines - 1) * LEADING * size + NOTE_GAP <= height:
            break
    return Steps(size, numbered, note)


def _draw_steps(canvas: Canvas, steps: Steps, x: float, top: float) -> None:
    size, leading = steps.size, LEADING * steps.size
    draw_lines(canvas, [_("First sign-in")], x, top - HEADING, font=BOLD, size=HEADING)
    y = top - HEADING_HEIGHT - ASCENT * size
    indent = max(stringWidth(n, REGULAR, size) for n, _w in steps.numbered) + 3
    for number, lines in steps.numbered:
        draw_lines(canvas, [number], x, y, size=size)
        y = draw_lines(canvas, lines, x + indent, y, size=size, leading=leading)
    draw_lines(canvas, steps.note, x, y - NOTE_GAP, font=BOLD, size=size, leading=leading)


def _steps() -> list[str]:
    length = _minimum_password_length()
    return [
        _("Open the address and sign in with this user name and initial password."),
        _("Check your name and ID number to complete real-name authentication."),
        _("Set a new password (at least %(length)d characters).") % {"length": length}
        if length
        else _("Set a new password."),
        _(
            "Scan the QR code on the page with an authenticator app on your phone (such as "
            "Google Authenticator or Microsoft Authenticator) and enter its 6-digit code."
        ),
        _(
            "From then on, every sign-in asks for your password and the 6-digit code from "
            "the authenticator."
        ),
    ]


def _minimum_password_length() -> int | None:
    for validator in get_default_password_validators():
        if hasattr(validator, "min_length"):
            return validator.min_length
    return None
