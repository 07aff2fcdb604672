"""The sandbox gateway's cashier page (placeholder; the full page follows)."""

from django.http import HttpResponse

from gaokao.payments.sandbox.common import sandbox_only


@sandbox_only
def index(request):
    return HttpResponse("sandbox")


@sandbox_only
def pay_page(request, channel, out_trade_no):
    return HttpResponse(f"cashier {channel} {out_trade_no}")
