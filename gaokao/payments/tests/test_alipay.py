"""The Alipay adapter against the sandbox gateway, and both against python-alipay-sdk (O6)."""

import dataclasses
import datetime as dt
import json
import time
import urllib.parse
from pathlib import Path

import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaokao.payments import config
from gaokao.payments.gateways.alipay import (
    load_private_key,
    parse_yuan,
    rsa2_sign,
    rsa2_verify,
    sandbox_keys,
    signed_response,
    signing_string,
    yuan,
)
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
from gaokao.sandbox.alipay import mark_paid, notification
from gaokao.sandbox.models import SandboxTrade

pytestmark = pytest.mark.django_db

GATEWAY = "http://testserver/sandbox/alipay/gateway.do"
CASHIER = "http://testserver/sandbox/cashier/alipay/{}/"


@pytest.fixture
def alipay(sandbox_setup):
    sandbox_setup("alipay")
    return config.gateway("alipay")


@pytest.fixture
def pems(alipay):
    """The PEM texts of both key pairs, for the SDK."""
    folder = config.path().parent / "alipay"
    return {f.stem: f.read_text() for f in folder.glob("*.pem")}


def alipay_private_key():
    return load_private_key(
        config.path().parent / config.sandbox_section("alipay")["alipay_private_key"]
    )


def order(**changes) -> OrderSpec:
    values = {
        "out_trade_no": "GK2026ALI0000001",
        "amount_fen": 12000,
        "description": "2026年美术类专业考试报名费",
        "expires_at": timezone.now() + dt.timedelta(minutes=30),
        "notify_url": "http://testserver/pay/notify/alipay/",
        "return_url": "http://testserver/portal/payments/",
    }
    return OrderSpec(**(values | changes))


