"""The one change path (issue 19): every change to a candidate's record, whatever its
origin — the portal, the office web, a paper form keyed in, the point client, a sync push,
a disc bundle, a results import — is checked and written by `apply_change`. No other code
writes the candidate's own data or the point's checks.

What decides whether a change is allowed, each rule once, in this order:

1. jurisdiction: staff see the record (gaokao.regions.jurisdiction); a candidate only
   their own record ("not_visible");
2. the fields: each belongs to one group (GROUPS); identity and anything else is not
   changeable here ("not_changeable", corrections are issue 21);
3. who may change the group from that origin (MAY_CHANGE); an office above the point
   only with a `window_override` reason ("not_allowed", "no_override");
4. the record's stage (gaokao.candidates.stage.check_editable: `Locked`);
5. the window of the group for the record's county, extensions included (`window_of`,
   DataRefused "window_closed"), unless overridden; a paper form dated inside the window
   is taken late under an open incident of the point (gaokao.candidates.late_paper);
6. the confirmation password when the candidate makes the change (O5);
7. under the row lock: the version ("stale") and the values (gaokao.candidates.own_data's
   clean_*; the point checks' rules, fee table included: gaokao.candidates.point_checks).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import models, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.candidates import changes, late_paper
from gaokao.candidates.confirmation import check_confirmation
from gaokao.candidates.errors import CandidateRefused, DataRefused, IntakeRefused
from gaokao.candidates.history import label
from gaokao.candidates.models import Candidate, IdentitySource
from gaokao.candidates.own_data import (
    DATA_FIELDS,
    clean_data,
    clean_family,
    clean_resume,
    saved_rows,
)
from gaokao.candidates.point_checks import check_point_checks
from gaokao.candidates.rows import replace_rows
from gaokao.candidates.stage import check_editable, moment
from gaokao.codes.models import Code, Table
from gaokao.regions.jurisdiction import OFFICE_ROLES, active_role
from gaokao.seasons.models import PhaseKind


class Origin(models.TextChoices):
    """Where a change comes from."""

    PORTAL = "portal", gettext_lazy("portal")
    OFFICE = "office", gettext_lazy("office web")
    PAPER = "paper", gettext_lazy("paper form")
    CLIENT = "client", gettext_lazy("point client")
    SYNC = "sync", gettext_lazy("sync push")
    BUNDLE = "bundle", gettext_lazy("disc bundle")
    RESULTS = "results", gettext_lazy("results import")


@dataclass(frozen=True)
class Change:
    """One change to one record: `values` by field name ("resume" and "family": the whole
    list of rows), where it comes from, and the record's version it was based on."""

    values: dict[str, Any]  # field name -> new value; "resume" / "family" -> list of row dicts
    origin: str  # an Origin
    version: int | None  # the version the change was based on (None only for imports)
    keyed_at: datetime | None = None  # when it was keyed, for offline origins
    confirmation_password: str | None = None  # required when the candidate makes the change
    # A paper form keyed in after the window (gaokao.candidates.late_paper): the date on
    # the form and the open incident it is keyed in under.
    form_dated: date | None = None
    incident: int | None = None


# ── the table ──────────────────────────────────────────────────────────────────────────

OWN_DATA = "own_data"
POINT_CHECKS = "point_checks"
POINT_MARKS = "point_marks"
VERIFIED = "identity_verified_at"
ROWS = ("resume", "family")

# The groups of fields a change may touch. Identity (name, ID number, track, number...)
# is in none: corrections are not changes (issue 21).
GROUPS: dict[str, tuple[str, ...]] = {
    # The candidate's own data (S6, O4).
    OWN_DATA: (*DATA_FIELDS, *ROWS),
    # The point's checks (S5): documents, fee and receipt, eligibility and its note. The
    # form of their values is the callers' (gaokao.candidates.services.record_point_checks
    # for the office web, gaokao.sync.validation for the point client); their rules are
    # checked here, on the locked row (gaokao.candidates.point_checks).
    POINT_CHECKS: (
        "documents_received",
        "fee_fen",
        "fee_receipt",
        "eligibility",
        "eligibility_note",
    ),
    # How the point took the record: keyed in from a paper form (E4), the ID card read at
    # the point later (O3, S7). Sent by the point client with its other changes.
    POINT_MARKS: ("keyed_from_paper", VERIFIED),
}

