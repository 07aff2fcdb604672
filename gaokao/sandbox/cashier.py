"""The sandbox gateway's cashier: where the demo user pays, fails or abandons a trade of
any channel, and where tests and demos make the gateway misbehave the way real ones do
(duplicate notifications, late ones, none at all)."""

from importlib import import_module

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from gaokao.payments import config
from gaokao.payments.gateways.base import GatewayError
from gaokao.sandbox.common import sandbox_only
from gaokao.sandbox.models import SandboxTrade

# What the cashier's buttons do: (pay?, notifications sent now, notifications held back).
ACTIONS = {
    "pay": (True, 1, 0),
    "pay_duplicate": (True, 2, 0),
    "pay_late": (True, 0, 1),
    "pay_silent": (True, 0, 0),
    "fail": (False, 0, 0),
}


def channel_module(channel: str):
    return import_module(f"gaokao.sandbox.{channel}")


def deliver(trade: SandboxTrade) -> int:
    """POST the trade's notification to its notify URL the way the real gateway does;
    returns the HTTP status our server answered."""
    headers, body, content_type = channel_module(trade.channel).notification(trade, timezone.now())
    status, _headers, _body = config.transport()(
        "POST", trade.notify_url, {**headers, "Content-Type": content_type}, body
    )
    return status


def settle(trade: SandboxTrade, action: str) -> list[int]:
    """Apply a cashier action to a trade; returns the statuses of notifications sent."""
    pay, send, hold = ACTIONS[action]
    if trade.state != SandboxTrade.State.OPEN:
        return []
    if pay:
        channel_module(trade.channel).mark_paid(trade, timezone.now())
    else:
        trade.state = SandboxTrade.State.FAILED
    trade.held += hold
    trade.save()
    return [deliver(trade) for _ in range(send)]


@sandbox_only
def index(request):
    """The sandbox's own page: recent trades and the notifications held back."""
    trades = SandboxTrade.objects.order_by("-created_at")[:50]
    return render(request, "sandbox/index.html", {"trades": trades})


@sandbox_only
@csrf_exempt
def pay_page(request, channel, out_trade_no):
    trade = get_object_or_404(SandboxTrade, channel=channel, out_trade_no=out_trade_no)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "abandon":
            return redirect(trade.return_url or "sandbox-index")
        if action == "send_held":
            return _send_held(request, trade)
        if action in ACTIONS:
            if trade.expires_at and timezone.now() > trade.expires_at:
                messages.error(request, _("This order has expired and can no longer be paid."))
            else:
                try:
                    settle(trade, action)
                except GatewayError as e:
                    messages.error(request, str(e))
                return redirect(trade.return_url or "sandbox-index")
    return render(request, "sandbox/cashier.html", {"trade": trade, "expired": _expired(trade)})


def _expired(trade: SandboxTrade) -> bool:
    return bool(trade.expires_at and timezone.now() > trade.expires_at)


def _send_held(request, trade: SandboxTrade):
    if trade.held:
        SandboxTrade.objects.filter(pk=trade.pk).update(held=trade.held - 1)
        deliver(trade)
    return redirect("sandbox-index")
