"""Issue 10 §4 (O6): hypothesis against the payment notification URLs, through the Django
test client as a gateway (or an attacker) reaches them: garbage, forms and JSON of any
shape, and notifications signed with an attacker's own key. Every one is refused in the
gateway's own terms as a 4xx (never a 500), kept as evidence, and no order moves."""

import json
import urllib.parse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gaokao.payments.gateways import alipay, unionpay
from gaokao.payments.gateways.keys import new_key
from gaokao.payments.models import GatewayMessage, PaymentOrder
from gaokao.payments.services import Outcome
from gaokao.payments.tests.helpers import choose, start
from gaokao.testing import hostile
from gaokao.testing.fuzzing import CORPUS, fuzz, rolled_back

pytestmark = pytest.mark.django_db

TEXT = st.one_of(st.text(max_size=40), CORPUS)
ATTACKER = new_key()


@pytest.fixture
def order(candidate, art, channel, clock):
    """An unpaid order, which a forged notification would like to pay."""
    return start(choose(candidate, art), channel)


def post(client, channel: str, body: bytes, content_type: str, headers=None):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()}
    return client.post(f"/pay/notify/{channel}/", body, content_type=content_type, **extra)


def assert_refused_and_nothing_paid(answer):
    assert 200 <= answer.status_code < 500
    [message] = GatewayMessage.objects.filter(source=GatewayMessage.Source.NOTIFICATION)
    assert (message.verified, message.outcome) == (False, Outcome.REFUSED)
    assert "\x00" not in message.body  # kept as evidence, storable in any database
    assert not PaymentOrder.objects.filter(state=PaymentOrder.State.PAID).exists()


WECHAT_HEADERS = st.dictionaries(
    st.sampled_from(
        ["Wechatpay-Serial", "Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce"]
    ),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["id", "resource", "ciphertext", "x"]), children)
    ),
    max_leaves=8,
)


@fuzz(20)
@given(
    st.one_of(
        st.binary(max_size=600),
        JSON.map(lambda v: json.dumps(v).encode()),
        st.dictionaries(TEXT, TEXT, max_size=8).map(
            lambda d: urllib.parse.urlencode(d).encode("utf-8", "surrogatepass")
        ),
        st.sampled_from([hostile.INVALID_UTF8, hostile.DEEP_JSON.encode(), b"\x00" * 50]),
    ),
    st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain"]),
    WECHAT_HEADERS,
)
def test_e3_fuzz_garbage_notifications_are_refused_and_pay_nothing(
    client, order, channel, body, content_type, headers
):
    with rolled_back():
        answer = post(client, channel, body, content_type, headers)
        assert_refused_and_nothing_paid(answer)


def _alipay_forgery(order, fields: dict) -> bytes:
    params = {
        "app_id": "2021000000000000",
        "out_trade_no": order.out_trade_no,
        "trade_status": "TRADE_SUCCESS",
        "total_amount": "120.00",
        "notify_id": "forged",
        "notify_time": "2019-11-01 10:00:00",
        "sign_type": "RSA2",
    } | fields
    unsigned = alipay.signing_string(params, ("sign", "sign_type"))
    params["sign"] = alipay.rsa2_sign(ATTACKER, unsigned)
    return urllib.parse.urlencode(params).encode()


def _unionpay_forgery(order, fields: dict) -> bytes:
    params = {
        "version": "5.1.0",
        "signMethod": "01",
        "orderId": order.out_trade_no,
        "respCode": "00",
        "txnAmt": "12000",
    } | fields
    params["signature"] = unionpay.sign(params, ATTACKER)
    return urllib.parse.urlencode(params).encode()


FORGERIES = {"alipay": _alipay_forgery, "unionpay": _unionpay_forgery}


@fuzz(15)
@given(st.dictionaries(st.text(min_size=1, max_size=12), TEXT, max_size=4))
def test_e3_fuzz_notifications_signed_with_an_attackers_key_are_refused(
    client, order, channel, fields
):
    if channel not in FORGERIES:  # WeChat Pay: the platform certificate's key, tested above
        return
    try:
        body = FORGERIES[channel](order, fields)
    except UnicodeEncodeError:  # a lone surrogate: no HTTP body carries it
        return
    with rolled_back():
        answer = post(client, channel, body, "application/x-www-form-urlencoded")
        assert_refused_and_nothing_paid(answer)


def test_e3_fuzz_a_notification_larger_than_a_request_may_be_is_refused(client, order, channel):
    answer = post(client, channel, b"a=" + b"x" * 3_000_000, "application/x-www-form-urlencoded")
    assert 400 <= answer.status_code < 500
    assert not PaymentOrder.objects.filter(state=PaymentOrder.State.PAID).exists()
