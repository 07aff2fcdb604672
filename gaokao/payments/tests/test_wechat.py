"""WeChat Pay APIv3 adapter against the sandbox gateway, cross-checked with wechatpayv3 (O6)."""

import base64
import dataclasses
import datetime as dt
import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaokao.payments import config
from gaokao.payments.gateways import wechat
from gaokao.payments.gateways.base import (
    REFUSED_MALFORMED,
    REFUSED_MERCHANT,
    REFUSED_SIGNATURE,
    REFUSED_STALE,
    GatewayError,
    NotificationRefused,
    OrderSpec,
    Reply,
)
from gaokao.payments.testing import client_transport
from gaokao.sandbox import wechat as sandbox
from gaokao.sandbox.models import SandboxTrade

pytestmark = pytest.mark.django_db

FIXED = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def gateway(sandbox_setup) -> wechat.WechatPayGateway:
    sandbox_setup("wechat")
    return config.gateway("wechat")


@pytest.fixture
def side(gateway) -> sandbox.Platform:
    return sandbox.platform()


def an_order(no="GK2026060800001", scene="pc", amount_fen=12000, **kw) -> OrderSpec:
    return OrderSpec(
        out_trade_no=no,
        amount_fen=amount_fen,
        description=kw.pop("description", "2026年普通高考美术类专业考试报名费"),
        expires_at=kw.pop("expires_at", timezone.now() + dt.timedelta(minutes=30)),
        notify_url="http://testserver/pay/notify/wechat/",
        return_url="http://testserver/portal/payments/?order=" + no,
        scene=scene,
        client_ip="203.0.113.7",
        **kw,
    )


def with_transport(gateway, transport) -> wechat.WechatPayGateway:
    return wechat.WechatPayGateway(gateway.config, transport)


def paid_trade(gateway, no="GK2026060800001") -> SandboxTrade:
    gateway.create(an_order(no))
    trade = SandboxTrade.objects.get(channel="wechat", out_trade_no=no)
    sandbox.mark_paid(trade, timezone.now().replace(microsecond=0))
    return trade


def refusal(gateway, headers, body, now) -> str:
    with pytest.raises(NotificationRefused) as refused:
        gateway.verify_notification(headers, body, now)
    return refused.value.reason


# --- keys and configuration -------------------------------------------------------------


def test_o6_sandbox_keys_are_fresh_private_files_and_flat_sections(tmp_path):
    ours, theirs = wechat.sandbox_keys(tmp_path, "http://testserver/sandbox/wechat/")
    for section in (ours, theirs):
        assert all(isinstance(v, str | int | bool) for v in section.values())
    assert ours["gateway_url"] == "http://testserver/sandbox/wechat"
    assert ours["mchid"] == theirs["mchid"] and len(ours["apiv3_key"]) == 32
    assert ours["platform_public_key_id"].startswith("PUB_KEY_ID_")
    assert (tmp_path / ours["merchant_private_key_file"]).stat().st_mode & 0o777 == 0o600
    assert (tmp_path / theirs["platform_private_key_file"]).stat().st_mode & 0o777 == 0o600
    assert not ours["merchant_private_key_file"].startswith("/")
    gateway = wechat.from_config(ours, tmp_path, client_transport)
    merchant_public = wechat.load_public_key(tmp_path / theirs["merchant_public_key_file"])
    assert merchant_public.public_numbers() == (
        gateway.config.merchant_private_key.public_key().public_numbers()
    )
    again, _ = wechat.sandbox_keys(tmp_path, "http://testserver/sandbox/wechat")
    assert again["apiv3_key"] != ours["apiv3_key"]


def test_o6_config_without_a_key_is_refused(tmp_path):
    ours, _ = wechat.sandbox_keys(tmp_path, "http://testserver/sandbox/wechat")
    del ours["apiv3_key"]
    # ImproperlyConfigured, not the KeyError itself: the start names the missing setting.
    with pytest.raises(ImproperlyConfigured, match=r"\[wechat\] needs apiv3_key"):
        wechat.from_config(ours, tmp_path, client_transport)


# --- create -------------------------------------------------------------------------------


