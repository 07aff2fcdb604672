"""The sandbox's Alipay gateway: `gateway.do` as the open platform answers it
(docs/domain/payments.md §2), with the sandbox's own "Alipay" key pair and the app public
key of our merchant.

* GET or POST form, common params checked like the real gateway: app_id, method, sign,
  sign_type=RSA2, timestamp; the signature covers every param but `sign` (empty ones
  dropped), sorted, verified with the app public key. Errors carry the real codes: 40001
  missing parameter, 40002 invalid parameter (isv.invalid-signature for a bad signature),
  40004 business failure (ACQ.*).
* alipay.trade.page.pay / wap.pay: a browser call; the trade is opened and the browser is
  redirected (302) to the cashier page, or shown an error page.
* alipay.trade.precreate / query / close: `{"<method>_response": {...}, "sign": "..."}`, the
  signature over the exact JSON text of the response object (Alipay private key).
* `notification(trade, now)`: the form POST of §2.4 for the trade's current state, signed over
  every field but sign and sign_type.

Not simulated: before the payer scans or logs in, the real gateway does not know a
precreate/page/wap trade (query says ACQ.TRADE_NOT_EXIST); here it exists from creation on.
"""

import datetime as dt
import hashlib
import json
import re
import urllib.parse

from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from gaokao.payments import config
from gaokao.payments.gateways.alipay import (
    BEIJING,
    CODE_BUSINESS_FAILED,
    CODE_SUCCESS,
    FORM_CONTENT_TYPE,
    PAGE_PAY,
    TRADE_NOT_EXIST,
    beijing_time,
    compact_json,
    load_private_key,
    load_public_key,
    parse_beijing_time,
    parse_yuan,
    random_digits,
    response_key,
    rsa2_sign,
    rsa2_verify,
    signing_string,
    yuan,
)
from gaokao.sandbox.common import cashier_url, sandbox_only
from gaokao.sandbox.models import SandboxTrade

CHANNEL = "alipay"
PAGE_METHODS = {method for method, _ in PAGE_PAY.values()}
MESSAGES = {
    CODE_SUCCESS: "Success",
    "40001": "Missing Required Arguments",
    "40002": "Invalid Arguments",
    CODE_BUSINESS_FAILED: "Business Failed",
}
MISSING = {  # common param -> the sub_code's name for it
    "app_id": "app-id",
    "method": "method",
    "sign_type": "signature-type",
    "sign": "signature",
    "timestamp": "timestamp",
    "version": "version",
}
MAX_AMOUNT_FEN = 100_000_000 * 100
_OUT_TRADE_NO = re.compile(r"[A-Za-z0-9_]{1,64}")


def answer(code: str, sub_code: str = "", sub_msg: str = "", **fields: str) -> dict:
    """A response object: code and msg, sub_code/sub_msg for failures, then the fields."""
    body = {"code": code, "msg": MESSAGES[code]}
    if sub_code:
        body |= {"sub_code": sub_code, "sub_msg": sub_msg}
    return body | fields


def gateway_keys():
    """The sandbox section, the app public key and the sandbox's "Alipay" private key."""
    section = config.sandbox_section(CHANNEL)
    folder = config.path().parent
    return (
        section,
        load_public_key(folder / section["app_public_key"]),
        load_private_key(folder / section["alipay_private_key"]),
    )


def check_request(params: dict[str, str]) -> dict | None:
    """The real gateway's checks of the common params: an error response object or None."""
    section, app_public_key, _ = gateway_keys()
    for name, sub_code in MISSING.items():
        if not params.get(name):
            return answer("40001", f"isv.missing-{sub_code}", f"缺少{name}参数")
    if params["app_id"] != section["app_id"]:
        return answer("40002", "isv.invalid-app-id", "无效的AppID参数")
    if params["sign_type"] != "RSA2":
        return answer("40002", "isv.invalid-signature-type", "无效的签名类型")
    try:
        parse_beijing_time(params["timestamp"])
    except ValueError:
        return answer("40002", "isv.invalid-timestamp", "非法的时间戳参数")
    if not rsa2_verify(app_public_key, signing_string(params), params["sign"]):
        return answer(
            "40002", "isv.invalid-signature", f"验签出错，验签字符串为：{signing_string(params)}"
        )
    return None


