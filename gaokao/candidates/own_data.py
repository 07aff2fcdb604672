"""The candidate's own data (考生本人填报的信息: S6, O4, R2.1, R2.5): what a candidate may
change about themselves, its checks, its window, and the one function that writes it.

The candidate in the portal (save_candidate_data, with the confirmation password) and point
staff keying in a paper draft form (E4, E5, gaokao.client.services) both write through
write_data, after checking who they are; changes from the point client are checked by the
same clean_* functions when they reach the server (gaokao.sync).
"""

import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.candidates import changes
from gaokao.candidates.confirmation import check_confirmation
from gaokao.candidates.errors import DataRefused, IntakeRefused
from gaokao.candidates.history import label
from gaokao.candidates.models import Candidate, Stage
from gaokao.candidates.rows import replace_rows
from gaokao.candidates.services import _locked, window_for_track
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


def data_window(candidate: Candidate) -> str:
    """The phase the candidate may change their data in: main registration (R2.1), or the
    gaokao-youth registration for the youth track (R2.5)."""
    return window_for_track(candidate.subject_track)


def may_change_data(candidate: Candidate, at=None, request: HttpRequest | None = None) -> bool:
    """While the candidate's window is open and the point has not submitted the record.

    Given the `request`, the window's answer is kept for the rest of that request (a page
    and the save it makes ask it twice): read once per request, never across requests."""
    if candidate.stage != Stage.POINT:
        return False
    memo = getattr(request, "_own_data_windows", None) if at is None and request else None
    key = (candidate.season_id, candidate.subject_track, candidate.point.county_id)
    if memo is not None and key in memo:
        return memo[key]
    try:
        kind = data_window(candidate)
    except IntakeRefused:
        answer = False
    else:
        answer = candidate.season.is_open(kind, candidate.point.county, at)
    if at is None and request is not None:
        request._own_data_windows = {**(memo or {}), key: answer}
    return answer


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


def save_candidate_data(
    candidate: Candidate,
    *,
    version: int,
    data: dict[str, Any],
    resume: list[dict[str, Any]],
    family: list[dict[str, Any]],
    confirmation_password: str,
    by_request: HttpRequest | None = None,
) -> Candidate:
    """S6: the candidate saves their own data, during their window only, each save confirmed
    with the confirmation password (O5). A refusal (a CandidateRefused) saves nothing.

    The password is checked outside the saving transaction so that a failure is counted
    even though nothing is saved."""
    candidate = Candidate.objects.select_related("season", "point__county__parent__parent").get(
        pk=candidate.pk
    )
    if not may_change_data(candidate, request=by_request):
        raise DataRefused(
            _("Registration is closed: your data can no longer be changed."), code="window_closed"
        )
    check_confirmation(candidate, confirmation_password, by_request)
    current = write_data(
        candidate,
        version=version,
        data=data,
        resume=resume,
        family=family,
        request=by_request,
        label=label(candidate.registration_number),
    )
    current.refresh_from_db()
    return current


def write_data(
    candidate: Candidate,
    *,
    version: int,
    data: dict[str, Any],
    resume: list[dict[str, Any]],
    family: list[dict[str, Any]],
    from_paper: bool = False,
    **who: Any,
) -> Candidate:
    """Check and write the candidate's own data with its résumé and family rows in one
    transaction (the row locked, `version` checked), audited with what changed. Whoever
    saves — the candidate, or point staff keying in a paper form (`from_paper`) — has
    been checked by the caller and is named in `who` (request, label or actor)."""
    with transaction.atomic():
        current = _locked(candidate, version)
        cleaned, resume_rows, family_rows = _clean_all(data, resume, family)
        before_rows = saved_rows(current)
        before = {k: getattr(current, k) for k in DATA_FIELDS if getattr(current, k) != cleaned[k]}
        after = {k: cleaned[k] for k in before}
        if before_rows[0] != resume_rows:
            before["resume"], after["resume"] = before_rows[0], resume_rows
        if before_rows[1] != family_rows:
            before["family"], after["family"] = before_rows[1], family_rows
        for name, value in cleaned.items():
            setattr(current, name, value)
        fields = [*DATA_FIELDS, "data_saved_at", "version", "updated_at"]
        if from_paper:
            current.keyed_from_paper = True
            fields.append("keyed_from_paper")
        current.data_saved_at = timezone.now()
        current.version = F("version") + 1
        replace_rows(current.pk, resume=resume_rows, family=family_rows)
        current.save(update_fields=fields)
        changes.candidate_changed(current.pk)  # the point client's outbox, if one listens
        extra = {"keyed_from_paper": True} if from_paper else {}
        record(
            Action.CANDIDATE_DATA_SAVED,
            unit=current.point,
            target=current,
            before=before,
            after=after,
            **who,
            **extra,
        )
    return current


def _clean_all(data, resume, family):
    """All three parts checked, so that every error is shown at once: field errors under
    the field's name, row errors under "resume" and "family"."""
    results, errors = {}, {}
    for part, step in (
        ("data", lambda: clean_data(data)),
        ("resume", lambda: clean_resume(resume)),
        ("family", lambda: clean_family(family)),
    ):
        try:
            results[part] = step()
        except DataRefused as e:
            errors.update(e.message_dict if hasattr(e, "error_dict") else {part: e.messages})
    if errors:
        raise DataRefused(errors, code="invalid")
    return results["data"], results["resume"], results["family"]
