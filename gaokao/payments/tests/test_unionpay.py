"""The UnionPay adapter against the sandbox gateway, and both against an independent
re-implementation of ACP 5.1.0 signMethod=01 written from
docs/domain/payments.md §3.2/§3.3 (O6)."""

import base64
import dataclasses
import datetime as dt
import hashlib
import urllib.parse

import pytest
import time_machine
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaokao.payments import config
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
from gaokao.payments.gateways.unionpay import (
    BEIJING,
    UnionPayGateway,
    from_config,
    gateway_state,
    issue_certificate,
    parse_answer,
    sandbox_keys,
)
from gaokao.payments.testing import client_transport
from gaokao.sandbox.models import SandboxTrade
from gaokao.sandbox.unionpay import mark_paid, notification

pytestmark = pytest.mark.django_db

FRONT = "http://testserver/sandbox/unionpay/gateway/api/frontTransReq.do"
UNIONPAY_CN = "041@Z12@中国银联股份有限公司@00000001"


@pytest.fixture
def unionpay(sandbox_setup) -> UnionPayGateway:
    sandbox_setup("unionpay")
    return config.gateway("unionpay")


def now() -> dt.datetime:
    return dt.datetime.now(BEIJING).replace(microsecond=0)


def order(**changes) -> OrderSpec:
    created = now()
    values = {
        "out_trade_no": "GK2026UP00000001",
        "amount_fen": 12000,
        "description": "2026年体育类专业考试报名费",
        "expires_at": created + dt.timedelta(minutes=30),
        "notify_url": "http://testserver/pay/notify/unionpay/",
        "return_url": "http://testserver/portal/payments/",
        "created_at": created,
    }
    return OrderSpec(**(values | changes))


def submit(fields: dict[str, str]):
    """The browser's auto-submitted form."""
    return Client().post("/sandbox/unionpay/gateway/api/frontTransReq.do", fields)


def open_trade(unionpay, spec: OrderSpec) -> SandboxTrade:
    assert submit(unionpay.create(spec).fields).status_code == 302
    return SandboxTrade.objects.get(channel="unionpay", out_trade_no=spec.out_trade_no)


def sandbox_file(name: str) -> bytes:
    return (config.path().parent / config.sandbox_section("unionpay")[name]).read_bytes()


def middle_ca() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """The sandbox's intermediate CA, to issue odd signing certificates."""
    key = serialization.load_pem_private_key(sandbox_file("middle_key_path"), None)
    return key, x509.load_pem_x509_certificate(sandbox_file("middle_cert_path"))


def validity(days_ago: int = 1, days: int = 30) -> dict[str, dt.datetime]:
    start = now() - dt.timedelta(days=days_ago)
    return {"valid_from": start, "valid_until": start + dt.timedelta(days=days)}


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


# The reference implementation, written from the spec text alone (§3.2, §3.3).


