"""地区与报名点的规则 — who keeps which regions and points, and what may change in them
(issue 19, item 5). The audited saves that apply these rules are in
`gaokao.accounts.units`: the audit chain's events belong to units, so `audit` imports
`regions`, and `regions` cannot write to the audit itself.

Who edits what follows who runs what (docs/requirements.md, R1, S2): the province its
cities and counties (names, GB/T 2260 codes, the city-county code, active); a county its
own points, whose codes begin with its city-county code and whose accounts and number
ranges it keeps. A city coordinates its counties and reads their points; it edits none.

A unit that anything refers to (candidates, staff accounts, number ranges, units below,
audit events, …) is never deleted: it is closed instead (`is_active` off), and the refusal
names what uses it. The codes that registration numbers carry (a county's city-county
code, a point's code) no longer change once numbers or candidates exist under them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from gaokao.regions.jurisdiction import active_role
from gaokao.regions.models import Region, RegistrationPoint

# Rows that carry a unit's code inside registration numbers: once one exists, the code
# that begins those numbers is kept (docs/domain/regions.md, the city-county code).
NUMBERED = frozenset({"candidates.candidate", "numbering.numberrange"})


class UnitRefused(ValidationError):
    """A change to a region or a point that is not allowed; the message is for people."""


# ── who may do what ─────────────────────────────────────────────────────────────────────


def manages_regions(user: Any) -> bool:
    """Only the province keeps its cities and counties."""
    return active_role(user) == "province"


def managed_regions(user: Any) -> models.QuerySet[Region]:
    """The cities and counties of the user's province (none for anyone else)."""
    if not manages_regions(user):
        return Region.objects.none()
    return (
        Region.objects.visible_to(user)
        .exclude(pk=user.region_id)
        .select_related("parent")
        .order_by("code")
    )


def counties_seen(user: Any) -> models.QuerySet[Region]:
    """The counties whose points the user may read: the province's, the city's, or the
    county itself."""
    return Region.objects.visible_to(user).filter(level=Region.Level.COUNTY).order_by("code")


def manages_points_of(user: Any, county: Region) -> bool:
    """Only the county itself keeps its points."""
    return active_role(user) == "county" and user.region_id == county.pk


def parents_for(user: Any, level: str) -> list[Region]:
    """Where a new city (the province) or county (one of its open cities) may go."""
    if not manages_regions(user):
        return []
    if level == Region.Level.CITY:
        return [user.region]
    return list(managed_regions(user).filter(level=Region.Level.CITY, is_active=True))


# ── what uses a unit ───────────────────────────────────────────────────────────────────


def uses(unit: Region | RegistrationPoint) -> list[tuple[str, str, int]]:
    """Every kind of row that refers to `unit`: (model label, its plural name, count),
    found from the models' own relations, so that an app added later is counted too."""
    found = []
    for rel in unit._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and rel.is_relation):
            continue
        model = rel.related_model
        if model._meta.auto_created:  # a many-to-many's own table: counted by its field
            continue
        n = model._base_manager.filter(**{rel.field.name: unit}).count()
        if n:
            found.append((model._meta.label_lower, str(model._meta.verbose_name_plural), n))
    return sorted(found)


def has_numbers(unit: Region | RegistrationPoint) -> bool:
    """True when registration numbers (or their ranges) exist under `unit`'s code."""
    points = [unit] if isinstance(unit, RegistrationPoint) else list(unit.points.all())
    return any(label in NUMBERED for p in points for label, _name, _n in uses(p))


def next_point_code(county: Region) -> str:
    """A free code for a new point of `county`: its city-county code and the next serial."""
    prefix = county.registration_code or Region.default_registration_code(county.code)
    taken = set(
        RegistrationPoint.objects.filter(code__startswith=prefix).values_list("code", flat=True)
    )
    return next((f"{prefix}{n:03d}" for n in range(1, 1000) if f"{prefix}{n:03d}" not in taken), "")


# ── the checks, made by the saves under their row locks ────────────────────────────────


def _valid(obj: models.Model) -> None:
    try:
        obj.full_clean()
    except ValidationError as e:
        raise UnitRefused(e.message_dict if hasattr(e, "error_dict") else e.messages) from e


def check_region(region: Region, stored: Region | None, by: Any) -> None:
    """Refuse a city or county `by` may not save as it is (`stored`: the row before)."""
    if not manages_regions(by):
        raise UnitRefused(_("Only the province keeps its cities and counties."))
    if region.level not in (Region.Level.CITY, Region.Level.COUNTY):
        raise UnitRefused(_("Only cities and counties are kept here."))
    parents = {p.pk for p in parents_for(by, region.level)}
    if region.pk is not None:
        if stored is None or not managed_regions(by).filter(pk=region.pk).exists():
            raise UnitRefused(_("This region is not one of your province's."))
        if stored.level != region.level:
            raise UnitRefused(_("A region's level cannot change."))
        parents.add(stored.parent_id)  # it may stay in a city that was closed since
    if region.parent_id not in parents:
        raise UnitRefused({"parent": _("Choose an open city of your province.")})
    if region.level == Region.Level.COUNTY and not region.registration_code:
        region.registration_code = Region.default_registration_code(region.code)
    if (
        stored is not None
        and stored.registration_code != region.registration_code
        and has_numbers(stored)
    ):
        raise UnitRefused(
            {
                "registration_code": _(
                    "Registration numbers issued or reserved in this county begin with its "
                    "city-county code; it can no longer change."
                )
            }
        )
    _valid(region)


def check_point(point: RegistrationPoint, stored: RegistrationPoint | None, by: Any) -> None:
    """Refuse a registration point `by` may not save as it is (`stored`: the row before)."""
    county = stored.county if stored is not None else point.county
    if not (manages_points_of(by, county) and point.county_id == county.pk):
        raise UnitRefused(_("Only the county keeps its registration points."))
    if stored is None and not county.is_active:
        raise UnitRefused(_("%(county)s is closed.") % {"county": county.name})
    prefix = county.registration_code
    if prefix and not point.code.startswith(prefix):
        raise UnitRefused(
            {
                "code": _("A point's code begins with the county's city-county code %(prefix)s.")
                % {"prefix": prefix}
            }
        )
    if stored is not None and stored.code != point.code and has_numbers(stored):
        raise UnitRefused(
            {
                "code": _(
                    "This point has candidates or number ranges; its code can no longer "
                    "change. Close it and open a new point instead."
                )
            }
        )
    _valid(point)


def check_deletable(unit: Region | RegistrationPoint, by: Any) -> None:
    """Refuse deleting a unit that is not `by`'s to keep, or that anything refers to."""
    if isinstance(unit, RegistrationPoint):
        allowed = manages_points_of(by, unit.county)
    else:
        allowed = managed_regions(by).filter(pk=unit.pk).exists()
    if not allowed:
        raise UnitRefused(_("This unit is not yours to delete."))
    found = uses(unit)
    if found:
        used_by = ", ".join(f"{name} ({n})" for _label, name, n in found)
        raise UnitRefused(
            _(
                "%(unit)s cannot be deleted: it is used by %(uses)s. Close it instead: "
                "untick Active and save."
            )
            % {"unit": unit, "uses": used_by}
        )
