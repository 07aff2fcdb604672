"""Steps of the registration that many tests and journeys need done, through the real
services (so versions move on and audit events exist as in use)."""

from gaokao.candidates.change_path import Change, Origin, apply_change
from gaokao.candidates.models import Candidate
from gaokao.candidates.services import record_point_checks


def point_checks_done(candidate: Candidate, by, **changes) -> Candidate:
    """S5 at the point: documents received, fee paid and eligibility confirmed."""
    candidate.refresh_from_db()
    values = {
        "documents_received": True,
        "fee_fen": 12000,
        "fee_receipt": "R-0001",
        "eligibility": "eligible",
        "note": "",
    }
    return record_point_checks(candidate, version=candidate.version, by=by, **values | changes)


def save_candidate_data(
    candidate, *, version, data, resume, family, confirmation_password, by_request=None
) -> Candidate:
    """S6 in the portal: the candidate saves their own data through the one change path."""
    change = Change(
        values={**data, "resume": resume, "family": family},
        origin=Origin.PORTAL,
        version=version,
        confirmation_password=confirmation_password,
    )
    return apply_change(candidate, change, by=candidate, request=by_request)
