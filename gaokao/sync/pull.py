"""The pull (R4, S3): the point's configuration and its candidates of the current season,
page by page after an opaque, signed cursor. A candidate counts as changed when its row was
saved or it moved up or down (S9), which does not save the row."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core import signing
from django.db import models
from django.db.models import Max, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from gaokao.candidates.models import Candidate
from gaokao.codes.models import Code, RegistrationFee
from gaokao.numbering.models import NumberRange
from gaokao.regions.models import RegistrationPoint
from gaokao.seasons.models import Season
from gaokao.sync import numbers
from gaokao.sync.errors import SyncRefused
from gaokao.sync.fields import PULLED_FIELDS, ROW_FIELDS, SYNC_FIELDS, current_season, value_of
from gaokao.sync.models import Device

# Pulls re-send what changed in the last SETTLE: a transaction that stamped a row earlier
# but committed after a pull is still delivered by the next one.
SETTLE = dt.timedelta(minutes=5)
PULL_LIMIT = 500
CURSOR_SALT = "gaokao.sync.cursor"
ZERO_UUID = "00000000-0000-0000-0000-000000000000"


def snapshot(candidate: Candidate) -> dict[str, Any]:
    """A candidate as the point client keeps it."""
    out = {
        "id": str(candidate.pk),
        "version": candidate.version,
        "stage": candidate.stage,
        "updated_at": timezone.localtime(candidate.updated_at).isoformat(),
    }
    out.update({name: value_of(candidate, name) for name in (*SYNC_FIELDS, *PULLED_FIELDS)})
    return out


def _config(
    point: RegistrationPoint, season: Season | None, bundle_public_key: str
) -> dict[str, Any]:
    county = point.county
    config: dict[str, Any] = {
        "point": {
            "code": point.code,
            "name": point.name,
            "county": county.code,
            "county_name": county.name,
            "registration_code": county.registration_code,
        },
        "season": None,
        "ranges": [],
        # The server's key that disc bundles are encrypted for (E5), given by the caller:
        # the bundles' key pair belongs to gaokao.bundles, which builds on sync.
        "bundle_public_key": bundle_public_key,
        "codes": [
            {
                "table": c.table,
                "code": c.code,
                "name": c.name,
                "attrs": c.attrs,
                "is_active": c.is_active,
            }
            for c in Code.objects.order_by("table", "sort_order", "code")
        ],
    }
    if season is None:
        return config
    config["season"] = {
        "id": season.pk,
        "name": season.name,
        "year": season.year,
        "phases": [
            {
                "kind": phase.kind,
                "starts_at": timezone.localtime(phase.starts_at).isoformat(),
                # For the point's county: extensions included.
                "ends_at": timezone.localtime(phase.ends_at_for(county)).isoformat(),
            }
            for phase in season.phases.all()
        ],
        # The fee per subject track (S5): a point records it as paid, it never types it,
        # so a client without them could not complete a candidate's checks offline.
        "fees": [
            {"track": track, "fee_fen": fee_fen}
            for track, fee_fen in RegistrationFee.objects.filter(season=season)
            .order_by("subject_track")
            .values_list("subject_track", "fee_fen")
        ],
    }
    ranges = NumberRange.objects.filter(season=season, point=point).select_related(
        "subject_track", "point__county"
    )
    for number_range in ranges:
        used = Candidate.objects.filter(
            season=season,
            registration_number__gte=number_range.first_number,
            registration_number__lte=number_range.last_number,
        ).order_by("registration_number")
        config["ranges"].append(
            {
                "id": number_range.pk,
                "track": number_range.subject_track.code,
                "first": number_range.first,
                "last": number_range.last,
                "first_number": number_range.first_number,
                "last_number": number_range.last_number,
                "next_serial": number_range.next_serial,
                "used": list(used.values_list("registration_number", flat=True)),
            }
        )
    return config


def _read_cursor(device: Device, season: Season | None, cursor: Any) -> tuple:
    """(changed_at, pk) to continue after, or (None, "") to start from the beginning."""
    if cursor in (None, ""):
        return None, ""
    refused = SyncRefused(
        _("The cursor is not valid for this point client. Pull again without one."),
        code="cursor",
    )
    if not isinstance(cursor, str) or len(cursor) > 1000:
        raise refused
    try:
        data = signing.loads(cursor, salt=CURSOR_SALT)
        if data["d"] != str(device.pk):
            raise refused
        if season is None or data["s"] != season.pk:
            return None, ""  # a new season: everything again
        return dt.datetime.fromisoformat(data["t"]), str(uuid.UUID(data["k"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError) as e:
        raise refused from e


def _make_cursor(device: Device, season: Season | None, at: dt.datetime | None, pk: str) -> str:
    if season is None or at is None:
        return signing.dumps(
            {"d": str(device.pk), "s": None, "t": None, "k": ZERO_UUID}, salt=CURSOR_SALT
        )
    return signing.dumps(
        {"d": str(device.pk), "s": season.pk, "t": at.isoformat(), "k": pk}, salt=CURSOR_SALT
    )


def pull(
    device: Device,
    cursor: Any = None,
    *,
    limit: int = PULL_LIMIT,
    bundle_public_key: str = "",
) -> dict[str, Any]:
    """The point's configuration and its candidates of the current season changed since
    `cursor` (all of them without one), oldest change first, at most `limit`; `more` says
    whether to pull again at once with the new cursor. A candidate counts as changed when
    its row was saved or it moved up or down (S9), which does not save the row.
    `bundle_public_key` is announced in the configuration (E5)."""
    season = current_season()
    after, after_pk = _read_cursor(device, season, cursor)
    config = _config(device.point, season, bundle_public_key)
    # Which PC of the point this is, and its own numbers, topped up (issue 20).
    config["device"] = numbers.peers(device)
    config["blocks"] = [numbers.block_out(block) for block in numbers.blocks_of(device, season)]
    if season is None:
        return {
            "cursor": _make_cursor(device, None, None, ""),
            "more": False,
            "config": config,
            "candidates": [],
        }
    rows = (
        Candidate.objects.filter(point=device.point, season=season)
        .prefetch_related(*ROW_FIELDS)
        .annotate(
            changed_at=Greatest(
                "updated_at",
                Coalesce(Max("moves__at"), "updated_at"),
                output_field=models.DateTimeField(),
            )
        )
        .order_by("changed_at", "pk")
    )
    if after is not None:
        rows = rows.filter(Q(changed_at__gt=after) | Q(changed_at=after, pk__gt=after_pk))
    page = list(rows[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    if more:
        at, pk = page[-1].changed_at, str(page[-1].pk)
    else:
        horizon = timezone.now() - SETTLE
        at, pk = (page[-1].changed_at, str(page[-1].pk)) if page else (after, after_pk)
        if at is None or at > horizon:
            at, pk = horizon, ZERO_UUID
    return {
        "cursor": _make_cursor(device, season, at, pk),
        "more": more,
        "config": config,
        "candidates": [snapshot(c) for c in page],
    }
