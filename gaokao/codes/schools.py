"""The province's school list (毕业学校): a code table whose rows carry their county.

The province loads it from a CSV file with the columns `code,name,county` (school code as
exchanged with the national system, full name, six-digit county code). Loading is all or
nothing: a file with any bad row changes nothing and every bad row is reported. Loading the
same file again changes nothing; schools missing from a later file stay (old records keep
their school) and are only counted.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from gaokao.codes.models import Code, Table
from gaokao.regions.models import Region

COLUMNS = ("code", "name", "county")
_CODE = re.compile(r"[0-9A-Za-z]{1,10}")
NAME_LIMIT = 60


class SchoolFileError(Exception):
    """The file as a whole cannot be read (not CSV, missing columns)."""


@dataclass
class SchoolImport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    not_in_file: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def saved(self) -> bool:
        return not self.errors and not self.dry_run


def _read(source: Path | str | bytes) -> list[dict[str, str]]:
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SchoolFileError(_("The file is not UTF-8 text.")) from None
    reader = csv.DictReader(io.StringIO(text))
    try:
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise SchoolFileError(
                _("The file lacks the columns: %(columns)s.") % {"columns": ", ".join(missing)}
            )
        return list(reader)
    except csv.Error as e:  # e.g. a cell beyond the csv module's field limit
        raise SchoolFileError(_("The file cannot be read as a CSV table.")) from e


@transaction.atomic
def import_schools(source: Path | str | bytes, *, dry_run: bool = False) -> SchoolImport:
    rows = _read(source)
    report = SchoolImport(dry_run=dry_run)
    counties = set(Region.objects.filter(level=Region.Level.COUNTY).values_list("code", flat=True))
    existing = {c.code: c for c in Code.objects.filter(table=Table.SCHOOL)}
    seen: set[str] = set()
    changes: list[tuple[str, str, str]] = []
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        code, name, county = ((row.get(c) or "").strip() for c in COLUMNS)
        problem = None
        if not _CODE.fullmatch(code):
            problem = _("school code “%(code)s”: one to ten letters or digits") % {"code": code}
        elif code in seen:
            problem = _("school code %(code)s appears twice in the file") % {"code": code}
        elif not name or len(name) > NAME_LIMIT or not name.isprintable():
            problem = _(
                "school %(code)s: the name must have 1 to %(limit)d printable characters"
            ) % {"code": code, "limit": NAME_LIMIT}
        elif county not in counties:
            problem = _("school %(code)s: “%(county)s” is not a county code") % {
                "code": code,
                "county": county,
            }
        if problem:
            report.errors.append((line, problem))
            continue
        seen.add(code)
        school = existing.get(code)
        if school is None:
            report.created += 1
        elif (school.name, school.attrs.get("county"), school.is_active) == (name, county, True):
            report.unchanged += 1
            continue
        else:
            report.updated += 1
        changes.append((code, name, county))
    report.not_in_file = len(set(existing) - seen)
    if report.saved:
        for code, name, county in changes:
            Code.objects.update_or_create(
                table=Table.SCHOOL,
                code=code,
                defaults={"name": name, "attrs": {"county": county}, "is_active": True},
            )
    return report


def school_choices(first_county: Region | None = None) -> list:
    """Active schools grouped by county ("长沙市 芙蓉区"), the candidate's county first."""
    schools = sorted(
        Code.objects.of(Table.SCHOOL), key=lambda s: (s.attrs.get("county", ""), s.code)
    )
    regions = {
        r.code: r
        for r in Region.objects.filter(
            code__in={s.attrs.get("county") for s in schools}
        ).select_related("parent")
    }
    groups = []
    for county, members in groupby(schools, key=lambda s: s.attrs.get("county", "")):
        region = regions.get(county)
        label = f"{region.parent.name} {region.name}" if region and region.parent else county
        groups.append((county, (label, [(s.code, s.name) for s in members])))
    if first_county is not None:
        groups.sort(key=lambda g: g[0] != first_county.code)
    return [("", "—"), *(group for _county, group in groups)]
