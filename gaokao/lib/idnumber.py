"""Validation of 18-character Chinese resident ID numbers (居民身份证号码, GB 11643-1999).

Layout: 6-digit area code, 8-digit birth date YYYYMMDD, 3-digit sequence (odd = male,
even = female) and an ISO 7064 MOD 11-2 check digit (0-9 or X).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_DIGITS = "10X98765432"  # indexed by the weighted sum mod 11

# Province-level prefixes, plus 71 Taiwan, 81 Hong Kong, 82 Macao and 83 (830000, used by
# residence permits for Taiwan residents).
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82", "83",
    }
)  # fmt: skip

# Lower bound for the birth date. The standard's own worked example (440524188001010014)
# is born in 1880, so a 1900 bound would reject a normative vector; 1800-01-01 keeps it
# valid while still catching nonsense centuries such as 0999 or 1090.
EARLIEST_BIRTH_DATE = datetime.date(1800, 1, 1)

MALE = "1"  # national XBDM sex codes
FEMALE = "2"

_SHAPE = re.compile(r"[0-9]{17}[0-9X]")  # ASCII only: \d would admit other scripts' digits

MESSAGE_FORMAT = _("An ID number has 18 characters: 17 digits and a final digit or X.")
MESSAGE_CHECKSUM = _("The check digit does not match: please check the number for a typo.")
MESSAGE_REGION = _("The ID number does not start with a known province code.")
MESSAGE_DATE_UNREAL = _("The birth date in the ID number is not a real date.")
MESSAGE_DATE_FUTURE = _("The birth date in the ID number lies in the future.")
MESSAGE_DATE_TOO_EARLY = _("The birth date in the ID number is implausibly early.")


@dataclass(frozen=True)
class ResidentId:
    number: str  # normalised: 18 ASCII characters, uppercase X
    area_code: str  # first 6 digits
    birth_date: datetime.date
    sex: str  # MALE ("1") or FEMALE ("2")


class InvalidIdNumber(ValueError):
    """Raised by parse_resident_id; ``code`` is one of format, checksum, birth_date, region."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_digit(first17: str) -> str:
    """The MOD 11-2 check digit for the first 17 ASCII digits of an ID number."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("check_digit needs exactly 17 ASCII digits")
    return CHECK_DIGITS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def parse_resident_id(value: str, today: datetime.date | None = None) -> ResidentId:
    """Normalise and validate ``value``; raise InvalidIdNumber on any problem.

    Full-width characters typed with Chinese IMEs are folded to ASCII (NFKC), surrounding
    whitespace is stripped and a lowercase x becomes X. Checks run from the most specific
    diagnosis to the least: format, region, birth date, then the check digit.
    """
    if not isinstance(value, str):
        raise InvalidIdNumber("format", MESSAGE_FORMAT)
    number = unicodedata.normalize("NFKC", value).strip().upper()
    if not _SHAPE.fullmatch(number):
        raise InvalidIdNumber("format", MESSAGE_FORMAT)
    if number[:2] not in PROVINCE_CODES:
        raise InvalidIdNumber("region", MESSAGE_REGION)
    try:
        birth_date = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber("birth_date", MESSAGE_DATE_UNREAL) from None
    if birth_date > (today or timezone.localdate()):
        raise InvalidIdNumber("birth_date", MESSAGE_DATE_FUTURE)
    if birth_date < EARLIEST_BIRTH_DATE:
        raise InvalidIdNumber("birth_date", MESSAGE_DATE_TOO_EARLY)
    if check_digit(number[:17]) != number[17]:
        raise InvalidIdNumber("checksum", MESSAGE_CHECKSUM)
    sex = MALE if int(number[16]) % 2 else FEMALE
    return ResidentId(number=number, area_code=number[:6], birth_date=birth_date, sex=sex)


def validate_resident_id(value: str) -> None:
    """Django validator for model and form fields: ``validators=[validate_resident_id]``."""
    try:
        parse_resident_id(value)
    except InvalidIdNumber as exc:
        raise ValidationError(exc.message, code=exc.code) from exc
