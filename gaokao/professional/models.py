"""Professional exams (专业考试, S6): the categories a season offers (美术, 音乐, 体育, …) and a
candidate's registration per category, registered once its fee is paid (O6). The payment
itself is gaokao.payments' business: a registration is what an order pays."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from gaokao.candidates.models import Candidate
from gaokao.payments.models import yuan
from gaokao.regions.jurisdiction import scoped_manager
from gaokao.seasons.models import Season


class Category(models.Model):
    """A professional exam a season offers (美术, 音乐, 体育, …) — configuration, not code."""

    class Kind(models.TextChoices):
        ART = "art", _("Art")
        SPORTS = "sports", _("Sports")

    season = models.ForeignKey(
        Season, models.CASCADE, related_name="categories", verbose_name=_("season")
    )
    code = models.CharField(_("code"), max_length=8)
    name = models.CharField(_("name"), max_length=30)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind)
    fee_fen = models.PositiveIntegerField(_("fee (fen)"))
    main_items = models.JSONField(
        _("main items"), default=list, blank=True, help_text=_("Empty: no main item.")
    )
    secondary_items = models.JSONField(
        _("secondary items"), default=list, blank=True, help_text=_("Empty: no secondary item.")
    )
    tracks = models.JSONField(
        _("subject tracks"), default=list, help_text=_("Codes of the tracks that may register.")
    )
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        db_table = "payments_category"  # made by the payments app; the table kept its name
        ordering = ["season", "sort_order", "code"]
        verbose_name = _("professional exam category")
        verbose_name_plural = _("professional exam categories")
        constraints = [
            models.UniqueConstraint(fields=["season", "code"], name="category_unique_in_season")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def fee_yuan(self) -> str:
        return yuan(self.fee_fen)


class Registration(models.Model):
    """A candidate's registration for one category. Registered only once paid (O6)."""

    class Status(models.TextChoices):
        UNPAID = "unpaid", _("Chosen, not paid")
        PAID = "paid", _("Registered (paid)")
        LAPSED = "lapsed", _("Not registered (unpaid at the deadline)")

    candidate = models.ForeignKey(
        Candidate,
        models.CASCADE,
        related_name="professional_registrations",
        verbose_name=_("candidate"),
    )
    category = models.ForeignKey(
        Category, models.PROTECT, related_name="registrations", verbose_name=_("category")
    )
    main_item = models.CharField(_("main item"), max_length=30, blank=True)
    secondary_item = models.CharField(_("secondary item"), max_length=30, blank=True)
    exam_phone = models.CharField(_("phone during the exams"), max_length=11)
    status = models.CharField(_("status"), max_length=8, choices=Status, default=Status.UNPAID)
    created_at = models.DateTimeField(_("chosen at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    objects = scoped_manager(county="candidate__point__county", point="candidate__point")

    class Meta:
        db_table = "payments_registration"  # made by the payments app; kept its name
        ordering = ["category__sort_order", "category__code"]
        verbose_name = _("professional exam registration")
        verbose_name_plural = _("professional exam registrations")
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "category"], name="registration_once_per_category"
            )
        ]

    def __str__(self) -> str:
        return f"{self.candidate} · {self.category}"
