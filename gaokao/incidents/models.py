"""Incidents (突发事件, E8): a unit reports one, it goes up the chain, each level comments
and acts, and its resolution is recorded."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gaokao.regions.jurisdiction import UnitQuerySet
from gaokao.regions.models import OwnedByUnit, Region, RegistrationPoint

TEXT_LIMIT = 2000


class Level(models.TextChoices):
    """The levels of the chain an incident goes up, bottom first."""

    POINT = "point", _("Registration point")
    COUNTY = "county", _("County office")
    CITY = "city", _("City office")
    PROVINCE = "province", _("Province authority")


LEVELS = [Level.POINT, Level.COUNTY, Level.CITY, Level.PROVINCE]


def rank(level: str) -> int:
    """0 for a point, 1 county, 2 city, 3 province."""
    return LEVELS.index(level)


class Kind(models.TextChoices):
    """The contingencies of the plan's table (E3–E8)."""

    POWER = "power", _("Power cut")
    NETWORK = "network", _("Network outage")
    ATTACK = "attack", _("Attack on the system")
    DISASTER = "disaster", _("Disaster (flood, epidemic)")
    SYSTEM = "system", _("Central system failure")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    SERIOUS = "serious", _("Serious")
    CRITICAL = "critical", _("Critical")


class Status(models.TextChoices):
    OPEN = "open", _("Being handled")
    RESOLVED = "resolved", _("Resolved")


class Upload(models.TextChoices):
    """Where a record made on a point client (客户版) stands with the central server: it
    waits for the next sync, the centre has it, or the centre refused it (with a message).
    A record made at the centre is there from the start."""

    DONE = "done", _("At the central server")
    PENDING = "pending", _("Recorded on this PC, not yet synced")
    REFUSED = "refused", _("Refused by the central server")


def recorded_here() -> str:
    """The upload state of a record made now: on a point client it waits for the sync."""
    return Upload.PENDING if settings.GAOKAO_MODE == "client" else Upload.DONE


class Synced(models.Model):
    """A record a point client can make offline: `uid` is the same on the client and at the
    centre (a record sent twice is stored once), `upload` says whether the centre has it."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    upload = models.CharField(
        _("sync"), max_length=8, choices=Upload, default=recorded_here, editable=False
    )
    upload_message = models.CharField(max_length=300, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def awaiting_sync(self) -> bool:
        return self.upload == Upload.PENDING


class IncidentQuerySet(UnitQuerySet):
    """`visible_to(user)` (from UnitQuerySet): incidents reported by the user's own unit or a
    unit below it. So an incident is seen by its reporter and every level above, never by
    a sibling county or another city."""

    def open(self) -> IncidentQuerySet:
        return self.filter(status=Status.OPEN)

    def covering(self, point: RegistrationPoint) -> IncidentQuerySet:
        """Incidents that concern `point`: reported by it or naming it among the affected
        points; naming its county, city or province among the affected regions; or reported
        by one of those regions without naming any unit (then the whole region is hit)."""
        regions = [r.pk for r in point.county.ancestors_and_self()]
        whole_region = Q(region__in=regions, affected_points=None, affected_regions=None)
        return self.filter(
            Q(point=point)
            | Q(affected_points=point)
            | Q(affected_regions__in=regions)
            | whole_region
        ).distinct()

    def in_city(self, city: Region | int) -> IncidentQuerySet:
        """Incidents reported in `city`: by the city itself, its counties or their points."""
        pk = getattr(city, "pk", city)
        return self.filter(Q(region=pk) | Q(region__parent=pk) | Q(point__county__parent=pk))


class Incident(Synced, OwnedByUnit):
    """突发事件 — an incident reported by one unit (a point, or a region of any level): the
    unit it belongs to (`OwnedByUnit`).

    `current_level` is the level handling it: the reporter's at first, higher each time it is
    passed up. It is visible at once to every level above the reporter. `version` goes up
    with every change of state (passed up, resolved, reopened), so that an action taken on
    a page that is out of date is refused rather than silently overriding another.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    severity = models.CharField(
        _("severity"), max_length=16, choices=Severity, default=Severity.SERIOUS
    )
    started_at = models.DateTimeField(_("started at"))
    description = models.TextField(_("description"), max_length=TEXT_LIMIT)
    affected_regions = models.ManyToManyField(
        Region, blank=True, related_name="+", verbose_name=_("affected regions")
    )
    affected_points = models.ManyToManyField(
        RegistrationPoint, blank=True, related_name="+", verbose_name=_("affected points")
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("reported by")
    )
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now, db_index=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.OPEN)
    current_level = models.CharField(_("handled by"), max_length=16, choices=Level)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolution = models.TextField(_("resolution"), blank=True, max_length=TEXT_LIMIT)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at", "-pk"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [models.Index(fields=["status", "-reported_at"], name="incident_status_reported")]
        constraints = [
            *OwnedByUnit.Meta.constraints,
            models.CheckConstraint(
                condition=Q(status="open", resolved_at__isnull=True)
                | Q(status="resolved", resolved_at__isnull=False),
                name="incident_resolved_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} · {self.unit}"

    @property
    def reporter_level(self) -> str:
        return self.unit_level

    def chain(self) -> list[tuple[str, Region | RegistrationPoint]]:
        """(level, unit) from the reporter up to the province."""
        if self.point_id:
            regions = self.point.county.ancestors_and_self()
            return [(Level.POINT, self.point)] + [(r.level, r) for r in regions]
        return [(r.level, r) for r in self.region.ancestors_and_self()]

    @property
    def handling_unit(self) -> Region | RegistrationPoint:
        """The unit of the chain at `current_level`."""
        return dict(self.chain())[self.current_level]

    @property
    def city(self) -> Region | None:
        return next((u for level, u in self.chain() if level == Level.CITY), None)

    @property
    def is_open(self) -> bool:
        return self.status == Status.OPEN


class Entry(models.TextChoices):
    REPORTED = "reported", _("Reported")
    COMMENT = "comment", _("Commented")
    ESCALATED = "escalated", _("Passed up")
    RESOLVED = "resolved", _("Resolved")
    REOPENED = "reopened", _("Reopened")


class IncidentEntry(Synced, OwnedByUnit):
    """One line of an incident's timeline: its report, a comment, a pass up, a resolution
    or a reopening, by whom, for which unit (`OwnedByUnit`: the author's unit), when.
    Append-only."""

    incident = models.ForeignKey(
        Incident, models.CASCADE, related_name="entries", verbose_name=_("incident")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Entry)
    at = models.DateTimeField(_("time"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("by")
    )
    text = models.TextField(_("text"), blank=True, max_length=TEXT_LIMIT)
    from_level = models.CharField(_("from level"), max_length=16, choices=Level, blank=True)
    to_level = models.CharField(_("to level"), max_length=16, choices=Level, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("incident entry")
        verbose_name_plural = _("incident entries")
        constraints = [*OwnedByUnit.Meta.constraints]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"
