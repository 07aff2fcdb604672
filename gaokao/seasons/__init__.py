"""报名季 — seasons: one year's registration in one province, its windows and extensions,
and the one answer to "which season is the system working on now": `current()`.

Every caller asks `current()`; it returns the season or raises `NoCurrentSeason`. The front
ends turn that into one clear page (gaokao.web.seasons); a caller that can do its work
without a season (a dashboard, a sync pull before the province opened one) catches it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gaokao.seasons.models import Season


class NoCurrentSeason(Exception):
    """No season is marked current: the province has not opened one yet."""


def current() -> Season:
    """The season marked current (with its province), or NoCurrentSeason."""
    # Imported here: Django imports this package before its models can be.
    from gaokao.seasons.models import Season

    try:
        return Season.objects.select_related("province").get(is_current=True)
    except Season.DoesNotExist:
        raise NoCurrentSeason("No season is marked current.") from None
