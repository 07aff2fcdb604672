"""Importing physical exams, proficiency results and policy bonuses (S10).

These data are collected by their own prescribed channels; the offices upload the files
they receive. Every kind goes through one engine: the file is read with
`gaokao.lib.spreadsheet.read_rows` (CSV in UTF-8 or GBK, or XLSX; the first row names the
columns), every row is checked, and the report says per row what would happen (create,
update, unchanged) or every problem it has. A dry run is the report only. An import applies
all rows in one transaction, and only if no row has a problem: all or nothing. Importing the
same file again finds every row unchanged and writes nothing but the one summary event.

Who may import: the province and the city offices, for the candidates of their
jurisdiction. The files come from the provincial proficiency exam, the city-organised
physical exams and the bonus reviews that the cities confirm; a county reviews bonus
applications, so it does not also write the final value. Counties read the imported data of
their candidates. Registration points see none of it: a physical exam is health data, and
the point's work (intake, checks, printing) does not need it. Imports are not stopped by a
candidate's submission stage: the data is the offices' own, not the registration record.

The files' columns are in gaokao.results.formats.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaokao.accounts.models import Role
from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.candidates.models import Candidate
from gaokao.lib.spreadsheet import Row, SpreadsheetError, read_rows
from gaokao.privacy.lookups import index_matches
from gaokao.results import cells
from gaokao.results.formats import (
    BONUS,
    ID_NUMBER,
    KINDS,
    PHYSICAL,
    PROFICIENCY,
    REGISTRATION_NUMBER,
    Kind,
    headers,
)
from gaokao.results.models import PendingImport, PhysicalExam
from gaokao.seasons import current
from gaokao.seasons.models import Season

IMPORTERS = {
    PHYSICAL: frozenset({Role.PROVINCE, Role.CITY}),
    PROFICIENCY: frozenset({Role.PROVINCE, Role.CITY}),
    BONUS: frozenset({Role.PROVINCE, Role.CITY}),
}
READERS = frozenset({Role.PROVINCE, Role.CITY, Role.COUNTY})
KEEP_HOURS = 2  # a checked file waits this long for its confirmation
CHUNK = 500  # rows per query or bulk write (SQLite allows 999 variables in old builds)


class ImportRefused(ValidationError):
    """A refusal whose message is shown to staff as it is."""


def may_import(user: Any, kind: str) -> bool:
    return getattr(user, "role", None) in IMPORTERS.get(kind, ())


def kinds_for(user: Any) -> list[Kind]:
    return [k for code, k in KINDS.items() if may_import(user, code)]


# ── the report ─────────────────────────────────────────────────────────────────────────

CREATE, UPDATE, UNCHANGED, PROBLEM = "create", "update", "unchanged", "problem"


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class RowReport:
    line: int
    registration_number: str
    action: str = PROBLEM
    what: str = ""  # the record within the candidate's: the subject, the kind of bonus
    problems: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)


@dataclass
class ImportReport:
    kind: Kind
    filename: str
    sha256: str
    dry_run: bool
    rows: list[RowReport] = field(default_factory=list)
    file_error: str = ""
    ignored_columns: list[str] = field(default_factory=list)
    saved: bool = False

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {a: self.count(a) for a in (CREATE, UPDATE, UNCHANGED, PROBLEM)}

    @property
    def ok(self) -> bool:
        return not self.file_error and bool(self.rows) and not self.count(PROBLEM)


# ── the engine ─────────────────────────────────────────────────────────────────────────


@dataclass
class _Plan:
    """What an import would write: new and changed records, and per candidate the
    before/after for the audit trail."""

    sha256: str
    by: Any
    now: dt.datetime
    fields: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # field → the file's header
    creates: list[models.Model] = field(default_factory=list)
    updates: list[models.Model] = field(default_factory=list)
    audit: dict[Candidate, list[dict]] = field(default_factory=dict)


def _plain(value: Any) -> Any:
    """A stored value as JSON for the audit trail."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def _shown(model: type[models.Model], name: str, value: Any) -> str:
    """A stored value as people read it: a choice's label, a number without trailing 0s."""
    if value is None or value == "":
        return ""
    return str(_choices(model, name).get(value, _plain(value)))