def test_o6_native_create_makes_the_sandbox_trade_and_a_qr_leading_to_the_cashier(gateway):
    order = an_order()
    start = gateway.create(order)
    trade = SandboxTrade.objects.get(channel="wechat", out_trade_no=order.out_trade_no)
    assert (trade.merchant_id, trade.amount_fen) == (gateway.merchant_id, 12000)
    assert trade.notify_url == order.notify_url
    assert trade.expires_at == order.expires_at.replace(microsecond=0)
    assert trade.request["amount"] == {"total": 12000, "currency": "CNY"}
    assert start.kind == "qr"
    cashier = reverse("sandbox-cashier", args=["wechat", order.out_trade_no])
    assert start.content == f"http://testserver{cashier}"
    assert Client().get(start.content).status_code == 200


def test_o6_h5_create_redirects_to_the_cashier_with_the_return_url(gateway):
    order = an_order(scene="mobile")
    start = gateway.create(order)
    trade = SandboxTrade.objects.get(out_trade_no=order.out_trade_no)
    assert trade.request["scene_info"] == {
        "payer_client_ip": "203.0.113.7",
        "h5_info": {"type": "Wap"},
    }
    url = urlsplit(start.content)
    assert start.kind == "redirect"
    assert url.path == reverse("sandbox-cashier", args=["wechat", order.out_trade_no])
    query = parse_qs(url.query)
    assert query["redirect_url"] == [order.return_url]
    assert query["prepay_id"][0].startswith("wx")


