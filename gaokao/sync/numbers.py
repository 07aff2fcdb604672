"""Registration numbers a point client sends (issue 20): its own blocks, and what happens
when a number clashes all the same.

Each enrolled device takes numbers offline from blocks the server reserved to it
(gaokao.numbering.services.top_up: at enrolment and at each pull), so two PCs of one point
never hand out the same number. Should a candidate still arrive under a number another
record holds, or one reserved to another point client (an old client, a restored copy of
a PC), the candidate is never dropped: it is saved without a number and waits as a
conflict in the county's queue with both records, until the county gives it a fresh
number from the centre; everything else the point typed is kept.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError
from django.utils.translation import gettext as _

from gaokao.candidates.errors import CandidateRefused, IntakeRefused
from gaokao.candidates.models import Candidate
from gaokao.candidates.point_changes import give_number
from gaokao.numbering.models import NumberBlock
from gaokao.numbering.services import RangeRefused, live_blocks, top_up
from gaokao.sync.errors import SyncRefused
from gaokao.sync.models import Conflict, Device, Receipt

# The refusals of intake that mean "this number is not free for this device".
CLASHES = ("number_used", "number_reserved")


def blocks_of(device: Device, season) -> list[NumberBlock]:
    """The device's blocks with numbers left, topped up first (DHIS2's reserved values)."""
    if season is None or device.revoked_at is not None:
        return []
    return top_up(season, device.point, device.pk, device.name)


def held_blocks(device: Device, season) -> list[NumberBlock]:
    """The device's blocks with numbers left, without reserving any."""
    return [] if season is None else live_blocks(season, device.point, device.pk)


def block_out(block: NumberBlock) -> dict[str, Any]:
    """A block as the point client receives it in its configuration."""
    number_range = block.number_range
    return {
        "id": block.pk,
        "track": number_range.subject_track.code,
        "range_first": number_range.first,
        "first": block.first,
        "last": block.last,
        "first_number": block.first_number,
        "last_number": block.last_number,
        "next_serial": block.next_serial,
    }


def peers(device: Device) -> dict[str, Any]:
    """Which point client of its point `device` is: its place among the point's working
    clients by enrolment (1 for the first), how many there are, and the others' names."""
    working = list(
        Device.objects.filter(point_id=device.point_id, revoked_at__isnull=True).order_by(
            "enrolled_at", "pk"
        )
    )
    ids = [d.pk for d in working]
    return {
        "id": str(device.pk),
        "name": device.name,
        "number": ids.index(device.pk) + 1 if device.pk in ids else 0,
        "of": len(working),
        "others": [d.name for d in working if d.pk != device.pk],
    }


def clash(season, candidate_id, number: str | None, error: Exception) -> dict[str, Any] | None:
    """What the number clashed with, if `error` (from saving a candidate the point took
    in) is a number clash: the record holding the number, or the client it is reserved
    to; None for any other refusal."""
    if not number:
        return None
    if isinstance(error, CandidateRefused) and getattr(error, "code", None) not in CLASHES:
        return None
    holder = (
        Candidate.objects.filter(season=season, registration_number=number)
        .exclude(pk=candidate_id)
        .select_related("point")
        .first()
    )
    if holder is not None:
        return {
            "registration_number": number,
            "holder": str(holder.pk),
            "holder_name": holder.name,
            "holder_point": holder.point.code,
        }
    if isinstance(error, IntegrityError):
        return None  # the person, not the number
    if getattr(error, "code", None) == "number_reserved":
        return {"registration_number": number, "reserved": error.messages[0]}
    return None


def number_conflict(
    receipt: Receipt, candidate: Candidate, number: str, clashed: dict[str, Any]
) -> Conflict:
    """The county's conflict for a candidate saved without its clashing number."""
    holder = clashed.get("holder")
    version = (
        Candidate.objects.filter(pk=holder).values_list("version", flat=True).first()
        if holder
        else None
    )
    return Conflict.objects.create(
        reason=Conflict.Reason.NUMBER_TAKEN,
        receipt=receipt,
        candidate=candidate,
        base_version=0,
        server_version=version or 0,
        point_values={"registration_number": number},
        server_values=clashed,
    )


def clash_message(number: str) -> str:
    return _(
        "The registration number %(number)s is held by another record or reserved to another"
        " point client. The candidate is saved on the server without a number, with"
        " everything else kept: the county gives a fresh number, and the next sync brings it"
        " here. Print the login card again then."
    ) % {"number": number}


def give_fresh_number(candidate: Candidate) -> str:
    """The county's decision on a number conflict: the next number of the point's ranges
    from the centre (never one reserved to a point client). Runs in the caller's
    transaction with the candidate's row locked; the candidate's data stay as they are."""
    try:
        return give_number(candidate)
    except IntakeRefused as e:  # it has one already
        raise SyncRefused(e.messages[0], code=e.code) from e
    except RangeRefused as e:  # the point's ranges are used up
        raise SyncRefused(e.messages[0], code="no_free_number") from e
