"""Who may change a candidate's record while it travels upward (S9): the level that holds
it, and nobody below. The one rule every service that changes a candidate calls."""

from django.utils.translation import gettext as _

from gaokao.candidates.errors import Locked
from gaokao.candidates.models import Candidate, Stage

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


def is_editable_by(candidate: Candidate, role: str | None) -> bool:
    """`role` is a staff role, or None for the candidate (who edits only at the point)."""
    if role is None:
        return candidate.stage == Stage.POINT
    return holder(candidate) == role


def check_editable(candidate: Candidate, role: str | None) -> None:
    """Raise Locked with a message for people if `role` may not change the record now."""
    if not is_editable_by(candidate, role):
        raise Locked(
            _("%(candidate)s is %(stage)s: it can be changed only there, or after it is returned.")
            % {"candidate": candidate, "stage": Stage(candidate.stage).label},
            code="locked",
        )
