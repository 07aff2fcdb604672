"""Keying in paper draft forms (E4, E5) — 按纸质草表录入.

When power or network was out, candidates filled in paper draft forms; point staff key
them in later, on the point client or on the central office web. The data, its checks and
its write are the candidate's own (gaokao.candidates.own_data.write_data), but the save is
the staff's: no confirmation password, audited under the staff account, and the record is
marked `keyed_from_paper` so the candidate checks it in the portal later.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gaokao.candidates.errors import DataRefused
from gaokao.candidates.models import Candidate
from gaokao.candidates.own_data import may_change_data, write_data
from gaokao.candidates.stage import check_editable
from gaokao.client.models import Outbox


class OutboxRefused(ValidationError):
    """A change in the point's outbox cannot be dealt with that way."""


def save_paper_data(
    candidate: Candidate,
    *,
    version: int,
    data: dict[str, Any],
    resume: list[dict[str, Any]],
    family: list[dict[str, Any]],
    by: Any,
    request: HttpRequest | None = None,
) -> Candidate:
    """Save the candidate's own data from a paper draft form, keyed in by point staff.

    Refused (a CandidateRefused, nothing saved) when the point has submitted the record (S9),
    when the candidate's data window is closed, when someone saved the candidate since
    `version`, or when the data breaks the portal's rules."""
    candidate = Candidate.objects.select_related("season", "point__county").get(pk=candidate.pk)
    check_editable(candidate, "point")
    if not may_change_data(candidate):
        raise DataRefused(
            _("Registration is closed: the candidate's data can no longer be changed."),
            code="window_closed",
        )
    current = write_data(
        candidate,
        version=version,
        data=data,
        resume=resume,
        family=family,
        from_paper=True,
        actor=by,
        request=request,
    )
    current.refresh_from_db()
    return current


def dismiss(entry: Outbox, *, by: Any) -> None:
    """A person has seen a change the server refused or found in conflict (and dealt
    with it in the office web): it leaves the list. Pending work is never dismissed."""
    if entry.state != Outbox.State.ATTENTION:
        raise OutboxRefused(_("Only changes that need attention can be dismissed."))
    entry.delete()
