"""Issue 10 §4: hypothesis on the parsers and validators that read what people and devices
send, without a database: resident ID numbers, ID-card text blocks and card data from the
browser, and spreadsheets. Each one either returns a value that holds up or raises its own
clear error with a message, whatever it is given; nothing else ever escapes.

(The parsers' own suites fuzz them too — gaokao/lib, gaokao/idcard, gaokao/bundles,
gaokao/payments; here the shared hostile corpus and the properties across them.)
"""

import csv
import datetime as dt
import io
import time
import zipfile

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaokao.idcard.bridge import start_bridge
from gaokao.idcard.cards import FIELDS, CardIdentity, InvalidCard, parse_text
from gaokao.idcard.protocol import ReaderError
from gaokao.idcard.tests.blocks import ZHANG, block, resident_block
from gaokao.lib import spreadsheet
from gaokao.lib.idnumber import InvalidIdNumber, parse_resident_id, validate_resident_id
from gaokao.lib.spreadsheet import SpreadsheetError, read_rows
from gaokao.lib.text import clean_text
from gaokao.testing import hostile

TODAY = dt.date(2020, 4, 1)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CORPUS = st.sampled_from([text for _name, text in hostile.hostile_texts()])
# Any text, hostile strings spliced in now and then.
TEXT = st.one_of(st.text(max_size=80), CORPUS, st.builds(lambda a, b: a + b, st.text(), CORPUS))


# ── free text ─────────────────────────────────────────────────────────────────────────


@FUZZ
@given(TEXT, st.booleans())
def test_e3_fuzz_clean_text_leaves_nothing_invisible_and_is_idempotent(value, multiline):
    cleaned = clean_text(value, multiline=multiline)
    assert hostile.is_clean(cleaned)
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in cleaned)  # no lone surrogates
    assert "\r" not in cleaned and "\u2028" not in cleaned and "\u2029" not in cleaned
    assert multiline or "\n" not in cleaned
    assert clean_text(cleaned, multiline=multiline) == cleaned


def test_e3_fuzz_clean_text_keeps_what_people_write():
    assert clean_text("  张三 <b>&amp;  ") == "张三 <b>&amp;"  # markup is escaped when shown
    assert clean_text("𠀀𪚥") == "𠀀𪚥"  # rare name characters (CJK Extension B) stay
    assert clean_text("\ue000") == "\ue000"  # private use: some input methods' rare characters
    assert clean_text("第一行\r\n第二行\u2028第三行", multiline=True) == "第一行\n第二行\n第三行"
    assert clean_text(hostile.STRINGS["rtl_override"]) == "李四gpj.exe"
    assert clean_text(hostile.STRINGS["zero_width"]) == "王五"
    assert clean_text(hostile.LONE_SURROGATE + "好") == "好"


# ── resident ID numbers ───────────────────────────────────────────────────────────────


@FUZZ
@given(TEXT)
def test_e3_fuzz_id_numbers_are_valid_or_refused_with_a_reason(value):
    try:
        parsed = parse_resident_id(value, today=TODAY)
    except InvalidIdNumber as e:
        assert e.code in {"format", "checksum", "birth_date", "region"} and str(e.message)
        with pytest.raises(ValidationError) as caught:
            validate_resident_id(value)
        assert caught.value.messages
    else:
        assert parsed.number.isascii() and len(parsed.number) == 18


@pytest.mark.parametrize("name,text", hostile.hostile_texts())
def test_e3_fuzz_hostile_corpus_is_no_id_number(name, text):
    with pytest.raises(InvalidIdNumber):
        parse_resident_id(text, today=TODAY)
    with pytest.raises(InvalidIdNumber):
        parse_resident_id(ZHANG[:9] + text + ZHANG[9:], today=TODAY)


# ── ID cards: the reader's text block and card data from the browser ─────────────────


def _fit(text: str, size: int) -> str:
    """As much of `text` as fits `size` bytes of UTF-16-LE, never half a character."""
    while len(text.encode("utf-16-le")) > size:
        text = text[:-1]
    return text


@FUZZ
@given(TEXT, st.sampled_from([(0, 30), (158, 30), (30, 2), (36, 16), (188, 16)]))
def test_e3_fuzz_card_text_blocks_give_printable_cards_or_reader_errors(text, where):
    offset, size = where
    raw = bytearray(resident_block())
    raw[offset : offset + size] = block((0, size, _fit(text, size)))[:size]
    try:
        card = parse_text(bytes(raw), bytes(1024))
    except ReaderError as e:
        assert str(e.message)
        return
    for value in (card.name, card.issuing_authority, card.id_number):
        assert value.isprintable() and hostile.is_clean(value)


def _card_json() -> dict:
    return parse_text(resident_block(), bytes(1024)).to_json()


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


@FUZZ
@given(st.dictionaries(st.sampled_from([*FIELDS, "document_type", "x"]), JSON_VALUES, max_size=4))
def test_e3_fuzz_card_data_from_the_browser_is_a_card_or_invalid_card(changes):
    try:
        card = CardIdentity.from_json(_card_json() | changes, today=TODAY)
    except InvalidCard as e:
        assert str(e.message)
        return
    assert card.name.isprintable() and hostile.is_clean(card.name)
    assert card.issuing_authority.isprintable()


