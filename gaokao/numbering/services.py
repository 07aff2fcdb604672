"""Number ranges (S2): the county splits its serial space among its points per subject track.

Every write here locks the county's row first. Overlap is a rule about *all* ranges of a
county and season, which no row lock on the ranges themselves can protect (a new range has
no row to lock yet), so concurrent savers of one county queue on the county instead.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.codes.models import Code, Table
from gaokao.numbering.models import (
    FIRST_SERIAL,
    LAST_SERIAL,
    NumberBlock,
    NumberRange,
    registration_number,
)
from gaokao.regions.models import Region, RegistrationPoint
from gaokao.seasons.models import Season

_NUMBER = re.compile(r"[0-9]{8}")  # a registration number: city-county code and serial


class RangeRefused(ValidationError):
    """A planned change to number ranges that breaks a rule; the messages are for the user."""


@dataclass
class RangeRow:
    """One range as planned: a proposal, a row of the planning form, or a change to the range
    `pk`. `first`/`last` are serials (1–9999) of the county's space."""

    point: RegistrationPoint
    track: Code
    first: int
    last: int
    expected_count: int = 0
    pk: int | None = None
    registration_code: str = field(default="", repr=False)

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    @property
    def first_number(self) -> str:
        return registration_number(self.registration_code, self.first)

    @property
    def last_number(self) -> str:
        return registration_number(self.registration_code, self.last)


def headroom_percent_default() -> int:
    return getattr(settings, "GAOKAO_RANGE_HEADROOM_PERCENT", 10)


