"""The sandbox WeChat Pay APIv3 gateway (demo and tests only): the platform's side of
gaokao/payments/gateways/wechat.py (protocol: docs/domain/payments.md §1).

It checks the merchant's `Authorization` header with the merchant public key (401
SIGN_ERROR when it does not verify, names another merchant or certificate, or is more
than 5 minutes off), then the mchid/appid and the order fields (400 PARAM_ERROR and
friends), and answers like the platform: JSON {"code","message"} errors, 204 for close,
every answer signed with the platform private key (Wechatpay-Timestamp/-Nonce/
-Signature/-Serial/-Signature-Type; the SDK checks even the 204). Re-creating an open
order with identical parameters returns the same URL; different ones → 403
OUT_TRADE_NO_USED. Departure from the real gateway: notify_url may be plain http (the
local demo has no TLS). code_url and h5_url lead to the shared cashier page (h5_url
carries a prepay_id query like the real one, so the merchant can append &redirect_url).

`notification(trade, now)` builds the TRANSACTION.SUCCESS notification the platform
POSTs for a paid trade: the transaction JSON encrypted with AEAD_AES_256_GCM under the
APIv3 key (AAD "transaction"), the envelope signed over "TIMESTAMP\\nNONCE\\nBODY\\n".
WeChat Pay notifies successful payments only.
"""

import base64
import datetime as dt
import hashlib
import json
import re
import secrets
import uuid
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.http import HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from gaokao.payments import config
from gaokao.payments.gateways.wechat import (
    BEIJING,
    MAX_SKEW_SECONDS,
    SIGNATURE_TYPE,
    load_private_key,
    load_public_key,
    new_nonce,
    request_message,
    response_message,
    rfc3339,
    sign,
    verify,
)
from gaokao.sandbox.common import cashier_url, sandbox_only
from gaokao.sandbox.models import SandboxTrade

CHANNEL = "wechat"
NOTIFICATION_IDS = uuid.UUID("5d0c1f6e-7a43-4c1e-9a57-3f1b2f0c8e21")  # uuid5 namespace
OUT_TRADE_NO = re.compile(r"[0-9A-Za-z_\-|*]{6,32}")
H5_TYPES = ("Wap", "iOS", "Android")
TRADE_STATES = {  # SandboxTrade.State → (trade_state, trade_state_desc)
    SandboxTrade.State.OPEN: ("NOTPAY", "订单未支付"),
    SandboxTrade.State.PAID: ("SUCCESS", "支付成功"),
    SandboxTrade.State.FAILED: ("PAYERROR", "支付失败"),
    SandboxTrade.State.CLOSED: ("CLOSED", "订单已关闭"),
}


@dataclass(frozen=True)
class Platform:
    """The sandbox platform's settings ([sandbox.wechat] of payments.toml)."""

    mchid: str
    appid: str
    merchant_serial_no: str
    merchant_public_key: rsa.RSAPublicKey
    platform_public_key_id: str
    platform_private_key: rsa.RSAPrivateKey
    apiv3_key: bytes


def platform() -> Platform:
    section, folder = config.sandbox_section(CHANNEL), config.path().parent
    return Platform(
        mchid=section["mchid"],
        appid=section["appid"],
        merchant_serial_no=section["merchant_serial_no"],
        merchant_public_key=load_public_key(folder / section["merchant_public_key_file"]),
        platform_public_key_id=section["platform_public_key_id"],
        platform_private_key=load_private_key(folder / section["platform_private_key_file"]),
        apiv3_key=section["apiv3_key"].encode(),
    )


def signed_headers(side: Platform, body: bytes, now: dt.datetime) -> dict[str, str]:
    """The platform's signature headers for an answer or notification body."""
    timestamp, nonce = str(int(now.timestamp())), new_nonce()
    return {
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": sign(
            response_message(timestamp, nonce, body), side.platform_private_key
        ),
        "Wechatpay-Serial": side.platform_public_key_id,
        "Wechatpay-Signature-Type": SIGNATURE_TYPE,
    }


def transaction(trade: SandboxTrade, side: Platform) -> dict:
    """The platform's transaction object (query answer, notification resource)."""
    trade_state, description = TRADE_STATES[trade.state]
    result = {
        "appid": side.appid,
        "mchid": trade.merchant_id,
        "out_trade_no": trade.out_trade_no,
        "trade_type": "MWEB" if "scene_info" in trade.request else "NATIVE",
        "trade_state": trade_state,
        "trade_state_desc": description,
        "attach": "",
        "amount": {"total": trade.amount_fen, "currency": "CNY", "payer_currency": "CNY"},
    }
    if trade.state == SandboxTrade.State.PAID:
        openid = hashlib.sha256(trade.out_trade_no.encode()).hexdigest()[:27]
        result |= {
            "transaction_id": trade.transaction_id,
            "bank_type": "OTHERS",
            "success_time": rfc3339(trade.paid_at),
            "payer": {"openid": f"o{openid}"},
        }
        result["amount"]["payer_total"] = trade.amount_fen
    return result


