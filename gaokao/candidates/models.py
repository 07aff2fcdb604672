import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from gaokao.accounts.jurisdiction import scoped_manager
from gaokao.regions.models import RegistrationPoint
from gaokao.seasons.models import Season


class Candidate(models.Model):
    """考生 — a candidate registered at one point in one season.

    The primary key is a UUID so that a point client can create candidates offline and sync
    them without collisions. The foundation holds what jurisdiction needs; the intake and
    portal work adds identity, the candidate's own data and their states.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    season = models.ForeignKey(
        Season, models.PROTECT, related_name="candidates", verbose_name=_("season")
    )
    point = models.ForeignKey(
        RegistrationPoint,
        models.PROTECT,
        related_name="candidates",
        verbose_name=_("registration point"),
    )
    # NULL until a number is allocated: the unique constraint ignores such rows.
    registration_number = models.CharField(  # noqa: DJ001
        _("registration number"), max_length=8, null=True, blank=True
    )
    name = models.CharField(_("name"), max_length=50)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = scoped_manager(county="point__county", point="point")

    class Meta:
        ordering = ["registration_number"]
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        constraints = [
            models.UniqueConstraint(
                fields=["season", "registration_number"],
                name="registration_number_unique_in_season",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registration_number or '—'} {self.name}"