def test_o6_time_expire_is_written_in_shanghai_time_whatever_the_process_zone(gateway, monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        expires = dt.datetime(2026, 6, 8, 2, 34, 56, tzinfo=dt.UTC)
        gateway.create(an_order(expires_at=expires))
    finally:
        monkeypatch.undo()
        time.tzset()
    request = SandboxTrade.objects.get().request
    assert request["time_expire"] == "2026-06-08T10:34:56+08:00"


def test_o6_long_description_is_cut_to_127_bytes(gateway):
    gateway.create(an_order(description="美术" * 100))
    description = SandboxTrade.objects.get().description
    assert description == "美术" * 21
    assert len(description.encode()) <= 127


def test_o6_create_again_returns_the_same_start_but_another_amount_is_refused(gateway):
    order = an_order()  # the same request twice (its expiry included)
    first = gateway.create(order)
    assert gateway.create(order) == first
    with pytest.raises(GatewayError, match="OUT_TRADE_NO_USED"):
        gateway.create(an_order(amount_fen=100))
    assert SandboxTrade.objects.get().amount_fen == 12000


def test_o6_create_of_a_closed_order_is_refused(gateway):
    gateway.create(an_order())
    gateway.close("GK2026060800001", timezone.now())
    with pytest.raises(GatewayError, match="ORDER_CLOSED"):
        gateway.create(an_order())


# --- our request signatures, checked by the sandbox -----------------------------------


def test_o6_sandbox_refuses_an_unsigned_request(gateway):
    def unsigned(method, url, headers, body):
        return client_transport(
            method, url, {k: v for k, v in headers.items() if k != "Authorization"}, body
        )

    with pytest.raises(GatewayError, match=r"401.*SIGN_ERROR"):
        with_transport(gateway, unsigned).create(an_order())
    assert not SandboxTrade.objects.exists()


def test_o6_sandbox_refuses_a_tampered_request_body(gateway):
    def cheaper(method, url, headers, body):
        assert b'"total":12000' in body
        return client_transport(method, url, headers, body.replace(b'"total":12000', b'"total":1'))

    with pytest.raises(GatewayError, match=r"401.*SIGN_ERROR"):
        with_transport(gateway, cheaper).create(an_order())
    assert not SandboxTrade.objects.exists()


def test_o6_sandbox_refuses_a_request_signed_with_another_key(gateway):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    config_ = dataclasses.replace(gateway.config, merchant_private_key=other)
    with pytest.raises(GatewayError, match=r"401.*SIGN_ERROR"):
        wechat.WechatPayGateway(config_, client_transport).create(an_order())


def test_o6_sandbox_refuses_another_merchants_request(gateway):
    config_ = dataclasses.replace(gateway.config, mchid="1900000000")
    with pytest.raises(GatewayError, match=r"401.*SIGN_ERROR"):
        wechat.WechatPayGateway(config_, client_transport).create(an_order())


def test_o6_sandbox_refuses_a_stale_request_timestamp(gateway):
    c = gateway.config
    path = f"/v3/pay/transactions/out-trade-no/GK1?mchid={c.mchid}"

    def get(timestamp):
        header = wechat.authorization(
            c.mchid,
            c.merchant_serial_no,
            c.merchant_private_key,
            "GET",
            path,
            b"",
            str(timestamp),
            "N1",
        )
        status, _, body = client_transport(
            "GET", c.gateway_url + path, {"Authorization": header}, b""
        )
        return status, json.loads(body)["code"]

    assert get(int(time.time())) == (404, "ORDER_NOT_EXIST")
    assert get(int(time.time()) - 6 * 60) == (401, "SIGN_ERROR")


def test_o6_our_authorization_equals_the_sdk_signature_of_the_bytes_sent(gateway):
    from wechatpayv3.utils import rsa_sign

    sent = []

    def recording(method, url, headers, body):
        sent.append((method, url, headers, body))
        return client_transport(method, url, headers, body)

    with_transport(gateway, recording).create(an_order())
    method, url, headers, body = sent[0]
    scheme, _, params = headers["Authorization"].partition(" ")
    fields = dict(part.split("=", 1) for part in params.split(","))
    fields = {k: v.strip('"') for k, v in fields.items()}
    assert scheme == "WECHATPAY2-SHA256-RSA2048"
    assert fields["mchid"] == gateway.config.mchid
    assert fields["serial_no"] == gateway.config.merchant_serial_no
    path = url.removeprefix(gateway.config.gateway_url)
    message = f"{method}\n{path}\n{fields['timestamp']}\n{fields['nonce_str']}\n{body.decode()}\n"
    assert rsa_sign(gateway.config.merchant_private_key, message) == fields["signature"]


# --- the sandbox's response signatures, checked by us ---------------------------------


def test_o6_an_answer_with_a_tampered_body_is_refused(gateway):
    def forged(method, url, headers, body):
        status, answer_headers, answer = client_transport(method, url, headers, body)
        return status, answer_headers, answer.replace(b"cashier", b"evil")

    with pytest.raises(GatewayError, match="not signed"):
        with_transport(gateway, forged).create(an_order())


def test_o6_an_unsigned_204_answer_to_close_is_refused(gateway):
    gateway.create(an_order())

    def unsigned(method, url, headers, body):
        status, _, answer = client_transport(method, url, headers, body)
        return status, {"Content-Type": "application/json"}, answer

    with pytest.raises(GatewayError, match="not signed"):
        with_transport(gateway, unsigned).close("GK2026060800001", timezone.now())


# --- query and close ----------------------------------------------------------------------


def test_o6_query_unknown_unpaid_paid_failed(gateway):
    assert gateway.query("GK2026060800001", timezone.now()).state == "unknown"
    gateway.create(an_order())
    unpaid = gateway.query("GK2026060800001", timezone.now())
    assert (unpaid.state, unpaid.amount_fen, unpaid.transaction_id) == ("unpaid", 12000, "")
    trade = SandboxTrade.objects.get()
    sandbox.mark_paid(trade, timezone.now().replace(microsecond=0))
    paid = gateway.query("GK2026060800001", timezone.now())
    assert (paid.state, paid.amount_fen) == ("paid", 12000)
    assert paid.transaction_id == trade.transaction_id and len(trade.transaction_id) == 28
    assert paid.paid_at == trade.paid_at and paid.paid_at.utcoffset() == dt.timedelta(hours=8)
    assert paid.raw["trade_type"] == "NATIVE"
    trade.state = SandboxTrade.State.FAILED
    trade.save()
    assert gateway.query("GK2026060800001", timezone.now()).state == "failed"


def test_o6_close_closes_the_trade_and_query_says_closed(gateway):
    gateway.create(an_order())
    assert gateway.close("GK2026060800001", timezone.now()) is None
    assert SandboxTrade.objects.get().state == SandboxTrade.State.CLOSED
    assert gateway.query("GK2026060800001", timezone.now()).state == "closed"


def test_o6_close_of_a_paid_or_unknown_order_fails(gateway):
    paid_trade(gateway)
    with pytest.raises(GatewayError, match="ORDERPAID"):
        gateway.close("GK2026060800001", timezone.now())
    assert SandboxTrade.objects.get().state == SandboxTrade.State.PAID
    with pytest.raises(GatewayError, match="ORDER_NOT_EXIST"):
        gateway.close("GK2026060899999", timezone.now())


def test_o6_query_answer_about_another_merchant_is_unusable(gateway):
    gateway.create(an_order())
    SandboxTrade.objects.update(merchant_id="1900000000")
    assert gateway.query("GK2026060800001", timezone.now()).state == "unknown"
    side = sandbox.platform()
    other = dataclasses.replace(side, mchid="1900000000")
    answer = sandbox.answer(other, 200, sandbox.transaction(SandboxTrade.objects.get(), other))

    def foreign(method, url, headers, body):
        return answer.status_code, dict(answer.headers.items()), answer.content

    with pytest.raises(GatewayError, match="merchant"):
        with_transport(gateway, foreign).query("GK2026060800001", timezone.now())


# --- notifications --------------------------------------------------------------------------


def test_o6_paid_notification_verifies_and_decodes(gateway):
    trade = paid_trade(gateway)
    now = timezone.now()
    headers, body, content_type = sandbox.notification(trade, now)
    assert content_type == "application/json"
    state = gateway.verify_notification(headers, body, now)
    assert state.out_trade_no == "GK2026060800001"
    assert (state.state, state.amount_fen) == ("paid", 12000)
    assert state.transaction_id == trade.transaction_id
    assert state.paid_at == trade.paid_at
    assert state.dedupe_key == json.loads(body)["id"] != ""
    assert state.raw["event_type"] == "TRANSACTION.SUCCESS"
    assert state.raw["resource"]["success_time"].endswith("+08:00")
    lower = {k.lower(): v for k, v in headers.items()}
    assert gateway.verify_notification(lower, body, now).state == "paid"
    again, body_again, _ = sandbox.notification(trade, now + dt.timedelta(seconds=15))
    assert gateway.verify_notification(again, body_again, now).dedupe_key == state.dedupe_key


def test_o6_unpaid_trades_are_not_notified(gateway):
    gateway.create(an_order())
    with pytest.raises(ValueError, match="successful payments only"):
        sandbox.notification(SandboxTrade.objects.get(), timezone.now())


def test_o6_notification_with_the_amount_changed_is_refused(gateway, monkeypatch):
    trade = paid_trade(gateway)
    now = timezone.now()
    headers, _, _ = sandbox.notification(trade, now)
    honest = sandbox.transaction
    monkeypatch.setattr(
        sandbox, "transaction", lambda t, s: honest(t, s) | {"amount": {"total": 1}}
    )
    _, cheaper_body, _ = sandbox.notification(trade, now)
    assert refusal(gateway, headers, cheaper_body, now) == REFUSED_SIGNATURE


def test_o6_notification_signed_with_another_key_is_refused(gateway, side):
    trade = paid_trade(gateway)
    now = timezone.now()
    headers, body, _ = sandbox.notification(trade, now)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    message = wechat.response_message(
        headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"], body
    )
    forged = headers | {"Wechatpay-Signature": wechat.sign(message, other)}
    assert refusal(gateway, forged, body, now) == REFUSED_SIGNATURE


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"Wechatpay-Signature": None}, "no Wechatpay-Signature"),
        ({"Wechatpay-Signature-Type": None}, "signature type"),
        ({"Wechatpay-Serial": "PUB_KEY_ID_0000000000000000000000000000"}, "Wechatpay-Serial"),
        ({"Wechatpay-Signature": "WECHATPAY/SIGNTEST/c2lnbmF0dXJl"}, "probe"),
        ({"Wechatpay-Signature": "not base64 at all!"}, "does not verify"),
        ({"Wechatpay-Nonce": "another nonce"}, "does not verify"),
    ],
    ids=["missing", "no-type", "other-serial", "probe", "garbled", "other-nonce"],
)
def test_o6_notification_with_bad_signature_headers_is_refused(gateway, change, detail):
    trade = paid_trade(gateway)
    now = timezone.now()
    headers, body, _ = sandbox.notification(trade, now)
    headers = {k: v for k, v in (headers | change).items() if v is not None}
    with pytest.raises(NotificationRefused) as refused:
        gateway.verify_notification(headers, body, now)
    assert refused.value.reason == REFUSED_SIGNATURE
    assert detail in refused.value.detail


