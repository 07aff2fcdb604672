from django.db import models
from django.utils.translation import gettext_lazy as _

from gaokao.seasons.models import Season


class PurgedSeason(models.Model):
    """A closed season whose personal data was removed: what is left of it are these
    aggregate statistics, taken just before the removal."""

    season = models.OneToOneField(
        Season, models.PROTECT, related_name="purge", verbose_name=_("season")
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    by = models.CharField(_("by"), max_length=150)
    statistics = models.JSONField(_("statistics"), default=dict)

    class Meta:
        verbose_name = _("purged season")
        verbose_name_plural = _("purged seasons")

    def __str__(self) -> str:
        return str(self.season)
