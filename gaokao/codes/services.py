"""The province edits the code tables (代码表, E2, issue 19): adds a row, changes its name
or order, retires a row no longer in use and restores it. A code's value never changes
once it exists, as records hold it; a row is deleted only while nothing uses it (a row
added by mistake), and a retired row stays for the records that hold it. Every change is
an audit event with the diff, who and why (gaokao.audit.config)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gaokao.audit import config
from gaokao.codes.models import Code, Table
from gaokao.seasons import NoCurrentSeason, current

CODE_LIMIT = Code._meta.get_field("code").max_length
NAME_LIMIT = Code._meta.get_field("name").max_length

# Where each table's codes are kept, as (model label, field): named, not imported, as the
# records are the domain's (gaokao.candidates, gaokao.numbering) and the code tables are
# below it. A field that is a foreign key to Code counts by the code's row.
USED_IN: dict[str, list[tuple[str, str]]] = {
    Table.SEX: [("candidates.Candidate", "sex")],
    Table.ETHNICITY: [("candidates.Candidate", "ethnicity")],
    Table.POLITICAL_STATUS: [("candidates.Candidate", "political_status")],
    Table.CANDIDATE_CATEGORY: [("candidates.Candidate", "candidate_category")],
    Table.HOUSEHOLD_TYPE: [("candidates.Candidate", "household_type")],
    Table.GRADUATION_TYPE: [("candidates.Candidate", "graduation_type")],
    Table.SUBJECT_TRACK: [
        ("candidates.Candidate", "subject_track"),
        ("numbering.NumberRange", "subject_track"),
        ("codes.RegistrationFee", "subject_track"),
    ],
    Table.EXAM_TYPE: [],
    Table.FOREIGN_LANGUAGE: [("candidates.Candidate", "foreign_language")],
    Table.DOCUMENT_TYPE: [("candidates.Candidate", "document_type")],
    Table.DISABILITY_CATEGORY: [("candidates.Candidate", "disability_category")],
    Table.SCHOOL: [("candidates.Candidate", "school")],
}


class CodeRefused(ValidationError):
    """A change to a code table refused; messages by form field, shown as they are."""


def may_edit(user: Any) -> bool:
    """The code tables are the province's: its authority edits them, the authority of the
    current season's province once there is one."""
    if not (
        getattr(user, "is_authenticated", False)
        and user.is_active
        and getattr(user, "role", None) == "province"
    ):
        return False
    try:
        return current().province_id == user.region_id
    except NoCurrentSeason:
        return True


def _check(user: Any) -> None:
    if not may_edit(user):
        raise PermissionDenied("Only the province authority edits the code tables.")


def _by_code(model, field: str, table: str, codes: list[str] | None):
    """`{code: how many rows of model hold it}` for `field` (a code or a key to Code)."""
    if model._meta.get_field(field).is_relation:
        rows = model.objects.filter(**{f"{field}__table": table})
        key = f"{field}__code"
    else:
        rows = model.objects.exclude(**{field: ""})
        key = field
    if codes is not None:
        rows = rows.filter(**{f"{key}__in": codes})
    return dict(rows.values_list(key).annotate(n=Count("pk")).order_by())


def uses_by_code(table: str, codes: list[str] | None = None) -> dict[str, int]:
    """How many records hold each code of `table` (codes no record holds are left out)."""
    found: dict[str, int] = {}
    for label, field in USED_IN.get(table, []):
        for code, n in _by_code(apps.get_model(label), field, table, codes).items():
            found[code] = found.get(code, 0) + n
    return found


def table_rows(table: str) -> list[Code]:
    """The rows of `table`, retired ones too, each with `uses` (records holding it)."""
    rows = list(Code.objects.filter(table=table))
    uses = uses_by_code(table)
    for row in rows:
        row.uses = uses.get(row.code, 0)
    return rows


def table_summary() -> list[dict]:
    """Every table with its number of rows in use and retired."""
    counts = {
        (table, active): n
        for table, active, n in Code.objects.values_list("table", "is_active")
        .annotate(n=Count("pk"))
        .order_by()
    }
    return [
        {
            "table": Table(table),
            "in_use": counts.get((table, True), 0),
            "retired": counts.get((table, False), 0),
        }
        for table in Table.values
    ]


