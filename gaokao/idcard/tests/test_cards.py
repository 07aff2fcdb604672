"""The 256-byte text block of every card layout (docs/domain/idcard-reader.md §5) and the
checks on card data that comes back through the browser (R3)."""

import base64
import contextlib
import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaokao.idcard.cards import (
    FIELDS,
    FOREIGNER_2017,
    FOREIGNER_2023,
    HMT_PERMIT,
    RESIDENT,
    CardIdentity,
    InvalidCard,
    parse_text,
)
from gaokao.idcard.protocol import BadCardData, ProtocolError, ReaderError, UnknownCardType
from gaokao.idcard.simulator import default_deck, encode_text
from gaokao.idcard.tests.blocks import (
    CHAN,
    FOREIGNER_2023_NUMBER,
    PENG,
    ZHANG,
    block,
    foreigner_2017_block,
    foreigner_2023_block,
    hmt_block,
    resident_block,
)

PHOTO = bytes(range(256)) * 4
TODAY = dt.date(2020, 4, 1)


def test_r3_resident_card_is_read_from_its_offsets():
    card = parse_text(resident_block(), PHOTO)
    assert card == CardIdentity(
        card_type=RESIDENT,
        name="张思远",
        sex="1",
        ethnicity="15",
        birth_date=dt.date(2002, 3, 15),
        id_number=ZHANG,
        issuing_authority="长沙市公安局芙蓉分局",
        valid_from=dt.date(2018, 9, 1),
        valid_until=dt.date(2028, 9, 1),
        photo_wlt=PHOTO,
    )
    assert card.document_type == "1"
    assert not card.long_term


def test_r3_long_term_validity_reads_as_none():
    text = resident_block(
        name="彭桂兰", sex="2", birth="19720903", id_number=PENG, valid_until="长期"
    )
    card = parse_text(text, PHOTO)
    assert card.valid_until is None
    assert card.long_term
    assert card.to_json()["valid_until"] is None


def test_r3_a_resident_card_with_a_zeroed_type_flag_is_still_a_resident_card():
    text = bytearray(resident_block())
    text[248:250] = b"\0\0"
    assert parse_text(bytes(text), PHOTO).card_type == RESIDENT


def test_r3_the_address_is_read_over_and_never_kept():
    card = parse_text(resident_block(), PHOTO)
    assert not hasattr(card, "address")
    assert "五一大道" not in repr(card)
    assert "五一大道" not in json.dumps(card.to_json(), ensure_ascii=False)


def test_r3_hmt_residence_permit():
    card = parse_text(hmt_block(), PHOTO)
    assert card.card_type == HMT_PERMIT
    assert card.document_type == "2"
    assert (card.name, card.sex, card.ethnicity) == ("陈家乐", "1", "")
    assert card.id_number == CHAN
    assert card.birth_date == dt.date(2002, 8, 8)
    assert card.issuing_authority == "长沙市公安局"
    assert (card.valid_from, card.valid_until) == (dt.date(2019, 9, 1), dt.date(2024, 9, 1))


def test_r3_foreigner_card_2017():
    card = parse_text(foreigner_2017_block(), PHOTO)
    assert card.card_type == FOREIGNER_2017
    assert card.document_type == "3"
    assert (card.name, card.sex, card.ethnicity) == ("米马克", "1", "")
    assert card.id_number == "USA431005120013"
    assert card.birth_date == dt.date(2003, 4, 12)
    assert card.issuing_authority == "1500"
    assert (card.valid_from, card.valid_until) == (dt.date(2021, 6, 1), dt.date(2031, 6, 1))


def test_r3_foreigner_card_2017_without_a_chinese_name_gives_the_english_one():
    assert parse_text(foreigner_2017_block(chinese_name=""), PHOTO).name == "MILLER, MARK JAMES"


def test_r3_foreigner_card_2023():
    card = parse_text(foreigner_2023_block(), PHOTO)
    assert card.card_type == FOREIGNER_2023
    assert card.document_type == "3"
    assert (card.name, card.sex, card.ethnicity) == ("安娜", "2", "")
    assert card.id_number == FOREIGNER_2023_NUMBER
    assert card.birth_date == dt.date(2002, 9, 21)
    assert card.issuing_authority == ""
    assert (card.valid_from, card.valid_until) == (dt.date(2024, 3, 1), dt.date(2029, 3, 1))


def test_r3_foreigner_card_2023_joins_the_two_parts_of_a_long_english_name():
    english = "KOVALENKO-SHEVCHENKO, ANASTASIIA OLEKSANDRIVNA"  # 46 characters
    assert len(english) == 46
    card = parse_text(foreigner_2023_block(chinese_name="", english=english), PHOTO)
    assert card.name == english


@pytest.mark.parametrize("flag", ["Z", "A", "1"])
def test_r3_an_unknown_type_flag_is_an_unknown_card_type(flag):
    text = bytearray(resident_block())
    text[248:250] = flag.encode("utf-16-le")
    with pytest.raises(UnknownCardType) as caught:
        parse_text(bytes(text), PHOTO)
    assert caught.value.code == "unknown_card_type"