def notification(trade: SandboxTrade, now: dt.datetime) -> tuple[dict[str, str], bytes, str]:
    """(headers, body, content type) of the success notification for a paid trade."""
    if trade.state != SandboxTrade.State.PAID:
        raise ValueError(f"WeChat Pay notifies successful payments only, not {trade.state}")
    side = platform()
    nonce = secrets.token_hex(6)  # 12 characters, as the platform sends
    plaintext = json.dumps(transaction(trade, side), ensure_ascii=False).encode()
    ciphertext = AESGCM(side.apiv3_key).encrypt(nonce.encode(), plaintext, b"transaction")
    envelope = {
        "id": str(uuid.uuid5(NOTIFICATION_IDS, f"{trade.merchant_id}/{trade.out_trade_no}")),
        "create_time": rfc3339(now),
        "resource_type": "encrypt-resource",
        "event_type": "TRANSACTION.SUCCESS",
        "summary": "支付成功",
        "resource": {
            "original_type": "transaction",
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": base64.b64encode(ciphertext).decode(),
            "associated_data": "transaction",
            "nonce": nonce,
        },
    }
    body = json.dumps(envelope, ensure_ascii=False).encode()
    return signed_headers(side, body, now), body, "application/json"


def mark_paid(trade: SandboxTrade, now: dt.datetime) -> None:
    """The payer paid: a 28-digit transaction id like the platform's (4200…YYYYMMDD…)."""
    day = now.astimezone(BEIJING).strftime("%Y%m%d")
    trade.transaction_id = (
        f"4200{secrets.randbelow(10**6):06d}{day}{secrets.randbelow(10**10):010d}"
    )
    trade.state = SandboxTrade.State.PAID
    trade.paid_at = now
    trade.save(update_fields=["state", "transaction_id", "paid_at"])


def answer(side: Platform, status: int, payload: dict | None = None) -> HttpResponse:
    body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
    response = HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
    for name, value in signed_headers(side, body, timezone.now()).items():
        response[name] = value
    response["Request-ID"] = secrets.token_hex(16)
    return response


def error(side: Platform, status: int, code: str, message: str) -> HttpResponse:
    return answer(side, status, {"code": code, "message": message})


def authorization_problem(request, side: Platform) -> str:
    """Why the merchant's Authorization header is refused ("" when it verifies)."""
    scheme, _, params = request.headers.get("Authorization", "").partition(" ")
    fields = dict(re.findall(r'(\w+)="([^"]*)"', params))
    timestamp = fields.get("timestamp", "")
    if scheme != SIGNATURE_TYPE:
        return "Authorization is missing or not WECHATPAY2-SHA256-RSA2048"
    if fields.get("mchid") != side.mchid:
        return "mchid in Authorization is not a merchant here"
    if fields.get("serial_no") != side.merchant_serial_no:
        return "serial_no is not the merchant's API certificate"
    if not re.fullmatch(r"[0-9]{1,12}", timestamp):
        return "timestamp is missing"
    if abs(timezone.now().timestamp() - int(timestamp)) > MAX_SKEW_SECONDS:
        return "timestamp is more than 5 minutes off"
    message = request_message(
        request.method, gateway_path(request), timestamp, fields.get("nonce_str", ""), request.body
    )
    if not verify(message, fields.get("signature", ""), side.merchant_public_key):
        return "signature does not verify with the merchant's public key"
    return ""


def gateway_path(request) -> str:
    """The path (+query) as the real gateway sees it: without this sandbox's mount."""
    mount = reverse("sandbox-wechat-native").removesuffix("/v3/pay/transactions/native")
    return request.get_full_path().removeprefix(mount)


def order_problem(params: dict, side: Platform, trade_type: str) -> tuple[str, str] | None:
    """(code, message) of a 400 for a bad order request, None when it is acceptable."""
    amount, scene = params.get("amount"), params.get("scene_info")
    total = amount.get("total") if isinstance(amount, dict) else None
    description = params.get("description")
    if params.get("mchid") != side.mchid:
        return "MCH_NOT_EXISTS", "商户号不存在"
    if params.get("appid") != side.appid:
        return "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配"
    if not isinstance(description, str) or not 1 <= len(description) <= 127:
        return "PARAM_ERROR", "description 长度应为1到127"
    if not isinstance(params.get("out_trade_no"), str) or not OUT_TRADE_NO.fullmatch(
        params["out_trade_no"]
    ):
        return "PARAM_ERROR", "out_trade_no 格式错误"
    if not isinstance(params.get("notify_url"), str) or not re.fullmatch(
        r"https?://[^?#\s]+", params["notify_url"]
    ):
        return "PARAM_ERROR", "notify_url 格式错误"
    if isinstance(total, bool) or not isinstance(total, int) or total <= 0:
        return "PARAM_ERROR", "amount.total 应为正整数（分）"
    if amount.get("currency", "CNY") != "CNY":
        return "PARAM_ERROR", "amount.currency 只支持CNY"
    if "time_expire" in params and expiry(params["time_expire"]) is None:
        return "PARAM_ERROR", "time_expire 应为RFC 3339格式"
    if trade_type == "MWEB" and not (
        isinstance(scene, dict)
        and isinstance(scene.get("payer_client_ip"), str)
        and scene["payer_client_ip"]
        and isinstance(scene.get("h5_info"), dict)
        and scene["h5_info"].get("type") in H5_TYPES
    ):
        return "PARAM_ERROR", "H5下单需要 scene_info.payer_client_ip 和 h5_info.type"
    return None


