"""The units each level keeps, saved with their audit (issue 19, item 5): the province's
cities and counties, a county's registration points. The rules are those of
`gaokao.regions.services` (who keeps what, what may change, what uses a unit); this module
applies them under the row's lock and writes the change with `gaokao.audit.config`, as a
diff with who, when and the reason. It lives here, above `regions` and `audit`, because
the audit chain's events belong to units: `audit` imports `regions`, not the reverse."""

from typing import Any

from django.db import transaction
from django.http import HttpRequest

from gaokao.audit import config
from gaokao.regions import services as rules
from gaokao.regions.models import Region, RegistrationPoint


def save_region(
    region: Region, *, by: Any, reason: str, request: HttpRequest | None = None
) -> dict[str, list]:
    """Add or change a city or county of `by`'s province and record the diff. A county
    without a city-county code gets the default (digits 3–6 of its code). Returns the
    diff: empty when nothing changed, and then nothing is recorded."""
    reason = config.clean_reason(reason)
    with transaction.atomic():
        stored = Region.objects.select_for_update().filter(pk=region.pk).first()
        rules.check_region(region, stored, by)
        return config.save_audited(region, reason=reason, by=by, request=request)


def save_point(
    point: RegistrationPoint, *, by: Any, reason: str, request: HttpRequest | None = None
) -> dict[str, list]:
    """Add or change a registration point of `by`'s county and record the diff."""
    reason = config.clean_reason(reason)
    with transaction.atomic():
        stored = (
            RegistrationPoint.objects.select_for_update()
            .select_related("county")
            .filter(pk=point.pk)
            .first()
        )
        rules.check_point(point, stored, by)
        return config.save_audited(point, reason=reason, by=by, request=request)


def delete_unit(
    unit: Region | RegistrationPoint, *, by: Any, reason: str, request: HttpRequest | None = None
) -> dict[str, list]:
    """Delete a city, county or point that nothing refers to (one entered by mistake) and
    record what it held. A unit in use is refused, naming what uses it."""
    reason = config.clean_reason(reason)
    with transaction.atomic():
        type(unit).objects.select_for_update().filter(pk=unit.pk).first()
        rules.check_deletable(unit, by)
        return config.delete_audited(unit, reason=reason, by=by, request=request)
