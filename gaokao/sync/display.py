"""A conflict's values as people read them, field by field: labels, yuan, yes/no, code
names, rows. Used by the office web's conflict pages and by the point client's."""

from __future__ import annotations

from typing import Any

from django.utils.text import capfirst
from django.utils.translation import gettext as _

from gaokao.candidates.models import Candidate, EligibilityResult
from gaokao.candidates.own_data import CODE_FIELDS
from gaokao.codes.models import Code
from gaokao.sync.fields import ROW_FIELDS, SYNC_FIELDS


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
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):  # résumé or family rows
        return "; ".join(" ".join(v for v in row.values() if v) for row in value) or "—"
    if name == "fee_fen" and isinstance(value, int):
        return f"{value / 100:.2f}"
    if name == "eligibility" and value in EligibilityResult.values:
        return str(EligibilityResult(value).label)
    if name in CODE_FIELDS:
        found = codes.get((CODE_FIELDS[name], value))
        return f"{value} {found}" if found else str(value)
    return str(value)


def value_rows(point: dict, now: dict, then: dict | None = None) -> list[dict[str, Any]]:
    """Field by field: the point's value, the server's now, and (if known) the server's
    when the change arrived."""
    wanted = {
        (CODE_FIELDS[n], v)
        for values in (point, now, then or {})
        for n, v in values.items()
        if n in CODE_FIELDS and v
    }
    codes = {}
    if wanted:
        tables = {t for t, _v in wanted}
        for c in Code.objects.filter(table__in=tables, code__in={v for _t, v in wanted}):
            codes[(c.table, c.code)] = c.name
    labels, rows = field_labels(), []
    for name, point_value in point.items():
        row = {
            "name": name,
            "label": labels.get(name, name),
            "point": shown(name, point_value, codes),
            "now": shown(name, now.get(name), codes),
            "differs": point_value != now.get(name),
            "moved": False,
        }
        if then is not None:
            row["then"] = shown(name, then.get(name), codes)
            row["moved"] = then.get(name) != now.get(name)
        rows.append(row)
    return rows