@functools.cache
def _choices(model: type[models.Model], name: str) -> dict:
    return dict(model._meta.get_field(name).flatchoices)


def _registration_number(value: str) -> str | None:
    number = cells.normalised(value)
    if not (number.isascii() and number.isdigit()):
        return None
    if 5 <= len(number) < 8:
        number = number.zfill(8)  # a spreadsheet shows 01100001 as the number 1100001
    return number if len(number) == 8 else None


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _candidates(user: Any, season: Season, numbers: set[str], *, lock: bool) -> dict:
    """The user's candidates of the season by registration number. An import locks their
    rows in a fixed order, so that two imports for the same candidates run one after the
    other instead of both creating the same record."""
    found = {}
    for chunk in _chunks(sorted(numbers)):
        qs = (
            Candidate.objects.visible_to(user)
            .filter(season=season, registration_number__in=chunk)
            .select_related("point__county")
            .only("registration_number", "id_number_index", "name", "point__county")
        )
        if lock:
            qs = qs.select_for_update(of=("self",)).order_by("pk")
        found.update({c.registration_number: c for c in qs})
    return found


def _existing(kind: Kind, candidates: Iterable[Candidate]) -> dict:
    found = {}
    for chunk in _chunks([c.pk for c in candidates]):
        for obj in kind.model.objects.filter(candidate_id__in=chunk):
            found[(obj.candidate_id, *(getattr(obj, k) for k in kind.key))] = obj
    return found


def _identify(row: Row, report: RowReport, candidates: dict) -> Candidate | None:
    """The row's candidate, or None with the problem in the report."""
    number = _registration_number(row.cells.get(REGISTRATION_NUMBER, ""))
    if number is None:
        report.problems.append(
            _("报名号: “%(value)s” is not an 8-digit registration number")
            % {"value": report.registration_number}
        )
        return None
    report.registration_number = number
    candidate = candidates.get(number)
    if candidate is None:
        # The same answer for a number that does not exist and for one outside the
        # user's jurisdiction: the report must not tell them apart.
        report.problems.append(
            _("报名号 %(number)s: no candidate of this season in your jurisdiction has it")
            % {"number": number}
        )
        return None
    given = cells.normalised(row.cells.get(ID_NUMBER, "")).upper()
    # Compared through the blind index: the number itself is not even decrypted.
    if given and not index_matches(given, candidate.id_number_index):
        report.problems.append(_("身份证号: not the document number of this candidate"))
    return candidate


def _check_rows(
    kind: Kind, header: list[str], rows: list[Row], plan: _Plan, *, season: Season, lock: bool
) -> list[RowReport]:
    present = [c for c in kind.column_list(season) if c.header in header]
    plan.fields = [c.field for c in present]
    plan.labels = {c.field: c.header for c in present}
    numbers = {_registration_number(r.cells.get(REGISTRATION_NUMBER, "")) for r in rows}
    candidates = _candidates(plan.by, season, numbers - {None}, lock=lock)
    existing = _existing(kind, candidates.values())
    seen: dict[tuple, int] = {}
    reports = []
    for row in rows:
        report = RowReport(row.line, cells.shown(row.cells.get(REGISTRATION_NUMBER, "")))
        reports.append(report)
        candidate = _identify(row, report, candidates)
        values: dict[str, Any] = {}
        for column in present:
            try:
                values[column.field] = column.read(row.cells.get(column.header, ""))
            except cells.CellError as e:
                report.problems.append(f"{column.header}: {e.message}")
        if len(values) == len(present):
            report.problems.extend(kind.check(values))
        key = tuple(values.get(k) for k in kind.key)
        report.what = "、".join(
            _shown(kind.model, k, v) for k, v in zip(kind.key, key, strict=True)
        )
        if candidate is not None and None not in key:
            first = seen.setdefault((candidate.pk, *key), row.line)
            if first != row.line:
                report.problems.append(
                    _("the same candidate%(what)s is already on line %(line)d")
                    % {"line": first, "what": f" ({report.what})" if report.what else ""}
                )
        if not report.problems:
            _plan_row(kind, plan, report, candidate, values, existing.get((candidate.pk, *key)))
    return reports


