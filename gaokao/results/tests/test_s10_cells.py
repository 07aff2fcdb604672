"""S10: how one cell of an import file is read (dates, months, numbers, codes, free text)."""

import datetime as dt
from decimal import Decimal

import pytest

from gaokao.results import cells

EARLY, LATE = dt.date(2017, 1, 1), dt.date(2020, 5, 10)


@pytest.mark.parametrize(
    "value",
    [
        "2019-11-20",
        "2019/11/20",
        "2019.11.20",
        "20191120",
        "2019年11月20日",
        "2019-11-20 00:00:00",
        "２０１９－１１－２０",
    ],
)
def test_s10_dates_in_the_usual_spellings(value):
    assert cells.date(EARLY, LATE)(value) == dt.date(2019, 11, 20)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("", "required"),
        ("2019-02-30", "not a date"),
        ("20/11/2019", "not a date"),
        ("2019-11-20 08:30:00", "not a date"),
        ("2016-12-31", "between"),
        ("2020-05-11", "between"),
    ],
)
def test_s10_wrong_dates_are_refused(value, says):
    with pytest.raises(cells.CellError, match=says):
        cells.date(EARLY, LATE)(value)


@pytest.mark.parametrize(
    "value", ["2019-06", "2019/6", "2019年6月", "201906", "2019-06-01 00:00:00", "2019-06-01"]
)
def test_s10_months_in_the_usual_spellings(value):
    assert cells.month(EARLY, LATE)(value) == "2019-06"


@pytest.mark.parametrize("value", ["2019-13", "2019-06-15", "June 2019", "2020-06", "2016-12"])
def test_s10_wrong_months_are_refused(value):
    with pytest.raises(cells.CellError):
        cells.month(EARLY, LATE)(value)


def test_s10_numbers_keep_one_decimal_and_their_range():
    read = cells.decimal(Decimal("3.0"), Decimal("5.3"))
    assert read("4.8") == read("4.80") == read("４.８") == Decimal("4.8")
    assert read("5") == Decimal("5") and read("") is None
    for wrong in ("4.85", "5.4", "2.9", "4,8", "-4.8", "1e1", "NaN"):
        with pytest.raises(cells.CellError):
            read(wrong)
    assert cells.decimal(Decimal(100), Decimal(250))("100.00") == Decimal(100)


def test_s10_whole_numbers():
    read = cells.integer(0, 20)
    assert read("0") == 0 and read("20") == 20 and read("5.0") == 5 and read("１５") == 15
    for wrong in ("", "21", "-1", "5.5", "five", "+5"):
        with pytest.raises(cells.CellError):
            read(wrong)


def test_s10_codes_from_the_files_words():
    read = cells.choice({"合格": "fit", "A": "A"})
    assert read(" 合格 ") == "fit" and read("a") == "A" and read("Ａ") == "A"
    with pytest.raises(cells.CellError, match="not one of"):
        read("良好")
    assert cells.choice({"正常": "normal"}, required=False)("") == ""


def test_s10_free_text_refuses_what_could_act_and_keeps_the_rest():
    read = cells.text(10, required=True)
    assert read("湘教发　第二条") == "湘教发　第二条"  # an ideographic space is text
    assert read("<b>x</b>") == "<b>x</b>"  # markup is inert text, escaped when shown
    refused = ["", "x" * 11, "=1+1", "+1", "-1", "@SUM(A1)", "a\tb", "a\nb", "a\u202eb", "a\u200bb"]
    for value in refused:
        with pytest.raises(cells.CellError):
            read(value)


def test_s10_a_refused_value_is_quoted_short_and_visible():
    assert cells.shown("a\u202eb") == "a?b"
    assert len(cells.shown("x" * 500)) == cells.SHOWN
