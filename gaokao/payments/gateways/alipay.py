"""Alipay (支付宝开放平台) adapter: the classic gateway protocol (docs/domain/payments.md
§2).

* Every request carries the common params app_id, method, format=JSON, charset=utf-8,
  sign_type=RSA2, timestamp ("yyyy-MM-dd HH:mm:ss", Beijing time), version=1.0, notify_url,
  return_url (page/wap only) and biz_content, a compact JSON object with out_trade_no,
  total_amount (yuan, "120.00"), subject, product_code and time_expire (§2.1, §2.2).
* RSA2 signing (§2.3): all params except `sign`, empty ones dropped, sorted by key, joined
  `k=v` with `&` over the raw values; SHA256withRSA (PKCS#1 v1.5) with the app private key,
  Base64; every param is transmitted URL-encoded.
* Page pay (`alipay.trade.page.pay`, FAST_INSTANT_TRADE_PAY) and wap pay (`alipay.trade.wap.pay`,
  QUICK_WAP_PAY) are no server call: the browser is sent to the gateway with the signed
  query string. Precreate, query and close are server calls (a form POST to gateway.do).
* Sync responses (§2.3): the Alipay public key signs the exact JSON text of the
  `<method_with_underscores>_response` member; code 10000 is success, 40004 a business failure
  whose sub_code ACQ.TRADE_NOT_EXIST means the trade does not exist (yet: precreate, page and
  wap trades exist only once the payer scanned or logged in, §2.2).
* Notifications (§2.4): a form POST; drop `sign` and `sign_type`, sort the rest, verify with
  the Alipay public key; then app_id (and seller_id when configured) must be ours. Empty
  values are dropped like in signing (Alipay's own SDK does so; it never sends them).
  TRADE_SUCCESS and TRADE_FINISHED mean paid; notify_id is the same across resends. Alipay
  resends for ~25 h (4m,10m,10m,1h,2h,6h,15h); whether a resend refreshes notify_time is not
  documented, so a notification is stale only beyond that whole window.
* The answer is the 7 bytes `success`; anything else makes Alipay send again.
"""

import dataclasses
import datetime as dt
import json
import re
import secrets
import string
import urllib.parse
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured

from gaokao.payments.gateways.base import (
    REFUSED_MALFORMED,
    REFUSED_MERCHANT,
    REFUSED_SIGNATURE,
    REFUSED_STALE,
    GatewayError,
    GatewayState,
    NotificationRefused,
    OrderSpec,
    PayStart,
    Reply,
    Transport,
    urllib_transport,
)
from gaokao.payments.gateways.keys import (
    BEIJING,
    load_private_key,
    load_public_key,
    new_key,
    sign,
    verify,
    write_private,
    write_public,
)

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
PRODUCTION_GATEWAY = "https://openapi.alipay.com/gateway.do"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded;charset=utf-8"

PAGE_PAY = {  # scene -> (method, product_code)
    "pc": ("alipay.trade.page.pay", "FAST_INSTANT_TRADE_PAY"),
    "mobile": ("alipay.trade.wap.pay", "QUICK_WAP_PAY"),
}
PRECREATE_PRODUCT_CODE = "FACE_TO_FACE_PAYMENT"
TRADE_STATES = {
    "WAIT_BUYER_PAY": "unpaid",
    "TRADE_CLOSED": "closed",
    "TRADE_SUCCESS": "paid",
    "TRADE_FINISHED": "paid",
}
CODE_SUCCESS = "10000"
CODE_BUSINESS_FAILED = "40004"
TRADE_NOT_EXIST = "ACQ.TRADE_NOT_EXIST"

NOTIFY_WINDOW = dt.timedelta(hours=26)  # the whole resend schedule, with margin
CLOCK_SKEW = dt.timedelta(minutes=5)
MAX_NOTIFY_FIELDS = 100
_YUAN = re.compile(r"(0|[1-9][0-9]{0,8})(\.[0-9]{1,2})?")


# --- protocol helpers, shared with the sandbox gateway -------------------------------------


def beijing_time(moment: dt.datetime) -> str:
    """An aware datetime as Alipay's "yyyy-MM-dd HH:mm:ss" in Beijing time."""
    return moment.astimezone(BEIJING).strftime(TIME_FORMAT)


