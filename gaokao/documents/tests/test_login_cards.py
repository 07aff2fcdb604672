"""S4: the point downloads and prints its login cards and login sheet — the portal's
address, registration number, login password, name and ID number; the cards eight to an
A4 page, cut apart and handed to each candidate after the checks of S5."""

import datetime
import io
import logging
import math
import re

import pytest
import segno
from django.utils import translation
from PIL import Image
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth

from gaokao.documents import login_cards as module
from gaokao.documents.login_cards import (
    COLUMNS,
    ROW_HEIGHT,
    ROWS_PER_PAGE,
    LoginCard,
    card_layout,
    login_qr_payload,
    render_login_cards,
    render_login_sheet,
)
from gaokao.documents.tests.samples import make_card, make_sheet_row

TITLE = "2020年湖南省普通高考网报登录卡"
LONG_POINT = (
    "0102002 长沙市芙蓉区湖南师范大学附属中学（含高复班、社会考生、艺术类与体育类考生）"
    "高考报名点暨学业水平考试报名点"
)
LONG_NAME = "阿卜杜热合曼·买买提明·艾力"
# The QR code as draw_qr_matrix writes it: a scaling transform to module units, then one
# rectangle per run of dark modules, filled at once.
QR_OPERATORS = re.compile(rb"q 0 g (\S+) 0 0 (\S+) (\S+) (\S+) cm ((?:\d+ -\d+ \d+ 1 re ?)+)f Q")


def pdf_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def squeezed(text: str) -> str:
    """Without the line breaks and spaces that wrapping and extraction put in."""
    return re.sub(r"\s+", "", text)


def drawn_qr_codes(pdf: bytes, page: int = 0) -> list[list[list[bool]]]:
    """The module matrices of the QR codes drawn on a page, rebuilt from its operators."""
    content = PdfReader(io.BytesIO(pdf)).pages[page].get_contents().get_data()
    codes = []
    for match in QR_OPERATORS.finditer(content):
        runs = [tuple(map(int, rect.split()[:3])) for rect in match[5].split(b" re")[:-1]]
        size = max(column + length for column, _row, length in runs)  # the timing pattern
        matrix = [[False] * size for _ in range(size)]
        for column, row, length in runs:
            for c in range(column, column + length):
                matrix[-row - 1][c] = True
        codes.append(matrix)
    return codes


def segno_matrix(data: str) -> list[list[bool]]:
    return [[bool(cell) for cell in row] for row in segno.make(data, error="m").matrix]


# ── the QR payload ─────────────────────────────────────────────────────────────────────


def test_s4_the_qr_code_holds_the_portal_address_with_the_registration_number():
    card = make_card(1, portal_url="https://gaokao.example.cn/portal/")
    assert login_qr_payload(card) == "https://gaokao.example.cn/portal/?bmh=43010001"
    kept = make_card(1, portal_url="https://gaokao.example.cn/portal/login/?lang=zh#top")
    assert (
        login_qr_payload(kept) == "https://gaokao.example.cn/portal/login/?lang=zh&bmh=43010001#top"
    )
    odd = make_card(1, registration_number="4301 0001&x")
    assert login_qr_payload(odd).endswith("?bmh=4301+0001%26x"), "the number is URL-encoded"


def test_s4_each_card_carries_segnos_qr_code_for_its_payload_module_for_module():
    cards = [make_card(n) for n in range(9)]
    pdf = render_login_cards(cards, title=TITLE)

    codes = drawn_qr_codes(pdf, 0) + drawn_qr_codes(pdf, 1)

    assert len(codes) == 9
    for card, code in zip(cards, codes, strict=True):
        assert code == segno_matrix(login_qr_payload(card))