GROUP_LABELS = {
    OWN_DATA: gettext_lazy("the candidate's own data"),
    POINT_CHECKS: gettext_lazy("the point's checks"),
    POINT_MARKS: gettext_lazy("how the point took the record"),
}

CANDIDATE = "candidate"  # the candidate themself, in MAY_CHANGE
# Who may change which group from which origin: the candidate, or the staff role. Offices
# above the point change none of these, except with a `window_override` reason
# (OVERRIDE_ROLES), and acting for the point: the record must still be at the point.
MAY_CHANGE: dict[str, dict[str, str]] = {
    OWN_DATA: {
        Origin.PORTAL: CANDIDATE,  # with the confirmation password
        Origin.PAPER: "point",  # a paper draft form keyed in (E4)
        Origin.CLIENT: "point",
        Origin.SYNC: "point",
        Origin.BUNDLE: "point",
    },
    POINT_CHECKS: {
        Origin.OFFICE: "point",
        Origin.CLIENT: "point",
        Origin.SYNC: "point",
        Origin.BUNDLE: "point",
    },
    POINT_MARKS: {
        Origin.CLIENT: "point",
        Origin.SYNC: "point",
        Origin.BUNDLE: "point",
    },
}
OVERRIDE_ROLES = OFFICE_ROLES  # county, city, province: within their jurisdiction

# The window each group is changeable in (the phase for the record, see window_of):
# the candidate's own data in the candidate's registration window (R2.1; R2.5 for the
# youth track), with the extensions granted to the record's county or above (E1-E3, E6);
# the point's checks in no window: they are held by the stage only (S9), as before.
WINDOWS: dict[str, str | None] = {
    OWN_DATA: "registration",
    POINT_CHECKS: None,
    POINT_MARKS: None,
}


def window_for_track(track_code: str) -> str:
    """Gaokao-youth (少年班) candidates register in their own window (R2.5); all others in
    the main registration (R2.1). The track's code-table row says which."""
    track = Code.objects.of(Table.SUBJECT_TRACK).filter(code=track_code).first()
    if track is None:
        raise IntakeRefused(
            _("%(code)s is not a subject track in use."), params={"code": track_code}
        )
    return PhaseKind.YOUTH if track.attrs.get("phase") == "youth" else PhaseKind.MAIN


def window_of(candidate: Candidate, group: str) -> str | None:
    """The phase (a PhaseKind) in which `group` of this record may be changed, or None if
    no window holds it. The one place to add per-level cut-offs (issue 19, item 3)."""
    if WINDOWS[group] is None:
        return None
    return window_for_track(candidate.subject_track)


def window_is_open(
    candidate: Candidate, group: str, at: datetime | None = None, request: HttpRequest | None = None
) -> bool:
    """Is the window of `group` open for the record's county at `at` (default now),
    extensions included? Given the `request`, the answer is kept for the rest of that
    request (a page and the save it makes ask it twice), never across requests."""
    memo = getattr(request, "_change_windows", None) if at is None and request else None
    key = (candidate.season_id, candidate.subject_track, candidate.point.county_id, group)
    if memo is not None and key in memo:
        return memo[key]
    try:
        kind = window_of(candidate, group)
    except IntakeRefused:
        answer = False
    else:
        answer = kind is None or candidate.season.is_open(kind, candidate.point.county, at)
    if at is None and request is not None:
        request._change_windows = {**(memo or {}), key: answer}
    return answer


