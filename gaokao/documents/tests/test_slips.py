"""S2: the county enables a user for each of its points and prints each point's user name
and password — as credential slips (账号凭条), four to an A4 page, cut apart and handed out."""

import datetime
import io
import logging
import math
import re

import pytest
from django.utils import translation
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth

from gaokao.documents import slips as module
from gaokao.documents.slips import account_rows, render_credential_slips
from gaokao.documents.tests.samples import make_slip

LONG_UNIT = (
    "0102002 长沙市芙蓉区湖南师范大学附属中学（含高复班、社会考生、艺术类与体育类考生）"
    "高考报名点暨学业水平考试报名点"
)


def pdf_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def squeezed(text: str) -> str:
    """Without the line breaks and spaces that wrapping and extraction put in."""
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("count", [1, 4, 5, 9])
def test_s2_slips_make_a_valid_pdf_of_four_slips_a_page(count):
    pdf = render_credential_slips([make_slip(n) for n in range(count)], title="账号凭条")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == math.ceil(count / module.SLIPS_PER_PAGE)
    assert reader.metadata.title == "账号凭条"
    assert all(page.mediabox.width == pytest.approx(595.28, abs=0.01) for page in reader.pages)


def test_s2_unit_names_user_names_and_passwords_read_back():
    slips = [make_slip(n) for n in range(6)] + [make_slip(6, unit=LONG_UNIT)]
    pages = pdf_text(render_credential_slips(slips, title="芙蓉区报名点账号凭条"))
    for i, slip in enumerate(slips):
        page = pages[i // module.SLIPS_PER_PAGE]
        assert squeezed(slip.unit) in squeezed(page)
        assert slip.real_name in page
        assert slip.username in page.split()
        assert slip.password in page.split(), "the spaced-out password extracts as one word"
        assert slip.office_url in page


def test_s2_every_font_in_the_pdf_is_embedded(poppler):
    pdf = render_credential_slips([make_slip(n) for n in range(150)], title="账号凭条")

    rows = poppler("pdffonts", pdf).splitlines()[2:]

    fonts = [(row.split()[0], row.split()[-5]) for row in rows]  # name, emb
    assert fonts, "pdffonts lists the fonts"
    assert all(re.fullmatch(r"[A-Z]{6}\+NotoSansSC(-Regular|-Bold)", name) for name, _ in fonts)
    assert all(embedded == "yes" for _, embedded in fonts), rows
    assert len(fonts) > 2, "300 different name characters need more than one subset"


def test_s2_pdftotext_reads_back_the_chinese_names_and_user_names(poppler):
    slips = [make_slip(n) for n in range(8)]
    text = poppler("pdftotext", render_credential_slips(slips, title="账号凭条"))
    for slip in slips:
        assert slip.real_name in text
        assert slip.username in text
        assert slip.password in text
        assert squeezed(slip.unit) in squeezed(text)


def test_s2_header_shows_the_print_time_in_shanghai_and_the_footer_the_page():
    printed_at = datetime.datetime(2026, 6, 1, 16, 30, tzinfo=datetime.UTC)
    with translation.override("en"):
        pdf = render_credential_slips(
            [make_slip(n) for n in range(5)], title="Slips", printed_at=printed_at
        )
    pages = pdf_text(pdf)
    assert "2026-06-02 00:30" in pages[0]
    assert "Page 1 of 2" in pages[0]
    assert "Page 2 of 2" in pages[1]


@pytest.mark.parametrize("repeat", [1, 2])
def test_s2_a_long_unit_name_wraps_within_the_slip(repeat):
    unit = LONG_UNIT * repeat
    label_width, rows = account_rows(make_slip(1, unit=unit))

    lines, width = rows[0].lines, module.LEFT_WIDTH - label_width
    assert len(lines) > 1
    assert all(stringWidth(line, rows[0].font, rows[0].size) <= width for line in lines)
    height = module.HEADING_HEIGHT + sum(row.height for row in rows)
    assert height <= module.SLIP_HEIGHT - 2 * module.PADDING
    if repeat == 1:
        assert squeezed("".join(lines)) == squeezed(unit)
    else:  # twice that is shrunk to the smallest size, and then cut short
        assert lines[-1].endswith("…")


def test_s2_a_long_password_is_shrunk_never_cut():
    slip = make_slip(1, password="x" * 60)
    label_width, rows = account_rows(slip)
    [row] = [row for row in rows if row.lines == [slip.password]]
    spacing = row.char_space * len(slip.password)
    width = stringWidth(slip.password, row.font, row.size) + spacing
    assert width <= module.LEFT_WIDTH - label_width + 0.01


def test_s2_a_rare_name_character_prints_as_a_geta_mark_without_failing(caplog, poppler):
    # 𠮷 (U+20BB7, CJK Extension B) is not in Noto Sans SC, which has only 54 Ext-B
    # characters. Left to itself ReportLab draws the font's .notdef glyph (a box with a
    # cross) that copies out as "\x00" and splits the name in pdftotext; the slip prints
    # 〓 (U+3013, the typesetter's mark for a missing character) instead, to be written in
    # by hand, and logs a warning naming the character and the account. The user name and
    # password, which sign-in needs, are ASCII and never affected.
    slip = make_slip(1, real_name="吉𠮷祥")
    with caplog.at_level(logging.WARNING, logger="gaokao.documents.slips"):
        pdf = render_credential_slips([slip], title="账号凭条")
    assert "𠮷" in caplog.text and slip.username in caplog.text
    [page] = pdf_text(pdf)
    assert "吉〓祥" in page
    assert slip.password in page.split()
    assert "吉〓祥" in poppler("pdftotext", pdf)


def test_s2_three_hundred_slips_render():
    slips = [make_slip(n) for n in range(300)]
    pages = pdf_text(render_credential_slips(slips, title="账号凭条"))
    assert len(pages) == 75
    assert slips[0].username in pages[0] and slips[-1].username in pages[-1]


def test_s2_no_slips_is_an_error():
    with pytest.raises(ValueError, match="no credential slips"):
        render_credential_slips([], title="账号凭条")
