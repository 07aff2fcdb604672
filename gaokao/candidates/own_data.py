"""The candidate's own data (考生本人填报的信息: S6, O4): what a candidate may change about
themselves and its checks (clean_*).

Whoever changes it — the candidate in the portal, point staff keying in a paper draft form
(E4, E5), the point client — goes through the one change path
(gaokao.candidates.change_path), which decides the window, who and the stage, checks the
values with the clean_* functions here and writes them; changes from the point client are
checked by the same functions when they reach the server (gaokao.sync.validation).
"""

import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gaokao.candidates.errors import DataRefused
from gaokao.candidates.models import Candidate
from gaokao.codes.models import Code, Table, validate_code
from gaokao.lib.idnumber import InvalidIdNumber, parse_resident_id
from gaokao.lib.text import clean_text

# Code-table fields, and the table each is checked against.
CODE_FIELDS = {
    "political_status": Table.POLITICAL_STATUS,
    "candidate_category": Table.CANDIDATE_CATEGORY,
    "household_type": Table.HOUSEHOLD_TYPE,
    "graduation_type": Table.GRADUATION_TYPE,
    "foreign_language": Table.FOREIGN_LANGUAGE,
    "disability_category": Table.DISABILITY_CATEGORY,
    "school": Table.SCHOOL,
}
# Free text: the longest allowed, and whether line breaks are kept.
TEXT_FIELDS = {
    "accommodations": (200, False),
    "specialties": (500, True),
    "awards": (500, True),
}
FORMATTED_FIELDS = ("household_region", "student_number", "proficiency_number", "mobile", "phone")
# Everything a candidate may change about themselves. Identity, track, number, point checks
# and credentials are not among them, whatever a request carries. No mailing address,
# postcode or recipient exists (O4).
DATA_FIELDS = (*CODE_FIELDS, *TEXT_FIELDS, *FORMATTED_FIELDS)
RESUME_FIELDS = {"start": 7, "end": 7, "school_or_employer": 60, "role": 30}
FAMILY_FIELDS = {"name": 20, "relation": 10, "employer": 60, "phone": 20}
MAX_ROWS = 12

_REGION = re.compile(r"[0-9]{6}")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_PHONE = re.compile(r"[0-9][0-9-]{0,19}")
_DIGITS = re.compile(r"[0-9]{1,20}")
_STUDENT_L = re.compile(r"L[0-9A-Z]{18}")
_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


def _too_long(limit: int):
    return _("At most %(limit)d characters.") % {"limit": limit}


def clean_data(data: dict[str, Any]) -> dict[str, str]:
    """The candidate's data, normalised and checked; DataRefused maps fields to errors."""
    cleaned, errors = {}, {}
    given = {name: clean_text(data.get(name)) for name in CODE_FIELDS}
    # Every code given, checked in one query; validate_code words the refusals.
    known = {
        (table, code): attrs
        for table, code, attrs in Code.objects.filter(
            is_active=True,
            table__in=[CODE_FIELDS[name] for name, value in given.items() if value],
            code__in=[value for value in given.values() if value],
        ).values_list("table", "code", "attrs")
    }
    for name, table in CODE_FIELDS.items():
        value = given[name]
        if value and (table, value) not in known:
            try:
                validate_code(table, value)
            except ValidationError as e:
                errors[name] = e.messages
        cleaned[name] = value
    for name, (limit, multiline) in TEXT_FIELDS.items():
        cleaned[name] = clean_text(data.get(name), multiline=multiline)
        if len(cleaned[name]) > limit:
            errors[name] = [_too_long(limit)]
    for name in FORMATTED_FIELDS:
        cleaned[name] = unicodedata.normalize("NFKC", clean_text(data.get(name))).upper()
    checks = {
        "household_region": (
            _REGION.fullmatch,
            _("Enter the six-digit county code (GB/T 2260) of your household registration."),
        ),
        "mobile": (_MOBILE.fullmatch, _("Enter a mainland mobile number: 11 digits from 13–19.")),
        "phone": (_PHONE.fullmatch, _("Digits and dashes only, at most 20.")),
        "proficiency_number": (_DIGITS.fullmatch, _("Digits only, at most 20.")),
        "student_number": (
            _valid_student_number,
            _("A student number is G and your ID number, or L and 18 letters or digits."),
        ),
    }
    for name, (valid, message) in checks.items():
        if cleaned[name] and not valid(cleaned[name]):
            errors[name] = [message]
    category, household = cleaned["candidate_category"], cleaned["household_type"]
    if category and household and "candidate_category" not in errors:
        implied = known.get((Table.CANDIDATE_CATEGORY, category))
        if implied is None:  # activated since the query above
            implied = Code.objects.of(Table.CANDIDATE_CATEGORY).get(code=category).attrs
        if implied.get("household_type") not in (None, household):
            errors["household_type"] = [
                _("The household type does not agree with the candidate category.")
            ]
    if errors:
        raise DataRefused(errors)
    return cleaned


