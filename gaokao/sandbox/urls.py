from importlib import import_module

from django.urls import include, path

from gaokao.payments.config import CHANNELS
from gaokao.sandbox import cashier

urlpatterns = [
    path("", cashier.index, name="sandbox-index"),
    path("cashier/<str:channel>/<str:out_trade_no>/", cashier.pay_page, name="sandbox-cashier"),
]
for _channel in CHANNELS:
    try:
        _module = import_module(f"gaokao.sandbox.{_channel}")
    except ModuleNotFoundError:  # a channel being written
        continue
    urlpatterns.append(path(f"{_channel}/", include(_module.urlpatterns)))
