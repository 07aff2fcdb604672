import datetime as dt
from itertools import pairwise

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gaokao.regions.models import Region


class PhaseKind(models.TextChoices):
    """The windows of a season's schedule (R2)."""

    MAIN = "main", _("Main registration")  # R2.1
    PROFESSIONAL = "professional", _("Professional exam registration and payment")  # R2.2
    CITY_ART = "city_art", _("City confirmation of art candidates")  # R2.3
    CITY_ALL = "city_all", _("City confirmation of all candidates")  # R2.4
    YOUTH = "youth", _("Gaokao-youth registration")  # R2.5


class Level(models.TextChoices):
    """The levels a record passes on its way up (S9), each with its own cut-off per phase."""

    POINT = "point", _("point")
    COUNTY = "county", _("county")
    CITY = "city", _("city")
    PROVINCE = "province", _("province")


def default_offline_grace_hours() -> int:
    """A new season's grace for changes keyed offline (settings.GAOKAO_OFFLINE_GRACE_HOURS)."""
    return settings.GAOKAO_OFFLINE_GRACE_HOURS


class Season(models.Model):
    """报名季 — one year's registration in one province, with its schedule."""

    year = models.PositiveSmallIntegerField(_("exam year"))
    province = models.ForeignKey(
        Region,
        models.PROTECT,
        limit_choices_to={"level": Region.Level.PROVINCE},
        verbose_name=_("province"),
    )
    name = models.CharField(_("name"), max_length=100)
    # At most one season is current (the constraint below); gaokao.seasons.current() finds it.
    is_current = models.BooleanField(_("current season"), default=False)
    # The day from which the season's personal data may be removed (`gaokao purge`).
    retain_until = models.DateField(
        _("keep personal data until"),
        null=True,
        blank=True,
        help_text=_("After this day, `gaokao purge` may remove the season's personal data."),
    )
    # E3-E5: how long after a window's close a change keyed on a point client while it
    # was open may still reach the server (gaokao.sync.push); settings give the default.
    offline_grace_hours = models.PositiveSmallIntegerField(
        _("grace for changes keyed offline (hours)"),
        default=default_offline_grace_hours,
        # Also the database's own default, so that code that does not know the column yet
        # (a release being replaced, an older migration's model) can still add a season.
        db_default=48,
        help_text=_(
            "A change keyed on a point client while its window was open is accepted if it"
            " reaches the server within this many hours after the close."
        ),
    )

    class Meta:
        ordering = ["-year", "name"]
        verbose_name = _("season")
        verbose_name_plural = _("seasons")
        constraints = [
            models.UniqueConstraint(fields=["province", "name"], name="season_name_unique"),
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="one_current_season"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def phase(self, kind: str) -> "Phase":
        return self.phases.get(kind=kind)

    def is_open(self, kind: str, region: Region, at: dt.datetime | None = None) -> bool:
        """Is phase `kind` open for `region` at `at` (default: now)? Phases a season does not
        have are closed. This is the one rule every deadline in the system goes through."""
        chain = [r.pk for r in region.ancestors_and_self()]
        # The phase and its latest extension for the region in one query (the portal asks
        # this at every page): the same answer as `phase.is_open_for(region, at)`.
        extended = (
            Extension.objects.filter(phase=models.OuterRef("pk"), region__in=chain)
            .values("phase")
            .annotate(m=models.Max("ends_at"))
            .values("m")
        )
        phase = self.phases.filter(kind=kind).annotate(extended=models.Subquery(extended)).first()
        if phase is None:
            return False
        at = at or timezone.now()
        ends_at = max(phase.ends_at, phase.extended) if phase.extended else phase.ends_at
        return phase.starts_at <= at <= ends_at


class Phase(models.Model):
    """One window of the schedule. Both ends are inclusive: a window that ends on
    2019-11-08 is stored as ending at 23:59:59.999999 that day, Asia/Shanghai."""

    season = models.ForeignKey(
        Season, models.CASCADE, related_name="phases", verbose_name=_("season")
    )
    kind = models.CharField(_("phase"), max_length=16, choices=PhaseKind)
    starts_at = models.DateTimeField(_("opens at"))
    ends_at = models.DateTimeField(_("closes at"))
    # Cut-offs per level (issue 19): by each the level submits to the one above, and after
    # it the level's staff no longer change the records it holds (gaokao.candidates.stage).
    # Empty: the phase's close for the point, county and city; no cut-off for the province.
    point_cutoff = models.DateTimeField(
        _("points' cut-off"), null=True, blank=True, help_text=_("Empty: the phase's close.")
    )
    county_cutoff = models.DateTimeField(
        _("counties' cut-off"), null=True, blank=True, help_text=_("Empty: the phase's close.")
    )
    city_cutoff = models.DateTimeField(
        _("cities' cut-off"), null=True, blank=True, help_text=_("Empty: the phase's close.")
    )
    province_cutoff = models.DateTimeField(
        _("province's cut-off"), null=True, blank=True, help_text=_("Empty: none.")
    )

    class Meta:
        ordering = ["season", "starts_at", "ends_at"]
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        constraints = [
            models.UniqueConstraint(fields=["season", "kind"], name="phase_unique_per_season"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="phase_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.season} · {self.get_kind_display()}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError(_("A window must close after it opens."))
        cutoffs = [(level, self.own_cutoff(level)) for level in Level]
        cutoffs = [(level, at) for level, at in cutoffs if at is not None]
        for (low, before), (high, after) in pairwise(cutoffs):
            if after < before:
                raise ValidationError(
                    _("The %(high)s's cut-off cannot come before the %(low)s's.")
                    % {"high": high.label, "low": low.label}
                )
        if self.starts_at and any(at <= self.starts_at for _level, at in cutoffs):
            raise ValidationError(_("A cut-off must come after the phase opens."))

    def own_cutoff(self, level: str) -> dt.datetime | None:
        """The level's cut-off as configured, its default filled in (no extension)."""
        at = getattr(self, f"{Level(level).value}_cutoff")
        if at is None and level != Level.PROVINCE:
            return self.ends_at
        return at

    def cutoff_for(
        self, level: str, region: Region, chain: list[int] | None = None
    ) -> dt.datetime | None:
        """The level's cut-off for the records of `region` (a county, or the unit's own
        region): an extension granted to the region or above moves every level's cut-off
        by as much as it moves the phase's close (E1-E3, E6). None: no cut-off. `chain`:
        see `ends_at_for`."""
        at = self.own_cutoff(level)
        if at is None:
            return None
        return at + (self.ends_at_for(region, chain) - self.ends_at)

    def ends_at_for(self, region: Region, chain: list[int] | None = None) -> dt.datetime:
        """The close of this window for `region`: the latest extension granted to the region
        or to a region above it, if later than the window's own close. A caller with the
        ids of the region and those above it (`chain`) and the phase's extensions
        prefetched asks no query."""
        chain = chain or [r.pk for r in region.ancestors_and_self()]
        if "extensions" in getattr(self, "_prefetched_objects_cache", {}):
            found = [e.ends_at for e in self.extensions.all() if e.region_id in chain]
            extended = max(found, default=None)
        else:
            extended = self.extensions.filter(region__in=chain).aggregate(m=models.Max("ends_at"))[
                "m"
            ]
        return max(self.ends_at, extended) if extended else self.ends_at

    def is_open_for(self, region: Region, at: dt.datetime | None = None) -> bool:
        at = at or timezone.now()
        return self.starts_at <= at <= self.ends_at_for(region)


class Extension(models.Model):
    """延期 — a later close of one phase for one region (and every region below it)."""

    phase = models.ForeignKey(
        Phase, models.CASCADE, related_name="extensions", verbose_name=_("phase")
    )
    region = models.ForeignKey(Region, models.PROTECT, verbose_name=_("region"))
    ends_at = models.DateTimeField(_("closes at"))
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")

    def __str__(self) -> str:
        return f"{self.phase} · {self.region}"

    def clean(self) -> None:
        if self.ends_at and self.phase_id and self.ends_at <= self.phase.ends_at:
            raise ValidationError(_("An extension must close later than the phase itself."))


def day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def day_end(day: dt.date) -> dt.datetime:
    """The last instant of `day` in the server's time zone (Asia/Shanghai)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max))