def parse_beijing_time(text: str) -> dt.datetime:
    """Alipay's "yyyy-MM-dd HH:mm:ss" (Beijing time) as an aware datetime; ValueError."""
    return dt.datetime.strptime(text, TIME_FORMAT).replace(tzinfo=BEIJING)


def yuan(amount_fen: int) -> str:
    """12000 -> "120.00"."""
    return f"{amount_fen // 100}.{amount_fen % 100:02d}"


def parse_yuan(text: str) -> int:
    """ "120.00" -> 12000 fen, exactly; ValueError for anything but a plain yuan amount."""
    if not _YUAN.fullmatch(text):
        raise ValueError(f"not a yuan amount: {text!r}")
    return int(Decimal(text) * 100)


def signing_string(params: Mapping[str, str], drop: tuple[str, ...] = ("sign",)) -> str:
    """Params without `drop` and without empty values, sorted by key, `k=v` joined by `&`."""
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in drop and v != "")


def rsa2_sign(private_key: rsa.RSAPrivateKey, text: str) -> str:
    return sign(text.encode(), private_key)


def rsa2_verify(public_key: rsa.RSAPublicKey, text: str, signature: str) -> bool:
    return verify(text.encode(), signature, public_key)


def compact_json(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def response_key(method: str) -> str:
    """alipay.trade.query -> alipay_trade_query_response."""
    return method.replace(".", "_") + "_response"


def signed_response(text: str, key: str) -> tuple[dict, str, str]:
    """A sync response's `key` object, its exact JSON text (what the signature covers) and
    its `sign` ("" when missing). The text must decode to the very object used; ValueError."""
    document = json.loads(text)
    if not isinstance(document, dict) or not isinstance(document.get(key), dict):
        raise ValueError(f"no {key} object")
    signature = document.get("sign")
    decoder = json.JSONDecoder()
    for match in re.finditer(re.escape(json.dumps(key)) + r"\s*:\s*", text):
        try:
            value, end = decoder.raw_decode(text, match.end())
        except ValueError:
            continue
        if value == document[key]:
            return value, text[match.end() : end], signature if isinstance(signature, str) else ""
    raise ValueError(f"{key} not found as written")


# --- the adapter -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AlipayConfig:
    app_id: str  # 应用 APPID
    app_private_key: rsa.RSAPrivateKey  # signs our requests
    alipay_public_key: rsa.RSAPublicKey  # 支付宝公钥: verifies responses and notifications
    gateway_url: str = PRODUCTION_GATEWAY
    seller_id: str = ""  # 商户 PID (2088…); notifications must name it when set


class AlipayGateway:
    channel = "alipay"

    def __init__(self, config: AlipayConfig, transport: Transport = urllib_transport):
        self.config = config
        self.transport = transport

    @property
    def merchant_id(self) -> str:
        return self.config.app_id

    def signed_params(self, method: str, biz: dict, **extra: str) -> dict[str, str]:
        """The common params for `method` with `biz` as biz_content, signed."""
        params = {
            "app_id": self.config.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": beijing_time(dt.datetime.now(BEIJING)),
            "version": "1.0",
            "biz_content": compact_json(biz),
            **extra,
        }
        params = {k: v for k, v in params.items() if v != ""}
        params["sign"] = rsa2_sign(self.config.app_private_key, signing_string(params))
        return params

    def create(self, order: OrderSpec) -> PayStart:
        """Page pay (PC) or wap pay (mobile): the browser goes to the gateway."""
        method, product_code = PAGE_PAY[order.scene]
        params = self.signed_params(
            method,
            trade_biz(order, product_code),
            notify_url=order.notify_url,
            return_url=order.return_url,
        )
        return PayStart("redirect", f"{self.config.gateway_url}?{urllib.parse.urlencode(params)}")

    def precreate(self, order: OrderSpec) -> PayStart:
        """当面付 precreate: a QR code for our own page."""
        answer = self._call(
            "alipay.trade.precreate",
            trade_biz(order, PRECREATE_PRODUCT_CODE),
            notify_url=order.notify_url,
        )
        if answer.get("code") != CODE_SUCCESS or not isinstance(answer.get("qr_code"), str):
            raise GatewayError(f"precreate {order.out_trade_no}: {failure(answer)}")
        return PayStart("qr", answer["qr_code"])

    def query(self, out_trade_no: str, created_at: dt.datetime) -> GatewayState:
        answer = self._call("alipay.trade.query", {"out_trade_no": out_trade_no})
        if is_not_exist(answer):
            return GatewayState(out_trade_no, "unknown", raw=answer)
        if answer.get("code") != CODE_SUCCESS:
            raise GatewayError(f"query {out_trade_no}: {failure(answer)}")
        try:
            state = trade_state(answer, paid_at_field="send_pay_date")
        except (KeyError, ValueError, TypeError) as e:
            raise GatewayError(f"query {out_trade_no}: unusable answer ({e})") from e
        if state.out_trade_no != out_trade_no:
            raise GatewayError(f"query {out_trade_no}: answered for {state.out_trade_no}")
        return state

    def close(self, out_trade_no: str, created_at: dt.datetime) -> None:
        """Close a waiting trade; one that never existed (not scanned) counts as closed."""
        answer = self._call("alipay.trade.close", {"out_trade_no": out_trade_no})
        if answer.get("code") != CODE_SUCCESS and not is_not_exist(answer):
            raise GatewayError(f"close {out_trade_no}: {failure(answer)}")

    def verify_notification(
        self, headers: Mapping[str, str], body: bytes, now: dt.datetime
    ) -> GatewayState:
        fields = parse_form(body)
        signature = fields.get("sign", "")
        if not signature or fields.get("sign_type") != "RSA2":
            raise NotificationRefused(REFUSED_SIGNATURE, "sign or sign_type RSA2 missing")
        unsigned = signing_string(fields, drop=("sign", "sign_type"))
        if not rsa2_verify(self.config.alipay_public_key, unsigned, signature):
            raise NotificationRefused(REFUSED_SIGNATURE, "signature does not verify")
        if fields.get("app_id") != self.config.app_id:
            raise NotificationRefused(REFUSED_MERCHANT, f"app_id {fields.get('app_id')!r}")
        if self.config.seller_id and fields.get("seller_id") != self.config.seller_id:
            raise NotificationRefused(REFUSED_MERCHANT, f"seller_id {fields.get('seller_id')!r}")
        check_fresh(fields.get("notify_time", ""), now)
        try:
            state = trade_state(fields, paid_at_field="gmt_payment")
        except (KeyError, ValueError, TypeError) as e:
            raise NotificationRefused(REFUSED_MALFORMED, str(e)) from e
        if not fields.get("notify_id"):
            raise NotificationRefused(REFUSED_MALFORMED, "notify_id missing")
        dedupe_key = f"{fields['notify_id']}:{fields['trade_status']}"
        return dataclasses.replace(state, dedupe_key=dedupe_key, raw=fields)

    def accepted(self) -> Reply:
        return Reply(200, b"success")

    def rejected(self) -> Reply:
        return Reply(200, b"failure")

    def _call(self, method: str, biz: dict, **extra: str) -> dict:
        """POST a signed request to gateway.do; the verified response object."""
        body = urllib.parse.urlencode(self.signed_params(method, biz, **extra)).encode()
        status, _, answer = self.transport(
            "POST", self.config.gateway_url, {"Content-Type": FORM_CONTENT_TYPE}, body
        )
        if status != 200:
            raise GatewayError(f"{method}: HTTP {status}")
        try:
            response, signed_text, signature = signed_response(
                answer.decode("utf-8"), response_key(method)
            )
        except ValueError as e:  # also UnicodeDecodeError and JSONDecodeError
            raise GatewayError(f"{method}: unusable answer ({e})") from e
        if not rsa2_verify(self.config.alipay_public_key, signed_text, signature):
            raise GatewayError(f"{method}: the response signature does not verify")
        return response


def trade_biz(order: OrderSpec, product_code: str) -> dict:
    return {
        "out_trade_no": order.out_trade_no,
        "total_amount": yuan(order.amount_fen),
        "subject": order.description,
        "product_code": product_code,
        "time_expire": beijing_time(order.expires_at),
    }


def trade_state(fields: Mapping, paid_at_field: str) -> GatewayState:
    """A query answer or a notification as GatewayState; KeyError/ValueError/TypeError."""
    state = TRADE_STATES[fields["trade_status"]]
    out_trade_no = fields["out_trade_no"]
    if not isinstance(out_trade_no, str) or not out_trade_no:
        raise ValueError("out_trade_no missing")
    paid = state == "paid"
    trade_no = fields.get("trade_no", "")
    if paid and (not isinstance(trade_no, str) or not trade_no):
        raise ValueError("trade_no missing")
    return GatewayState(
        out_trade_no,
        state,
        amount_fen=parse_yuan(fields["total_amount"]),
        transaction_id=trade_no,
        paid_at=parse_beijing_time(fields[paid_at_field]) if paid else None,
        raw=dict(fields),
    )


def is_not_exist(answer: dict) -> bool:
    return answer.get("code") == CODE_BUSINESS_FAILED and answer.get("sub_code") == TRADE_NOT_EXIST


def failure(answer: dict) -> str:
    return " ".join(str(answer.get(k, "")) for k in ("code", "msg", "sub_code", "sub_msg"))


def parse_form(body: bytes) -> dict[str, str]:
    """A UTF-8 form body as a dict; NotificationRefused(malformed) for anything else."""
    try:
        pairs = urllib.parse.parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=bool(body),
            errors="strict",
            max_num_fields=MAX_NOTIFY_FIELDS,
        )
    except ValueError as e:  # UnicodeDecodeError is a ValueError
        raise NotificationRefused(REFUSED_MALFORMED, f"not a form: {e}") from e
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise NotificationRefused(REFUSED_MALFORMED, "repeated field")
    return fields


