"""The A4 drawing helpers: Chinese wrapped by width, vector QR codes."""

import pytest
import segno
from PIL import Image
from reportlab.pdfbase.pdfmetrics import stringWidth

from gaokao.documents.fonts import BOLD, REGULAR
from gaokao.documents.pdf import A4, a4_canvas, draw_qr, fit_text, wrap_text

LONG_UNIT = (
    "0102002 长沙市芙蓉区湖南师范大学附属中学（含高复班、社会考生、艺术类与体育类考生）报名点"
)


@pytest.fixture(autouse=True)
def _fonts():
    a4_canvas(title="")  # registers the fonts


@pytest.mark.parametrize("width", [60, 150, 300])
def test_s2_chinese_wraps_by_width_without_losing_a_character(width):
    lines = wrap_text(LONG_UNIT, width, font=BOLD, size=11)
    assert all(stringWidth(line, BOLD, 11) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == LONG_UNIT.replace(" ", "")
    assert not any(line[0] in "，。、）" for line in lines)


def test_s2_a_line_never_starts_with_closing_punctuation():
    width = stringWidth("一二三四五", REGULAR, 10)
    assert wrap_text("一二三四五，六七", width, size=10) == ["一二三四", "五，六七"]
    assert wrap_text("一二三四（五）", width, size=10) == ["一二三四", "（五）"]


def test_s2_ascii_words_stay_whole_and_long_addresses_break_after_a_slash():
    width = stringWidth("用户名 bmd01", REGULAR, 10)
    assert wrap_text("用户名 bmd0102001", width, size=10) == ["用户名", "bmd0102001"]
    url = "https://gaokao.example.cn/office/login/?next=/office/accounts/"
    lines = wrap_text(url, stringWidth(url[:30], REGULAR, 9), size=9)
    assert "".join(lines) == url
    assert all(line.endswith(("/", ".", "-", "?", "&", "=")) for line in lines[:-1])


def test_s2_fit_text_shrinks_then_cuts_short_rather_than_overflow():
    size, lines = fit_text(LONG_UNIT, 200, font=BOLD, size=12, max_lines=3, min_size=7)
    assert size == 12 and len(lines) == 3
    size, lines = fit_text(LONG_UNIT, 200, font=BOLD, size=12, max_lines=2, min_size=7)
    assert size < 12 and len(lines) == 2 and "".join(lines) == LONG_UNIT
    size, lines = fit_text(LONG_UNIT * 3, 100, font=BOLD, size=12, max_lines=2, min_size=8)
    assert size == 8 and len(lines) == 2 and lines[1].endswith("…")
    assert all(stringWidth(line, BOLD, size) <= 100 for line in lines)


def test_s2_the_qr_code_is_drawn_module_for_module(poppler, tmp_path):
    data = "https://gaokao.example.cn/portal/?n=26430102150001"
    qr = segno.make(data, error="m", micro=False)
    modules = qr.symbol_size(border=4)[0]
    module = 4  # points, so 4 pixels at 72 dpi
    canvas, buffer = a4_canvas(title="QR")
    left, top = 72, 72  # from the top left corner of the page
    draw_qr(canvas, data, left, A4[1] - top - modules * module, modules * module)
    canvas.save()

    poppler("pdftoppm", buffer.getvalue(), "-png", "-r", "72", "-singlefile")

    image = Image.open(tmp_path / "page.png").convert("L")

    def dark(row: int, column: int) -> bool:  # sampled at the module's centre
        return image.getpixel((left + column * module + 2, top + row * module + 2)) < 128

    matrix = [[bool(cell) for cell in row] for row in qr.matrix]
    assert [[dark(4 + r, 4 + c) for c in range(len(matrix))] for r in range(len(matrix))] == matrix
    assert not any(dark(r, c) for r in range(4) for c in range(modules)), "quiet zone"