def test_o6_notification_for_another_merchant_is_refused(gateway):
    trade = paid_trade(gateway)
    SandboxTrade.objects.filter(pk=trade.pk).update(merchant_id="1900000000")
    trade.refresh_from_db()
    now = timezone.now()
    headers, body, _ = sandbox.notification(trade, now)
    assert refusal(gateway, headers, body, now) == REFUSED_MERCHANT


def test_o6_notification_for_another_app_is_refused(gateway, monkeypatch):
    trade = paid_trade(gateway)
    honest = sandbox.transaction
    monkeypatch.setattr(
        sandbox, "transaction", lambda t, s: honest(t, s) | {"appid": "wx0000000000000000"}
    )
    now = timezone.now()
    headers, body, _ = sandbox.notification(trade, now)
    assert refusal(gateway, headers, body, now) == REFUSED_MERCHANT


def test_o6_notification_encrypted_with_another_apiv3_key_is_refused(gateway, monkeypatch):
    trade = paid_trade(gateway)
    side = sandbox.platform()
    monkeypatch.setattr(sandbox, "platform", lambda: dataclasses.replace(side, apiv3_key=b"0" * 32))
    now = timezone.now()
    headers, body, _ = sandbox.notification(trade, now)
    assert refusal(gateway, headers, body, now) == REFUSED_SIGNATURE