def _plan_row(
    kind: Kind,
    plan: _Plan,
    report: RowReport,
    candidate: Candidate,
    values: dict[str, Any],
    obj: models.Model | None,
) -> None:
    if obj is None:
        report.action = CREATE
        obj = kind.model(candidate=candidate, **values)
        changed = [(f, None, v) for f, v in values.items() if v not in (None, "")]
        plan.creates.append(obj)
    else:
        changed = [(f, getattr(obj, f), v) for f, v in values.items() if getattr(obj, f) != v]
        if not changed:
            report.action = UNCHANGED
            return
        report.action = UPDATE
        for name, _before, after in changed:
            setattr(obj, name, after)
        plan.updates.append(obj)
    obj.source_sha256, obj.imported_at, obj.imported_by = plan.sha256, plan.now, plan.by
    report.changes = [
        Change(plan.labels[f], _shown(kind.model, f, b), _shown(kind.model, f, a))
        for f, b, a in changed
    ]
    entry: dict[str, Any] = {"line": report.line, "action": report.action}
    if kind.key:
        entry["record"] = {k: values[k] for k in kind.key}
    entry["changes"] = {f: [_plain(b), _plain(a)] for f, b, a in changed}
    plan.audit.setdefault(candidate, []).append(entry)


def _write(kind: Kind, plan: _Plan, report: ImportReport, request) -> None:
    meta = ["source_sha256", "imported_at", "imported_by"]
    try:
        with transaction.atomic():
            kind.model.objects.bulk_create(plan.creates, batch_size=CHUNK)
            kind.model.objects.bulk_update(plan.updates, [*plan.fields, *meta], batch_size=CHUNK)
    except IntegrityError as e:  # pragma: no cover - the candidate locks make this rare
        raise ImportRefused(
            _(
                "Someone else imported data for these candidates at the same moment. "
                "Check the file again."
            )
        ) from e
    # Per candidate, the event belongs to its county: the offices above see it, the point
    # does not (physical exams are health data).
    for candidate, changes in plan.audit.items():
        record(
            Action.RESULTS_IMPORTED,
            actor=plan.by,
            request=request,
            unit=candidate.point.county,
            target=candidate,
            kind=kind.code,
            sha256=plan.sha256,
            rows=changes,
        )
    record(
        Action.RESULTS_IMPORTED,
        actor=plan.by,
        request=request,
        target=report.filename[:200],
        kind=kind.code,
        sha256=plan.sha256,
        filename=report.filename,
        rows=len(report.rows),
        created=report.count(CREATE),
        updated=report.count(UPDATE),
        unchanged=report.count(UNCHANGED),
    )


