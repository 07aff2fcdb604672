"""The sandbox gateway's own records (沙箱支付): what a real gateway would hold about each
trade created with it. Demo and tests only; our side of a payment is gaokao.payments."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from gaokao.payments.models import Channel, yuan


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
        db_table = "payments_sandboxtrade"  # made by the payments app; the table kept its name
        constraints = [
            models.UniqueConstraint(fields=["channel", "out_trade_no"], name="sandbox_trade_unique")
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.out_trade_no}"

    @property
    def amount_yuan(self) -> str:
        return yuan(self.amount_fen)
