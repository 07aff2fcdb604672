"""Payments (缴费, O6): one payment order per attempt at paying something, and every
message received from a gateway. What an order pays is another app's business (today a
professional exam registration, gaokao.professional): see payables.py."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gaokao.regions.jurisdiction import scoped_manager


def yuan(fen: int) -> str:
    """12000 → "120.00": amounts are kept in fen and shown in yuan."""
    return f"{fen // 100}.{fen % 100:02d}"


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

    # What the order pays. Named by string: payments does not import the app that owns it
    # (it learns the rules through payables.py); the column keeps its name.
    registration = models.ForeignKey(
        "professional.Registration",
        models.PROTECT,
        related_name="orders",
        verbose_name=_("registration"),
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
