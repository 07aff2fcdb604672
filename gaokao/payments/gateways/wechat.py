"""WeChat Pay API v3 (微信支付 APIv3, 直连商户) in platform-public-key mode (O6).

Protocol facts (docs/domain/payments.md §1):

* Orders: `POST /v3/pay/transactions/native` → `{"code_url"}` shown as a QR code (PC);
  `POST /v3/pay/transactions/h5` with `scene_info.payer_client_ip` and `h5_info.type`
  "Wap" → `{"h5_url"}`, to which the browser goes with `&redirect_url=<urlencoded>`
  appended (mobile). JSON body: appid, mchid, description (≤127), out_trade_no,
  time_expire (RFC 3339, here always +08:00), notify_url, amount {total (fen), currency}.
* Every request carries `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",
  signature="…",timestamp="…",serial_no="…"`; the signature is Base64 RSA PKCS#1 v1.5
  SHA-256 (merchant private key) over "METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n",
  BODY being exactly the bytes sent ("" for GET). PATH is relative to the gateway URL.
* Every 2xx response and every notification is signed by the platform: headers
  Wechatpay-Timestamp/-Nonce/-Signature/-Serial/-Signature-Type over
  "TIMESTAMP\\nNONCE\\nRAW_BODY\\n", verified with the platform public key whose id
  (`PUB_KEY_ID_…`) is in Wechatpay-Serial; more than 5 minutes off → replay, refused.
  Signature-probe traffic (signatures starting `WECHATPAY/SIGNTEST/`) must fail.
* A notification's `resource` is AEAD_AES_256_GCM: key = the 32-byte APIv3 key, nonce =
  `resource.nonce`, AAD = `resource.associated_data`, data = Base64(ciphertext‖tag).
  Answer 204 to accept; 500 with {"code":"FAIL","message":"失败"} to be sent again.
* Query `GET /v3/pay/transactions/out-trade-no/{no}?mchid=…` (404 ORDER_NOT_EXIST for
  an order the gateway does not know); close `POST …/{no}/close` {"mchid"} → 204.
"""

import base64
import datetime as dt
import json
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
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

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
PROBE_PREFIX = "WECHATPAY/SIGNTEST/"
MAX_SKEW_SECONDS = 5 * 60
DESCRIPTION_MAX = 127
USER_AGENT = "gaokao-payments (WeChat Pay APIv3)"  # APIv3 requires a User-Agent
TRADE_STATES = {
    "SUCCESS": "paid",
    "NOTPAY": "unpaid",
    "USERPAYING": "unpaid",
    "CLOSED": "closed",
    "REVOKED": "closed",
    "PAYERROR": "failed",
}
_DIGITS = re.compile(r"[0-9]{1,12}")


def rfc3339(moment: dt.datetime) -> str:
    """An aware datetime as WeChat writes times: RFC 3339 in +08:00, whole seconds."""
    return moment.astimezone(BEIJING).isoformat(timespec="seconds")


def new_nonce() -> str:
    return secrets.token_hex(16).upper()