def run_import(
    kind_code: str,
    data: bytes,
    filename: str,
    *,
    by: Any,
    dry_run: bool,
    request=None,
    season: Season | None = None,
) -> ImportReport:
    """Check every row of the file; unless `dry_run`, write all of them or none.

    Returns the report; `report.saved` says whether anything was imported. A file that
    cannot be read at all gives a report with `file_error`."""
    kind = KINDS[kind_code]
    if not may_import(by, kind_code):
        raise ImportRefused(
            _("Your office does not import %(kind)s.") % {"kind": str(kind.label).lower()}
        )
    sha256 = hashlib.sha256(data).hexdigest()
    report = ImportReport(kind, filename, sha256, dry_run)
    required = (REGISTRATION_NUMBER, *(c.header for c in kind.column_list() if c.required))
    try:
        header, rows = read_rows(data, filename, required=required)
    except SpreadsheetError as e:
        report.file_error = str(e)
        return report
    if not rows:
        report.file_error = _("The file has no rows below its header.")
        return report
    known = set(headers(kind))
    report.ignored_columns = [h for h in header if h and h not in known]
    # Only the import needs a transaction: on SQLite one takes the write lock at its start,
    # and a dry run must not hold up everyone else's saves while it reads a large file.
    with contextlib.nullcontext() if dry_run else transaction.atomic():
        season = season or current()
        plan = _Plan(sha256, by, timezone.now())
        report.rows = _check_rows(kind, header, rows, plan, season=season, lock=not dry_run)
        if dry_run or not report.ok:
            return report
        _write(kind, plan, report, request)
        report.saved = True
    return report


def import_physical_exams(data: bytes, filename: str, **kwargs) -> ImportReport:
    """体检: one row per candidate (see the module's docstring for the columns)."""
    return run_import(PHYSICAL, data, filename, **kwargs)


def import_proficiency_results(data: bytes, filename: str, **kwargs) -> ImportReport:
    """学业水平考试成绩: one row per candidate and subject."""
    return run_import(PROFICIENCY, data, filename, **kwargs)


def import_policy_bonuses(data: bytes, filename: str, **kwargs) -> ImportReport:
    """照顾/加分: one row per candidate and kind, with its legal basis."""
    return run_import(BONUS, data, filename, **kwargs)


# ── a checked file waiting for the confirmation ────────────────────────────────────────


def hold(kind_code: str, data: bytes, filename: str, *, by: Any) -> PendingImport:
    """Keep the checked file server-side, so that the confirmation imports exactly the
    bytes that were checked without a second upload. Expired files of anyone go now."""
    PendingImport.objects.filter(uploaded_at__lt=timezone.now() - _keep()).delete()
    sha256 = hashlib.sha256(data).hexdigest()
    pending = PendingImport.objects.filter(kind=kind_code, sha256=sha256, uploaded_by=by).first()
    if pending is None:
        pending = PendingImport.objects.create(
            kind=kind_code, filename=filename[:200], sha256=sha256, data=data, uploaded_by=by
        )
    return pending


def _keep() -> dt.timedelta:
    return dt.timedelta(hours=KEEP_HOURS)


def import_held(pending: PendingImport, sha256: str, *, by: Any, request=None) -> ImportReport:
    """Import the file held for `by` after its dry run. `sha256` is the hash the person saw
    in the report; a file that is not the one checked, or waited too long, is refused."""
    if pending.uploaded_by_id != by.pk or pending.sha256 != sha256:
        raise ImportRefused(_("This is not the file you checked. Upload it again."))
    data = bytes(pending.data)
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ImportRefused(_("This is not the file you checked. Upload it again."))
    if pending.uploaded_at < timezone.now() - _keep():
        pending.delete()
        raise ImportRefused(
            _("The check is more than %(hours)d hours old. Upload the file again.")
            % {"hours": KEEP_HOURS}
        )
    report = run_import(pending.kind, data, pending.filename, by=by, dry_run=False, request=request)
    if report.saved:
        pending.delete()
    return report


# ── reading ────────────────────────────────────────────────────────────────────────────


def imported_data(candidate: Candidate) -> dict[str, Any]:
    """What was imported for one candidate (the caller has checked the jurisdiction)."""
    return {
        "physical_exam": PhysicalExam.objects.filter(candidate=candidate)
        .select_related("imported_by")
        .first(),
        "proficiency_results": list(
            candidate.proficiency_results.select_related("imported_by").order_by("subject")
        ),
        "policy_bonuses": list(candidate.policy_bonuses.select_related("imported_by")),
    }
