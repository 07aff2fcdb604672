"""A point's work applied to the central record (E4, E5, R4): a candidate the point client
took in, with the id and registration number the client gave it. The sync protocol
(gaokao.sync) reads what the client sent, checks its form and decides when to apply it;
the rules of intake are here. A point's later changes go through the one change path
(gaokao.candidates.change_path)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gaokao.candidates import changes
from gaokao.candidates.change_path import GROUPS, POINT_CHECKS, VERIFIED
from gaokao.candidates.errors import IntakeRefused
from gaokao.candidates.models import Candidate, IdentitySource, initial_review_state
from gaokao.candidates.own_data import DATA_FIELDS
from gaokao.candidates.point_checks import check_point_checks
from gaokao.candidates.rows import ROW_MODELS, replace_rows
from gaokao.candidates.services import refuse_duplicate, routed_path
from gaokao.numbering.services import RangeRefused, allocate_number, claim_number
from gaokao.regions.models import RegistrationPoint
from gaokao.seasons.models import Season

# The point's checks (S5): setting any of them records who checked and when.
POINT_CHECK_FIELDS = GROUPS[POINT_CHECKS]


def create_from_point(
    *,
    candidate_id: uuid.UUID,
    season: Season,
    point: RegistrationPoint,
    identity: dict[str, Any],
    values: dict[str, Any],
    by: Any,
    holder: uuid.UUID | None = None,
) -> Candidate:
    """Save a candidate the point took in, under the id and the registration number the
    point client gave it (S2, S3): one registration per person and season, the number
    from the point's own ranges and not yet used. `identity` is checked already
    (validate_identity), `values` are checked point and data values. Runs inside the
    caller's transaction; IntakeRefused says why not. `holder` is the point client that
    issued the number (its own block, issue 20); a number of None saves the candidate
    without one, until the county gives it a fresh one (gaokao.sync.conflicts)."""
    refuse_duplicate(season, identity["id_number"], point, by, None)
    track, number = identity["subject_track"], identity["registration_number"]
    number_range = None
    try:
        if number is not None:
            number_range = claim_number(season, point, track, number, holder)
    except RangeRefused as e:
        raise IntakeRefused(e.messages[0], code=e.code) from e
    if (
        number is not None
        and Candidate.objects.filter(season=season, registration_number=number).exists()
    ):
        raise IntakeRefused(
            _("The registration number %(number)s is used already.") % {"number": number},
            code="number_used",
        )
    # A resident ID number of another province takes the out-of-province path (O1).
    path = routed_path(
        season, identity["document_type"], identity["id_number"], identity["eligibility_path"]
    )
    identity = {**identity, "eligibility_path": path}
    candidate = Candidate(
        id=candidate_id,
        season=season,
        point=point,
        number_range=number_range,
        created_by=by,
        review_state=initial_review_state(path),
        identity_verified_at=(
            timezone.now() if identity["identity_source"] == IdentitySource.READER else None
        ),
        **identity,
    )
    # The card's reading time follows from the identity's source on create.
    values = {name: value for name, value in values.items() if name != VERIFIED}
    _set_values(candidate, values, by)
    check_point_checks(candidate, values)
    candidate.save(force_insert=True)
    _write_rows(candidate, values)
    changes.candidate_changed(candidate.pk)
    return candidate


def _set_values(candidate: Candidate, values: dict[str, Any], by: Any) -> None:
    """Set the values on the unsaved row; the rows are written once the candidate is
    saved."""
    for name, value in values.items():
        if name not in ROW_MODELS:
            setattr(candidate, name, value)
    now = timezone.now()
    if set(POINT_CHECK_FIELDS) & values.keys():
        candidate.point_checked_by, candidate.point_checked_at = by, now
    if {*DATA_FIELDS, *ROW_MODELS} & values.keys():
        candidate.data_saved_at = now
    if VERIFIED in values:
        candidate.identity_source = IdentitySource.READER


def _write_rows(candidate: Candidate, values: dict[str, Any]) -> None:
    replace_rows(candidate.pk, **{name: values[name] for name in ROW_MODELS if name in values})


def give_number(candidate: Candidate) -> str:
    """A candidate saved without a number (its number clashed at sync, gaokao.sync.numbers)
    gets the next free number of its point's ranges from the centre, as intake allocates
    one; nothing else of the record changes. Runs in the caller's transaction with the
    row locked; the version moves so that the point client's next pull brings the number.
    RangeRefused when the point's ranges are used up."""
    if candidate.registration_number:
        raise IntakeRefused(
            _("The candidate has the registration number %(number)s already.")
            % {"number": candidate.registration_number},
            code="has_number",
        )
    number_range, number = allocate_number(
        candidate.season, candidate.point, candidate.subject_track
    )
    Candidate.objects.filter(pk=candidate.pk).update(
        registration_number=number,
        number_range=number_range,
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    changes.candidate_changed(candidate.pk)
    candidate.refresh_from_db()
    return number