def window_closed(
    candidate: Candidate, group: str, *, for_candidate: bool, at: datetime | None = None
) -> DataRefused:
    """The refusal of a closed window, naming the phase and its close (with the county's
    extension) in Asia/Shanghai; or its opening, if it has not opened yet."""
    try:
        kind = window_of(candidate, group)
    except IntakeRefused as e:
        return DataRefused(e.messages[0], code="window_closed")
    phase = candidate.season.phases.filter(kind=kind).first()
    if for_candidate:
        what = _("your data can no longer be changed.")
    else:
        what = _("the candidate's data can no longer be changed.")
    if phase is None:
        message = _("The season has no %(phase)s window: %(what)s") % {
            "phase": PhaseKind(kind).label,
            "what": what,
        }
    elif (at or timezone.now()) < phase.starts_at:
        message = _("%(phase)s opens on %(moment)s; nothing can be saved before.") % {
            "phase": PhaseKind(kind).label,
            "moment": moment(phase.starts_at),
        }
    else:
        message = _("%(phase)s closed on %(moment)s: %(what)s") % {
            "phase": PhaseKind(kind).label,
            "moment": moment(phase.ends_at_for(candidate.point.county)),
            "what": what,
        }
    return DataRefused(message, code="window_closed")


# ── checking ───────────────────────────────────────────────────────────────────────────


def groups_of(values: dict[str, Any]) -> list[str]:
    """The groups the values belong to; a field of none is refused."""
    others = [name for name in values if not any(name in f for f in GROUPS.values())]
    if others:
        raise CandidateRefused(
            _(
                "%(fields)s cannot be changed here: identity and registration details are"
                " corrected by the office, not changed."
            )
            % {"fields": ", ".join(sorted(others))},
            code="not_changeable",
        )
    return [group for group, fields in GROUPS.items() if set(fields) & values.keys()]


def _is_candidate(by: Any) -> bool:
    return isinstance(by, Candidate)


def _role(by: Any) -> str | None:
    return CANDIDATE if _is_candidate(by) else active_role(by)


def _check_visible(candidate: Candidate, by: Any) -> None:
    if _is_candidate(by):
        visible = by.pk == candidate.pk
    else:
        visible = Candidate.objects.visible_to(by).filter(pk=candidate.pk).exists()
    if not visible:
        raise CandidateRefused(_("This candidate is not in your jurisdiction."), code="not_visible")


def _check_who(group: str, origin: str, by: Any, window_override: str) -> str:
    """The role the change is made as (the table's), or the refusal."""
    allowed = MAY_CHANGE[group].get(origin)
    role = _role(by)
    if window_override.strip() and role not in OVERRIDE_ROLES:
        raise CandidateRefused(
            _(
                "Only a county, city or province office may make a change after the window"
                " with a reason."
            ),
            code="no_override",
        )
    if allowed is not None and role == allowed:
        return allowed
    if allowed == "point" and role in OVERRIDE_ROLES and window_override.strip():
        return allowed
    raise CandidateRefused(
        _("You may not change %(group)s from the %(origin)s.")
        % {"group": GROUP_LABELS[group], "origin": Origin(origin).label},
        code="not_allowed",
    )


def _check_stage(candidate: Candidate, role: str, at: datetime | None = None) -> None:
    check_editable(candidate, None if role == CANDIDATE else role, at)


def _check_version(current: Candidate, version: int | None) -> None:
    if version is not None and current.version != version:
        raise CandidateRefused(
            _(
                "Someone else changed this candidate a moment ago. Your input is kept below;"
                " check the current data and save again."
            ),
            code="stale",
        )


def refusal(
    candidate: Candidate,
    group: str,
    origin: str,
    *,
    by: Any,
    at: datetime | None = None,
    window_override: str = "",
    request: HttpRequest | None = None,
    _visible_checked: bool = False,
) -> CandidateRefused | None:
    """Why `by` may not change `group` of the record from `origin` now (jurisdiction, who,
    stage, window), or None: what a page asks before showing a form open."""
    try:
        if not _visible_checked:
            _check_visible(candidate, by)
        role = _check_who(group, origin, by, window_override)
        _check_stage(candidate, role, at)
    except CandidateRefused as e:
        return e
    if not window_override.strip() and not window_is_open(candidate, group, at, request):
        return window_closed(candidate, group, for_candidate=_is_candidate(by), at=at)
    return None


