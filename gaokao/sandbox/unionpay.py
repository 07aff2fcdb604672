"""The sandbox's UnionPay gateway (ACP 5.1.0, docs/domain/payments.md §3): the gateway side of
gaokao/payments/gateways/unionpay.py, with the sandbox's own CA, intermediate and signing
certificate and our merchant certificate (the one UnionPay holds for the merId).

* Requests are verified like the real gateway: certId must be the merchant certificate's
  serial and the signature (SHA256withRSA over the SHA-256 hex of every param but
  `signature`, sorted) valid with its key, else respCode 11 (验证签名失败); fields with the
  wrong format give 10 (报文格式错误).
* frontTransReq.do: the browser's form POST of a consumption (txnType=01, bizType=000201);
  the trade is opened (orderId, txnTime, txnAmt, frontUrl, backUrl, payTimeout) and the
  browser redirected (302) to the cashier page, or shown an error page (400). Re-posting the
  same form is allowed; another request for the same orderId is refused (12, 重复交易).
* queryTrans.do: answers `k=v&…` with raw values, signed with the signing key and carrying
  signPubKeyCert: respCode 34 when the trade is unknown, else 00 with origRespCode 00 (paid),
  05 (open: in progress) or 01 (failed or closed).
* `notification(trade, now)`: the back notification of §3.4 (form POST to backUrl), respCode
  00 for a paid trade, 01 for a failed or closed one; an open trade has none.

Not simulated: checking txnTime against the gateway's clock (payTimeout is enforced by the
cashier page), the settlement cut-off (settleDate is the payment's day), the 5 resends (the
cashier sends notifications).
"""

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from gaokao.payments import config
from gaokao.payments.gateways.unionpay import (
    BEIJING,
    FORM_CONTENT_TYPE,
    SIGN_METHOD,
    VERSION,
    gateway_time,
    parse_gateway_time,
    sign,
    signature_valid,
)
from gaokao.sandbox.common import cashier_url, sandbox_only
from gaokao.sandbox.models import SandboxTrade

CHANNEL = "unionpay"
ANSWER_CONTENT_TYPE = "text/plain; charset=UTF-8"
COMMON_FORMAT = {
    "version": re.escape(VERSION),
    "encoding": "(?i:UTF-8)",
    "signMethod": SIGN_METHOD,
    "accessType": "0",
    "merId": "[0-9A-Za-z]{15}",
    "orderId": "[0-9A-Za-z]{8,40}",
    "txnTime": "[0-9]{14}",
}
FRONT_FORMAT = {
    **COMMON_FORMAT,
    "txnType": "01",
    "txnSubType": "01",
    "bizType": "000201",
    "channelType": "0[78]",
    "txnAmt": "[1-9][0-9]{0,11}",
    "currencyCode": "156",
    "backUrl": r"https?://\S+",
    "payTimeout": "([0-9]{14})?",
}
QUERY_FORMAT = {**COMMON_FORMAT, "txnType": "00", "txnSubType": "00", "bizType": "000000"}
ECHOED = ("version", "encoding", "signMethod", "txnType", "txnSubType", "bizType", "accessType")
ECHOED += ("merId", "orderId", "txnTime")

SUCCESS = ("00", "成功[0000000]")
BAD_SIGNATURE = ("11", "验证签名失败")
BAD_FORMAT = ("10", "报文格式错误")
DUPLICATE = ("12", "重复交易")
NO_SUCH_ORDER = ("34", "查无此交易")
IN_PROGRESS = ("05", "交易已受理，请稍后查询交易结果")
FAILED = ("01", "交易失败")


@dataclass(frozen=True)
class SandboxKeys:
    mer_id: str  # the one merchant the sandbox knows
    sign_key: rsa.RSAPrivateKey
    sign_cert_pem: str  # sent as signPubKeyCert
    merchant_cert: x509.Certificate  # checks our requests


def load_keys() -> SandboxKeys:
    section = config.sandbox_section(CHANNEL)
    folder = config.path().parent

    def read(name: str) -> bytes:
        return (folder / section[name]).read_bytes()

    return SandboxKeys(
        mer_id=section["mer_id"],
        sign_key=serialization.load_pem_private_key(read("sign_key_path"), None),
        sign_cert_pem=read("sign_cert_path").decode("ascii"),
        merchant_cert=x509.load_pem_x509_certificate(read("merchant_cert_path")),
    )


def request_problem(params: dict[str, str], keys: SandboxKeys, formats: dict) -> tuple | None:
    """(respCode, respMsg) refusing a merchant request, None when it is acceptable."""
    if (
        params.get("merId") != keys.mer_id
        or params.get("certId") != str(keys.merchant_cert.serial_number)
        or not signature_valid(params, keys.merchant_cert.public_key())
    ):
        return BAD_SIGNATURE
    if any(not re.fullmatch(pattern, params.get(k, "")) for k, pattern in formats.items()):
        return BAD_FORMAT
    try:
        parse_gateway_time(params["txnTime"])
        if params.get("payTimeout"):
            parse_gateway_time(params["payTimeout"])
    except ValueError:
        return BAD_FORMAT
    return None


def signed_by_unionpay(fields: dict[str, str], keys: SandboxKeys) -> dict[str, str]:
    """The fields (empty ones left out) with signPubKeyCert, signed with the signing key."""
    fields = {k: v for k, v in fields.items() if v} | {"signPubKeyCert": keys.sign_cert_pem}
    return {**fields, "signature": sign(fields, keys.sign_key)}


