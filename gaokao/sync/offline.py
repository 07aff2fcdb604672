"""Work keyed offline (E3-E5): when a point client keyed a change, whether that still counts
after its window closed, and whether the client's clock can be believed.

A change carries `keyed_at`, the client's time when it was keyed; the server keeps the
time it received the change (Receipt.received_at: for a disc, the county's import). A
change keyed while its window was open that reaches the server within the grace after the
close (Season.offline_grace_hours, default settings.GAOKAO_OFFLINE_GRACE_HOURS) is judged
at `keyed_at`. One keyed after the close or received after the grace is neither applied
nor dropped: it waits as a conflict 截止后修改 for the county (gaokao.sync.push). A push
also carries the client's clock (`sent_at`); a device more than
settings.GAOKAO_CLOCK_SKEW_MINUTES off is flagged to its county, because its keyed-at
times are read from that clock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from gaokao.seasons.models import Season
from gaokao.sync.errors import SyncRefused
from gaokao.sync.models import Device


def grace(season: Season | None) -> dt.timedelta:
    """How long after a window's close a change keyed while it was open is accepted."""
    hours = getattr(season, "offline_grace_hours", None)
    if hours is None:
        hours = settings.GAOKAO_OFFLINE_GRACE_HOURS
    return dt.timedelta(hours=hours)


def skew_limit() -> dt.timedelta:
    return dt.timedelta(minutes=settings.GAOKAO_CLOCK_SKEW_MINUTES)


def parse_time(value: Any) -> dt.datetime | None:
    """A date and time with its offset (a datetime, or ISO 8601 text); None if it is not."""
    if isinstance(value, str) and len(value) < 40:
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, dt.datetime) or timezone.is_naive(value):
        return None
    if not 2000 <= value.year <= 9998:
        return None
    return value


def keyed_at_of(change: dict[str, Any], season: Season | None, now: dt.datetime):
    """The change's keyed-at time, or None when the client did not send one (then the
    change counts as keyed when it arrived). One that cannot be true is refused: in the
    future beyond the clock tolerance, or before the season's first window opened."""
    if change.get("keyed_at") is None:
        return None
    keyed_at = parse_time(change["keyed_at"])
    if keyed_at is None:
        raise SyncRefused(
            _("keyed_at must be a date and time with its UTC offset."), code="keyed_at"
        )
    if keyed_at > now + skew_limit():
        raise SyncRefused(
            _("The change says it was keyed in the future (%(at)s): check the PC's clock.")
            % {"at": _shown_time(keyed_at)},
            code="implausible",
        )
    first = season_start(season)
    if first is not None and keyed_at < first:
        raise SyncRefused(
            _(
                "The change says it was keyed before the season began (%(at)s): check the PC's"
                " clock."
            )
            % {"at": _shown_time(keyed_at)},
            code="implausible",
        )
    return keyed_at


def season_start(season: Season | None) -> dt.datetime | None:
    if season is None:
        return None
    if not hasattr(season, "_first_opening"):
        season._first_opening = season.phases.aggregate(first=Min("starts_at"))["first"]
    return season._first_opening


def _shown_time(at: dt.datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def check_clock(device: Device, sent_at: Any, now: dt.datetime | None = None) -> None:
    """Record how far the client's clock (`sent_at`, its time when it sent the push) is
    from the server's, and flag the device when it is beyond the tolerance. A push without
    `sent_at` (an older client) leaves the last reading as it was."""
    sent = parse_time(sent_at)
    if sent is None:
        return
    now = now or timezone.now()
    skew = sent - now
    seconds = max(min(int(skew.total_seconds()), 2**31 - 1), -(2**31) + 1)
    device.clock_skew_seconds = seconds
    device.clock_checked_at = now
    device.clock_flagged = abs(skew) > skew_limit()
    Device.objects.filter(pk=device.pk).update(
        clock_skew_seconds=device.clock_skew_seconds,
        clock_checked_at=now,
        clock_flagged=device.clock_flagged,
    )


def skew_text(device: Device) -> str:
    """How far off the device's clock was at its last push, for people: "+7 min"."""
    if device.clock_skew_seconds is None:
        return ""
    minutes = round(device.clock_skew_seconds / 60)
    return _("%(sign)s%(minutes)d min") % {
        "sign": "+" if minutes >= 0 else "−",
        "minutes": abs(minutes),
    }