@pytest.mark.parametrize("name,text", hostile.hostile_texts())
def test_e3_fuzz_card_names_with_hidden_characters_are_refused(name, text):
    data = _card_json() | {"name": text}
    try:
        card = CardIdentity.from_json(data, today=TODAY)
    except InvalidCard as e:
        assert e.field == "name"
        return
    assert card.name == text.strip() and hostile.is_clean(card.name)


# ── spreadsheets ──────────────────────────────────────────────────────────────────────

NAMES = st.sampled_from(["表.csv", "表.xlsx", "表.txt", "表.XLSX", "表.xls", "表"])


@FUZZ
@given(st.binary(max_size=3000), NAMES)
def test_e3_fuzz_random_bytes_are_rows_or_a_spreadsheet_error(data, filename):
    try:
        header, rows = read_rows(data, filename)
    except SpreadsheetError as e:
        assert str(e)
        return
    assert isinstance(header, list) and all(isinstance(r.cells, dict) for r in rows)


CELL = st.one_of(st.text(max_size=30), CORPUS.map(lambda s: s[:200]))


@FUZZ
@given(
    st.lists(st.lists(CELL, min_size=1, max_size=5), min_size=1, max_size=8),
    st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
)
def test_e3_fuzz_any_csv_table_reads_back_or_is_refused(table, encoding):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(table)
    try:
        data = buffer.getvalue().encode(encoding)
    except UnicodeEncodeError:  # a lone surrogate: no encoding carries it
        return
    try:
        header, rows = read_rows(data, "表.csv")
    except SpreadsheetError as e:
        assert str(e)
        return
    if encoding != "gb18030":  # (GBK bytes may happen to be UTF-8 too, and read as such)
        assert header == [cell.strip() for cell in table[0]]
    assert all(r.line >= 2 and set(r.cells) <= set(header) for r in rows)


VALID_XLSX = hostile.xlsx([["报名号", "评语"], ["01020001", "认真负责"], ["01020002", "好"]])


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(VALID_XLSX) - 1), st.integers(0, 255)), max_size=4))
def test_e3_fuzz_damaged_workbooks_are_rows_or_a_spreadsheet_error(changes):
    raw = bytearray(VALID_XLSX)
    for at, value in changes:
        raw[at] = value
    try:
        read_rows(bytes(raw), "表.xlsx")
    except SpreadsheetError as e:
        assert str(e)


@FUZZ
@given(st.integers(0, len(VALID_XLSX)))
def test_e3_fuzz_cut_workbooks_are_refused(keep):
    try:
        header, _rows = read_rows(VALID_XLSX[:keep], "表.xlsx")
    except SpreadsheetError:
        return
    assert keep == len(VALID_XLSX) and header == ["报名号", "评语"]


def test_e3_fuzz_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked():
    bomb = hostile.xlsx_bomb()
    assert len(bomb) < 300_000
    members = zipfile.ZipFile(io.BytesIO(bomb)).infolist()
    assert sum(m.file_size for m in members) > 200 * 1024 * 1024
    started = time.process_time()
    with pytest.raises(SpreadsheetError) as caught:
        read_rows(bomb, "评语.xlsx")
    assert "unpacks" in str(caught.value) or "解压" in str(caught.value)
    # Refused from the ZIP's directory: unpacking it takes seconds of CPU.
    assert time.process_time() - started < 1


def test_e3_fuzz_ordinary_workbooks_pass_the_bomb_check():
    rows = [["报名号", "评语"]] + [[f"0102{n:04d}", "认真负责，成绩优良"] for n in range(3000)]
    header, read = read_rows(hostile.xlsx(rows), "评语.xlsx")
    assert header == ["报名号", "评语"] and len(read) == 3000


def test_e3_fuzz_workbook_limits_are_sane():
    assert spreadsheet.MAX_UNPACKED_BYTES >= 10 * spreadsheet.MAX_BYTES
    assert 30 < spreadsheet.MAX_RATIO < 1000


@pytest.mark.parametrize(
    "data",
    [
        hostile.csv_invalid_utf8(),
        hostile.csv_with_nul(),
        hostile.csv_huge_field(),
        hostile.INVALID_UTF8,
        b"\x00" * 1000,
        "报名号,评语\r\n".encode("utf-16"),
    ],
    ids=["invalid-utf8", "nul", "huge-field", "not-text", "nuls", "utf-16"],
)
def test_e3_fuzz_hostile_csv_files_are_rows_or_a_clear_error(data):
    try:
        _header, rows = read_rows(data, "评语.csv")
    except SpreadsheetError as e:
        assert str(e)
        return
    assert all(isinstance(v, str) for r in rows for v in r.cells.values())


# ── the reader bridge's HTTP body ─────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "body", [b"[" * 4000, b'{"a": ' + b"[" * 3000 + b"}", hostile.INVALID_UTF8, b"\x00" * 100]
)
def test_e3_fuzz_the_reader_bridge_refuses_hostile_bodies_with_a_400(body):
    from gaokao.idcard.tests.test_bridge import ORIGIN, call

    server, thread = start_bridge("sim", "127.0.0.1:0", [ORIGIN], timeout=0.3)
    try:
        status, _headers, data = call(server, "POST", "/read", body=body)
    finally:
        server.stop()
    assert status == 400 and data["ok"] is False and data["error"]
    assert not server.simulator.sam.received and not thread.is_alive()
