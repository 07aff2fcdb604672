from django.contrib import admin

from gaokao.payments.models import Category, GatewayMessage, PaymentOrder


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """The province's configuration of professional exams: name, fee, items, tracks. A
    category without a fee is not offered to candidates."""

    list_display = ["name", "code", "season", "kind", "fee_fen", "is_active", "sort_order"]
    list_filter = ["season", "kind", "is_active"]
    list_editable = ["fee_fen", "is_active", "sort_order"]


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
