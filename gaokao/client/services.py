"""Keying in paper draft forms (E4, E5) — 按纸质草表录入.

When power or network was out, candidates filled in paper draft forms; point staff key
them in later, on the point client or on the central office web. The data, its checks and
its write are the candidate's own (gaokao.candidates.change_path, Origin.PAPER), but the
save is the staff's: no confirmation password, audited under the staff account, and the
record is marked `keyed_from_paper` so the candidate checks it in the portal later.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gaokao.candidates.change_path import Change, Origin, apply_change
from gaokao.candidates.models import Candidate
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
    form_dated: dt.date | None = None,
    incident: int | None = None,
) -> Candidate:
    """Save the candidate's own data from a paper draft form, keyed in by point staff,
    through the one change path (Origin.PAPER). After the window, a form dated inside it
    is taken under an open incident of the point (`form_dated`, `incident`: see
    gaokao.candidates.late_paper).

    Refused (a CandidateRefused, nothing saved) when the point has submitted the record (S9),
    when the candidate's data window is closed, when someone saved the candidate since
    `version`, or when the data breaks the portal's rules."""
    change = Change(
        values={**data, "resume": resume, "family": family},
        origin=Origin.PAPER,
        version=version,
        form_dated=form_dated,
        incident=incident,
    )
    return apply_change(candidate, change, by=by, request=request)


def dismiss(entry: Outbox, *, by: Any) -> None:
    """A person has seen a change the server refused or found in conflict (and dealt
    with it in the office web): it leaves the list. Pending work is never dismissed."""
    if entry.state != Outbox.State.ATTENTION:
        raise OutboxRefused(_("Only changes that need attention can be dismissed."))
    entry.delete()