def reference_sign(params: dict[str, str], key: rsa.RSAPrivateKey) -> str:
    """§3.2: drop empty values, sort, k=v&…, sha256 hexdigest, SHA256withRSA over its ASCII."""
    kept = {k: v for k, v in params.items() if v and k != "signature"}
    text = "&".join(f"{k}={kept[k]}" for k in sorted(kept))
    hex_digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    signature = key.sign(hex_digest.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def reference_verify(params: dict[str, str]) -> bool:
    """§3.3 step 3: every param but signature (signPubKeyCert too), key of signPubKeyCert."""
    rest = {k: v for k, v in params.items() if k != "signature"}
    text = "&".join(f"{k}={rest[k]}" for k in sorted(rest))
    hex_digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    key = x509.load_pem_x509_certificate(params["signPubKeyCert"].encode()).public_key()
    try:
        key.verify(
            base64.b64decode(params["signature"]),
            hex_digest.encode("ascii"),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except InvalidSignature:
        return False
    return True


def signed_as(fields: dict[str, str], key: rsa.RSAPrivateKey, cert: x509.Certificate) -> bytes:
    """A notification body carrying `cert` and signed with `key` (all else unchanged)."""
    fields = {k: v for k, v in fields.items() if k != "signature"} | {"signPubKeyCert": pem(cert)}
    return urllib.parse.urlencode(fields | {"signature": reference_sign(fields, key)}).encode()


def paid_notification(unionpay, spec=None) -> tuple[SandboxTrade, dict[str, str]]:
    trade = open_trade(unionpay, spec or order())
    mark_paid(trade, now())
    _, body, _ = notification(trade, now())
    return trade, dict(urllib.parse.parse_qsl(body.decode()))


def refusal(unionpay, body: bytes, at: dt.datetime | None = None) -> str:
    with pytest.raises(NotificationRefused) as refused:
        unionpay.verify_notification({}, body, at or now())
    return refused.value.reason


# Create


def test_o6_unionpay_create_opens_the_sandbox_trade_and_leads_to_the_cashier(unionpay):
    spec = order()
    pay = unionpay.create(spec)

    assert (pay.kind, pay.content) == ("form", FRONT)
    fields = pay.fields
    assert (fields["version"], fields["encoding"], fields["signMethod"]) == ("5.1.0", "UTF-8", "01")
    assert (fields["txnType"], fields["txnSubType"]) == ("01", "01")
    assert (fields["bizType"], fields["channelType"], fields["accessType"]) == ("000201", "07", "0")
    assert (fields["merId"], fields["orderId"]) == (unionpay.merchant_id, spec.out_trade_no)
    assert (fields["txnAmt"], fields["currencyCode"]) == ("12000", "156")
    assert fields["txnTime"] == spec.created_at.strftime("%Y%m%d%H%M%S")
    assert fields["payTimeout"] == spec.expires_at.strftime("%Y%m%d%H%M%S")
    assert (fields["frontUrl"], fields["backUrl"]) == (spec.return_url, spec.notify_url)

    response = submit(fields)
    assert response.status_code == 302
    cashier = reverse("sandbox-cashier", args=["unionpay", spec.out_trade_no])
    assert response["Location"] == f"http://testserver{cashier}"
    trade = SandboxTrade.objects.get(channel="unionpay", out_trade_no=spec.out_trade_no)
    assert (trade.amount_fen, trade.merchant_id) == (12000, unionpay.merchant_id)
    assert (trade.notify_url, trade.return_url) == (spec.notify_url, spec.return_url)
    assert trade.order_time == fields["txnTime"]
    assert trade.expires_at == spec.expires_at
    assert trade.request == fields


def test_o6_unionpay_mobile_scene_is_channel_type_08(unionpay):
    assert unionpay.create(order(scene="mobile")).fields["channelType"] == "08"


def test_o6_unionpay_times_are_beijing_time_whatever_the_zone_given(unionpay):
    created = dt.datetime(2026, 6, 1, 16, 30, tzinfo=dt.UTC)
    fields = unionpay.create(
        order(created_at=created, expires_at=created + dt.timedelta(minutes=15))
    ).fields
    assert (fields["txnTime"], fields["payTimeout"]) == ("20260602003000", "20260602004500")
    with pytest.raises(ValueError):
        unionpay.create(order(created_at=dt.datetime(2026, 6, 1, 16, 30)))  # naive


def test_o6_unionpay_signature_and_cert_id_match_the_spec_reimplementation(unionpay):
    section = config.load()["unionpay"]
    key, cert, _ = pkcs12.load_key_and_certificates(
        (config.path().parent / section["sign_cert_path"]).read_bytes(),
        section["sign_cert_password"].encode(),
    )
    fields = unionpay.create(order(return_url="")).fields

    assert "frontUrl" not in fields  # empty params are dropped before signing
    assert fields["certId"] == str(cert.serial_number)
    assert fields["signature"] == reference_sign(fields, key)  # PKCS#1 v1.5 is deterministic
    assert submit(fields).status_code == 302


def test_o6_unionpay_sandbox_refuses_tampered_unsigned_and_foreign_requests(unionpay):
    fields = unionpay.create(order()).fields
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = fields | {"txnAmt": "1"}
    for bad in (
        forged,
        {k: v for k, v in fields.items() if k != "signature"},
        forged | {"signature": reference_sign(forged, other_key)},
        fields | {"certId": "1"},
    ):
        response = submit(bad)
        assert response.status_code == 400
        assert response.content.decode().startswith("11 ")
    assert not SandboxTrade.objects.exists()


def test_o6_unionpay_sandbox_refuses_another_request_for_the_same_order(unionpay):
    first = unionpay.create(order()).fields
    assert submit(first).status_code == 302
    assert submit(first).status_code == 302  # the browser posting the form again
    again = unionpay.create(order(amount_fen=1)).fields
    assert submit(again).status_code == 400
    assert SandboxTrade.objects.get().amount_fen == 12000


# Query and close


def test_o6_unionpay_query_unknown_unpaid_paid_failed(unionpay):
    spec = order()
    assert unionpay.query(spec.out_trade_no, spec.created_at).state == "unknown"

    trade = open_trade(unionpay, spec)
    unpaid = unionpay.query(spec.out_trade_no, spec.created_at)
    assert (unpaid.state, unpaid.amount_fen) == ("unpaid", 12000)

    mark_paid(trade, now())
    paid = unionpay.query(spec.out_trade_no, spec.created_at)
    assert (paid.state, paid.amount_fen) == ("paid", 12000)
    assert paid.transaction_id == trade.transaction_id
    assert len(trade.transaction_id) == 21
    assert paid.paid_at == trade.paid_at
    assert paid.raw["origRespCode"] == "00"
    assert paid.dedupe_key == ""  # only notifications have one

    trade.state = SandboxTrade.State.FAILED
    trade.save()
    assert unionpay.query(spec.out_trade_no, spec.created_at).state == "failed"


def test_o6_unionpay_query_needs_the_original_txn_time(unionpay):
    spec = order()
    open_trade(unionpay, spec)
    other_time = spec.created_at - dt.timedelta(days=1)
    assert unionpay.query(spec.out_trade_no, other_time).state == "unknown"


def test_o6_unionpay_sandbox_refuses_a_tampered_query_with_a_signed_answer(unionpay):
    spec = order()
    open_trade(unionpay, spec)
    asked = {}

    def tampering(method, url, headers, body):
        asked.update(urllib.parse.parse_qsl(body.decode()))
        return client_transport(method, url, headers, body.replace(b"txnTime=20", b"txnTime=19"))

    unionpay.transport = tampering
    with pytest.raises(GatewayError, match="respCode 11"):
        unionpay.query(spec.out_trade_no, spec.created_at)

    response = Client().post("/sandbox/unionpay/gateway/api/queryTrans.do", asked | {"txnAmt": "1"})
    answer = parse_answer(response.content.decode())
    assert (answer["respCode"], answer["orderId"]) == ("11", spec.out_trade_no)
    assert reference_verify(answer)


def answer_changed(unionpay, change):
    """The adapter with the sandbox's query answers passed through `change`."""

    def transport(method, url, headers, body):
        status, answer_headers, answer = client_transport(method, url, headers, body)
        return change(status, answer_headers, answer)

    return from_config(config.load()["unionpay"], config.path().parent, transport)


@pytest.mark.parametrize(
    "change",
    [
        lambda s, h, b: (s, h, b.replace(b"txnAmt=12000", b"txnAmt=1")),
        lambda s, h, b: (s, h, b.replace(b"origRespCode=05", b"origRespCode=00")),
        lambda s, h, b: (s, h, b.replace(b"signature=", b"x=")),
        lambda s, h, b: (500, h, b),
        lambda s, h, b: (s, h, b"\xff\xfe"),
        lambda s, h, b: (s, h, b""),
    ],
    ids=["amount", "state", "unsigned", "http-500", "not-utf8", "empty"],
)
def test_o6_unionpay_query_refuses_unusable_or_unverified_answers(unionpay, change):
    spec = order()
    open_trade(unionpay, spec)
    with pytest.raises(GatewayError):
        answer_changed(unionpay, change).query(spec.out_trade_no, spec.created_at)


def test_o6_unionpay_query_refuses_an_answer_about_another_order(unionpay):
    spec, other = order(), order(out_trade_no="GK2026UP00000002")
    open_trade(unionpay, spec)
    open_trade(unionpay, other)

    def answers_for_other(method, url, headers, body):
        asked = dict(urllib.parse.parse_qsl(body.decode())) | {"orderId": other.out_trade_no}
        del asked["signature"]
        body = urllib.parse.urlencode(unionpay.signed(asked)).encode()
        return client_transport(method, url, headers, body)

    unionpay.transport = answers_for_other
    with pytest.raises(GatewayError, match="orderId"):
        unionpay.query(spec.out_trade_no, spec.created_at)


def test_o6_unionpay_close_does_nothing_at_the_gateway(unionpay):
    spec = order()
    open_trade(unionpay, spec)

    def no_network(*args):
        raise AssertionError("close must not call the gateway")

    unionpay.transport = no_network
    assert unionpay.close(spec.out_trade_no, spec.created_at) is None
    assert SandboxTrade.objects.get().state == SandboxTrade.State.OPEN


# Notifications


def test_o6_unionpay_paid_notification_verifies_and_decodes(unionpay):
    trade, fields = paid_notification(unionpay)
    headers, body, content_type = notification(trade, now())
    assert content_type.startswith("application/x-www-form-urlencoded")

    state = unionpay.verify_notification(headers, body, now())

    assert (state.out_trade_no, state.state, state.amount_fen) == (
        trade.out_trade_no,
        "paid",
        12000,
    )
    assert state.transaction_id == trade.transaction_id == fields["queryId"]
    assert state.paid_at == trade.paid_at
    assert state.paid_at.utcoffset() == dt.timedelta(hours=8)
    assert state.dedupe_key == f"{trade.transaction_id}:00"
    assert state.raw == fields


def test_o6_unionpay_failed_notification_decodes_as_failed(unionpay):
    trade = open_trade(unionpay, order())
    trade.state = SandboxTrade.State.FAILED
    trade.save()
    _, body, _ = notification(trade, now())

    state = unionpay.verify_notification({}, body, now())

    assert (state.state, state.paid_at) == ("failed", None)
    assert state.dedupe_key == f"{trade.transaction_id}:01"


def test_o6_unionpay_open_trade_has_no_notification(unionpay):
    with pytest.raises(ValueError):
        notification(open_trade(unionpay, order()), now())


def test_o6_unionpay_replies_are_200_ok_and_non_200(unionpay):
    assert unionpay.accepted() == Reply(200, b"ok")
    assert unionpay.rejected().status == 500


def test_o6_unionpay_refuses_a_tampered_amount(unionpay):
    _, fields = paid_notification(unionpay)
    body = urllib.parse.urlencode(fields | {"txnAmt": "1"}).encode()
    assert refusal(unionpay, body) == REFUSED_SIGNATURE


def test_o6_unionpay_refuses_a_wrong_key_with_unionpays_certificate(unionpay):
    _, fields = paid_notification(unionpay)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    genuine = x509.load_pem_x509_certificate(fields["signPubKeyCert"].encode())
    assert refusal(unionpay, signed_as(fields, other_key, genuine)) == REFUSED_SIGNATURE


@pytest.mark.parametrize("missing", ["signature", "signPubKeyCert"])
def test_o6_unionpay_refuses_a_missing_signature_or_certificate(unionpay, missing):
    _, fields = paid_notification(unionpay)
    del fields[missing]
    assert refusal(unionpay, urllib.parse.urlencode(fields).encode()) == REFUSED_SIGNATURE


def test_o6_unionpay_refuses_another_merchants_notification(unionpay):
    _, fields = paid_notification(unionpay)
    sign_key = serialization.load_pem_private_key(sandbox_file("sign_key_path"), None)
    genuine = x509.load_pem_x509_certificate(fields["signPubKeyCert"].encode())
    foreign = signed_as(fields | {"merId": "777290058110048"}, sign_key, genuine)
    assert refusal(unionpay, foreign) == REFUSED_MERCHANT


@pytest.mark.parametrize(
    "body",
    [b"", b"\xff\xfe\x00garbage", b"version=5.1.0&version=5.1.0", b"a=%FF", b"no-equals-sign"],
    ids=["empty", "binary", "repeated", "bad-utf8-escape", "not-a-form"],
)
def test_o6_unionpay_refuses_garbage(unionpay, body):
    assert refusal(unionpay, body) in (REFUSED_MALFORMED, REFUSED_SIGNATURE)


def test_o6_unionpay_refuses_binary_and_repeated_fields_as_malformed(unionpay):
    _, fields = paid_notification(unionpay)
    body = urllib.parse.urlencode(fields).encode()
    assert refusal(unionpay, b"\xff\xfe\x00garbage") == REFUSED_MALFORMED
    assert refusal(unionpay, body + b"&txnAmt=1") == REFUSED_MALFORMED


def test_o6_unionpay_refuses_a_signed_query_answer_replayed_as_notification(unionpay):
    spec = order()
    mark_paid(open_trade(unionpay, spec), now())
    answer = unionpay.query(spec.out_trade_no, spec.created_at).raw
    assert answer["respCode"] == "00"
    replayed = urllib.parse.urlencode(answer).encode()
    assert refusal(unionpay, replayed) == REFUSED_MALFORMED


def test_o6_unionpay_refuses_a_stale_or_future_notification(unionpay):
    trade, _ = paid_notification(unionpay)
    _, body, _ = notification(trade, now())
    paid = trade.paid_at
    assert unionpay.verify_notification({}, body, paid + dt.timedelta(minutes=50)).state == "paid"
    assert refusal(unionpay, body, paid + dt.timedelta(hours=2)) == REFUSED_STALE
    assert refusal(unionpay, body, paid - dt.timedelta(minutes=10)) == REFUSED_STALE


def test_o6_unionpay_trace_time_takes_the_next_year_after_new_year():
    fields = {"orderId": "GK2026UP00000001", "txnTime": "20261231235500", "traceTime": "0101000500"}
    state = gateway_state(fields, "paid")
    assert state.paid_at == dt.datetime(2027, 1, 1, 0, 5, tzinfo=BEIJING)


# UnionPay's certificate (§3.3 step 2)


def test_o6_unionpay_refuses_a_certificate_from_another_ca(unionpay):
    _, fields = paid_notification(unionpay)
    other_root = issue_certificate("Other Root", ca=True, **validity())
    other_middle = issue_certificate(
        "Sandbox UnionPay Intermediate CA", other_root, ca=True, **validity()
    )
    key, cert = issue_certificate(UNIONPAY_CN, other_middle, **validity())
    assert refusal(unionpay, signed_as(fields, key, cert)) == REFUSED_SIGNATURE


def test_o6_unionpay_refuses_an_expired_certificate(unionpay):
    _, fields = paid_notification(unionpay)
    key, cert = issue_certificate(UNIONPAY_CN, middle_ca(), **validity(days_ago=60))
    assert refusal(unionpay, signed_as(fields, key, cert)) == REFUSED_SIGNATURE


@pytest.mark.parametrize(
    "common_name",
    ["041@Z12@某某支付有限公司@00000001", "中国银联股份有限公司", "041@中国银联股份有限公司@Z12@1"],
)
def test_o6_unionpay_refuses_a_certificate_not_named_unionpay(unionpay, common_name):
    _, fields = paid_notification(unionpay)
    key, cert = issue_certificate(common_name, middle_ca(), **validity())
    body = signed_as(fields, key, cert)
    assert refusal(unionpay, body) == REFUSED_SIGNATURE

    lenient = UnionPayGateway(dataclasses.replace(unionpay.config, validate_cn_name=False))
    assert lenient.verify_notification({}, body, now()).state == "paid"


def test_o6_unionpay_refuses_an_intermediate_not_issued_by_the_configured_root(unionpay):
    _, fields = paid_notification(unionpay)
    _, other_root = issue_certificate("Sandbox UnionPay Root CA", ca=True, **validity())
    misconfigured = UnionPayGateway(dataclasses.replace(unionpay.config, root_cert=other_root))
    body = urllib.parse.urlencode(fields).encode()
    assert unionpay.verify_notification({}, body, now()).state == "paid"
    assert refusal(misconfigured, body) == REFUSED_SIGNATURE


def test_o6_unionpay_refuses_our_own_merchant_certificate(unionpay):
    """It chains to UnionPay's intermediate, but its CN is not UnionPay's."""
    _, fields = paid_notification(unionpay)
    body = signed_as(fields, unionpay.config.sign_key, unionpay.config.sign_cert)
    assert refusal(unionpay, body) == REFUSED_SIGNATURE


# Cross-checks with the reference implementation, both directions


def test_o6_unionpay_sandbox_messages_verify_with_the_reference(unionpay):
    _, fields = paid_notification(unionpay)
    assert reference_verify(fields)
    assert not reference_verify(fields | {"txnAmt": "1"})


def test_o6_unionpay_reference_signed_messages_verify_with_the_adapter(unionpay):
    _, fields = paid_notification(unionpay)
    sign_key = serialization.load_pem_private_key(sandbox_file("sign_key_path"), None)
    genuine = x509.load_pem_x509_certificate(fields["signPubKeyCert"].encode())
    reference_fields = fields | {"reqReserved": "{a=1&b=2}"}

    state = unionpay.verify_notification({}, signed_as(reference_fields, sign_key, genuine), now())

    assert state.raw["reqReserved"] == "{a=1&b=2}"


def test_o6_unionpay_sync_answers_keep_braced_values_whole():
    text = "respCode=00&reserved={cardNumberLock=1&x=[1&2]}&signPubKeyCert=-----A==\n-----"
    assert parse_answer(text) == {
        "respCode": "00",
        "reserved": "{cardNumberLock=1&x=[1&2]}",
        "signPubKeyCert": "-----A==\n-----",
    }


# Hostile input never raises anything but NotificationRefused

HOSTILE = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@HOSTILE
@given(body=st.binary(max_size=2000))
def test_o6_unionpay_arbitrary_bytes_are_only_ever_refused(unionpay, body):
    with pytest.raises(NotificationRefused):
        unionpay.verify_notification({}, body, now())


@HOSTILE
@given(params=st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=80), max_size=12))
def test_o6_unionpay_arbitrary_params_are_only_ever_refused(unionpay, params):
    params = {"signMethod": "01", "version": "5.1.0", "signature": "AAAA"} | params
    with pytest.raises(NotificationRefused):
        unionpay.verify_notification({}, urllib.parse.urlencode(params).encode(), now())