@pytest.mark.parametrize(
    "text",
    [
        resident_block(birth="20020230"),
        resident_block(birth="2002031"),
        resident_block(ethnicity=""),
        resident_block(sex="3"),
        resident_block(name=""),
        resident_block(valid_until=""),
        block((0, 30, "张三"), (30, 2, "1"), (32, 4, "01")),
        resident_block()[:30] + b"\x00\xd8" + resident_block()[32:],  # a lone surrogate
    ],
)
def test_r3_a_block_that_breaks_its_layout_is_bad_card_data(text):
    with pytest.raises(BadCardData):
        parse_text(text, PHOTO)


@pytest.mark.parametrize(("text", "photo"), [(bytes(255), PHOTO), (resident_block(), bytes(10))])
def test_r3_a_block_or_photo_of_the_wrong_size_is_a_protocol_error(text, photo):
    with pytest.raises(ProtocolError):
        parse_text(text, photo)


@pytest.mark.parametrize("card", default_deck(TODAY), ids=lambda c: c.identity.card_type)
def test_r3_the_simulators_blocks_parse_back_to_their_cards(card):
    text = encode_text(card)
    assert len(text) == 256
    assert parse_text(text, card.identity.photo_wlt) == card.identity


@settings(max_examples=300, deadline=None)
@given(
    st.binary(min_size=256, max_size=256),
    st.sampled_from([None, "I", "Y", "J", " ", "\0"]),
    st.sampled_from([b"", PHOTO]),
)
def test_r3_random_text_blocks_give_only_reader_errors(text, flag, photo):
    if flag is not None:
        text = text[:248] + flag.encode("utf-16-le") + text[250:]
    try:
        card = parse_text(text, photo)
    except ReaderError:
        return
    assert card.card_type in (RESIDENT, HMT_PERMIT, FOREIGNER_2017, FOREIGNER_2023)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(
        [resident_block(), hmt_block(), foreigner_2017_block(), foreigner_2023_block()]
    ),
    st.lists(st.tuples(st.integers(0, 255), st.integers(0, 255)), min_size=1, max_size=6),
)
def test_r3_corrupted_real_blocks_give_only_reader_errors(text, changes):
    raw = bytearray(text)
    for position, value in changes:
        raw[position] = value
    with contextlib.suppress(ReaderError):
        parse_text(bytes(raw), PHOTO)


# ── from_json: card data from the browser is untrusted ──


def card_json(text=None) -> dict:
    return parse_text(text or resident_block(), PHOTO).to_json()


def test_r3_to_json_is_json_safe_and_from_json_gives_the_card_back():
    card = parse_text(resident_block(), PHOTO)
    data = json.loads(json.dumps(card.to_json()))
    assert data["birth_date"] == "2002-03-15"
    assert data["document_type"] == "1"
    assert base64.b64decode(data["photo_wlt"]) == PHOTO
    assert CardIdentity.from_json(data, today=TODAY) == card


@pytest.mark.parametrize("card", default_deck(TODAY), ids=lambda c: c.identity.card_type)
def test_r3_from_json_accepts_every_card_of_the_deck(card):
    identity = card.identity
    assert CardIdentity.from_json(identity.to_json(), today=TODAY) == identity


@pytest.mark.parametrize(
    "text",
    [hmt_block(), foreigner_2017_block(), foreigner_2023_block()],
    ids=["hmt", "foreigner_2017", "foreigner_2023"],
)
def test_r3_from_json_accepts_permits_and_foreigner_cards(text):
    card = parse_text(text, PHOTO)
    assert CardIdentity.from_json(card.to_json(), today=TODAY) == card


def test_r3_from_json_normalises_the_number_and_accepts_an_empty_photo():
    full_width = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
    data = card_json() | {"id_number": f" {ZHANG.translate(full_width)} ", "photo_wlt": ""}
    card = CardIdentity.from_json(data, today=TODAY)
    assert card.id_number == ZHANG
    assert card.photo_wlt == b""


@pytest.mark.parametrize("sex", ["0", "9"])
def test_r3_from_json_keeps_unknown_and_unspecified_sex_as_read(sex):
    assert CardIdentity.from_json(card_json() | {"sex": sex}, today=TODAY).sex == sex