def expiry(value) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else None


def prepay_id(trade: SandboxTrade) -> str:
    """A 36-character prepay id like the platform's (wx + day/time + digits)."""
    return f"wx{trade.created_at.astimezone(BEIJING):%d%H%M%S}{trade.pk:026d}"


def create(request, trade_type: str):
    side = platform()
    if problem := authorization_problem(request, side):
        return error(side, 401, "SIGN_ERROR", problem)
    try:
        params = json.loads(request.body)
    except ValueError:
        return error(side, 400, "PARAM_ERROR", "请求体不是合法的JSON")
    if not isinstance(params, dict):
        return error(side, 400, "PARAM_ERROR", "请求体不是JSON对象")
    if problem := order_problem(params, side, trade_type):
        return error(side, 400, *problem)
    trade, created = SandboxTrade.objects.get_or_create(
        channel=CHANNEL,
        out_trade_no=params["out_trade_no"],
        defaults={
            "merchant_id": side.mchid,
            "amount_fen": params["amount"]["total"],
            "description": params["description"],
            "notify_url": params["notify_url"],
            "expires_at": expiry(params.get("time_expire")),
            "request": params,
        },
    )
    if trade.state == SandboxTrade.State.PAID:
        return error(side, 400, "ORDERPAID", "该订单已支付")
    if trade.state == SandboxTrade.State.CLOSED:
        return error(side, 400, "ORDER_CLOSED", "订单已关闭")
    if not created and trade.request != params:
        return error(side, 403, "OUT_TRADE_NO_USED", "商户订单号重复")
    url = cashier_url(request, CHANNEL, trade.out_trade_no)
    if trade_type == "MWEB":
        return answer(side, 200, {"h5_url": f"{url}?prepay_id={prepay_id(trade)}"})
    return answer(side, 200, {"code_url": url})


@csrf_exempt
@sandbox_only
@require_POST
def native(request):
    return create(request, "NATIVE")


@csrf_exempt
@sandbox_only
@require_POST
def h5(request):
    return create(request, "MWEB")


def find_trade(side: Platform, out_trade_no: str) -> SandboxTrade | None:
    return SandboxTrade.objects.filter(
        channel=CHANNEL, merchant_id=side.mchid, out_trade_no=out_trade_no
    ).first()


@csrf_exempt
@sandbox_only
@require_GET
def query(request, out_trade_no):
    side = platform()
    if problem := authorization_problem(request, side):
        return error(side, 401, "SIGN_ERROR", problem)
    if request.GET.get("mchid") != side.mchid:
        return error(side, 400, "MCH_NOT_EXISTS", "商户号不存在")
    trade = find_trade(side, out_trade_no)
    if trade is None:
        return error(side, 404, "ORDER_NOT_EXIST", "订单不存在")
    return answer(side, 200, transaction(trade, side))


@csrf_exempt
@sandbox_only
@require_POST
def close(request, out_trade_no):
    side = platform()
    if problem := authorization_problem(request, side):
        return error(side, 401, "SIGN_ERROR", problem)
    try:
        mchid = json.loads(request.body).get("mchid")
    except (ValueError, AttributeError):
        return error(side, 400, "PARAM_ERROR", '请求体应为 {"mchid": …}')
    if mchid != side.mchid:
        return error(side, 400, "MCH_NOT_EXISTS", "商户号不存在")
    trade = find_trade(side, out_trade_no)
    if trade is None:
        return error(side, 404, "ORDER_NOT_EXIST", "订单不存在")
    if trade.state == SandboxTrade.State.PAID:
        return error(side, 400, "ORDERPAID", "该订单已支付")
    trade.state = SandboxTrade.State.CLOSED
    trade.save(update_fields=["state"])
    return answer(side, 204)


urlpatterns = [
    path("v3/pay/transactions/native", native, name="sandbox-wechat-native"),
    path("v3/pay/transactions/h5", h5, name="sandbox-wechat-h5"),
    path(
        "v3/pay/transactions/out-trade-no/<str:out_trade_no>",
        query,
        name="sandbox-wechat-query",
    ),
    path(
        "v3/pay/transactions/out-trade-no/<str:out_trade_no>/close",
        close,
        name="sandbox-wechat-close",
    ),
]
