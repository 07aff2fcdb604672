"""Requirement S3: resident ID numbers from the card reader or keyed in by staff."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, given
from hypothesis import strategies as st

from gaokao.lib.idnumber import (
    FEMALE,
    MALE,
    PROVINCE_CODES,
    WEIGHTS,
    InvalidIdNumber,
    ResidentId,
    check_digit,
    parse_resident_id,
    validate_resident_id,
)

TODAY = datetime.date(2025, 6, 1)
VALID = ["11010519491231002X", "440524188001010014", "34052419800101001X", "110101199003074477"]


def build(first17: str) -> str:
    return first17 + check_digit(first17)


def code_of(value: str, today: datetime.date = TODAY) -> str:
    with pytest.raises(InvalidIdNumber) as info:
        parse_resident_id(value, today=today)
    return info.value.code


@pytest.mark.parametrize("number", VALID)
def test_s3_public_vectors_valid(number):
    parsed = parse_resident_id(number, today=TODAY)
    assert parsed.number == number
    assert parsed.area_code == number[:6]
    assert check_digit(number[:17]) == number[17]


def test_s3_public_vectors_fields():
    assert parse_resident_id("11010519491231002X") == ResidentId(  # default today
        number="11010519491231002X",
        area_code="110105",
        birth_date=datetime.date(1949, 12, 31),
        sex=FEMALE,
    )
    standard_example = parse_resident_id("440524188001010014", today=TODAY)
    assert standard_example.birth_date == datetime.date(1880, 1, 1)  # before 1900 on purpose
    assert standard_example.sex == MALE
    other = parse_resident_id("110101199003074477", today=TODAY)
    assert (other.birth_date, other.sex) == (datetime.date(1990, 3, 7), MALE)


@pytest.mark.parametrize("number", ["340524198001010013", "110101197608056896"])
def test_s3_public_vectors_checksum_invalid(number):
    assert code_of(number) == "checksum"


def test_s3_lowercase_x_normalised():
    assert parse_resident_id("11010519491231002x", today=TODAY).number == "11010519491231002X"


def test_s3_full_width_normalised():
    typed = "１１０１０５１９４９１２３１００２Ｘ"
    assert parse_resident_id(typed, today=TODAY).number == "11010519491231002X"
    lowercase = "１１０１０５１９４９１２３１００２ｘ"
    assert parse_resident_id(lowercase, today=TODAY).number == "11010519491231002X"


def test_s3_whitespace_stripped():
    assert parse_resident_id(" \t110101199003074477\n\u3000", today=TODAY).number == (
        "110101199003074477"
    )


@pytest.mark.parametrize(
    "value",
    [
        "",
        "11010119900307447",  # 17 characters
        "1101011990030744777",  # 19 characters
        "1101011990A3074477",  # letter in the middle
        "X10101199003074477",  # X not last
        "1101011990030744X7",  # X not last
        "110101 199003074477",  # inner space
        "١١٠١٠١١٩٩٠٠٣٠٧٤٤٧٧",  # Arabic-Indic digits are digits, but not ASCII ones
        None,
    ],
)
def test_s3_format_errors(value):
    assert code_of(value) == "format"


def test_s3_impossible_birth_date():
    assert code_of(build("11010119990230001")) == "birth_date"  # 30 February


def test_s3_future_birth_date():
    number = build("11010120250602001")
    assert code_of(number, today=TODAY) == "birth_date"
    assert parse_resident_id(number, today=datetime.date(2025, 6, 2)).birth_date == (
        datetime.date(2025, 6, 2)
    )


def test_s3_birth_date_before_lower_bound():
    assert code_of(build("11010117991231001")) == "birth_date"


def test_s3_unknown_region():
    assert code_of(build("99010119900307447")) == "region"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("340524198001010013", "checksum"),
        ("12345", "format"),
        (build("11010119990230001"), "birth_date"),
        (build("99010119900307447"), "region"),
    ],
)
def test_s3_django_validator_codes(number, code):
    with pytest.raises(ValidationError) as info:
        validate_resident_id(number)
    assert info.value.code == code
    assert info.value.messages  # a human-readable sentence, translated lazily


def test_s3_django_validator_accepts_valid():
    for number in VALID:
        validate_resident_id(number)


def test_s3_check_digit_rejects_bad_input():
    with pytest.raises(ValueError):
        check_digit("1234")


# --- properties -------------------------------------------------------------------------

numbers = st.builds(
    lambda province, area, born, seq: build(f"{province}{area:04d}{born:%Y%m%d}{seq:03d}"),
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.integers(0, 9999),
    st.dates(datetime.date(1900, 1, 1), TODAY),
    st.integers(0, 999),
)


@given(numbers)
def test_s3_property_generated_numbers_round_trip(number):
    parsed = parse_resident_id(number, today=TODAY)
    assert parsed.number == number
    assert parsed.area_code == number[:6]
    assert f"{parsed.birth_date:%Y%m%d}" == number[6:14]
    assert parsed.sex == (MALE if int(number[16]) % 2 else FEMALE)


@given(numbers, st.integers(0, 17), st.sampled_from("0123456789X"))
def test_s3_property_single_substitution_detected(number, position, char):
    assume(number[position] != char)
    changed = number[:position] + char + number[position + 1 :]
    with pytest.raises(InvalidIdNumber):
        parse_resident_id(changed, today=TODAY)


def test_s3_adjacent_transpositions_change_the_weighted_sum():
    # MOD 11-2 weights are 2**k mod 11, so neighbouring weights differ by a unit mod 11
    # and swapping different digits a, b shifts the sum by (a - b) * (w_i - w_i+1) != 0.
    # Exhaustive check over every position and digit pair before relying on it below.
    for i in range(16):
        for a in range(10):
            for b in range(10):
                if a != b:
                    assert (a - b) * (WEIGHTS[i] - WEIGHTS[i + 1]) % 11 != 0


@given(numbers, st.integers(0, 15))
def test_s3_property_adjacent_transposition_detected(number, position):
    assume(number[position] != number[position + 1])
    swapped = number[:position] + number[position + 1] + number[position] + number[position + 2 :]
    with pytest.raises(InvalidIdNumber):
        parse_resident_id(swapped, today=TODAY)


@given(st.text())
def test_s3_property_arbitrary_text_only_raises_invalid_id_number(value):
    try:
        parse_resident_id(value, today=TODAY)
    except InvalidIdNumber as exc:
        assert exc.code in {"format", "checksum", "birth_date", "region"}


@given(st.text(alphabet="0123456789Xx １２Ｘ ", min_size=16, max_size=20))
def test_s3_property_near_miss_text_only_raises_invalid_id_number(value):
    try:
        parsed = parse_resident_id(value, today=TODAY)
    except InvalidIdNumber as exc:
        assert exc.code in {"format", "checksum", "birth_date", "region"}
    else:
        assert len(parsed.number) == 18