def may_change_data(candidate: Candidate, at=None, request: HttpRequest | None = None) -> bool:
    """While the candidate's window is open and the point has not submitted the record
    (the candidate's view; point staff keying in a paper form are held the same)."""
    return refusal(candidate, OWN_DATA, Origin.PORTAL, by=candidate, at=at, request=request) is None


def check_change(
    candidate, change: Change, *, by, at: datetime | None = None, window_override: str = ""
) -> None:
    """Raise the refusal that applies, write nothing. `at`: the moment the window is judged
    at (default now). A wrong confirmation password is audited and counted (O5)."""
    _check(candidate, change, by=by, at=at, window_override=window_override, request=None)


def _check(candidate, change, *, by, at, window_override, request) -> tuple[list[str], Any]:
    """The groups the change touches, and the incident a late paper form is taken under
    (None if none was needed)."""
    candidate = _fresh(candidate)
    _check_visible(candidate, by)
    if change.origin not in Origin.values:
        raise ValueError(f"Unknown origin of a change: {change.origin!r}")
    groups = groups_of(change.values)
    if not groups:
        raise CandidateRefused(_("Nothing to change."), code="empty")
    incident = None
    for group in groups:
        found = refusal(
            candidate,
            group,
            change.origin,
            by=by,
            at=at,
            window_override=window_override,
            request=request,
            _visible_checked=True,
        )
        if found is not None and _late_paper(found, group, change):
            incident = late_paper.check_late_form(
                candidate,
                window_of(candidate, group),
                form_dated=change.form_dated,
                incident=change.incident,
                at=at,
            )
        elif found is not None:
            raise found
    if _is_candidate(by):
        check_confirmation(candidate, change.confirmation_password or "", request)
    _check_version(candidate, change.version)
    return groups, incident


def _late_paper(found: CandidateRefused, group: str, change: Change) -> bool:
    """A paper form that says it is late (its date, an incident) after the window closed."""
    return (
        getattr(found, "code", None) == "window_closed"
        and group == OWN_DATA
        and change.origin == Origin.PAPER
        and (change.form_dated is not None or change.incident is not None)
    )


def _fresh(candidate: Candidate) -> Candidate:
    return Candidate.objects.select_related("season", "point__county__parent__parent").get(
        pk=candidate.pk
    )


# ── writing ────────────────────────────────────────────────────────────────────────────


def apply_change(
    candidate,
    change: Change,
    *,
    by,
    request=None,
    at: datetime | None = None,
    window_override: str = "",
) -> Candidate:
    """check_change, then write with the row lock and the version check, the audit record
    (what changed, before/after, the origin) and the candidate-visible history, and tell
    the outbox listener (gaokao.candidates.changes). Returns the candidate as saved.

    The confirmation password is checked outside the writing transaction, so that a
    failure is counted although nothing is saved."""
    groups, incident = _check(
        candidate, change, by=by, at=at, window_override=window_override, request=request
    )
    role = _check_who(groups[0], change.origin, by, window_override)
    with transaction.atomic():
        current = (
            Candidate.objects.select_related("season", "point__county")
            .select_for_update(of=("self",))
            .get(pk=candidate.pk)
        )
        _check_stage(current, role, at)
        _check_version(current, change.version)
        who = {"label": label(current.registration_number)} if _is_candidate(by) else {"actor": by}
        extra = {"origin": change.origin}
        if change.keyed_at is not None:
            extra["keyed_at"] = change.keyed_at.isoformat()
        if window_override.strip():
            extra["window_override"] = window_override.strip()[:200]
        if incident is not None:
            extra["incident"] = f"#{incident.pk}"
            extra["form_dated"] = change.form_dated.isoformat()
        fields = ["version", "updated_at"]
        events = []
        if OWN_DATA in groups:
            fields += _write_own_data(current, change, events)
        if POINT_CHECKS in groups:
            fields += _write_point_checks(current, change, by, events)
        if POINT_MARKS in groups:
            fields += _write_point_marks(current, change, events)
        current.version = F("version") + 1
        current.save(update_fields=fields)
        changes.candidate_changed(current.pk)  # the point client's outbox, if one listens
        for action, before, after, detail in events:
            record(
                action,
                request=request,
                unit=current.point,
                target=current,
                before=before,
                after=after,
                **who,
                **extra,
                **detail,
            )
    current.refresh_from_db()
    return current