TAMPERED = {
    "bad check digit": (lambda d: d | {"id_number": ZHANG[:-1] + "0"}, "id_number"),
    "not a real date": (lambda d: d | {"birth_date": "2002-02-30"}, "birth_date"),
    "date not ISO": (lambda d: d | {"valid_from": "20180901"}, "valid_from"),
    "birth date not the number's": (lambda d: d | {"birth_date": "2002-03-16"}, "birth_date"),
    "sex not the number's": (lambda d: d | {"sex": "2"}, "sex"),
    "unknown sex code": (lambda d: d | {"sex": "3"}, "sex"),
    "overlong name": (lambda d: d | {"name": "张" * 16}, "name"),
    "empty name": (lambda d: d | {"name": "  "}, "name"),
    "name with a control character": (lambda d: d | {"name": "张\u0000三"}, "name"),
    "name not text": (lambda d: d | {"name": 123}, "name"),
    "photo of 1023 bytes": (
        lambda d: d | {"photo_wlt": base64.b64encode(bytes(1023)).decode()},
        "photo_wlt",
    ),
    "photo of 1025 bytes": (
        lambda d: d | {"photo_wlt": base64.b64encode(bytes(1025)).decode()},
        "photo_wlt",
    ),
    "photo not base64": (lambda d: d | {"photo_wlt": "!!!!"}, "photo_wlt"),
    "photo not ASCII": (lambda d: d | {"photo_wlt": "照片"}, "photo_wlt"),
    "unknown card type": (lambda d: d | {"card_type": "passport"}, "card_type"),
    "document type not the card's": (lambda d: d | {"document_type": "3"}, "document_type"),
    "ethnicity of one digit": (lambda d: d | {"ethnicity": "1"}, "ethnicity"),
    "ethnicity as a name": (lambda d: d | {"ethnicity": "土家"}, "ethnicity"),
    "validity ends before it begins": (lambda d: d | {"valid_until": "2017-01-01"}, "valid_until"),
    "overlong issuing authority": (
        lambda d: d | {"issuing_authority": "局" * 16},
        "issuing_authority",
    ),
    "an extra field (the address)": (lambda d: d | {"address": "湖南省长沙市"}, "address"),
    "a permit number on a resident card": (
        lambda d: d | {"id_number": CHAN, "birth_date": "2002-08-08"},
        "id_number",
    ),
    "birth date in the future": (
        lambda d: d | {"id_number": ZHANG.replace("2002", "2021", 1)},
        "id_number",
    ),
}


@pytest.mark.parametrize("case", TAMPERED)
def test_r3_from_json_refuses_tampered_data(case):
    tamper, field = TAMPERED[case]
    with pytest.raises(InvalidCard) as caught:
        CardIdentity.from_json(tamper(card_json()), today=TODAY)
    assert caught.value.field == field
    assert str(caught.value.message)


@pytest.mark.parametrize("field", FIELDS)
def test_r3_from_json_refuses_a_missing_field(field):
    data = card_json()
    del data[field]
    with pytest.raises(InvalidCard) as caught:
        CardIdentity.from_json(data, today=TODAY)
    assert caught.value.field == field


@pytest.mark.parametrize("data", [None, [], "card", 42])
def test_r3_from_json_refuses_what_is_not_an_object(data):
    with pytest.raises(InvalidCard):
        CardIdentity.from_json(data, today=TODAY)


@pytest.mark.parametrize(
    ("text", "change", "field"),
    [
        (hmt_block(), {"id_number": ZHANG, "birth_date": "2002-03-15"}, "id_number"),
        (hmt_block(), {"ethnicity": "01"}, "ethnicity"),
        (foreigner_2017_block(), {"id_number": "US1431005120013"}, "id_number"),
        (foreigner_2017_block(), {"id_number": "USA43100512001"}, "id_number"),
        (foreigner_2017_block(), {"issuing_authority": "公安部出入境管理局"}, "issuing_authority"),
        (foreigner_2023_block(), {"id_number": FOREIGNER_2023_NUMBER[:-1] + "X"}, "id_number"),
        (foreigner_2023_block(), {"id_number": "8" + FOREIGNER_2023_NUMBER[1:]}, "id_number"),
        (foreigner_2023_block(), {"name": "A" * 47}, "name"),
    ],
    ids=[
        "resident number on a permit",
        "permit with an ethnicity",
        "2017 number with a digit for a letter",
        "2017 number too short",
        "2017 authority too long",
        "2023 bad check digit",
        "2023 not starting with 9",
        "2023 name too long",
    ],
)
def test_r3_from_json_checks_permit_and_foreigner_numbers_by_their_format(text, change, field):
    data = parse_text(text, PHOTO).to_json() | change
    with pytest.raises(InvalidCard) as caught:
        CardIdentity.from_json(data, today=TODAY)
    assert caught.value.field == field


JSONISH = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=40), st.lists(st.none())
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(
        [resident_block(), hmt_block(), foreigner_2017_block(), foreigner_2023_block()]
    ),
    st.dictionaries(st.sampled_from([*FIELDS, "document_type", "extra"]), JSONISH, max_size=3),
)
def test_r3_from_json_raises_only_invalid_card_on_random_values(text, changes):
    data = parse_text(text, PHOTO).to_json() | changes
    try:
        card = CardIdentity.from_json(data, today=TODAY)
    except InvalidCard as e:
        assert str(e.message)
        return
    assert CardIdentity.from_json(card.to_json(), today=TODAY) == card