def request_message(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """What a merchant signs: method, path (+query), timestamp, nonce, body, each + \\n."""
    return f"{method}\n{path}\n{timestamp}\n{nonce}\n".encode() + body + b"\n"


def response_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    """What the platform signs (responses and notifications): timestamp, nonce, body."""
    return f"{timestamp}\n{nonce}\n".encode() + body + b"\n"


def authorization(
    mchid: str,
    serial_no: str,
    private_key: rsa.RSAPrivateKey,
    method: str,
    path: str,
    body: bytes,
    timestamp: str,
    nonce: str,
) -> str:
    """The Authorization header value of one request."""
    signature = sign(request_message(method, path, timestamp, nonce, body), private_key)
    return (
        f'{SIGNATURE_TYPE} mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{serial_no}"'
    )


@dataclass(frozen=True)
class WechatConfig:
    gateway_url: str  # https://api.mch.weixin.qq.com, or the sandbox
    mchid: str
    appid: str
    merchant_serial_no: str  # serial (hex) of the merchant API certificate
    merchant_private_key: rsa.RSAPrivateKey
    platform_public_key_id: str  # PUB_KEY_ID_…
    platform_public_key: rsa.RSAPublicKey
    apiv3_key: bytes  # 32 bytes


class WechatPayGateway:
    channel = "wechat"

    def __init__(self, config: WechatConfig, transport: Transport = urllib_transport):
        self.config = config
        self.transport = transport
        self.merchant_id = config.mchid

    def create(self, order: OrderSpec) -> PayStart:
        c = self.config
        body = {
            "appid": c.appid,
            "mchid": c.mchid,
            "description": _bill_text(order.description),
            "out_trade_no": order.out_trade_no,
            "time_expire": rfc3339(order.expires_at),
            "notify_url": order.notify_url,
            "amount": {"total": order.amount_fen, "currency": "CNY"},
        }
        if order.scene == "mobile":
            body["scene_info"] = {"payer_client_ip": order.client_ip, "h5_info": {"type": "Wap"}}
            h5_url = self._order_url("/v3/pay/transactions/h5", body, "h5_url")
            return PayStart("redirect", f"{h5_url}&redirect_url={quote(order.return_url, safe='')}")
        return PayStart("qr", self._order_url("/v3/pay/transactions/native", body, "code_url"))

    def verify_notification(
        self, headers: Mapping[str, str], body: bytes, now: dt.datetime
    ) -> GatewayState:
        self._check_signed(headers, body, now.timestamp())
        envelope = _json_object(body, "notification body")
        resource = envelope.get("resource")
        notification_id = envelope.get("id")
        if (
            not isinstance(resource, dict)
            or not isinstance(notification_id, str)
            or not notification_id
            or envelope.get("resource_type") != "encrypt-resource"
            or resource.get("original_type") != "transaction"
            or resource.get("algorithm") != "AEAD_AES_256_GCM"
        ):
            raise NotificationRefused(REFUSED_MALFORMED, "not a transaction notification")
        transaction = _json_object(self._decrypt(resource), "notification resource")
        return self._state(transaction, notification_id, {**envelope, "resource": transaction})

    def accepted(self) -> Reply:
        return Reply(204)

    def rejected(self) -> Reply:
        body = json.dumps({"code": "FAIL", "message": "失败"}, ensure_ascii=False).encode()
        return Reply(500, body, "application/json; charset=utf-8")

    def query(self, out_trade_no: str, created_at: dt.datetime) -> GatewayState:
        path = f"{_order_path(out_trade_no)}?mchid={quote(self.config.mchid, safe='')}"
        status, body = self._request("GET", path, None)
        if status == 404 and _error_code(body) == "ORDER_NOT_EXIST":
            return GatewayState(out_trade_no, "unknown")
        if status != 200:
            raise GatewayError(_error_text(status, body))
        try:
            answer = _json_object(body, "query answer")
            state = self._state(answer, "", answer)
        except NotificationRefused as e:
            raise GatewayError(f"query {out_trade_no}: {e}") from e
        if state.out_trade_no != out_trade_no:
            raise GatewayError(f"query {out_trade_no}: answer about {state.out_trade_no}")
        return state

    def close(self, out_trade_no: str, created_at: dt.datetime) -> None:
        path = f"{_order_path(out_trade_no)}/close"
        status, body = self._request("POST", path, {"mchid": self.config.mchid})
        if status != 204:
            raise GatewayError(_error_text(status, body))

    def _order_url(self, path: str, payload: dict, field: str) -> str:
        """POST an order and return the one URL field of its 200 answer."""
        status, body = self._request("POST", path, payload)
        if status != 200:
            raise GatewayError(_error_text(status, body))
        try:
            value = _json_object(body, "answer").get(field)
        except NotificationRefused as e:
            raise GatewayError(str(e)) from e
        if not isinstance(value, str) or not value:
            raise GatewayError(f"{path}: no {field} in the answer")
        return value

    def _request(self, method: str, path: str, payload: dict | None) -> tuple[int, bytes]:
        """Send one signed request; verify the platform's signature of a 2xx answer."""
        c = self.config
        body = b"" if payload is None else _json_bytes(payload)
        timestamp, nonce = str(int(time.time())), new_nonce()
        headers = {
            "Authorization": authorization(
                c.mchid,
                c.merchant_serial_no,
                c.merchant_private_key,
                method,
                path,
                body,
                timestamp,
                nonce,
            ),
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            "Wechatpay-Serial": c.platform_public_key_id,  # answer in public-key mode
        }
        if payload is not None:
            headers["Content-Type"] = "application/json"
        status, answer_headers, answer = self.transport(method, c.gateway_url + path, headers, body)
        if 200 <= status < 300:
            try:
                self._check_signed(answer_headers, answer, time.time())
            except NotificationRefused as e:
                raise GatewayError(f"{method} {path}: answer not signed by WeChat Pay: {e}") from e
        return status, answer

    def _check_signed(self, headers: Mapping[str, str], body: bytes, now: float) -> None:
        """The platform signature of a response or notification, and its freshness."""
        found = {str(name).lower(): value for name, value in headers.items()}

        def header(name: str) -> str:
            value = found.get(name.lower(), "")
            return value if isinstance(value, str) else ""

        signature, timestamp = header("Wechatpay-Signature"), header("Wechatpay-Timestamp")
        if header("Wechatpay-Signature-Type") != SIGNATURE_TYPE:
            raise NotificationRefused(REFUSED_SIGNATURE, "missing or unknown signature type")
        if not signature:
            raise NotificationRefused(REFUSED_SIGNATURE, "no Wechatpay-Signature")
        if signature.startswith(PROBE_PREFIX):
            raise NotificationRefused(REFUSED_SIGNATURE, "signature probe")
        if header("Wechatpay-Serial") != self.config.platform_public_key_id:
            raise NotificationRefused(REFUSED_SIGNATURE, "unknown Wechatpay-Serial")
        if not _DIGITS.fullmatch(timestamp):
            raise NotificationRefused(REFUSED_MALFORMED, "bad Wechatpay-Timestamp")
        try:
            message = response_message(timestamp, header("Wechatpay-Nonce"), body)
        except (TypeError, ValueError) as e:  # unencodable nonce, body not bytes
            raise NotificationRefused(REFUSED_MALFORMED, "unreadable message") from e
        if not verify(message, signature, self.config.platform_public_key):
            raise NotificationRefused(REFUSED_SIGNATURE, "signature does not verify")
        if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
            raise NotificationRefused(REFUSED_STALE, f"Wechatpay-Timestamp {timestamp}")

    def _decrypt(self, resource: dict) -> bytes:
        nonce, data = resource.get("nonce"), resource.get("ciphertext")
        associated = resource.get("associated_data") or ""
        if not all(isinstance(v, str) for v in (nonce, data, associated)):
            raise NotificationRefused(REFUSED_MALFORMED, "resource fields are not strings")
        try:
            return AESGCM(self.config.apiv3_key).decrypt(
                nonce.encode(), base64.b64decode(data, validate=True), associated.encode()
            )
        except ValueError as e:  # bad Base64 (binascii.Error), nonce length, unencodable
            raise NotificationRefused(REFUSED_MALFORMED, "unreadable resource") from e
        except InvalidTag as e:
            raise NotificationRefused(REFUSED_SIGNATURE, "resource fails AES-GCM auth") from e

    def _state(self, transaction: dict, dedupe_key: str, raw: dict) -> GatewayState:
        """A transaction object (query answer or decrypted notification) as GatewayState."""
        c = self.config
        if transaction.get("mchid") != c.mchid or transaction.get("appid") != c.appid:
            raise NotificationRefused(
                REFUSED_MERCHANT,
                f"mchid {transaction.get('mchid')!r} appid {transaction.get('appid')!r}",
            )
        out_trade_no, trade_state = transaction.get("out_trade_no"), transaction.get("trade_state")
        amount = transaction.get("amount")
        total = amount.get("total") if isinstance(amount, dict) else None
        if not isinstance(total, int) or isinstance(total, bool):
            total = None
        if not isinstance(out_trade_no, str) or not out_trade_no:
            raise NotificationRefused(REFUSED_MALFORMED, "no out_trade_no")
        if not isinstance(trade_state, str) or trade_state not in TRADE_STATES:
            raise NotificationRefused(REFUSED_MALFORMED, f"trade_state {trade_state!r}")
        state = TRADE_STATES[trade_state]
        transaction_id, paid_at = transaction.get("transaction_id"), None
        if state == "paid":
            paid_at = _parse_time(transaction.get("success_time"))
            if total is None or amount.get("currency") != "CNY" or paid_at is None:
                raise NotificationRefused(REFUSED_MALFORMED, "paid without amount or time")
            if not isinstance(transaction_id, str) or not transaction_id:
                raise NotificationRefused(REFUSED_MALFORMED, "paid without transaction_id")
        return GatewayState(
            out_trade_no=out_trade_no,
            state=state,
            amount_fen=total,
            transaction_id=transaction_id if isinstance(transaction_id, str) else "",
            paid_at=paid_at,
            dedupe_key=dedupe_key,
            raw=raw,
        )


def _bill_text(description: str) -> str:
    """At most 127 characters and 127 UTF-8 bytes (whichever WeChat counts)."""
    text = description[:DESCRIPTION_MAX]
    while len(text.encode()) > DESCRIPTION_MAX:
        text = text[:-1]
    return text


def _order_path(out_trade_no: str) -> str:
    return f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}"