def _write_own_data(current: Candidate, change: Change, events: list) -> list[str]:
    """Set the own data on the locked row (every field checked together, the values not
    in the change as saved) and replace the rows the change carries."""
    values = change.values
    merged = {name: getattr(current, name) for name in DATA_FIELDS}
    merged.update({k: v for k, v in values.items() if k in DATA_FIELDS})
    cleaned, rows = _clean_all(merged, {k: values[k] for k in ROWS if k in values})
    before = {k: getattr(current, k) for k in DATA_FIELDS if getattr(current, k) != cleaned[k]}
    after = {k: cleaned[k] for k in before}
    saved = dict(zip(ROWS, saved_rows(current), strict=True))
    for name, new in rows.items():
        if saved[name] != new:
            before[name], after[name] = saved[name], new
    for name, value in cleaned.items():
        setattr(current, name, value)
    current.data_saved_at = timezone.now()
    fields = [*DATA_FIELDS, "data_saved_at"]
    detail = {}
    if change.origin == Origin.PAPER:
        current.keyed_from_paper = True
        fields.append("keyed_from_paper")
        detail["keyed_from_paper"] = True
    if rows:
        replace_rows(current.pk, **rows)
    events.append((Action.CANDIDATE_DATA_SAVED, before, after, detail))
    return fields


def _write_point_checks(current: Candidate, change: Change, by: Any, events: list) -> list[str]:
    names = [k for k in GROUPS[POINT_CHECKS] if k in change.values]
    check_point_checks(current, change.values)
    before = {k: getattr(current, k) for k in names}
    for name in names:
        setattr(current, name, change.values[name])
    current.point_checked_by = by
    current.point_checked_at = timezone.now()
    after = {k: getattr(current, k) for k in names}
    events.append((Action.POINT_CHECKS_RECORDED, before, after, {}))
    return [*names, "point_checked_by", "point_checked_at"]


def _write_point_marks(current: Candidate, change: Change, events: list) -> list[str]:
    """A paper form's mark, and the time the point read the ID card: the identity then
    counts as read from a card, as when the office reads it (services.verify_with_card)."""
    fields = []
    if "keyed_from_paper" in change.values:
        current.keyed_from_paper = bool(change.values["keyed_from_paper"])
        fields.append("keyed_from_paper")
    if VERIFIED in change.values:
        current.identity_verified_at = change.values[VERIFIED]
        current.identity_source = IdentitySource.READER
        fields += [VERIFIED, "identity_source"]
        events.append((Action.IDENTITY_VERIFIED, {}, {}, {}))
    return fields


def _clean_all(data: dict[str, Any], rows: dict[str, list]) -> tuple[dict, dict]:
    """Every part checked, so that every error is shown at once: field errors under the
    field's name, row errors under "resume" and "family"."""
    results, errors = {}, {}
    steps = {"data": lambda: clean_data(data)}
    if "resume" in rows:
        steps["resume"] = lambda: clean_resume(rows["resume"])
    if "family" in rows:
        steps["family"] = lambda: clean_family(rows["family"])
    for part, step in steps.items():
        try:
            results[part] = step()
        except DataRefused as e:
            errors.update(e.message_dict if hasattr(e, "error_dict") else {part: e.messages})
    if errors:
        raise DataRefused(errors, code="invalid")
    return results.pop("data"), results
