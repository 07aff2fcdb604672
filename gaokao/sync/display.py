"""A change's values as people read them, field by field: labels, yuan, yes/no, code
names instead of codes, masked ID numbers, times in local time, rows. Used by the office
web's conflict pages and by the point client's sync pages (issue 20: no raw codes, no full
ID number)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from gaokao.candidates.models import Candidate, EligibilityPath, EligibilityResult, IdentitySource
from gaokao.candidates.own_data import CODE_FIELDS
from gaokao.codes.models import Code, Table
from gaokao.privacy.masking import mask_id
from gaokao.sync.fields import ROW_FIELDS, SYNC_FIELDS, instant

# Fields whose values are codes of a code table, shown by the code's name.
CODED = {
    **CODE_FIELDS,
    "document_type": Table.DOCUMENT_TYPE,
    "sex": Table.SEX,
    "ethnicity": Table.ETHNICITY,
    "subject_track": Table.SUBJECT_TRACK,
}
# Fields whose values are the model's choices, shown by their labels.
CHOICES = {
    "eligibility": EligibilityResult,
    "identity_source": IdentitySource,
    "eligibility_path": EligibilityPath,
}
MASKED = frozenset({"id_number"})
TIMES = frozenset({"identity_verified_at"})


def field_labels() -> dict[str, str]:
    field = Candidate._meta.get_field
    labels = {
        name: capfirst(field(name).verbose_name) for name in SYNC_FIELDS if name not in ROW_FIELDS
    }
    return labels | {
        "fee_fen": _("Registration fee paid (yuan)"),
        "resume": _("Résumé"),
        "family": _("Family members"),
    }


def shown(name: str, value: Any, codes: dict) -> str:
    """One value as people read it; `codes` maps (table, code) to the code's name."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):  # résumé or family rows
        return "; ".join(" ".join(v for v in row.values() if v) for row in value) or "—"
    if name in MASKED:
        return mask_id(str(value))
    if name == "fee_fen" and isinstance(value, int):
        return f"{value / 100:.2f}"
    if name in TIMES:
        at = _time(value)
        return timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S") if at else str(value)
    if name in CHOICES and value in CHOICES[name].values:
        return str(CHOICES[name](value).label)
    if name in CODED:
        return codes.get((CODED[name], value)) or str(value)
    return str(value)


def _time(value: Any) -> dt.datetime | None:
    try:
        at = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return None
    return at if isinstance(at, dt.datetime) and timezone.is_aware(at) else None


def same(name: str, a: Any, b: Any) -> bool:
    """Whether two values of a field are equal, times at the one precision the sync API
    carries (milliseconds): a conflict recorded before times travelled in one form
    (gaokao.sync.fields.instant) shows no row that differs by microseconds."""
    if name in TIMES:
        first, second = _time(a), _time(b)
        if first and second:
            return instant(first) == instant(second)
    return a == b


def code_names(*values: dict) -> dict:
    """(table, code) → name of every coded value in `values`, in one query."""
    wanted = {(CODED[n], v) for d in values for n, v in d.items() if n in CODED and v}
    if not wanted:
        return {}
    found = Code.objects.filter(
        table__in={t for t, _v in wanted}, code__in={v for _t, v in wanted}
    ).values_list("table", "code", "name")
    return {(table, code): name for table, code, name in found}


def labelled(fields: dict) -> list[tuple[str, str]]:
    """A change's values under the fields' names, as people read them."""
    labels, codes = field_labels(), code_names(fields)
    return [(labels.get(name, name), shown(name, value, codes)) for name, value in fields.items()]


def value_rows(point: dict, now: dict, then: dict | None = None) -> list[dict[str, Any]]:
    """Field by field: the point's value, the server's now, and (if known) the server's
    when the change arrived."""
    codes = code_names(point, now, then or {})
    labels, rows = field_labels(), []
    for name, point_value in point.items():
        row = {
            "name": name,
            "label": labels.get(name, name),
            "point": shown(name, point_value, codes),
            "now": shown(name, now.get(name), codes),
            "differs": not same(name, point_value, now.get(name)),
            "moved": False,
        }
        if then is not None:
            row["then"] = shown(name, then.get(name), codes)
            row["moved"] = not same(name, then.get(name), now.get(name))
        rows.append(row)
    return rows