def check_fresh(notify_time: str, now: dt.datetime) -> None:
    try:
        sent = parse_beijing_time(notify_time)
    except ValueError as e:
        raise NotificationRefused(REFUSED_MALFORMED, f"notify_time {notify_time!r}") from e
    if not now - NOTIFY_WINDOW <= sent <= now + CLOCK_SKEW:
        raise NotificationRefused(REFUSED_STALE, f"notify_time {notify_time}")


# The files from_config reads, named by the section's keys: config.gateway builds a new
# adapter when one of them changes.
KEY_FILES = ("app_private_key", "alipay_public_key")


def from_config(section: dict, folder: Path, transport: Transport) -> AlipayGateway:
    try:
        config = AlipayConfig(
            app_id=str(section["app_id"]),
            app_private_key=load_private_key(folder / section["app_private_key"]),
            alipay_public_key=load_public_key(folder / section["alipay_public_key"]),
            gateway_url=section.get("gateway_url", PRODUCTION_GATEWAY),
            seller_id=str(section.get("seller_id", "")),
        )
    except (KeyError, OSError, ValueError) as e:
        raise ImproperlyConfigured(f"[alipay] in the payments config: {e}") from e
    return AlipayGateway(config, transport)


# --- sandbox keys ----------------------------------------------------------------------------