@pytest.mark.parametrize(
    ("age", "verdict"),
    [(dt.timedelta(minutes=4, seconds=59), None), (dt.timedelta(minutes=5, seconds=2), "stale")],
)
def test_o6_notification_older_or_newer_than_5_minutes_is_stale(gateway, age, verdict):
    trade = paid_trade(gateway)
    now = timezone.now()
    for sent in (now - age, now + age):
        headers, body, _ = sandbox.notification(trade, sent)
        if verdict is None:
            assert gateway.verify_notification(headers, body, now).state == "paid"
        else:
            assert refusal(gateway, headers, body, now) == REFUSED_STALE


def test_o6_garbage_notifications_are_refused(gateway, side):
    now = timezone.now()
    garbage = b"\xff\xfe<xml>not json</xml>"
    assert refusal(gateway, {}, garbage, now) == REFUSED_SIGNATURE
    signed = sandbox.signed_headers(side, garbage, now)
    assert refusal(gateway, signed, garbage, now) == REFUSED_MALFORMED
    not_encrypted = json.dumps({"id": "EV-1", "resource_type": "plain", "resource": {}}).encode()
    signed = sandbox.signed_headers(side, not_encrypted, now)
    assert refusal(gateway, signed, not_encrypted, now) == REFUSED_MALFORMED


def test_o6_replies_are_what_wechat_pay_requires(gateway):
    assert gateway.accepted() == Reply(204, b"")
    rejected = gateway.rejected()
    assert rejected.status == 500
    assert rejected.content_type.startswith("application/json")
    assert json.loads(rejected.body) == {"code": "FAIL", "message": "失败"}


# --- the wechatpayv3 SDK as an oracle, both directions -------------------------------------


@pytest.fixture
def sdk(gateway, monkeypatch):
    """wechatpayv3 in public-key mode, its HTTP (requests) routed in-process to the sandbox:
    only the socket is replaced; the SDK prepares, signs and verifies as it always does."""
    import requests
    from requests.structures import CaseInsensitiveDict
    from requests.utils import get_encoding_from_headers
    from wechatpayv3 import WeChatPay, WeChatPayType

    def send(adapter, request, **kwargs):
        status, headers, body = client_transport(
            request.method, request.url, dict(request.headers), request.body or b""
        )
        response = requests.Response()
        response.status_code, response._content = status, body
        response.headers = CaseInsensitiveDict(headers)
        response.encoding = get_encoding_from_headers(response.headers)
        response.url, response.request = request.url, request
        return response

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    section, folder = config.load()["wechat"], config.path().parent
    wx = WeChatPay(
        wechatpay_type=WeChatPayType.NATIVE,
        mchid=section["mchid"],
        private_key=(folder / section["merchant_private_key_file"]).read_text(),
        cert_serial_no=section["merchant_serial_no"],
        appid=section["appid"],
        apiv3_key=section["apiv3_key"],
        notify_url="http://testserver/pay/notify/wechat/",
        public_key=(folder / section["platform_public_key_file"]).read_text(),
        public_key_id=section["platform_public_key_id"],
    )
    wx._core._gate_way = section["gateway_url"]
    return wx


def test_o6_sdk_order_query_and_close_pass_the_sandbox_and_its_signed_answers(sdk):
    status, text = sdk.pay(
        description="美术类报名费", out_trade_no="GK2026060800002", amount={"total": 9000}
    )
    assert status == 200
    assert "sandbox/cashier/wechat/GK2026060800002" in json.loads(text)["code_url"]
    assert SandboxTrade.objects.get(out_trade_no="GK2026060800002").amount_fen == 9000
    status, text = sdk.query(out_trade_no="GK2026060800002")
    assert (status, json.loads(text)["trade_state"]) == (200, "NOTPAY")
    assert sdk.close(out_trade_no="GK2026060800002")[0] == 204


