import datetime as dt

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

    def ends_at_for(self, region: Region) -> dt.datetime:
        """The close of this window for `region`: the latest extension granted to the region
        or to a region above it, if later than the window's own close."""
        chain = [r.pk for r in region.ancestors_and_self()]
        extended = self.extensions.filter(region__in=chain).aggregate(m=models.Max("ends_at"))["m"]
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