@pytest.fixture
def genuine(unionpay) -> dict[str, str]:
    return paid_notification(unionpay)[1]


@HOSTILE
@given(data=st.data())
def test_o6_unionpay_any_change_to_a_genuine_notification_is_refused(unionpay, genuine, data):
    name = data.draw(st.sampled_from(sorted(genuine)))
    value = data.draw(st.text(max_size=60).filter(lambda v: v != genuine[name]))
    with pytest.raises(NotificationRefused):
        unionpay.verify_notification(
            {}, urllib.parse.urlencode(genuine | {name: value}).encode(), now()
        )


# Configuration


def test_o6_unionpay_sandbox_keys_write_private_files_and_flat_sections(tmp_path):
    ours, theirs = sandbox_keys(tmp_path, "http://testserver/sandbox/unionpay")

    assert ours["front_url"] == "http://testserver/sandbox/unionpay/gateway/api/frontTransReq.do"
    assert ours["query_url"] == "http://testserver/sandbox/unionpay/gateway/api/queryTrans.do"
    assert ours["validate_cn_name"] is True
    assert ours["mer_id"] == theirs["mer_id"] and len(ours["mer_id"]) == 15
    for section in (ours, theirs):
        assert all(isinstance(v, str | int | bool) for v in section.values())
    private = {ours["sign_cert_path"], theirs["sign_key_path"], theirs["middle_key_path"]}
    for name in [v for v in (ours | theirs).values() if str(v).startswith("unionpay/")]:
        mode = (tmp_path / name).stat().st_mode & 0o777
        assert (mode == 0o600) == (name in private), name
    signer = x509.load_pem_x509_certificate((tmp_path / theirs["sign_cert_path"]).read_bytes())
    assert signer.subject.rfc4514_string() == f"CN={UNIONPAY_CN}"


def test_o6_unionpay_sandbox_certificates_allow_moving_the_clock_back(unionpay):
    with time_machine.travel(dt.datetime(2019, 11, 1, 10, tzinfo=BEIJING), tick=False):
        spec = order()
        _, fields = paid_notification(unionpay, spec)
        notified = unionpay.verify_notification({}, urllib.parse.urlencode(fields).encode(), now())
        queried = unionpay.query(spec.out_trade_no, spec.created_at)
    assert (notified.state, queried.state) == ("paid", "paid")
    assert notified.paid_at == dt.datetime(2019, 11, 1, 10, tzinfo=BEIJING)


def test_o6_unionpay_wrong_pfx_password_is_a_configuration_error(tmp_path):
    ours, _ = sandbox_keys(tmp_path, "http://testserver/sandbox/unionpay")
    with pytest.raises(ImproperlyConfigured):
        from_config(ours | {"sign_cert_password": "000000"}, tmp_path, client_transport)