def result(code_message: tuple[str, str], prefix: str = "resp") -> dict[str, str]:
    """{"respCode": …, "respMsg": …} (or origRespCode/origRespMsg with prefix "origResp")."""
    return dict(zip((f"{prefix}Code", f"{prefix}Msg"), code_message, strict=True))


def answer(fields: dict[str, str], keys: SandboxKeys) -> HttpResponse:
    """A sync answer: `k=v&…` with raw values, signed."""
    signed = signed_by_unionpay(fields, keys)
    body = "&".join(f"{k}={v}" for k, v in signed.items())
    return HttpResponse(body, content_type=ANSWER_CONTENT_TYPE)


def new_query_id(now: dt.datetime) -> str:
    """A queryId like UnionPay's: 21 digits, the time then a serial."""
    return gateway_time(now) + f"{secrets.randbelow(10**7):07d}"


def mark_paid(trade: SandboxTrade, now: dt.datetime) -> None:
    trade.state = SandboxTrade.State.PAID
    trade.transaction_id = trade.transaction_id or new_query_id(now)
    trade.paid_at = now
    trade.save(update_fields=["state", "transaction_id", "paid_at"])


def outcome(trade: SandboxTrade, now: dt.datetime) -> tuple[tuple[str, str], dict[str, str]]:
    """(code, message) of the trade's transaction and the fields describing it."""
    if trade.state == SandboxTrade.State.OPEN:
        return IN_PROGRESS, {"txnAmt": str(trade.amount_fen), "currencyCode": "156"}
    moment = (trade.paid_at or now).astimezone(BEIJING)
    fields = {
        "txnAmt": str(trade.amount_fen),
        "currencyCode": "156",
        "queryId": trade.transaction_id,
        "traceNo": trade.transaction_id[-6:],
        "traceTime": moment.strftime("%m%d%H%M%S"),
    }
    if trade.state != SandboxTrade.State.PAID:
        return FAILED, fields
    return SUCCESS, fields | {
        "settleAmt": str(trade.amount_fen),
        "settleCurrencyCode": "156",
        "settleDate": moment.strftime("%m%d"),
        "accNo": "6216***********0018",
        "payCardType": "01",
        "payType": "0001",
    }


def notification(trade: SandboxTrade, now: dt.datetime) -> tuple[dict[str, str], bytes, str]:
    """(headers, body, content type) of the back notification UnionPay POSTs to backUrl."""
    if trade.state == SandboxTrade.State.OPEN:
        raise ValueError("UnionPay notifies a transaction's outcome, an open trade has none")
    if not trade.transaction_id:
        trade.transaction_id = new_query_id(now)
        trade.save(update_fields=["transaction_id"])
    code_message, fields = outcome(trade, now)
    fields = {
        "version": VERSION,
        "encoding": "UTF-8",
        "signMethod": SIGN_METHOD,
        "txnType": "01",
        "txnSubType": "01",
        "bizType": trade.request.get("bizType", "000201"),
        "accessType": "0",
        "merId": trade.merchant_id,
        "orderId": trade.out_trade_no,
        "txnTime": trade.order_time,
        **fields,
        **result(code_message),
    }
    body = urlencode(signed_by_unionpay(fields, load_keys())).encode("utf-8")
    return {}, body, FORM_CONTENT_TYPE


@csrf_exempt
@sandbox_only
@require_POST
def front_trans_req(request):
    params = request.POST.dict()
    problem = request_problem(params, load_keys(), FRONT_FORMAT)
    if problem:
        return HttpResponseBadRequest(" ".join(problem), content_type=ANSWER_CONTENT_TYPE)
    pay_timeout = params.get("payTimeout")
    trade, created = SandboxTrade.objects.get_or_create(
        channel=CHANNEL,
        out_trade_no=params["orderId"],
        defaults={
            "merchant_id": params["merId"],
            "amount_fen": int(params["txnAmt"]),
            "notify_url": params["backUrl"],
            "return_url": params.get("frontUrl", ""),
            "order_time": params["txnTime"],
            "expires_at": parse_gateway_time(pay_timeout) if pay_timeout else None,
            "request": params,
        },
    )
    if not created and trade.request != params:
        return HttpResponseBadRequest(" ".join(DUPLICATE), content_type=ANSWER_CONTENT_TYPE)
    return HttpResponseRedirect(cashier_url(request, CHANNEL, trade.out_trade_no))


@csrf_exempt
@sandbox_only
@require_POST
def query_trans(request):
    params = request.POST.dict()
    keys = load_keys()
    echoed = {k: params.get(k, "") for k in ECHOED}
    problem = request_problem(params, keys, QUERY_FORMAT)
    if problem:
        return answer(echoed | result(problem), keys)
    trade = SandboxTrade.objects.filter(
        channel=CHANNEL,
        merchant_id=params["merId"],
        out_trade_no=params["orderId"],
        order_time=params["txnTime"],
    ).first()
    if trade is None:
        return answer(echoed | result(NO_SUCH_ORDER), keys)
    code_message, fields = outcome(trade, dt.datetime.now(BEIJING))
    return answer(echoed | fields | result(code_message, "origResp") | result(SUCCESS), keys)


urlpatterns = [
    path("gateway/api/frontTransReq.do", front_trans_req, name="sandbox-unionpay-front"),
    path("gateway/api/queryTrans.do", query_trans, name="sandbox-unionpay-query"),
]
