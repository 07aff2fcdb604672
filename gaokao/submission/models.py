"""The submission upward (S9): every move of a record between levels, kept."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gaokao.candidates.models import Candidate, Stage
from gaokao.regions.jurisdiction import scoped_manager


class Move(models.Model):
    """One candidate moved up (submitted, accepted) or down (returned, with a reason)."""

    class Kind(models.TextChoices):
        SUBMIT = "submit", _("Submitted")
        RETURN = "return", _("Returned")
        ACCEPT = "accept", _("Accepted")

    candidate = models.ForeignKey(
        Candidate, models.CASCADE, related_name="moves", verbose_name=_("candidate")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind)
    from_stage = models.CharField(_("from"), max_length=8, choices=Stage)
    to_stage = models.CharField(_("to"), max_length=8, choices=Stage)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    batch = models.UUIDField(_("batch"), db_index=True)

    objects = scoped_manager(county="candidate__point__county", point="candidate__point")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("submission move")
        verbose_name_plural = _("submission moves")

    def __str__(self) -> str:
        return f"{self.candidate} {self.from_stage}→{self.to_stage}"