def test_s4_the_printed_qr_code_reads_back_from_the_pixels(poppler, tmp_path):
    # No QR decoder is installed: sample the rasterised page at each module's centre.
    card = make_card(3)
    pdf = render_login_cards([card], title=TITLE)
    layout = card_layout(card, title=TITLE)
    poppler("pdftoppm", pdf, "-png", "-r", "200", "-f", "1", "-l", "1", "-singlefile")
    image = Image.open(tmp_path / "page.png").convert("L")

    expected = segno_matrix(login_qr_payload(card))
    modules = len(expected) + 8
    module_points = layout.qr_size / modules
    left = module.MARGIN + module.PAD_X + module.INNER_WIDTH - layout.qr_size
    top = module.CARDS_TOP - module.PAD_Y - layout.title.height - layout.gap
    scale = 200 / 72
    page_height = module.PAGE_HEIGHT

    def dark(row: int, column: int) -> bool:
        x = left + (column + 0.5) * module_points
        y = top - (row + 0.5) * module_points
        return image.getpixel((round(x * scale), round((page_height - y) * scale))) < 128

    size = len(expected)
    assert [[dark(4 + r, 4 + c) for c in range(size)] for r in range(size)] == expected
    assert not any(dark(r, c) for r in range(3) for c in range(modules)), "quiet zone"


# ── the cards ──────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("count", [1, 8, 9, 17])
def test_s4_cards_make_a_valid_pdf_of_eight_cards_a_page(count):
    pdf = render_login_cards([make_card(n) for n in range(count)], title=TITLE)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == math.ceil(count / 8)
    assert reader.metadata.title == TITLE
    assert all(page.mediabox.width == pytest.approx(595.28, abs=0.01) for page in reader.pages)


