"""Steps the payment tests share, done the way the candidate and the gateway do them."""

from urllib.parse import urlencode

from django.contrib.auth.hashers import make_password

from gaokao.payments import services
from gaokao.payments.testing import client_transport
from gaokao.professional import services as professional
from gaokao.sandbox.models import SandboxTrade
from gaokao.testing.factories import CandidateFactory, aware

CONFIRM = "confirm-secret-7"
IN_WINDOW = aware(2019, 11, 1, 10, 0)
NOTIFY = "http://testserver/pay/notify/{}/"
RETURN = "http://testserver/ks/professional/MS/paid/"


def make_candidate(season, point, track="3"):
    """An eligible art candidate (艺术（文）) with a confirmation password."""
    return CandidateFactory(
        season=season,
        point=point,
        subject_track=track,
        eligibility="eligible",
        confirmation_password=make_password(CONFIRM),
    )


def choose(candidate, category, **kw):
    kw.setdefault("main_item", "")
    kw.setdefault("secondary_item", "")
    kw.setdefault("exam_phone", "13812345678")
    kw.setdefault("confirmation_password", CONFIRM)
    return professional.choose(candidate, category, **kw)


def start(registration, channel):
    return services.start_payment(
        registration, channel, notify_url=NOTIFY.format(channel), return_url=RETURN
    )


def trade_of(order):
    """The gateway's trade, after the payer's browser opened the pay page as a person would
    (Alipay and UnionPay know a trade only from then on)."""
    if order.pay_kind == "redirect":
        client_transport("GET", order.pay_content, {}, b"")
    elif order.pay_kind == "form":
        client_transport(
            "POST",
            order.pay_content,
            {"Content-Type": "application/x-www-form-urlencoded"},
            urlencode(order.pay_fields).encode(),
        )
    return SandboxTrade.objects.get(channel=order.channel, out_trade_no=order.out_trade_no)


def reload(*objects):
    for o in objects:
        o.refresh_from_db()
