"""What the sandbox gateway's channels share: it answers only when enabled
(GAOKAO_PAYMENTS_SANDBOX=True: the demo and the tests), and every trade is paid on the
one cashier page."""

from functools import wraps

from django.conf import settings
from django.http import Http404
from django.urls import reverse


def sandbox_only(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.PAYMENTS_SANDBOX:
            raise Http404("the sandbox gateway is off")
        return view(request, *args, **kwargs)

    return wrapper


def cashier_url(request, channel: str, out_trade_no: str) -> str:
    """The absolute URL of the cashier page where the demo user pays this trade."""
    return request.build_absolute_uri(reverse("sandbox-cashier", args=[channel, out_trade_no]))