def range_size(expected: int, headroom_percent: int) -> int:
    """ceil(expected × (1 + headroom)), in integers so that 100 × 10 % is exactly 110."""
    return -(-expected * (100 + headroom_percent) // 100)


def county_ranges(county: Region, season: Season):
    return NumberRange.objects.filter(season=season, point__county=county).select_related(
        "point__county", "subject_track"
    )


def next_free_serial(county: Region, season: Season) -> int:
    """The first serial after every serial the county's ranges of the season have taken."""
    taken = county_ranges(county, season).aggregate(m=Max("last"))["m"]
    return (taken or 0) + 1


def track_order(track: Code) -> tuple:
    return (track.sort_order, track.code)


def propose(
    county: Region,
    season: Season,
    expected: Mapping[tuple[RegistrationPoint, Code], int],
    headroom_percent: int | None = None,
) -> list[RangeRow]:
    """Contiguous ranges, one per (point, track) with a positive expected count, each sized
    for the expected candidates plus `headroom_percent`, placed after the serials the
    county's ranges already take, ordered by track and then point code. Nothing is saved."""
    if headroom_percent is None:
        headroom_percent = headroom_percent_default()
    _check_county_and_season(county, season)
    errors = []
    wanted = []
    for (point, track), count in expected.items():
        errors += _row_ownership_errors(county, point, track)
        if count is None or count == 0:
            continue
        if count < 0:
            errors.append(
                ValidationError(
                    _("The expected count for %(point)s (%(track)s) cannot be negative."),
                    code="negative_expected",
                    params={"point": point, "track": track.name},
                )
            )
            continue
        wanted.append((track_order(track), point.code, point, track, count))
    if errors:
        raise RangeRefused(errors)
    wanted.sort(key=lambda w: w[:2])
    start = available_from = next_free_serial(county, season)
    rows = []
    for _order, _code, point, track, count in wanted:
        size = range_size(count, headroom_percent)
        rows.append(
            RangeRow(
                point=point,
                track=track,
                first=start,
                last=start + size - 1,
                expected_count=count,
                registration_code=county.registration_code,
            )
        )
        start += size
    if start - 1 > LAST_SERIAL:
        needed = sum(r.size for r in rows)
        available = max(LAST_SERIAL - available_from + 1, 0)
        raise RangeRefused(
            _(
                "These ranges need %(needed)d serials but the county has only %(available)d "
                "left (a county issues at most %(max)d numbers a season). Lower the expected "
                "counts or the headroom."
            ),
            code="overflow",
            params={"needed": needed, "available": available, "max": LAST_SERIAL},
        )
    return rows


def save_ranges(
    county: Region,
    season: Season,
    rows: Iterable[RangeRow],
    *,
    by: Any,
    request: HttpRequest | None = None,
) -> list[NumberRange]:
    """Create the rows without `pk` and change the ranges named by `pk`, all or nothing.

    Refused (RangeRefused, every problem listed) when a row's point is not the county's, a
    serial lies outside 1–9999, two ranges of the county and season would overlap, or a
    change would drop a number already issued. Each created or changed range is audited."""
    rows = list(rows)
    _check_county_and_season(county, season)
    with transaction.atomic():
        county = _lock_county(county)
        # The ranges' own rows are locked too: issuing numbers moves `next_serial` under a
        # row lock without the county's, and a shrink must see the latest one.
        existing = {r.pk: r for r in county_ranges(county, season).select_for_update(of=("self",))}
        errors = _check_rows(county, rows, existing)
        if errors:
            raise RangeRefused(errors)
        return [
            _create(county, season, row, by=by, request=request)
            if row.pk is None
            else _update(existing[row.pk], row, by=by, request=request)
            for row in rows
        ]


def add_range(
    county: Region,
    season: Season,
    point: RegistrationPoint,
    track: Code,
    size: int,
    *,
    by: Any,
    request: HttpRequest | None = None,
) -> NumberRange:
    """A further range of `size` serials for a point whose range runs out, placed right
    after the last serial the county's ranges take."""
    if size < 1:
        raise RangeRefused(_("A range needs at least one number."), code="empty_range")
    with transaction.atomic():
        county = _lock_county(county)
        first = next_free_serial(county, season)
        last = first + size - 1
        if last > LAST_SERIAL:
            raise RangeRefused(
                _(
                    "A range of %(size)d numbers does not fit: the county has only "
                    "%(available)d serials left."
                ),
                code="overflow",
                params={"size": size, "available": max(LAST_SERIAL - first + 1, 0)},
            )
        row = RangeRow(point=point, track=track, first=first, last=last)
        return save_ranges(county, season, [row], by=by, request=request)[0]


def delete_range(number_range: NumberRange, *, by: Any, request: HttpRequest | None = None) -> None:
    """Delete a range nothing has been issued from."""
    with transaction.atomic():
        county = _lock_county(number_range.point.county)
        try:
            fresh = (
                NumberRange.objects.select_for_update(of=("self",))
                .select_related("point__county", "subject_track")
                .get(pk=number_range.pk)
            )
        except NumberRange.DoesNotExist:
            raise RangeRefused(_("The range no longer exists."), code="range_missing") from None
        if fresh.issued:
            raise RangeRefused(
                _(
                    "The range %(range)s of %(point)s cannot be deleted: %(issued)d numbers "
                    "have been issued from it."
                ),
                code="range_in_use",
                params={"range": str(fresh), "point": fresh.point, "issued": fresh.issued},
            )
        detail = _snapshot(fresh)
        target = f"{fresh.point.code} {fresh}"
        fresh.delete()
        record(
            Action.RANGE_DELETED,
            actor=by,
            request=request,
            unit=county,
            target=target,
            before=detail,
        )


def overview(
    county: Region, season: Season, points: Iterable[RegistrationPoint], tracks: Iterable[Code]
) -> dict:
    """The county's points × subject tracks: per cell the ranges, the expected count they were
    sized for, and the numbers issued and still free. Points and tracks that hold ranges are
    shown even when no longer active."""
    ranges = list(county_ranges(county, season).order_by("first"))
    points = {p.pk: p for p in points} | {r.point_id: r.point for r in ranges}
    tracks = {t.pk: t for t in tracks} | {r.subject_track_id: r.subject_track for r in ranges}
    track_list = sorted(tracks.values(), key=track_order)
    rows = []
    for point in sorted(points.values(), key=lambda p: p.code):
        cells = []
        for track in track_list:
            mine = [r for r in ranges if r.point_id == point.pk and r.subject_track_id == track.pk]
            cells.append(
                {
                    "track": track,
                    "ranges": mine,
                    "expected": sum(r.expected_count for r in mine),
                    "issued": sum(r.issued for r in mine),
                    "free": sum(r.free for r in mine),
                }
            )
        rows.append({"point": point, "cells": cells})
    taken = max((r.last for r in ranges), default=0)
    return {
        "tracks": track_list,
        "rows": rows,
        "ranges": ranges,
        "next_free": taken + 1 if taken < LAST_SERIAL else None,
        "serials_left": LAST_SERIAL - taken,
    }


# Rules ---------------------------------------------------------------------------------------


def _lock_county(county: Region) -> Region:
    return Region.objects.select_for_update().get(pk=county.pk)


def _check_county_and_season(county: Region, season: Season) -> None:
    if county.level != Region.Level.COUNTY or not county.registration_code:
        raise RangeRefused(
            _(
                "%(county)s has no city-county code, so it cannot issue registration numbers. "
                "The province sets the code."
            ),
            code="no_registration_code",
            params={"county": county},
        )
    city = county.parent
    if city is None or city.parent_id != season.province_id:
        raise RangeRefused(
            _("The season %(season)s is not a season of %(county)s's province."),
            code="wrong_season",
            params={"season": season, "county": county},
        )


def _row_ownership_errors(
    county: Region, point: RegistrationPoint, track: Code
) -> list[ValidationError]:
    errors = []
    if point.county_id != county.pk:
        errors.append(
            ValidationError(
                _("The registration point %(point)s is not one of %(county)s's points."),
                code="foreign_point",
                params={"point": point, "county": county},
            )
        )
    if track.table != Table.SUBJECT_TRACK:
        errors.append(
            ValidationError(
                _("%(code)s is not a subject track."), code="not_a_track", params={"code": track}
            )
        )
    return errors


def _describe(code: str, point: RegistrationPoint, track: Code, first: int, last: int) -> dict:
    return {
        "point": point,
        "track": track.name,
        "first": registration_number(code, first),
        "last": registration_number(code, last),
    }


def _check_rows(
    county: Region, rows: list[RangeRow], existing: dict[int, NumberRange]
) -> list[ValidationError]:
    code = county.registration_code
    errors: list[ValidationError] = []
    planned: dict[int | None, list] = {}
    seen: set[int] = set()
    for index, row in enumerate(rows):
        row_errors = _row_ownership_errors(county, row.point, row.track)
        if not (FIRST_SERIAL <= row.first <= row.last <= LAST_SERIAL):
            row_errors.append(
                ValidationError(
                    _(
                        "The range for %(point)s (%(track)s) must run from a serial to a later "
                        "one within %(min)04d–%(max)04d; it is %(first)04d–%(last)04d."
                    ),
                    code="bad_serials",
                    params={
                        "point": row.point,
                        "track": row.track.name,
                        "first": row.first,
                        "last": row.last,
                        "min": FIRST_SERIAL,
                        "max": LAST_SERIAL,
                    },
                )
            )
        if row.pk is not None:
            current = existing.get(row.pk)
            if current is None or row.pk in seen:
                row_errors.append(
                    ValidationError(
                        _("The range for %(point)s (%(track)s) no longer exists."),
                        code="range_missing",
                        params={"point": row.point, "track": row.track.name},
                    )
                )
            else:
                seen.add(row.pk)
                row_errors += _issued_errors(current, row)
        errors += row_errors
        if not row_errors:
            planned[row.pk if row.pk is not None else -1 - index] = [
                row.first,
                row.last,
                row.point,
                row.track,
            ]
    if errors:
        return errors
    # The county's space after the change: untouched ranges plus the rows.
    for pk, r in existing.items():
        if pk not in planned:
            planned[pk] = [r.first, r.last, r.point, r.subject_track]
    spans = sorted(planned.values(), key=lambda s: (s[0], s[1]))
    reach = None  # the span reaching furthest so far
    for span in spans:
        if reach is not None and span[0] <= reach[1]:
            a, b = _describe(code, *reach[2:], *reach[:2]), _describe(code, *span[2:], *span[:2])
            errors.append(
                ValidationError(
                    _(
                        "The range %(first)s–%(last)s for %(point)s (%(track)s) overlaps the "
                        "range %(other_first)s–%(other_last)s for %(other_point)s "
                        "(%(other_track)s). Ranges of a county never share a number."
                    ),
                    code="overlap",
                    params={**b, **{f"other_{k}": v for k, v in a.items()}},
                )
            )
        if reach is None or span[1] > reach[1]:
            reach = span
    return errors


def _issued_errors(current: NumberRange, row: RangeRow) -> list[ValidationError]:
    if not current.issued:
        return []
    errors = []
    params = {
        "range": str(current),
        "point": current.point,
        "issued": current.issued,
        "last_issued": current.number(current.next_serial - 1),
    }
    if row.point.pk != current.point_id or row.track.pk != current.subject_track_id:
        errors.append(
            ValidationError(
                _(
                    "The range %(range)s has issued %(issued)d numbers to %(point)s; its point "
                    "and subject track cannot change."
                ),
                code="issued_owner_change",
                params=params,
            )
        )
    if row.first != current.first:
        errors.append(
            ValidationError(
                _(
                    "The range %(range)s of %(point)s has issued %(issued)d numbers; its first "
                    "number cannot change."
                ),
                code="issued_first_change",
                params=params,
            )
        )
    if row.last < current.next_serial - 1:
        errors.append(
            ValidationError(
                _(
                    "The range %(range)s of %(point)s cannot end before %(last_issued)s, the "
                    "last number it has issued."
                ),
                code="issued_shrink",
                params=params,
            )
        )
    return errors


# Writes --------------------------------------------------------------------------------------


def _snapshot(r: NumberRange) -> dict:
    return {
        "season": r.season_id,
        "point": r.point.code,
        "track": r.subject_track.code,
        "first": r.first_number,
        "last": r.last_number,
        "next_serial": r.next_serial,
        "expected_count": r.expected_count,
    }


def _create(
    county: Region, season: Season, row: RangeRow, *, by: Any, request: HttpRequest | None
) -> NumberRange:
    created = NumberRange.objects.create(
        season=season,
        point=row.point,
        subject_track=row.track,
        first=row.first,
        last=row.last,
        next_serial=row.first,
        expected_count=row.expected_count,
    )
    created.point.county = county
    _audit(created, before=None, by=by, request=request, county=county)
    return created


def _update(
    current: NumberRange, row: RangeRow, *, by: Any, request: HttpRequest | None
) -> NumberRange:
    wanted = {
        "point_id": row.point.pk,
        "subject_track_id": row.track.pk,
        "first": row.first,
        "last": row.last,
        "expected_count": row.expected_count,
    }
    if all(getattr(current, k) == v for k, v in wanted.items()):
        return current
    county = current.point.county
    before = _snapshot(current)
    unused = not current.issued
    for k, v in wanted.items():
        setattr(current, k, v)
    if unused:
        current.next_serial = current.first
    current.point, current.subject_track = row.point, row.track
    current.save()
    _audit(current, before=before, by=by, request=request, county=county)
    return current


def _audit(
    r: NumberRange, *, before: dict | None, by: Any, request: HttpRequest | None, county: Region
) -> None:
    record(
        Action.RANGE_SAVED,
        actor=by,
        request=request,
        unit=county,
        target=f"{r.point.code} {r}",
        before=before,
        after=_snapshot(r),
    )


def allocate_number(
    season: Season, point: RegistrationPoint, track_code: str
) -> tuple[NumberRange, str]:
    """The next free registration number of the point's ranges for the track (S2, S3).

    Must run inside the caller's transaction, so that the number is given back if the
    candidate is not saved. The range row is locked: concurrent intakes at one point queue
    on it, and each sees the serial the previous one left. On a point client that has
    received its blocks, the number comes from this device's blocks only (issue 20).
    """
    holder = local_holder()
    if holder is not None and NumberBlock.objects.filter(holder=holder).exists():
        return _allocate_from_block(season, point, track_code, holder)
    number_range = (
        NumberRange.objects.select_for_update()
        .filter(
            season=season, point=point, subject_track__code=track_code, next_serial__lte=F("last")
        )
        .order_by("first")
        .first()
    )
    if number_range is None:
        raise RangeRefused(
            _(
                "%(point)s has no free registration number for this subject track. Ask the"
                " county office to add a number range."
            ),
            code="no_free_number",
            params={"point": point},
        )
    serial = number_range.next_serial
    number_range.next_serial = serial + 1
    number_range.save(update_fields=["next_serial", "updated_at"])
    return number_range, number_range.number(serial)


def claim_number(
    season: Season,
    point: RegistrationPoint,
    track_code: str,
    number: str,
    holder: uuid.UUID | None = None,
) -> NumberRange:
    """Claim a registration number the point client `holder` issued offline from the
    point's own range (S2, E4): the range holding it is locked and moves its `next_serial`
    past it, so that the office web issues numbers after the ones the client has issued,
    and the device's block holding it moves on too. Refused (RangeRefused) when the number
    lies outside the point's ranges for the track ("number_outside"), or in a block
    reserved to another point client that still works ("number_reserved", issue 20);
    whether a candidate holds it already is the caller's question (a candidate's number
    is unique in its season). Like `allocate_number`, it runs inside the caller's
    transaction."""
    prefix = point.county.registration_code
    number_range = None
    if prefix and _NUMBER.fullmatch(number) and number.startswith(prefix):
        serial = int(number[4:])
        number_range = (
            NumberRange.objects.select_for_update()
            .filter(
                season=season,
                point=point,
                subject_track__code=track_code,
                first__lte=serial,
                last__gte=serial,
            )
            .first()
        )
    if number_range is None:
        raise RangeRefused(
            _(
                "The registration number %(number)s is not in %(point)s's number ranges for"
                " this subject track."
            )
            % {"number": number[:12], "point": point},
            code="number_outside",
        )
    block = number_range.blocks.filter(first__lte=serial, last__gte=serial).first()
    if block is not None and block.holder != holder and block.released_at is None:
        raise RangeRefused(
            _(
                "The registration number %(number)s is reserved to another point client of"
                " %(point)s (%(device)s)."
            )
            % {"number": number, "point": point, "device": block.holder_name or block.holder},
            code="number_reserved",
        )
    if block is not None and block.next_serial <= serial:
        block.next_serial = serial + 1
        block.save(update_fields=["next_serial"])
    if number_range.next_serial <= serial:
        number_range.next_serial = serial + 1
        number_range.save(update_fields=["next_serial", "updated_at"])
    return number_range


# Blocks of numbers per point client (issue 20) ----------------------------------------------
#
# Like DHIS2's reserved values: each enrolled device holds up to GAOKAO_NUMBER_BLOCK_SIZE
# unused numbers per subject track, reserved at enrolment and topped up at each pull once
# fewer than GAOKAO_NUMBER_BLOCK_TOP_UP_BELOW are left. A device takes numbers offline
# from its own blocks only.


def block_size() -> int:
    return max(1, getattr(settings, "GAOKAO_NUMBER_BLOCK_SIZE", 50))


def top_up_below() -> int:
    return getattr(settings, "GAOKAO_NUMBER_BLOCK_TOP_UP_BELOW", 20)


def top_up(
    season: Season, point: RegistrationPoint, holder: uuid.UUID, holder_name: str = ""
) -> list[NumberBlock]:
    """Reserve numbers to the point client `holder`: for each subject track of the point
    whose unused reserved numbers are fewer than `top_up_below()`, a block that brings
    them back to `block_size()`, taken from the point's ranges in order like the office
    web's numbers (less, or none, when the ranges run out). The point's range rows are
    locked, so concurrent top-ups and intakes queue and never overlap. Returns the
    device's blocks with numbers left."""
    size, below = block_size(), top_up_below()
    with transaction.atomic():
        ranges = list(
            NumberRange.objects.select_for_update()
            .filter(season=season, point=point)
            .order_by("first")
        )
        by_track: dict[int, list[NumberRange]] = {}
        for number_range in ranges:
            by_track.setdefault(number_range.subject_track_id, []).append(number_range)
        for track_ranges in by_track.values():
            mine = NumberBlock.objects.filter(
                number_range__in=track_ranges, holder=holder, released_at__isnull=True
            )
            left = sum(block.free for block in mine)
            if left >= below:
                continue
            wanted = size - left
            for number_range in track_ranges:
                take = min(wanted, number_range.free)
                if take <= 0:
                    continue
                first = number_range.next_serial
                NumberBlock.objects.create(
                    number_range=number_range,
                    holder=holder,
                    holder_name=holder_name[:80],
                    first=first,
                    last=first + take - 1,
                    next_serial=first,
                )
                number_range.next_serial = first + take
                number_range.save(update_fields=["next_serial", "updated_at"])
                wanted -= take
                if wanted <= 0:
                    break
    return live_blocks(season, point, holder)


def live_blocks(season: Season, point: RegistrationPoint, holder: uuid.UUID) -> list[NumberBlock]:
    """The device's blocks with numbers left, oldest first."""
    return list(
        NumberBlock.objects.filter(
            number_range__season=season,
            number_range__point=point,
            holder=holder,
            released_at__isnull=True,
            next_serial__lte=F("last"),
        )
        .select_related("number_range__subject_track", "number_range__point__county")
        .order_by("number_range__first", "first")
    )


def release_blocks(holder: uuid.UUID) -> int:
    """A point client retired (revoked): its blocks are released. Their unused numbers
    are not handed out again, since the device may have issued some of them offline and
    not sent them yet; nor are they held against anyone: a number of a released block
    that another device sends is claimed like any number of the point's range."""
    return NumberBlock.objects.filter(holder=holder, released_at__isnull=True).update(
        released_at=timezone.now()
    )


# The point client says which device it is, so that its intake takes numbers from its
# own blocks (set by gaokao.client at start-up; None on the central server).
_local_holder: Callable[[], uuid.UUID | None] | None = None


def use_local_holder(holder: Callable[[], uuid.UUID | None] | None) -> None:
    global _local_holder
    _local_holder = holder


def local_holder() -> uuid.UUID | None:
    return _local_holder() if _local_holder is not None else None


def _allocate_from_block(
    season: Season, point: RegistrationPoint, track_code: str, holder: uuid.UUID
) -> tuple[NumberRange, str]:
    block = (
        NumberBlock.objects.select_for_update()
        .filter(
            number_range__season=season,
            number_range__point=point,
            number_range__subject_track__code=track_code,
            holder=holder,
            released_at__isnull=True,
            next_serial__lte=F("last"),
        )
        .select_related("number_range__point__county")
        .order_by("number_range__first", "first")
        .first()
    )
    if block is None:
        raise RangeRefused(
            _(
                "This point client has used all the registration numbers the server reserved"
                " for it for this subject track. Connect to the network and sync to get"
                " more numbers, then take the candidate in again: what you typed is kept. If"
                " a sync brings none, the county office adds a number range for the point."
            ),
            code="block_used_up",
        )
    serial = block.next_serial
    block.next_serial = serial + 1
    block.save(update_fields=["next_serial"])
    return block.number_range, block.number(serial)
