"""校对 — proofreading (S7) and confirmation by phone (E6).

The point prints the proofreading sheet (校对表); the candidate checks it with their ID card
and signs. What is kept here is *that* the candidate confirmed, how, and which version of
their record they confirmed: once the record changes, the signed sheet is outdated and the
confirmation no longer counts (see services.is_proofread). Each row holds the current state
only; every confirmation ever recorded stays in the audit trail.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gaokao.candidates.models import Candidate
from gaokao.regions.jurisdiction import scoped_manager


class Method(models.TextChoices):
    SIGNATURE = "signature", _("Signed the printed sheet")
    PHONE = "phone", _("Confirmed by phone")


class Confirmation(models.Model):
    """The candidate confirmed their proofread data: by signing the printed sheet at the
    point (S7), or, when they cannot come, by phone (E6)."""

    candidate = models.OneToOneField(
        Candidate, models.CASCADE, related_name="proofreading", verbose_name=_("candidate")
    )
    method = models.CharField(_("confirmed by"), max_length=10, choices=Method)
    # The candidate's `version` the confirmation was given for.
    version = models.PositiveIntegerField(_("data version confirmed"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    # E6 only: who called the candidate, when, at which number, and what was said.
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("called by"),
    )
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)
    phone_number = models.CharField(_("number called"), max_length=20, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = scoped_manager(county="candidate__point__county", point="candidate__point")

    class Meta:
        verbose_name = _("proofreading confirmation")
        verbose_name_plural = _("proofreading confirmations")
        constraints = [
            models.CheckConstraint(
                condition=Q(method="signature")
                | (
                    Q(method="phone", called_by__isnull=False, called_at__isnull=False)
                    & ~Q(phone_number="")
                    & ~Q(note="")
                ),
                name="phone_confirmation_is_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.candidate} {self.get_method_display()} v{self.version}"


class IdentityCheck(models.Model):
    """Identity keyed in by hand, checked by hand against the candidate's document at the
    point (S7) because the card could not be read. The name checked and the number's blind
    index are kept (the number itself stays encrypted on the candidate only): should either
    change afterwards, the check no longer counts."""

    candidate = models.OneToOneField(
        Candidate, models.CASCADE, related_name="identity_check", verbose_name=_("candidate")
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("checked by")
    )
    checked_at = models.DateTimeField(_("checked at"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    name = models.CharField(_("name checked"), max_length=50)
    id_number_index = models.CharField(_("document number checked (blind index)"), max_length=64)

    objects = scoped_manager(county="candidate__point__county", point="candidate__point")

    class Meta:
        verbose_name = _("manual identity check")
        verbose_name_plural = _("manual identity checks")

    def __str__(self) -> str:
        return f"{self.candidate} {self.checked_at:%Y-%m-%d %H:%M}"


class Printout(models.Model):
    """The last time the candidate's proofreading documents were printed, and for which
    version of the record: a sheet printed before a change shows outdated data."""

    candidate = models.OneToOneField(
        Candidate,
        models.CASCADE,
        related_name="proofreading_printout",
        verbose_name=_("candidate"),
    )
    version = models.PositiveIntegerField(_("data version printed"))
    printed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("printed by")
    )
    printed_at = models.DateTimeField(_("printed at"))
    count = models.PositiveIntegerField(_("times printed"), default=1)

    objects = scoped_manager(county="candidate__point__county", point="candidate__point")

    class Meta:
        verbose_name = _("proofreading printout")
        verbose_name_plural = _("proofreading printouts")

    def __str__(self) -> str:
        return f"{self.candidate} v{self.version}"