def _name(name: str, errors: dict) -> str:
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = [_("Give the code's name.")]
    elif len(name) > NAME_LIMIT:
        errors["name"] = [_("At most %(limit)d characters.") % {"limit": NAME_LIMIT}]
    return name


def add_code(
    table: str,
    code: str,
    name: str,
    *,
    sort_order: int | None = None,
    reason: str,
    by: Any,
    request: HttpRequest | None = None,
) -> Code:
    """A new row `code` `name` in `table`, in use, last unless `sort_order` is given."""
    _check(by)
    errors: dict[str, list[str]] = {}
    if table not in Table.values:
        raise ValueError(f"no such code table: {table}")
    code = (code or "").strip()
    if not code or len(code) > CODE_LIMIT or any(c.isspace() for c in code):
        errors["code"] = [
            _("A code is 1 to %(limit)d characters without spaces.") % {"limit": CODE_LIMIT}
        ]
    name = _name(name, errors)
    reason = config.reason_or_error(reason, errors)
    with transaction.atomic():
        existing = Code.objects.filter(table=table, code=code).first()
        if existing is not None and "code" not in errors:
            errors["code"] = [
                _("The table already has code %(code)s (%(name)s).")
                % {"code": code, "name": existing.name}
            ]
        if errors:
            raise CodeRefused(errors)
        if sort_order is None:
            last = Code.objects.filter(table=table).aggregate(m=Max("sort_order"))["m"]
            sort_order = (last or 0) + 10
        row = Code(table=table, code=code, name=name, sort_order=sort_order)
        config.save_audited(row, reason=reason, by=by, request=request)
    return row


def change_code(
    row: Code,
    *,
    name: str,
    sort_order: int,
    reason: str,
    by: Any,
    request: HttpRequest | None = None,
) -> dict[str, list]:
    """Give `row` another name or place in its table. Returns the diff (empty: nothing
    changed, nothing recorded)."""
    _check(by)
    errors: dict[str, list[str]] = {}
    name = _name(name, errors)
    reason = config.reason_or_error(reason, errors)
    if sort_order is None or sort_order < 0:
        errors["sort_order"] = [_("The order is a whole number, 0 or more.")]
    if errors:
        raise CodeRefused(errors)
    with transaction.atomic():
        row = Code.objects.select_for_update().get(pk=row.pk)
        before = config.snapshot(row)
        row.name, row.sort_order = name, sort_order
        return config.save_audited(row, reason=reason, by=by, request=request, before=before)


def set_in_use(
    row: Code, in_use: bool, *, reason: str, by: Any, request: HttpRequest | None = None
) -> dict[str, list]:
    """Retire `row` (no longer offered on any form; the records holding it keep it) or
    restore it. Returns the diff (empty: it already was so)."""
    _check(by)
    errors: dict[str, list[str]] = {}
    reason = config.reason_or_error(reason, errors)
    if errors:
        raise CodeRefused(errors)
    with transaction.atomic():
        row = Code.objects.select_for_update().get(pk=row.pk)
        before = config.snapshot(row)
        row.is_active = in_use
        return config.save_audited(row, reason=reason, by=by, request=request, before=before)


def delete_code(row: Code, *, reason: str, by: Any, request: HttpRequest | None = None) -> None:
    """Delete `row`, which no record may hold: one that records hold is refused, with how
    many, so that it is retired instead."""
    _check(by)
    errors: dict[str, list[str]] = {}
    reason = config.reason_or_error(reason, errors)
    with transaction.atomic():
        row = Code.objects.select_for_update().get(pk=row.pk)
        n = uses_by_code(row.table, [row.code]).get(row.code, 0)
        if n:
            errors[None] = [
                ngettext(
                    "%(n)d record holds code %(code)s (%(name)s): it cannot be deleted. "
                    "Retire it instead; the records keep it.",
                    "%(n)d records hold code %(code)s (%(name)s): it cannot be deleted. "
                    "Retire it instead; the records keep it.",
                    n,
                )
                % {"n": n, "code": row.code, "name": row.name}
            ]
        if errors:
            raise CodeRefused({k or "__all__": v for k, v in errors.items()})
        config.delete_audited(row, reason=reason, by=by, request=request)
