"""The candidate in the audit trail: how the audit names a candidate (who is not a staff
account), and the changes to their record read back for them (履历 on the status page)."""

from typing import Any

from django.db.models import Q

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates.models import Candidate

# Every event a candidate causes is labelled so; `history` tells the candidate's own
# events from staff ones by it.
LABEL_PREFIX = "考生 "


def label(registration_number: str) -> str:
    """How the audit names a candidate (who is not a staff account)."""
    return f"{LABEL_PREFIX}{registration_number}"[:150]


# What the status page lists as changes to the candidate's record: not sign-ins or
# failed guesses.
HISTORY_ACTIONS = (
    Action.CANDIDATE_TAKEN_IN,
    Action.CANDIDATE_REVIEWED,
    Action.IDENTITY_VERIFIED,
    Action.POINT_CHECKS_RECORDED,
    Action.PHOTO_ADDED,
    Action.CANDIDATE_DATA_SAVED,
    Action.PASSWORD_CHANGED,
    Action.PASSWORD_RESET,
    Action.PROOFREAD_SIGNED,
    Action.PROOFREAD_PHONE,
    Action.COMMENT_SAVED,
)


def history(candidate: Candidate, limit: int = 50) -> list[dict[str, Any]]:
    """The changes to the candidate's record, newest first: what, when, and by the
    candidate or by which office. Staff are named by their unit only, never personally.

    Events are the candidate's by the candidate's key, not by the name shown at the time
    (a number allocated or a name corrected later changes that). Events recorded before
    the key was kept have only the name, matched at the candidate's point as before."""
    mine = Q(target_type=Candidate._meta.label_lower, target_id=str(candidate.pk))
    before_keys = Q(target_type="", target=str(candidate), point=candidate.point)
    events = (
        AuditEvent.objects.filter(mine | before_keys, action__in=HISTORY_ACTIONS)
        .select_related("actor__point", "actor__region")
        .order_by("-at", "-id")[:limit]
    )
    rows = []
    for event in events:
        if event.actor is not None:
            by = str(event.actor.unit)
        elif event.actor_label.startswith(LABEL_PREFIX.strip()):
            by = None  # the candidate
        else:
            by = str(event.point or event.region or "")
        rows.append({"what": event.get_action_display(), "at": event.at, "by": by})
    return rows
