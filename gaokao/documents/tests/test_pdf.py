"""The A4 drawing helpers: Chinese wrapped by width, vector QR codes."""

import io

import pytest
import segno
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader
from reportlab.lib.colors import black
from reportlab.pdfbase.pdfmetrics import stringWidth

from gaokao.documents.fonts import BOLD, REGULAR
from gaokao.documents.pdf import (
    A4,
    GREY,
    TextBlock,
    a4_canvas,
    draw_qr,
    draw_qr_matrix,
    fit_text,
    qr_runs,
    wrap_text,
)

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


@given(st.lists(st.lists(st.booleans(), min_size=21, max_size=21), min_size=1, max_size=21))
def test_s4_qr_runs_are_the_longest_runs_of_dark_modules_and_cover_them_all(matrix):
    runs = qr_runs(matrix)

    rebuilt = [[False] * 21 for _ in matrix]
    for row, start, length in runs:
        assert length > 0
        assert all(not rebuilt[row][c] for c in range(start, start + length)), "no overlap"
        rebuilt[row][start : start + length] = [True] * length
        # Maximal: a light module (or the edge) on either side of each run.
        assert start == 0 or not matrix[row][start - 1]
        assert start + length == 21 or not matrix[row][start + length]
    assert rebuilt == matrix
    assert qr_runs([bytearray(map(int, row)) for row in matrix]) == runs, "segno's bytearrays"


def test_s4_draw_qr_matrix_writes_one_rectangle_per_run_in_module_units():
    qr = segno.make("https://gaokao.example.cn/portal/?bmh=43010001", error="m")
    canvas, buffer = a4_canvas(title="QR")
    canvas.setFillColor(GREY)
    draw_qr_matrix(canvas, qr.matrix, 100, 200, 82)
    canvas.rect(10, 10, 5, 5, stroke=0, fill=1)  # still grey: the QR's black is its own
    canvas.save()

    content = PdfReader(io.BytesIO(buffer.getvalue())).pages[0].get_contents().get_data()

    module = 82 / (len(qr.matrix) + 8)
    start = content.index(b"q 0 g ")
    block = content[start : content.index(b" f Q", start)].decode()
    head, rects = block.split(" cm ")
    scale, _b, _c, scale_y, left, top = map(float, head.split()[3:])
    assert scale == pytest.approx(module, abs=1e-4) and scale_y == scale
    assert left == pytest.approx(100 + 4 * module, abs=1e-3)
    assert top == pytest.approx(200 + 82 - 4 * module, abs=1e-3)
    drawn = [tuple(map(int, rect.split()[:3])) for rect in rects.split(" re")[:-1]]
    assert drawn == [(column, -row - 1, length) for row, column, length in qr_runs(qr.matrix)]
    # Inside q/Q: the grey set before is still the colour after, with nothing re-set.
    assert b".45 .45 .45 rg" in content[:start]
    assert b" rg" not in content[content.index(b" f Q") :]


def test_s4_a_text_block_sets_font_and_colour_only_when_they_change():
    canvas, buffer = a4_canvas(title="Text")
    text = TextBlock(canvas)
    for n in range(10):
        text.put(50, 700 - n * 12, f"标签{n}", size=8, color=GREY)
    for n in range(10):
        text.put(150, 700 - n * 12, f"值{n}", font=BOLD, size=12, color=black)
    text.put(150, 500, "吉𠮷祥", size=12)
    text.draw()
    canvas.save()

    content = PdfReader(io.BytesIO(buffer.getvalue())).pages[0].get_contents().get_data()
    assert content.count(b" rg") == 2
    assert content.count(b" Tf") <= 4  # per font and size, and per 256-character subset
    assert content.count(b"BT") == 1
    [page] = [p.extract_text() for p in PdfReader(io.BytesIO(buffer.getvalue())).pages]
    assert "标签9" in page and "值0" in page and "吉〓祥" in page