def biz_content(params: dict[str, str]) -> dict:
    try:
        biz = json.loads(params.get("biz_content", ""))
    except ValueError:
        return {}
    return biz if isinstance(biz, dict) else {}


def find_trade(biz: dict) -> SandboxTrade | None:
    trades = SandboxTrade.objects.filter(channel=CHANNEL)
    if isinstance(biz.get("out_trade_no"), str):
        return trades.filter(out_trade_no=biz["out_trade_no"]).first()
    if isinstance(biz.get("trade_no"), str):
        return trades.filter(transaction_id=biz["trade_no"]).exclude(transaction_id="").first()
    return None


def trade_status(trade: SandboxTrade, now: dt.datetime) -> str:
    """The trade's status as Alipay reports it: an unpaid trade closes at time_expire."""
    if trade.state == SandboxTrade.State.PAID:
        return "TRADE_SUCCESS"
    if trade.state == SandboxTrade.State.CLOSED or (trade.expires_at and trade.expires_at <= now):
        return "TRADE_CLOSED"
    return "WAIT_BUYER_PAY"


def open_trade(params: dict[str, str], biz: dict) -> tuple[SandboxTrade | None, dict | None]:
    """Open the trade a pay/precreate request describes (again: the same trade)."""
    out_trade_no, subject = biz.get("out_trade_no"), biz.get("subject")
    try:
        amount_fen = parse_yuan(biz.get("total_amount"))
        expires_at = parse_beijing_time(biz["time_expire"]) if "time_expire" in biz else None
    except (TypeError, ValueError):
        return None, answer(CODE_BUSINESS_FAILED, "ACQ.INVALID_PARAMETER", "参数无效")
    if (
        not isinstance(out_trade_no, str)
        or not _OUT_TRADE_NO.fullmatch(out_trade_no)
        or not isinstance(subject, str)
        or not subject
        or not 1 <= amount_fen <= MAX_AMOUNT_FEN
    ):
        return None, answer(CODE_BUSINESS_FAILED, "ACQ.INVALID_PARAMETER", "参数无效")
    trade, created = SandboxTrade.objects.get_or_create(
        channel=CHANNEL,
        out_trade_no=out_trade_no,
        defaults={
            "merchant_id": params["app_id"],
            "amount_fen": amount_fen,
            "description": subject[:128],
            "notify_url": params.get("notify_url", ""),
            "return_url": params.get("return_url", ""),
            "expires_at": expires_at,
            "request": params,
        },
    )
    if created:
        return trade, None
    if trade.state == SandboxTrade.State.PAID:
        return None, answer(CODE_BUSINESS_FAILED, "ACQ.TRADE_HAS_SUCCESS", "交易已被支付")
    if trade_status(trade, timezone.now()) == "TRADE_CLOSED":
        return None, answer(CODE_BUSINESS_FAILED, "ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
    if trade.amount_fen != amount_fen:
        return None, answer(CODE_BUSINESS_FAILED, "ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
    return trade, None


def precreate(request, params: dict[str, str], biz: dict) -> dict:
    trade, error = open_trade(params, biz)
    if error:
        return error
    qr_code = cashier_url(request, CHANNEL, trade.out_trade_no)
    return answer(CODE_SUCCESS, out_trade_no=trade.out_trade_no, qr_code=qr_code)


def query(request, params: dict[str, str], biz: dict) -> dict:
    trade = find_trade(biz)
    if trade is None:
        return answer(CODE_BUSINESS_FAILED, TRADE_NOT_EXIST, "交易不存在")
    fields = {
        "out_trade_no": trade.out_trade_no,
        "trade_no": trade.transaction_id,
        "trade_status": trade_status(trade, timezone.now()),
        "total_amount": yuan(trade.amount_fen),
    }
    if trade.state == SandboxTrade.State.PAID:
        fields |= {
            "buyer_pay_amount": yuan(trade.amount_fen),
            "send_pay_date": beijing_time(trade.paid_at),
        }
    return answer(CODE_SUCCESS, **{k: v for k, v in fields.items() if v})


def close(request, params: dict[str, str], biz: dict) -> dict:
    trade = find_trade(biz)
    if trade is None:
        return answer(CODE_BUSINESS_FAILED, TRADE_NOT_EXIST, "交易不存在")
    if trade.state == SandboxTrade.State.PAID:
        return answer(CODE_BUSINESS_FAILED, "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
    trade.state = SandboxTrade.State.CLOSED
    trade.save(update_fields=["state"])
    fields = {"out_trade_no": trade.out_trade_no, "trade_no": trade.transaction_id}
    return answer(CODE_SUCCESS, **{k: v for k, v in fields.items() if v})


SERVER_METHODS = {
    "alipay.trade.precreate": precreate,
    "alipay.trade.query": query,
    "alipay.trade.close": close,
}


def signed_json(key: str, body: dict) -> HttpResponse:
    """`{"<key>": body, "sign": ...}`, signed over the exact text of body as sent."""
    _, _, alipay_private_key = gateway_keys()
    text = compact_json(body)
    sign = rsa2_sign(alipay_private_key, text)
    content = f'{{"{key}":{text},"sign":"{sign}"}}'
    return HttpResponse(content.encode(), content_type="application/json;charset=utf-8")


def error_page(error: dict) -> HttpResponse:
    """What the browser sees when a page/wap pay request is refused."""
    text = f"支付宝 — 错误代码 {error['sub_code'].removeprefix('isv.')}：{error['sub_msg']}"
    return HttpResponseBadRequest(text, content_type="text/plain; charset=utf-8")


@csrf_exempt
@sandbox_only
def gateway(request):
    params = request.GET.dict() | request.POST.dict()
    method = params.get("method", "")
    if method not in PAGE_METHODS and method not in SERVER_METHODS:
        return signed_json(
            "error_response", answer("40002", "isv.invalid-method", "不存在的方法名")
        )
    error = check_request(params)
    if method in PAGE_METHODS:
        trade = None
        if error is None:
            trade, error = open_trade(params, biz_content(params))
        if error:
            return error_page(error)
        return HttpResponseRedirect(cashier_url(request, CHANNEL, trade.out_trade_no))
    body = error or SERVER_METHODS[method](request, params, biz_content(params))
    return signed_json(response_key(method), body)


urlpatterns = [path("gateway.do", gateway, name="sandbox-alipay-gateway")]


# --- what the sandbox sends to the merchant --------------------------------------------------


def mark_paid(trade: SandboxTrade, now: dt.datetime) -> None:
    """The payer paid: a trade_no like Alipay's (date + 20 digits) and the payment time."""
    trade.state = SandboxTrade.State.PAID
    trade.transaction_id = now.astimezone(BEIJING).strftime("%Y%m%d") + random_digits(20)
    trade.paid_at = now
    trade.save(update_fields=["state", "transaction_id", "paid_at"])


def notification(trade: SandboxTrade, now: dt.datetime) -> tuple[dict[str, str], bytes, str]:
    """The notification Alipay POSTs to trade.notify_url for the trade's current state:
    (headers, form body, content type). Resends of one state share the notify_id."""
    section, _, alipay_private_key = gateway_keys()
    status = trade_status(trade, now)
    fields = {
        "notify_time": beijing_time(now),
        "notify_type": "trade_status_sync",
        "notify_id": hashlib.sha256(f"{trade.pk}:{status}".encode()).hexdigest()[:34],
        "app_id": trade.merchant_id,
        "charset": "utf-8",
        "version": "1.0",
        "trade_no": trade.transaction_id,
        "out_trade_no": trade.out_trade_no,
        "seller_id": section["seller_id"],
        "trade_status": status,
        "total_amount": yuan(trade.amount_fen),
        "subject": trade.description,
        "gmt_create": beijing_time(trade.created_at),
    }
    if status == "TRADE_SUCCESS":
        fields |= {
            "receipt_amount": yuan(trade.amount_fen),
            "buyer_pay_amount": yuan(trade.amount_fen),
            "gmt_payment": beijing_time(trade.paid_at),
        }
    elif status == "TRADE_CLOSED":
        fields["gmt_close"] = beijing_time(min(now, trade.expires_at or now))
    fields = {k: v for k, v in fields.items() if v}
    fields["sign"] = rsa2_sign(alipay_private_key, signing_string(fields))
    fields["sign_type"] = "RSA2"
    body = urllib.parse.urlencode(fields).encode()
    return {}, body, FORM_CONTENT_TYPE