def sandbox_keys(folder: Path, base_url: str) -> tuple[dict, dict]:
    """Fresh key pairs for both sides into folder/alipay/: ours (app key) and the sandbox's
    (the "Alipay" key). Returns (our section, the sandbox section)."""
    keys = folder / "alipay"
    keys.mkdir(parents=True, exist_ok=True)
    app_id = "2021" + random_digits(12)
    seller_id = "2088" + random_digits(12)
    ours = {
        "app_id": app_id,
        "seller_id": seller_id,
        "gateway_url": f"{base_url.rstrip('/')}/gateway.do",
        "app_private_key": "alipay/app_private_key.pem",
        "alipay_public_key": "alipay/alipay_public_key.pem",
    }
    theirs = {
        "app_id": app_id,
        "seller_id": seller_id,
        "app_public_key": "alipay/app_public_key.pem",
        "alipay_private_key": "alipay/alipay_private_key.pem",
    }
    write_key_pair(folder, ours["app_private_key"], theirs["app_public_key"])
    write_key_pair(folder, theirs["alipay_private_key"], ours["alipay_public_key"])
    return ours, theirs


def write_key_pair(folder: Path, private_name: str, public_name: str) -> None:
    key = new_key()
    write_private(folder / private_name, key)
    write_public(folder / public_name, key)


def random_digits(count: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(count))
