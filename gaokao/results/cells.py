"""Reading one cell of an import file: each reader takes the cell's text and returns the
value to store, or raises CellError with a message for people.

Cells arrive as text (gaokao.lib.spreadsheet). Codes and numbers are NFKC-normalised first,
so that full-width digits and letters typed with a Chinese input method read as ASCII.
Free text is kept as typed but refused when it could act in a spreadsheet (a leading
=, +, - or @ makes Excel run it as a formula when the data is exported again) or holds
control or invisible formatting characters (bidirectional overrides can disguise text).
Anything else, such as markup, is stored as inert text and escaped wherever shown.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

FORMULA_START = ("=", "+", "-", "@")
# Control, format (zero-width, bidi overrides), surrogate, private-use, unassigned,
# and line/paragraph separators. Ordinary and ideographic spaces are fine.
_HIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
SHOWN = 24  # characters of a refused value quoted back in a message


class CellError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def shown(value: str) -> str:
    """A refused value as quoted in a message: short, and without hidden characters."""
    visible = "".join("?" if unicodedata.category(c) in _HIDDEN else c for c in value)
    return visible if len(visible) <= SHOWN else visible[: SHOWN - 1] + "…"


def normalised(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def text(limit: int, *, required: bool = False) -> Callable[[str], str]:
    def read(value: str) -> str:
        if not value:
            if required:
                raise CellError(_("required"))
            return ""
        if len(value) > limit:
            raise CellError(
                _("at most %(limit)d characters (this cell has %(length)d)")
                % {"limit": limit, "length": len(value)}
            )
        if any(unicodedata.category(c) in _HIDDEN for c in value):
            raise CellError(_("contains control or invisible characters"))
        if value.startswith(FORMULA_START):
            raise CellError(
                _("must not begin with =, +, - or @ (a spreadsheet would run it as a formula)")
            )
        return value

    return read


def choice(mapping: dict[str, Any], *, required: bool = True) -> Callable[[str], Any]:
    """One of the words in `mapping` (the file's words → the stored codes)."""

    def read(value: str) -> Any:
        word = normalised(value)
        if not word:
            if required:
                raise CellError(_("required"))
            return ""
        for key, code in mapping.items():
            if normalised(key).upper() == word.upper():
                return code
        raise CellError(
            _("“%(value)s” is not one of: %(choices)s")
            % {"value": shown(value), "choices": "、".join(mapping)}
        )

    return read


def decimal(low: Decimal, high: Decimal, *, places: int = 1) -> Callable[[str], Decimal | None]:
    """An optional number from `low` to `high` with at most `places` decimals."""
    pattern = re.compile(rf"\d{{1,4}}(\.\d{{1,{places}}})?")

    def read(value: str) -> Decimal | None:
        number = normalised(value)
        if not number:
            return None
        if re.fullmatch(r"\d{1,4}\.\d*?0+", number):  # 4.80 from a spreadsheet's format
            number = number.rstrip("0").rstrip(".")
        if not pattern.fullmatch(number):
            raise CellError(
                _("“%(value)s” is not a number with at most %(places)d decimal place(s)")
                % {"value": shown(value), "places": places}
            )
        try:
            result = Decimal(number)
        except InvalidOperation:  # pragma: no cover - the pattern lets only numbers through
            raise CellError(_("not a number")) from None
        if not low <= result <= high:
            raise CellError(
                _("%(value)s is outside %(low)s–%(high)s")
                % {"value": number, "low": low, "high": high}
            )
        return result

    return read


def integer(low: int, high: int) -> Callable[[str], int]:
    """A required whole number from `low` to `high`."""

    def read(value: str) -> int:
        number = normalised(value)
        if not number:
            raise CellError(_("required"))
        if re.fullmatch(r"\d{1,3}\.0*", number):  # 5.0 from a spreadsheet's number format
            number = number.split(".")[0]
        if not re.fullmatch(r"\d{1,3}", number):
            raise CellError(_("“%(value)s” is not a whole number") % {"value": shown(value)})
        if not low <= int(number) <= high:
            raise CellError(
                _("%(value)s is outside %(low)d–%(high)d")
                % {"value": int(number), "low": low, "high": high}
            )
        return int(number)

    return read


_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]00:00(?::00)?)?"
    r"|(\d{4})(\d\d)(\d\d)"
)
# An XLSX cell typed as 2019-06 becomes the date 2019-06-01; a month keeps its first day.
_MONTH = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:[-/.]0?1(?:[ T]00:00(?::00)?)?)?|(\d{4})(\d\d)"
)


def date(earliest: dt.date, latest: dt.date) -> Callable[[str], dt.date]:
    """A required date such as 2019-11-20, 2019/11/20, 20191120 or 2019年11月20日."""

    def read(value: str) -> dt.date:
        raw = normalised(value)
        if not raw:
            raise CellError(_("required"))
        match = _DATE.fullmatch(raw)
        try:
            if match is None:
                raise ValueError
            y, m, d = (int(g) for g in match.groups() if g is not None)
            day = dt.date(y, m, d)
        except ValueError:
            raise CellError(
                _("“%(value)s” is not a date like 2019-11-20") % {"value": shown(value)}
            ) from None
        if not earliest <= day <= latest:
            raise CellError(
                _("%(value)s is not between %(earliest)s and %(latest)s")
                % {"value": day.isoformat(), "earliest": earliest, "latest": latest}
            )
        return day

    return read


def month(earliest: dt.date, latest: dt.date) -> Callable[[str], str]:
    """A required month such as 2019-06 or 2019年6月, stored as YYYY-MM."""

    def read(value: str) -> str:
        raw = normalised(value)
        if not raw:
            raise CellError(_("required"))
        match = _MONTH.fullmatch(raw)
        y, m = (int(g) for g in match.groups() if g is not None) if match else (0, 0)
        if not 1 <= m <= 12:
            raise CellError(_("“%(value)s” is not a month like 2019-06") % {"value": shown(value)})
        if not (earliest.year, earliest.month) <= (y, m) <= (latest.year, latest.month):
            raise CellError(
                _("%(value)s is not between %(earliest)s and %(latest)s")
                % {
                    "value": f"{y:04d}-{m:02d}",
                    "earliest": f"{earliest:%Y-%m}",
                    "latest": f"{latest:%Y-%m}",
                }
            )
        return f"{y:04d}-{m:02d}"

    return read
