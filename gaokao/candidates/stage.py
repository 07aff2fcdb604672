"""Who may change a candidate's record while it travels upward (S9): the level that holds
it, and nobody below; and the holder only until its cut-off (issue 19). The one rule every
service that changes a candidate calls.

Cut-offs: each phase has one per level (gaokao.seasons.models.Phase: point, county, city,
province), moved for a unit by the extensions granted to it or above (E1-E3, E6). The
phase that governs a record is the one its submission must fall in (`submission_phase`:
R2.3, R2.4, R2.5). After the cut-off of the level that holds a record, that level's staff
cannot change it, nor submit it, unless the level above returned it after that cut-off:
the return reopens the record for its holder until the holder submits it again
(`Candidate.reopened_after_cutoff_at`, set and cleared by gaokao.submission.services).
"""

import datetime as dt

from django.db.models import Case, Exists, Value, When
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from gaokao.candidates.errors import Locked
from gaokao.candidates.models import Candidate, Stage
from gaokao.codes.models import Code, Table
from gaokao.seasons.models import Level, Phase, PhaseKind

# The staff role that holds a record at each stage; nobody holds an accepted one.
HOLDER = {
    Stage.POINT: "point",
    Stage.COUNTY: "county",
    Stage.CITY: "city",
    Stage.PROVINCE: "province",
    Stage.ACCEPTED: None,
}


def holder(candidate: Candidate) -> str | None:
    return HOLDER[Stage(candidate.stage)]


def submission_phase(track: str) -> Case:
    """The phase (a PhaseKind, as an expression) the submission upward of a record of
    subject track `track` falls in, whose cut-offs hold it: art candidates R2.3,
    gaokao-youth R2.5, everyone else R2.4 (the track's code-table row says which)."""
    row = Code.objects.filter(table=Table.SUBJECT_TRACK, code=track)
    return Case(
        When(Exists(row.filter(attrs__phase="youth")), then=Value(PhaseKind.YOUTH)),
        When(Exists(row.filter(attrs__professional="art")), then=Value(PhaseKind.CITY_ART)),
        default=Value(PhaseKind.CITY_ALL),
    )


def governing_phase(candidate: Candidate) -> Phase | None:
    """The record's submission phase in its season (one query), or None if the season
    lacks it."""
    phases = Phase.objects.filter(season_id=candidate.season_id)
    return phases.filter(kind=submission_phase(candidate.subject_track)).first()


def cutoff(candidate: Candidate, level: str, phase: Phase | None = None) -> dt.datetime | None:
    """The cut-off of `level` for this record (its county's extensions included), or None
    when there is none (the season lacks the phase, or the level has no cut-off)."""
    phase = phase or governing_phase(candidate)
    return phase.cutoff_for(level, candidate.point.county) if phase is not None else None


def is_reopened(candidate: Candidate) -> bool:
    """Was the record returned to the level holding it after that level's cut-off (and not
    submitted since)?"""
    return bool(candidate.reopened_after_cutoff_at) and (
        candidate.reopened_after_cutoff_at == candidate.stage
    )


def moment(at: dt.datetime) -> str:
    """A moment as people read it, in Asia/Shanghai: "8 Nov at 18:00" (zh: 11月8日 18:00)."""
    # A date format of Django's, translated: "j M \a\t H:i" in English, "n月j日 H:i" in
    # Chinese (Django's own Chinese month names read 十一月, not 11月).
    return date_format(timezone.localtime(at), _(r"j M \a\t H:i"))


def past_cutoff(candidate: Candidate, at: dt.datetime | None = None) -> Locked | None:
    """The refusal for the holder's staff if the holder's cut-off has passed at `at`
    (default now) and the record was not returned to it since; else None."""
    level = holder(candidate)
    if level is None or is_reopened(candidate):
        return None
    phase = governing_phase(candidate)
    at = at or timezone.now()
    own = phase.own_cutoff(level) if phase is not None else None
    if own is None or at <= own:  # extensions only move it later: no need to ask them
        return None
    closes = cutoff(candidate, level, phase)
    if at <= closes:
        return None
    return Locked(
        _(
            "The %(level)s's cut-off for %(phase)s was %(moment)s: %(candidate)s can no"
            " longer be changed there unless it is returned."
        )
        % {
            "level": Level(level).label,
            "phase": PhaseKind(phase.kind).label,
            "moment": moment(closes),
            "candidate": candidate,
        },
        code="past_cutoff",
    )


def _stage_refusal(candidate: Candidate, role: str | None) -> Locked | None:
    may = candidate.stage == Stage.POINT if role is None else holder(candidate) == role
    if may:
        return None
    return Locked(
        _("%(candidate)s is %(stage)s: it can be changed only there, or after it is returned.")
        % {"candidate": candidate, "stage": Stage(candidate.stage).label},
        code="locked",
    )


def refusal(candidate: Candidate, role: str | None, at: dt.datetime | None = None) -> Locked | None:
    """Why `role` (a staff role, or None for the candidate, who edits only at the point) may
    not change the record at `at` (default now): the stage, then the holder's cut-off
    (staff only; the candidate is held by the registration window instead)."""
    found = _stage_refusal(candidate, role)
    if found is None and role is not None:
        found = past_cutoff(candidate, at)
    return found


def is_editable_by(candidate: Candidate, role: str | None) -> bool:
    """Does `role` hold the record (the stage alone, no query: what a list shows as open)?
    A save is judged by `check_editable`, which adds the holder's cut-off."""
    return _stage_refusal(candidate, role) is None


def check_editable(candidate: Candidate, role: str | None, at: dt.datetime | None = None) -> None:
    """Raise Locked with a message for people if `role` may not change the record at `at`
    (default now)."""
    found = refusal(candidate, role, at)
    if found is not None:
        raise found