def test_s4_card_names_numbers_passwords_and_id_numbers_read_back():
    cards = [make_card(n) for n in range(9)] + [make_card(9, point=LONG_POINT)]
    pages = pdf_text(render_login_cards(cards, title=TITLE))
    for i, card in enumerate(cards):
        page = pages[i // module.CARDS_PER_PAGE]
        assert card.name in page
        assert card.registration_number in page.split()
        assert card.password in page.split(), "the spaced-out password extracts as one word"
        assert card.id_number in page.split()
        assert card.subject_track in page
        assert card.portal_url in page
        assert squeezed(card.point) in squeezed(page)


def test_s4_cards_and_sheet_embed_every_font(poppler):
    cards = render_login_cards([make_card(n) for n in range(120)], title=TITLE)
    sheet = render_login_sheet(
        [make_sheet_row(n) for n in range(120)], point="芙蓉区一中", county="芙蓉区", title="登录表"
    )
    for pdf in (cards, sheet):
        rows = poppler("pdffonts", pdf).splitlines()[2:]
        fonts = [(row.split()[0], row.split()[-5]) for row in rows]  # name, emb
        assert fonts, "pdffonts lists the fonts"
        assert all(re.fullmatch(r"[A-Z]{6}\+NotoSansSC(-Regular|-Bold)", n) for n, _ in fonts)
        assert all(embedded == "yes" for _, embedded in fonts), rows


def test_s4_pdftotext_reads_back_the_chinese_names_of_cards_and_sheet(poppler):
    cards = [make_card(n) for n in range(8)]
    text = poppler("pdftotext", render_login_cards(cards, title=TITLE))
    for card in cards:
        assert card.name in text
        assert card.registration_number in text
        assert card.password in text
        assert card.id_number in text
    rows = [make_sheet_row(n) for n in range(8)]
    sheet = render_login_sheet(rows, point="芙蓉区一中", county="芙蓉区", title="登录表")
    text = poppler("pdftotext", sheet, "-layout")
    for row in rows:
        assert row.name in text
        assert row.password in text


def test_s4_card_header_shows_the_print_time_in_shanghai_and_the_footer_the_page():
    printed_at = datetime.datetime(2026, 6, 1, 16, 30, tzinfo=datetime.UTC)
    with translation.override("en"):
        pdf = render_login_cards(
            [make_card(n) for n in range(9)], title="Login cards", printed_at=printed_at
        )
    pages = pdf_text(pdf)
    assert "2026-06-02 00:30" in pages[0]
    assert "Page 1 of 2" in pages[0]
    assert "Page 2 of 2" in pages[1]
    assert "At first sign-in you set a confirmation password" in pages[0].replace("\n", " ")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_s4_an_ordinary_card_fits_at_full_size(language):
    with translation.override(language):
        layout = card_layout(make_card(1), title=TITLE)
    assert layout.scale == 1
    assert layout.height <= module.INNER_HEIGHT


@pytest.mark.parametrize(
    "fields",
    [
        {"name": LONG_NAME},
        {"point": LONG_POINT},
        {"name": LONG_NAME * 2, "point": LONG_POINT * 2, "subject_track": "体育（理）" * 4},
        {"portal_url": "https://gaokao.example.cn/" + "candidate-portal/" * 8},
    ],
)
def test_s4_long_values_wrap_and_shrink_within_the_card(fields):
    with translation.override("en"):  # the longer labels and instruction
        layout = card_layout(make_card(1, **fields), title=TITLE * 3)
    assert layout.height <= module.INNER_HEIGHT
    beside = module.INNER_WIDTH - layout.qr_size - layout.label_width
    below = module.INNER_WIDTH - layout.label_width
    for rows, width in ((layout.beside_qr, beside), (layout.below_qr, below)):
        for row in rows:
            spacing = row.char_space * len(row.lines[0])
            assert all(
                stringWidth(line, row.font, row.size) + spacing <= width + 0.01
                for line in row.lines
            )
    assert (
        stringWidth(layout.title.lines[0], layout.title.font, layout.title.size)
        <= module.INNER_WIDTH
    )


def test_s4_a_long_name_is_printed_whole_on_two_lines():
    layout = card_layout(make_card(1, name=LONG_NAME), title=TITLE)
    name = layout.beside_qr[0]
    assert len(name.lines) <= 2
    assert "".join(name.lines) == LONG_NAME


@pytest.mark.parametrize(
    "field, value",
    [
        ("password", "x" * 20),
        ("id_number", "E" + "1234567890" * 3),  # a passport or other document (O2)
        ("registration_number", "4301000143010001"),
    ],
)
def test_s4_sign_in_values_are_shrunk_never_cut(field, value):
    card = make_card(1, **{field: value})
    with translation.override("en"):  # the widest labels leave the least room
        layout = card_layout(card, title=TITLE)
        pdf = render_login_cards([card], title=TITLE)
    [row] = [row for row in layout.beside_qr if row.lines == (value,)]
    width = stringWidth(value, row.font, row.size) + row.char_space * len(value)
    assert width <= module.INNER_WIDTH - layout.qr_size - layout.label_width + 0.01
    assert row.size >= module.MIN_SIGN_IN_SIZE
    assert value in pdf_text(pdf)[0].split()


def test_s4_a_rare_name_character_prints_as_a_geta_mark_without_failing(caplog, poppler):
    # 𠮷 (U+20BB7, Extension B) is not in Noto Sans SC: 〓 is printed, to be written in by
    # hand, and a warning names the character and the registration number (as on slips).
    card = make_card(1, name="吉𠮷祥")
    row = make_sheet_row(1, name="吉𠮷祥")
    with caplog.at_level(logging.WARNING, logger="gaokao.documents.login_cards"):
        pdf = render_login_cards([card], title=TITLE)
        sheet = render_login_sheet([row], point="芙蓉区一中", county="芙蓉区", title="登录表")
    assert "𠮷" in caplog.text and card.registration_number in caplog.text
    [page] = pdf_text(pdf)
    assert "吉〓祥" in page
    assert card.password in page.split()
    assert "吉〓祥" in poppler("pdftotext", pdf)
    assert "吉〓祥" in pdf_text(sheet)[0]


def test_s4_many_cards_render_eight_to_a_page():
    # bench/login_cards.py times a thousand; reading them back here would take seconds.
    cards = [make_card(n) for n in range(203)]
    pages = pdf_text(render_login_cards(cards, title=TITLE))
    assert len(pages) == 26
    assert cards[0].password in pages[0].split()
    assert cards[-1].password in pages[-1].split()


def test_s4_no_cards_is_an_error():
    with pytest.raises(ValueError, match="no login cards"):
        render_login_cards([], title=TITLE)


def test_s4_login_card_is_a_plain_frozen_record():
    card = LoginCard("https://x.cn/", "43010001", "pw", "张三", "1" * 18, "一中", "理工")
    with pytest.raises(AttributeError):
        card.password = "other"  # type: ignore[misc]


# ── the sheet ──────────────────────────────────────────────────────────────────────────


def test_s4_a_sheet_of_95_rows_spans_its_pages_with_the_headings_on_each():
    rows = [make_sheet_row(n) for n in range(95)]
    with translation.override("en"):
        pdf = render_login_sheet(rows, point="0102002 芙蓉区一中", county="芙蓉区", title="Sheet")
    pages = pdf_text(pdf)

    assert ROWS_PER_PAGE == 31  # rows of 7.5 mm: 93 on three pages, 2 on the fourth
    assert len(pages) == math.ceil(95 / ROWS_PER_PAGE) == 4
    with translation.override("en"):
        headings = module.column_headings().values()
    assert "Signature on receipt" in headings
    for number, page in enumerate(pages, 1):
        assert all(squeezed(heading) in squeezed(page) for heading in headings)
        assert "0102002 芙蓉区一中" in page, "the point on every page"
        assert f"Page {number} of 4" in page
        assert ("Total: 95 candidates" in page) == (number == 4)
    for index, row in enumerate(rows):
        page = pages[index // ROWS_PER_PAGE]
        assert row.registration_number in page.split()
        assert row.password in page.split()
        assert row.id_number in page.split()
        assert row.name in page
        assert str(index + 1) in page.split()
        others = pages[: index // ROWS_PER_PAGE] + pages[index // ROWS_PER_PAGE + 1 :]
        assert not any(row.password in other for other in others), "each row once"


def test_s4_a_full_last_page_still_has_room_for_the_totals():
    rows = [make_sheet_row(n) for n in range(ROWS_PER_PAGE * 2)]
    pages = pdf_text(render_login_sheet(rows, point="一中", county="芙蓉区", title="登录表"))
    assert len(pages) == 2
    bottom = module.TABLE_TOP - module.HEADER_HEIGHT - ROWS_PER_PAGE * ROW_HEIGHT
    assert bottom - module.TOTALS_HEIGHT >= module.TABLE_BOTTOM


@pytest.mark.parametrize("name", ["张三", LONG_NAME, LONG_NAME * 2])
def test_s4_a_long_name_fits_its_cell_in_the_sheet(name):
    [column] = [c for c in COLUMNS if c.key == "name"]
    width = column.width - 2 * module.CELL_PAD
    size, lines = module._fit_cell(name, width, column.font, column.size, 2, ROW_HEIGHT)
    assert all(stringWidth(line, column.font, size) <= width for line in lines)
    assert size + (len(lines) - 1) * module.LEADING * size <= ROW_HEIGHT
    assert size >= 5.5
    if name != LONG_NAME * 2:
        assert "".join(lines) == name


def test_s4_the_sheet_columns_fill_the_page_between_its_margins():
    assert sum(c.width for c in COLUMNS) == pytest.approx(
        module.PAGE_WIDTH - 2 * module.SHEET_MARGIN
    )


def test_s4_no_rows_is_an_error():
    with pytest.raises(ValueError, match="no candidates"):
        render_login_sheet([], point="一中", county="芙蓉区", title="登录表")