def _valid_student_number(value: str) -> bool:
    if value.startswith("G"):
        try:
            parse_resident_id(value[1:])
        except InvalidIdNumber:
            return False
        return len(value) == 19
    return bool(_STUDENT_L.fullmatch(value))


def clean_rows(
    rows: list[dict[str, Any]], limits: dict[str, int], required: tuple[str, ...], what: str
) -> list[dict[str, str]]:
    """Rows with every field empty are dropped; the others are checked."""
    cleaned, errors = [], []
    for row in rows:
        values = {name: clean_text(row.get(name)) for name in limits}
        if not any(values.values()):
            continue
        number = len(cleaned) + 1
        for name, limit in limits.items():
            if len(values[name]) > limit:
                errors.append(
                    _("%(what)s row %(n)d: %(error)s")
                    % {"what": what, "n": number, "error": _too_long(limit)}
                )
        if any(not values[name] for name in required):
            errors.append(
                _("%(what)s row %(n)d: fill in the required columns.") % {"what": what, "n": number}
            )
        cleaned.append(values)
    if len(cleaned) > MAX_ROWS:
        errors.append(_("%(what)s: at most %(n)d rows.") % {"what": what, "n": MAX_ROWS})
    if errors:
        raise DataRefused(errors)
    return cleaned


def clean_resume(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    what = _("Résumé")
    cleaned = clean_rows(rows, RESUME_FIELDS, ("start", "school_or_employer"), what)
    errors = []
    for n, row in enumerate(cleaned, 1):
        months = [row[k] for k in ("start", "end") if row[k]]
        if not all(_MONTH.fullmatch(m) for m in months):
            errors.append(
                _("%(what)s row %(n)d: months are written YYYY-MM.") % {"what": what, "n": n}
            )
        elif row["end"] and row["end"] < row["start"]:
            errors.append(
                _("%(what)s row %(n)d: it ends before it starts.") % {"what": what, "n": n}
            )
    if errors:
        raise DataRefused(errors)
    return cleaned


def clean_family(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    what = _("Family members")
    cleaned = clean_rows(rows, FAMILY_FIELDS, ("name", "relation"), what)
    for n, row in enumerate(cleaned, 1):
        if row["phone"] and not _PHONE.fullmatch(row["phone"]):
            raise DataRefused(
                _("%(what)s row %(n)d: digits and dashes only in the phone.")
                % {"what": what, "n": n}
            )
    return cleaned


def saved_rows(candidate: Candidate) -> tuple[list[dict], list[dict]]:
    """The résumé and family rows as saved, for the form and the proofreading view."""
    resume = list(candidate.resume.order_by("order", "pk").values(*RESUME_FIELDS))
    family = list(candidate.family.order_by("order", "pk").values(*FAMILY_FIELDS))
    return resume, family
