"""Payments in the admin: orders and gateway messages, read-only."""

from django.contrib import admin

from gaokao.payments.models import GatewayMessage, PaymentOrder


class ReadOnly(admin.ModelAdmin):
    """Money records are never edited by hand: they change only through verified gateway
    messages, so that what the gateway says and what we hold cannot drift apart."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PaymentOrder)
class PaymentOrderAdmin(ReadOnly):
    list_display = ["out_trade_no", "channel", "amount_fen", "state", "created_at", "paid_at"]
    list_filter = ["channel", "state", "needs_review"]
    search_fields = [
        "out_trade_no",
        "transaction_id",
        "registration__candidate__registration_number",
    ]


@admin.register(GatewayMessage)
class GatewayMessageAdmin(ReadOnly):
    list_display = ["received_at", "channel", "source", "out_trade_no", "verified", "outcome"]
    list_filter = ["channel", "source", "verified", "outcome"]
    search_fields = ["out_trade_no", "dedupe_key"]
