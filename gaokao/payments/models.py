"""Professional exams (S6) and their fees (O6): the categories a season offers, a
candidate's registration per category, one payment order per attempt, and every message
received from a gateway."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gaokao.accounts.jurisdiction import scoped_manager
from gaokao.candidates.models import Candidate
from gaokao.seasons.models import Season


def yuan(fen: int) -> str:
    """12000 → "120.00": amounts are kept in fen and shown in yuan."""
    return f"{fen // 100}.{fen % 100:02d}"


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


class Channel(models.TextChoices):
    WECHAT = "wechat", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    UNIONPAY = "unionpay", _("UnionPay")


class PaymentOrder(models.Model):
    """One payment attempt: its own out-trade-no, never reused. created → paid, or
    created → closed. A payment for a closed order is recorded and flagged for a person."""

    class State(models.TextChoices):
        CREATED = "created", _("Waiting for payment")
        PAID = "paid", _("Paid")
        CLOSED = "closed", _("Closed")

    registration = models.ForeignKey(
        Registration, models.PROTECT, related_name="orders", verbose_name=_("registration")
    )
    out_trade_no = models.CharField(_("order number"), max_length=32, unique=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))
    state = models.CharField(_("state"), max_length=8, choices=State, default=State.CREATED)
    transaction_id = models.CharField(_("gateway transaction id"), max_length=64, blank=True)
    pay_kind = models.CharField(max_length=8, blank=True)  # PayStart.kind
    pay_content = models.TextField(blank=True)  # PayStart.content (QR text or URL)
    pay_fields = models.JSONField(default=dict, blank=True)  # PayStart.fields
    expires_at = models.DateTimeField(_("expires at"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    needs_review = models.BooleanField(_("needs review"), default=False)
    review_note = models.TextField(_("review note"), blank=True)

    objects = scoped_manager(
        county="registration__candidate__point__county", point="registration__candidate__point"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("payment order")
        verbose_name_plural = _("payment orders")
        constraints = [
            models.UniqueConstraint(
                fields=["registration"],
                condition=Q(state="paid"),
                name="one_paid_order_per_registration",
            )
        ]
        indexes = [models.Index(fields=["state", "expires_at"])]

    def __str__(self) -> str:
        return self.out_trade_no

    @property
    def amount_yuan(self) -> str:
        return yuan(self.amount_fen)


class GatewayMessage(models.Model):
    """Every notification received (and every query answer acted on), kept with its
    verification result and what it did. Forged and duplicate ones included."""

    class Source(models.TextChoices):
        NOTIFICATION = "notify", _("Notification")
        QUERY = "query", _("Query")

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Applied")
        ALREADY = "already", _("Already applied (duplicate)")
        NOT_PAID = "not_paid", _("No payment in it")
        REFUSED = "refused", _("Refused: not verified")
        UNKNOWN_ORDER = "unknown", _("Refused: unknown order")
        MISMATCH = "mismatch", _("Refused: amount differs")
        AFTER_CLOSE = "late", _("Paid after the order was closed: for review")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    source = models.CharField(_("source"), max_length=8, choices=Source)
    order = models.ForeignKey(
        PaymentOrder,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("order"),
    )
    out_trade_no = models.CharField(_("order number"), max_length=64, blank=True)
    dedupe_key = models.CharField(max_length=128, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True)
    verified = models.BooleanField(_("verified"), default=False)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome)
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("gateway message")
        verbose_name_plural = _("gateway messages")

    def __str__(self) -> str:
        return f"{self.channel} {self.out_trade_no} {self.outcome}"


class SandboxTrade(models.Model):
    """A trade in the local sandbox gateway (demo and tests only): what the real gateway
    would hold about an order created with it."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        CLOSED = "closed", _("Closed")

    channel = models.CharField(max_length=10, choices=Channel)
    merchant_id = models.CharField(max_length=32)
    out_trade_no = models.CharField(max_length=64)
    amount_fen = models.PositiveIntegerField()
    description = models.CharField(max_length=128, blank=True)
    notify_url = models.URLField(max_length=500)
    return_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    order_time = models.CharField(max_length=20, blank=True)  # UnionPay txnTime
    expires_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=8, choices=State, default=State.OPEN)
    transaction_id = models.CharField(max_length=64, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    request = models.JSONField(default=dict, blank=True)  # the create request as received
    held = models.PositiveIntegerField(default=0)  # notifications held back ("late")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "out_trade_no"], name="sandbox_trade_unique")
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.out_trade_no}"

    @property
    def amount_yuan(self) -> str:
        return yuan(self.amount_fen)
