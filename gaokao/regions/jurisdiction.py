"""管辖范围 — jurisdiction: the one place that decides which rows a staff user may see.

Province staff see their province, city staff their city's counties, county staff their
county's points, point staff their own point. Every staff query goes through `visible_to`,
and views fetch single objects with `get_visible_or_404`, so an object outside the user's
jurisdiction answers exactly like a missing one.

It lives with the regions, below the staff accounts: it reads only what any user object
carries (`Staff` below), so that `regions` never imports `accounts`.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404

NOTHING = Q(pk__in=[])

OFFICE_ROLES = ("province", "city", "county")


class Staff(Protocol):
    """What jurisdiction reads of a user: a staff account, or anyone else (an anonymous
    user, a candidate) for whom every query below is empty."""

    is_authenticated: bool
    is_active: bool
    role: str
    region_id: int | None
    point_id: int | None


def jurisdiction_q(user: Staff | Any, county: str, point: str | None) -> Q:
    """Q for rows whose county is reached by the lookup `county` and whose point (if rows
    belong to points) by `point`; `point=None` means point staff see none of these rows."""
    role = active_role(user)
    if role == "province":
        return Q(**{f"{county}__parent__parent": user.region_id})
    if role == "city":
        return Q(**{f"{county}__parent": user.region_id})
    if role == "county":
        return Q(**{county: user.region_id})
    if role == "point" and point is not None:
        return Q(**{point: user.point_id})
    return NOTHING


class JurisdictionQuerySet(models.QuerySet):
    """A queryset that knows the lookups from its model to the county and the point."""

    county_lookup: str = "county"
    point_lookup: str | None = None

    def visible_to(self, user: Staff | Any) -> JurisdictionQuerySet:
        return self.filter(jurisdiction_q(user, self.county_lookup, self.point_lookup))


def scoped_manager(*, county: str, point: str | None) -> models.Manager:
    """A manager whose querysets have `visible_to(user)` for a model reached by these lookups."""
    queryset = type(
        "ScopedQuerySet", (JurisdictionQuerySet,), {"county_lookup": county, "point_lookup": point}
    )
    return queryset.as_manager()


class RegionQuerySet(models.QuerySet):
    def visible_to(self, user: Staff | Any) -> RegionQuerySet:
        """A user's own region and every region below it; point staff manage no regions."""
        return self.filter(region_subtree_q(user, ""))


def active_role(user: Staff | Any) -> str | None:
    """The user's role, or None for anyone signed out, disabled or without a role."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return getattr(user, "role", None)


def region_subtree_q(user: Staff | Any, lookup: str) -> Q:
    """Q for rows whose region (reached by `lookup`, "" for regions themselves) is the
    user's own region or below it."""
    if active_role(user) not in OFFICE_ROLES:
        return NOTHING
    r, prefix = user.region_id, f"{lookup}__" if lookup else ""
    return (
        Q(**{lookup or "pk": r}) | Q(**{f"{prefix}parent": r}) | Q(**{f"{prefix}parent__parent": r})
    )


class UnitQuerySet(models.QuerySet):
    """Rows that belong to one unit: a region of any level (`region`) or a point (`point`),
    such as staff accounts and audit events (see `gaokao.regions.models.OwnedByUnit`)."""

    def visible_to(self, user: Staff | Any) -> UnitQuerySet:
        """The rows of the user's own unit and of every unit below it."""
        return self.filter(
            region_subtree_q(user, "region") | jurisdiction_q(user, "point__county", "point")
        )

    def owned_by(self, user: Staff | Any) -> UnitQuerySet:
        """The rows of the user's own unit only (not those below it)."""
        role = active_role(user)
        if role == "point":
            return self.filter(point_id=user.point_id)
        if role in OFFICE_ROLES:
            return self.filter(region_id=user.region_id)
        return self.filter(NOTHING)


def get_visible_or_404(queryset: models.QuerySet, user: Staff | Any, **lookup: Any) -> Any:
    """The object matching `lookup` within the user's jurisdiction, or 404 (never 403: an
    object outside the jurisdiction must not be distinguishable from a missing one)."""
    try:
        return queryset.visible_to(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, ValidationError) as e:  # malformed keys too
        raise Http404 from e