def query_params(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def browse(url: str):
    """The payer's browser opening a gateway URL: (status, headers, body)."""
    return client_transport("GET", url, {}, b"")


def opened(alipay, **changes) -> SandboxTrade:
    """A trade the payer's browser opened at the gateway (page pay)."""
    start = alipay.create(order(**changes))
    status, headers, _ = browse(start.content)
    assert status == 302, headers
    return SandboxTrade.objects.get(
        channel="alipay", out_trade_no=start_params(start)["out_trade_no"]
    )


def start_params(start) -> dict:
    return json.loads(query_params(start.content)["biz_content"])


@pytest.fixture
def paid(alipay):
    """A paid trade's notification: (the time it was sent, its fields)."""
    now = timezone.now().replace(microsecond=0)
    return now, fields_of(paid_notification(alipay, now)[1])


@pytest.fixture
def new_york_process(monkeypatch):
    """The process's local time zone is not Beijing's."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def paid_notification(alipay, now=None) -> tuple[dict[str, str], bytes]:
    now = now or timezone.now().replace(microsecond=0)
    trade = opened(alipay)
    mark_paid(trade, now)
    headers, body, _ = notification(trade, now)
    return headers, body


def fields_of(body: bytes) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(body.decode()))


def resigned(fields: dict[str, str], key=None) -> bytes:
    """The notification fields signed again (as Alipay signs them) with `key`."""
    fields = {k: v for k, v in fields.items() if k not in ("sign", "sign_type")}
    sign = rsa2_sign(key or alipay_private_key(), signing_string(fields))
    return urllib.parse.urlencode(fields | {"sign": sign, "sign_type": "RSA2"}).encode()


def refusal(alipay, body: bytes, now=None) -> str:
    with pytest.raises(NotificationRefused) as refused:
        alipay.verify_notification({}, body, now or timezone.now())
    return refused.value.reason


# --- keys and config --------------------------------------------------------------------------


def test_o6_sandbox_keys_are_fresh_private_and_relative(tmp_path):
    ours, theirs = sandbox_keys(tmp_path, "http://testserver/sandbox/alipay")
    again, _ = sandbox_keys(tmp_path / "other", "http://testserver/sandbox/alipay")
    assert ours["gateway_url"] == "http://testserver/sandbox/alipay/gateway.do"
    assert ours["app_id"] == theirs["app_id"] != again["app_id"]
    assert len(ours["app_id"]) == 16 and ours["seller_id"].startswith("2088")
    for section in (ours, theirs):
        assert all(isinstance(v, str | int | bool) for v in section.values())
    for name in ("app_private_key", "alipay_public_key"):
        assert not Path(ours[name]).is_absolute() and (tmp_path / ours[name]).exists()
    for private in (ours["app_private_key"], theirs["alipay_private_key"]):
        assert (tmp_path / private).stat().st_mode & 0o777 == 0o600
        assert isinstance(load_private_key(tmp_path / private), rsa.RSAPrivateKey)
    assert (tmp_path / ours["app_private_key"]).read_bytes() != (
        tmp_path / "other" / again["app_private_key"]
    ).read_bytes()


def test_o6_amounts_are_yuan_strings_exactly():
    assert yuan(12000) == "120.00" and yuan(1) == "0.01" and yuan(105) == "1.05"
    assert parse_yuan("120.00") == 12000 and parse_yuan("0.1") == 10 and parse_yuan("7") == 700
    for bad in ("", "1e3", "-1.00", "1.001", " 1.00", "1,00", "NaN", "01.00", "１.00", "1."):
        with pytest.raises(ValueError):
            parse_yuan(bad)


@given(st.integers(min_value=0, max_value=10**10))
def test_o6_yuan_round_trip(fen):
    assert parse_yuan(yuan(fen)) == fen


# --- create: page pay, wap pay, precreate -----------------------------------------------------


def test_o6_create_pc_redirects_through_the_gateway_to_the_cashier(alipay):
    start = alipay.create(order())
    assert start.kind == "redirect" and start.content.startswith(GATEWAY + "?")
    params = query_params(start.content)
    assert params["method"] == "alipay.trade.page.pay"
    assert params["app_id"] == alipay.merchant_id
    assert {k: params[k] for k in ("format", "charset", "sign_type", "version")} == {
        "format": "JSON",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "version": "1.0",
    }
    assert params["notify_url"] == order().notify_url
    assert params["return_url"] == order().return_url
    biz = start_params(start)
    assert biz["product_code"] == "FAST_INSTANT_TRADE_PAY" and biz["total_amount"] == "120.00"
    assert params["biz_content"] == json.dumps(biz, ensure_ascii=False, separators=(",", ":"))

    status, headers, _ = browse(start.content)
    assert status == 302
    assert headers["Location"] == CASHIER.format("GK2026ALI0000001")
    trade = SandboxTrade.objects.get(channel="alipay", out_trade_no="GK2026ALI0000001")
    assert trade.amount_fen == 12000
    assert trade.merchant_id == alipay.merchant_id
    assert trade.description == "2026年美术类专业考试报名费"
    assert (trade.notify_url, trade.return_url) == (order().notify_url, order().return_url)
    assert trade.request["sign"] == params["sign"]


def test_o6_create_mobile_uses_wap_pay(alipay):
    start = alipay.create(order(scene="mobile"))
    assert query_params(start.content)["method"] == "alipay.trade.wap.pay"
    assert start_params(start)["product_code"] == "QUICK_WAP_PAY"
    assert browse(start.content)[0] == 302


def test_o6_timestamps_are_beijing_time_whatever_the_process_zone(alipay, new_york_process):
    expires = dt.datetime(2026, 6, 1, 1, 0, tzinfo=dt.UTC)
    with time_machine.travel(dt.datetime(2026, 6, 1, 0, 30, tzinfo=dt.UTC), tick=False):
        start = alipay.create(order(expires_at=expires))
    assert query_params(start.content)["timestamp"] == "2026-06-01 08:30:00"
    assert start_params(start)["time_expire"] == "2026-06-01 09:00:00"
    assert opened(alipay, out_trade_no="GK2026ALI0000002", expires_at=expires).expires_at == expires


def test_o6_precreate_gives_a_qr_leading_to_the_cashier(alipay):
    start = alipay.precreate(order(amount_fen=5005))
    assert start.kind == "qr" and start.content == CASHIER.format("GK2026ALI0000001")
    trade = SandboxTrade.objects.get(channel="alipay", out_trade_no="GK2026ALI0000001")
    assert trade.amount_fen == 5005 and trade.return_url == ""
    assert trade.request["method"] == "alipay.trade.precreate"
    assert alipay.precreate(order(amount_fen=5005)) == start  # the same trade again
    with pytest.raises(GatewayError, match=r"ACQ\.CONTEXT_INCONSISTENT"):
        alipay.precreate(order(amount_fen=5006))


# --- the sandbox verifies our request signatures ----------------------------------------------


def test_o6_sandbox_refuses_tampered_and_unsigned_pay_requests(alipay):
    params = query_params(alipay.create(order()).content)
    tampered = params | {"biz_content": params["biz_content"].replace("120.00", "0.01")}
    unsigned = {k: v for k, v in params.items() if k != "sign"}
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    foreign = params | {"sign": rsa2_sign(other_key, signing_string(params))}
    for refused, sub_code in [
        (tampered, "invalid-signature"),
        (foreign, "invalid-signature"),
        (unsigned, "missing-signature"),
        (params | {"app_id": "2021000000000000"}, "invalid-app-id"),
    ]:
        status, _, body = browse(GATEWAY + "?" + urllib.parse.urlencode(refused))
        assert status == 400 and sub_code in body.decode()
    assert not SandboxTrade.objects.exists()
    assert browse(GATEWAY + "?" + urllib.parse.urlencode(params))[0] == 302


def test_o6_sandbox_answers_a_bad_server_call_signature_with_40002(alipay):
    params = alipay.signed_params("alipay.trade.query", {"out_trade_no": "GK2026ALI0000001"})
    params["biz_content"] = '{"out_trade_no":"GK2026ALI0000009"}'
    response = Client().post("/sandbox/alipay/gateway.do", params)
    text = response.content.decode()
    answer, signed_text, sign = signed_response(text, "alipay_trade_query_response")
    assert (answer["code"], answer["sub_code"]) == ("40002", "isv.invalid-signature")
    assert rsa2_verify(alipay.config.alipay_public_key, signed_text, sign)


def test_o6_server_calls_refused_by_the_sandbox_raise_gateway_error(alipay):
    def tampering(method, url, headers, body):
        return client_transport(method, url, headers, body.replace(b"GK2026", b"GK2027"))

    alipay.transport = tampering
    with pytest.raises(GatewayError, match=r"isv\.invalid-signature"):
        alipay.query("GK2026ALI0000001", timezone.now())


# --- query and close ----------------------------------------------------------------------------


def test_o6_query_unknown_unpaid_paid_and_expired(alipay):
    assert alipay.query("GK2026ALI0000001", timezone.now()).state == "unknown"
    trade = opened(alipay)
    unpaid = alipay.query("GK2026ALI0000001", timezone.now())
    assert (unpaid.state, unpaid.amount_fen, unpaid.transaction_id) == ("unpaid", 12000, "")
    now = timezone.now().replace(microsecond=0)
    mark_paid(trade, now)
    paid = alipay.query("GK2026ALI0000001", timezone.now())
    assert (paid.state, paid.amount_fen, paid.paid_at) == ("paid", 12000, now)
    assert paid.transaction_id == trade.transaction_id and len(trade.transaction_id) == 28
    assert paid.raw["trade_status"] == "TRADE_SUCCESS"
    opened(alipay, out_trade_no="GK2026ALI0000002", expires_at=timezone.now() - dt.timedelta(1))
    assert alipay.query("GK2026ALI0000002", timezone.now()).state == "closed"


def test_o6_close_closes_tolerates_never_scanned_and_refuses_paid(alipay):
    trade = opened(alipay)
    alipay.close("GK2026ALI0000001", timezone.now())
    trade.refresh_from_db()
    assert trade.state == SandboxTrade.State.CLOSED
    assert alipay.query("GK2026ALI0000001", timezone.now()).state == "closed"
    alipay.close("GK2026ALI0000404", timezone.now())  # ACQ.TRADE_NOT_EXIST: closed
    mark_paid(opened(alipay, out_trade_no="GK2026ALI0000002"), timezone.now())
    with pytest.raises(GatewayError, match=r"ACQ\.TRADE_STATUS_ERROR"):
        alipay.close("GK2026ALI0000002", timezone.now())


@pytest.mark.parametrize(
    "mangle",
    [
        lambda body: body.replace(b"WAIT_BUYER_PAY", b"TRADE_SUCCESS"),  # tampered
        lambda body: body.replace(b'"sign":"', b'"sign":"A'),  # garbled signature
        lambda body: body.split(b',"sign"')[0] + b"}",  # unsigned
        lambda body: b"<html>busy</html>",
        lambda body: b"\xff\xfe",
        lambda body: b'{"alipay_trade_query_response":"x","sign":"x"}',
    ],
)
def test_o6_query_refuses_unverified_or_unusable_answers(alipay, mangle):
    opened(alipay)

    def mangling(method, url, headers, body):
        status, answer_headers, answer = client_transport(method, url, headers, body)
        return status, answer_headers, mangle(answer)

    alipay.transport = mangling
    with pytest.raises(GatewayError):
        alipay.query("GK2026ALI0000001", timezone.now())


def test_o6_query_refuses_an_answer_signed_with_another_key(alipay):
    opened(alipay)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    alipay.config = dataclasses.replace(alipay.config, alipay_public_key=other_key.public_key())
    with pytest.raises(GatewayError, match="signature"):
        alipay.query("GK2026ALI0000001", timezone.now())


def test_o6_query_refuses_a_signed_answer_about_another_order(alipay):
    opened(alipay)
    opened(alipay, out_trade_no="GK2026ALI0000002")
    recorded = []

    def replaying(method, url, headers, body):
        answer = client_transport(method, url, headers, body)
        recorded.append(answer)
        return recorded[0]

    alipay.transport = replaying
    assert alipay.query("GK2026ALI0000002", timezone.now()).state == "unpaid"
    with pytest.raises(GatewayError, match="answered for GK2026ALI0000002"):
        alipay.query("GK2026ALI0000001", timezone.now())


def test_o6_query_raises_on_http_errors(alipay):
    alipay.transport = lambda method, url, headers, body: (502, {}, b"Bad Gateway")
    with pytest.raises(GatewayError, match="502"):
        alipay.query("GK2026ALI0000001", timezone.now())


def test_o6_signed_text_is_found_exactly_even_with_braces_and_decoys():
    inner = '{"code":"10000","msg":"Success","subject":"a}{\\"alipay_trade_query_response\\":"}'
    text = f'{{"alipay_trade_query_response" : {inner},"sign":"abc"}}'
    answer, signed_text, sign = signed_response(text, "alipay_trade_query_response")
    assert signed_text == inner and sign == "abc" and answer["code"] == "10000"
    with pytest.raises(ValueError):
        signed_response('{"error_response":{"code":"40002"}}', "alipay_trade_query_response")


# --- notifications ------------------------------------------------------------------------------


def test_o6_paid_notification_verifies_and_decodes(alipay):
    now = timezone.now().replace(microsecond=0)
    headers, body = paid_notification(alipay, now)
    trade = SandboxTrade.objects.get()
    state = alipay.verify_notification(headers, body, now + dt.timedelta(minutes=4))
    assert state.out_trade_no == "GK2026ALI0000001"
    assert (state.state, state.amount_fen) == ("paid", 12000)
    assert state.transaction_id == trade.transaction_id
    assert state.paid_at == now and state.paid_at.utcoffset() == dt.timedelta(hours=8)
    fields = fields_of(body)
    assert state.dedupe_key == f"{fields['notify_id']}:TRADE_SUCCESS"
    assert state.raw == fields
    assert fields["notify_type"] == "trade_status_sync" and fields["seller_id"].startswith("2088")
    resent = fields_of(notification(trade, now + dt.timedelta(hours=1))[1])
    assert resent["notify_id"] == fields["notify_id"] and resent["sign"] != fields["sign"]


def test_o6_closed_and_waiting_notifications_decode(alipay):
    trade = opened(alipay)
    now = timezone.now()
    waiting = alipay.verify_notification({}, notification(trade, now)[1], now)
    assert (waiting.state, waiting.paid_at) == ("unpaid", None)
    trade.state = SandboxTrade.State.CLOSED
    trade.save()
    closed = alipay.verify_notification({}, notification(trade, now)[1], now)
    assert closed.state == "closed" and closed.dedupe_key.endswith(":TRADE_CLOSED")
    assert closed.dedupe_key != waiting.dedupe_key


def test_o6_trade_finished_is_paid_too(alipay):
    fields = fields_of(paid_notification(alipay)[1]) | {"trade_status": "TRADE_FINISHED"}
    assert alipay.verify_notification({}, resigned(fields), timezone.now()).state == "paid"


def test_o6_notification_refused_when_tampered(alipay):
    fields = fields_of(paid_notification(alipay)[1])
    tampered = urllib.parse.urlencode(fields | {"total_amount": "0.01"}).encode()
    assert refusal(alipay, tampered) == REFUSED_SIGNATURE
    added = urllib.parse.urlencode(fields | {"refund_fee": "120.00"}).encode()
    assert refusal(alipay, added) == REFUSED_SIGNATURE


def test_o6_notification_refused_with_wrong_or_missing_signature(alipay):
    fields = fields_of(paid_notification(alipay)[1])
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert refusal(alipay, resigned(fields, other_key)) == REFUSED_SIGNATURE
    for dropped in ("sign", "sign_type"):
        body = urllib.parse.urlencode({k: v for k, v in fields.items() if k != dropped})
        assert refusal(alipay, body.encode()) == REFUSED_SIGNATURE
    for garbled in ("", "%%%", "not base64!", fields["sign"][:-8], "QUJD"):
        body = urllib.parse.urlencode(fields | {"sign": garbled}).encode()
        assert refusal(alipay, body) == REFUSED_SIGNATURE
    rsa1 = urllib.parse.urlencode(fields | {"sign_type": "RSA"}).encode()
    assert refusal(alipay, rsa1) == REFUSED_SIGNATURE


def test_o6_notification_refused_for_another_merchant(alipay):
    fields = fields_of(paid_notification(alipay)[1])
    assert refusal(alipay, resigned(fields | {"app_id": "2021000000000000"})) == REFUSED_MERCHANT
    assert refusal(alipay, resigned(fields | {"seller_id": "2088000000000000"})) == REFUSED_MERCHANT


def test_o6_notification_refused_when_stale_or_from_the_future(alipay):
    now = timezone.now().replace(microsecond=0)
    _, body = paid_notification(alipay, now)
    assert alipay.verify_notification({}, body, now + dt.timedelta(hours=25)).state == "paid"
    assert refusal(alipay, body, now + dt.timedelta(hours=27)) == REFUSED_STALE
    assert refusal(alipay, body, now - dt.timedelta(minutes=10)) == REFUSED_STALE


@pytest.mark.parametrize(
    "change",
    [
        {"total_amount": "120.0.0"},
        {"total_amount": "1e4"},
        {"total_amount": "-120.00"},
        {"trade_status": "TRADE_PAID"},
        {"out_trade_no": ""},
        {"notify_id": ""},
        {"trade_no": ""},
        {"gmt_payment": "yesterday"},
        {"notify_time": "2026-13-01 00:00:00"},
    ],
)
def test_o6_signed_but_malformed_notification_refused(alipay, change):
    fields = fields_of(paid_notification(alipay)[1])
    assert refusal(alipay, resigned(fields | change)) == REFUSED_MALFORMED


def test_o6_garbage_notifications_refused_as_malformed(alipay):
    for garbage in (b"\xff\xfe\x00", b"a", b"a=1&a=2", b"{}", b"sign=%FF", b"x=1&&"):
        assert refusal(alipay, garbage) == REFUSED_MALFORMED
    assert refusal(alipay, b"") == REFUSED_SIGNATURE


def test_o6_replies_are_exactly_success_and_failure(alipay):
    assert alipay.accepted() == Reply(200, b"success", "text/plain; charset=utf-8")
    assert alipay.rejected().status == 200 and alipay.rejected().body == b"failure"


HYPOTHESIS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)


@HYPOTHESIS
@given(body=st.binary(max_size=300))
def test_o6_arbitrary_bytes_only_ever_refused(alipay, body):
    with pytest.raises(NotificationRefused):
        alipay.verify_notification({"Content-Type": "text/plain"}, body, timezone.now())


@HYPOTHESIS
@given(
    changes=st.dictionaries(
        st.sampled_from(
            [
                "trade_status",
                "total_amount",
                "out_trade_no",
                "trade_no",
                "notify_id",
                "gmt_payment",
                "notify_time",
                "app_id",
                "sign",
            ]
        )
        | TEXT,
        TEXT,
        max_size=4,
    ),
    sign_again=st.booleans(),
)
def test_o6_arbitrary_params_only_ever_refused_or_decoded(alipay, paid, changes, sign_again):
    now, fields = paid
    fields = fields | changes
    body = resigned(fields) if sign_again else urllib.parse.urlencode(fields).encode()
    try:
        state = alipay.verify_notification({}, body, now)
    except NotificationRefused:
        return
    assert state.state in ("paid", "unpaid", "closed") and state.amount_fen >= 0


# --- python-alipay-sdk cross-checks ---------------------------------------------------------------


def sdk(appid, private_pem, public_pem):
    from alipay import AliPay

    return AliPay(
        appid=appid,
        app_notify_url=None,
        app_private_key_string=private_pem,
        alipay_public_key_string=public_pem,
        sign_type="RSA2",
    )


def test_o6_sdk_verifies_the_sandbox_notification(alipay, pems):
    fields = fields_of(paid_notification(alipay)[1])
    merchant = sdk(alipay.merchant_id, pems["app_private_key"], pems["alipay_public_key"])
    signature = fields.pop("sign")
    assert merchant.verify(dict(fields), signature)
    assert not merchant.verify(fields | {"total_amount": "0.01"}, signature)


def test_o6_sdk_signed_notification_verifies_with_ours(alipay, pems):
    fields = fields_of(paid_notification(alipay)[1])
    unsigned = {k: v for k, v in fields.items() if k not in ("sign", "sign_type")}
    gateway_side = sdk(alipay.merchant_id, pems["alipay_private_key"], pems["app_public_key"])
    body = gateway_side.sign_data(dict(unsigned)) + "&sign_type=RSA2"
    state = alipay.verify_notification({}, body.encode(), timezone.now())
    assert (state.state, state.amount_fen) == ("paid", 12000)


def test_o6_sdk_page_pay_is_accepted_by_the_sandbox_and_our_check(alipay, pems):
    merchant = sdk(alipay.merchant_id, pems["app_private_key"], pems["alipay_public_key"])
    query = merchant.api_alipay_trade_page_pay(
        subject="音乐类专业考试报名费",
        out_trade_no="GK2026SDK0000001",
        total_amount="150.00",
        return_url=order().return_url,
        notify_url=order().notify_url,
    )
    params = dict(urllib.parse.parse_qsl(query))
    app_public_key = alipay.config.app_private_key.public_key()
    assert rsa2_verify(app_public_key, signing_string(params), params["sign"])
    assert rsa2_sign(alipay.config.app_private_key, signing_string(params)) == params["sign"]
    status, headers, _ = browse(f"{GATEWAY}?{query}")
    assert status == 302 and headers["Location"] == CASHIER.format("GK2026SDK0000001")
    assert SandboxTrade.objects.get(out_trade_no="GK2026SDK0000001").amount_fen == 15000


def test_o6_our_request_signature_equals_the_sdks(alipay, pems):
    params = query_params(alipay.create(order()).content)
    ours = params.pop("sign")
    merchant = sdk(alipay.merchant_id, pems["app_private_key"], pems["alipay_public_key"])
    theirs = dict(urllib.parse.parse_qsl(merchant.sign_data(dict(params))))["sign"]
    assert ours == theirs