def _json_bytes(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _json_object(data: bytes, what: str) -> dict:
    try:
        value = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as e:  # UnicodeDecodeError is a ValueError
        raise NotificationRefused(REFUSED_MALFORMED, f"{what} is not JSON") from e
    if not isinstance(value, dict):
        raise NotificationRefused(REFUSED_MALFORMED, f"{what} is not a JSON object")
    return value


def _parse_time(value) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment.astimezone(BEIJING) if moment.tzinfo else None


def _error_code(body: bytes) -> str:
    try:
        code = _json_object(body, "error").get("code")
    except NotificationRefused:
        return ""
    return code if isinstance(code, str) else ""


def _error_text(status: int, body: bytes) -> str:
    return f"WeChat Pay answered {status}: {body[:300].decode('utf-8', 'replace')}"


# The files from_config reads, named by the section's keys: config.gateway builds a new
# adapter when one of them changes.
KEY_FILES = ("merchant_private_key_file", "platform_public_key_file")


def from_config(section: dict, folder: Path, transport: Transport) -> WechatPayGateway:
    """Our side's [wechat] section: gateway_url, mchid, appid, merchant_serial_no,
    merchant_private_key_file, platform_public_key_id, platform_public_key_file,
    apiv3_key (32 characters). Key files are relative to `folder`."""
    try:
        apiv3_key = section["apiv3_key"].encode()
        config = WechatConfig(
            gateway_url=section["gateway_url"].rstrip("/"),
            mchid=section["mchid"],
            appid=section["appid"],
            merchant_serial_no=section["merchant_serial_no"],
            merchant_private_key=load_private_key(folder / section["merchant_private_key_file"]),
            platform_public_key_id=section["platform_public_key_id"],
            platform_public_key=load_public_key(folder / section["platform_public_key_file"]),
            apiv3_key=apiv3_key,
        )
    except KeyError as e:
        raise ImproperlyConfigured(f"[wechat] needs {e.args[0]}") from e
    if len(apiv3_key) != 32:
        raise ImproperlyConfigured("[wechat] apiv3_key must be 32 ASCII characters")
    return WechatPayGateway(config, transport)


def sandbox_keys(folder: Path, base_url: str) -> tuple[dict, dict]:
    """Fresh keys for both sides of the local sandbox in `folder`/wechat/: the merchant
    API key pair and the platform key pair. Returns ([wechat], [sandbox.wechat])."""
    directory = folder / "wechat"
    directory.mkdir(parents=True, exist_ok=True)
    merchant = new_key()
    platform = new_key()
    files = {
        "merchant_private_key": write_private(directory / "merchant_private_key.pem", merchant),
        "merchant_public_key": write_public(directory / "merchant_public_key.pem", merchant),
        "platform_private_key": write_private(directory / "platform_private_key.pem", platform),
        "platform_public_key": write_public(directory / "platform_public_key.pem", platform),
    }
    relative = {name: str(file.relative_to(folder)) for name, file in files.items()}
    shared = {
        "mchid": f"19{secrets.randbelow(10**8):08d}",
        "appid": f"wx{secrets.token_hex(8)}",
        "merchant_serial_no": secrets.token_hex(20).upper(),
        "platform_public_key_id": f"PUB_KEY_ID_{secrets.randbelow(10**28):028d}",
        "apiv3_key": secrets.token_hex(16),
    }
    ours = {
        "gateway_url": base_url.rstrip("/"),
        **shared,
        "merchant_private_key_file": relative["merchant_private_key"],
        "platform_public_key_file": relative["platform_public_key"],
    }
    theirs = {
        **shared,
        "merchant_public_key_file": relative["merchant_public_key"],
        "platform_private_key_file": relative["platform_private_key"],
    }
    return ours, theirs