def test_o6_sdk_order_with_a_wrong_key_is_refused_by_the_sandbox(sdk):
    sdk._core._private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    status, text = sdk.pay(description="x", out_trade_no="GK2026060800003", amount={"total": 1})
    assert (status, json.loads(text)["code"]) == (401, "SIGN_ERROR")
    assert not SandboxTrade.objects.exists()


def test_o6_sdk_verifies_and_decrypts_the_sandbox_notification(gateway, sdk):
    trade = paid_trade(gateway)
    headers, body, _ = sandbox.notification(trade, timezone.now())
    result = sdk.callback(headers, body)
    assert result["resource"]["out_trade_no"] == "GK2026060800001"
    assert result["resource"]["trade_state"] == "SUCCESS"
    assert result["resource"]["amount"]["total"] == 12000
    assert result["resource"]["transaction_id"] == trade.transaction_id
    assert sdk.callback(headers, body.replace(b"SUCCESS", b"SUCCESs")) is None


def test_o6_a_notification_signed_by_the_sdk_verifies_with_our_adapter(gateway, side):
    from wechatpayv3.utils import rsa_sign

    trade = paid_trade(gateway)
    now = timezone.now()
    headers, body, _ = sandbox.notification(trade, now)
    timestamp, nonce = str(int(now.timestamp()) - 30), "SDKNONCE"
    signature = rsa_sign(side.platform_private_key, f"{timestamp}\n{nonce}\n{body.decode()}\n")
    sdk_headers = headers | {
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": signature,
    }
    assert gateway.verify_notification(sdk_headers, body, now).state == "paid"


# --- hostile input never escapes as anything but NotificationRefused ------------------------

HEADER_NAMES = st.sampled_from(
    [
        "Wechatpay-Signature",
        "Wechatpay-Timestamp",
        "Wechatpay-Nonce",
        "Wechatpay-Serial",
        "Wechatpay-Signature-Type",
        "wechatpay-signature",
    ]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@FIXED
@given(headers=st.dictionaries(HEADER_NAMES | st.text(), st.text()), body=st.binary())
def test_o6_property_arbitrary_headers_and_bytes_are_only_refused(gateway, headers, body):
    with pytest.raises(NotificationRefused):
        gateway.verify_notification(headers, body, timezone.now())


@FIXED
@given(body=st.binary() | JSON.map(lambda v: json.dumps(v).encode()))
def test_o6_property_signed_garbage_is_only_refused(gateway, side, body):
    now = timezone.now()
    with pytest.raises(NotificationRefused):
        gateway.verify_notification(sandbox.signed_headers(side, body, now), body, now)


@FIXED
@given(data=st.data())
def test_o6_property_signed_encrypted_odd_transactions_never_escape(gateway, side, data):
    """Correctly signed and encrypted, any transaction content: a GatewayState or a refusal."""
    fields = {
        "mchid": st.just(side.mchid) | JSON,
        "appid": st.just(side.appid) | JSON,
        "out_trade_no": st.just("GK2026060800001") | JSON,
        "trade_state": st.sampled_from([*wechat.TRADE_STATES, "REFUND"]) | JSON,
        "transaction_id": st.just("4200000000202606081234567890") | JSON,
        "success_time": st.just("2026-06-08T10:34:56+08:00") | JSON,
        "amount": st.fixed_dictionaries({"total": JSON, "currency": st.just("CNY") | JSON}) | JSON,
    }
    transaction = data.draw(st.fixed_dictionaries({}, optional=fields))
    plaintext = data.draw(st.just(json.dumps(transaction).encode()) | st.binary(max_size=40))
    nonce = data.draw(st.just("0123456789ab") | st.text(max_size=20))
    try:
        ciphertext = AESGCM(side.apiv3_key).encrypt(nonce.encode(), plaintext, b"")
    except (ValueError, UnicodeEncodeError):  # nonce the AES-GCM library refuses
        ciphertext = b"\x00"
    envelope = {
        "id": "EV-1",
        "resource_type": "encrypt-resource",
        "resource": {
            "original_type": "transaction",
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": base64.b64encode(ciphertext).decode(),
            "associated_data": "",
            "nonce": nonce,
        },
    }
    body = json.dumps(envelope).encode()
    now = timezone.now()
    try:
        state = gateway.verify_notification(sandbox.signed_headers(side, body, now), body, now)
    except NotificationRefused:
        return
    assert state.state in {"paid", "unpaid", "closed", "failed"}
    assert state.dedupe_key == "EV-1"
    if state.state == "paid":
        assert isinstance(state.amount_fen, int) and state.paid_at is not None
