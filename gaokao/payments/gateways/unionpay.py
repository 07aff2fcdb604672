"""UnionPay online gateway payment (全渠道 ACP 5.1.0, 网关支付, signMethod=01;
docs/domain/payments.md §3).

* Create (§3.1): no server call. The browser auto-submits a signed form to frontTransReq.do:
  version=5.1.0, encoding=UTF-8, signMethod=01, txnType=01, txnSubType=01, bizType=000201,
  channelType 07 (PC) / 08 (mobile), accessType=0, merId, orderId, txnTime (the order's
  creation, YYYYMMDDhhmmss Beijing time), txnAmt (fen), currencyCode=156, frontUrl, backUrl,
  payTimeout, certId. merId + orderId + txnTime identify a transaction.
* Signing (§3.2): drop empty params; certId = decimal serial number of the merchant signing
  certificate in the .pfx (PKCS#12); sort by key, join `k=v` with `&` over the raw values;
  digest = SHA-256 hex (lowercase) of the UTF-8 text; signature = Base64(SHA256withRSA,
  PKCS#1 v1.5, over the ASCII bytes of that hex digest).
* Verifying (§3.3): the message carries UnionPay's signing certificate as `signPubKeyCert`
  (PEM). It must be issued by the configured intermediate, itself issued by the configured
  root, all within their validity dates, and the 3rd `@` field of its subject CN must be
  中国银联股份有限公司 (`validate_cn_name`). Then every received param except `signature`
  (signPubKeyCert and empty ones included) is sorted, joined and hashed as above and the
  signature checked with the certificate's key. merId must be ours.
* Back notification (§3.4): a form POST; respCode 00 (or A6, partial success) = paid;
  queryId is UnionPay's serial. It carries no sending time, but UnionPay sends it at most 5
  times within ~12 minutes of the transaction (traceTime, MMDDhhmmss, year taken from
  txnTime), so one whose traceTime is older than NOTIFY_WINDOW is a replay (stale). Any
  HTTP 200 acknowledges it; another status (or none in 10 s) makes UnionPay send it again.
* Query (§3.5): queryTrans.do; the answer is `k=v&…` with raw (not URL-encoded) values, a
  value possibly holding `&` inside {…} or […]. respCode 00, then origRespCode 00/A6 → paid,
  03/04/05 → in progress, other → failed; respCode 34 → no such order. There is no close API
  for gateway consumption: payTimeout bounds the order.
"""

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
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
from gaokao.payments.gateways.keys import BEIJING, new_key, private_pem
from gaokao.payments.gateways.keys import sign as rsa_sign
from gaokao.payments.gateways.keys import verify as rsa_verify

TIME_FORMAT = "%Y%m%d%H%M%S"
VERSION = "5.1.0"
SIGN_METHOD = "01"  # RSA with the merchant / UnionPay certificates
UNIONPAY_NAME = "中国银联股份有限公司"  # the 3rd '@' field of UnionPay's signing certificate CN
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=UTF-8"
PRODUCTION_FRONT_URL = "https://gateway.95516.com/gateway/api/frontTransReq.do"
PRODUCTION_QUERY_URL = "https://gateway.95516.com/gateway/api/queryTrans.do"

PAID_CODES = ("00", "A6")
IN_PROGRESS_CODES = ("03", "04", "05")
NO_SUCH_ORDER = "34"
NOTIFICATION_FIELDS = ("orderId", "txnTime", "txnAmt", "queryId", "traceTime", "respCode")
NOTIFY_WINDOW = dt.timedelta(hours=1)  # 5 sends within ~12 minutes, with a wide margin
CLOCK_SKEW = dt.timedelta(minutes=5)

_DIGITS = re.compile(r"[0-9]+")
# one `k=v` of a sync answer: the value runs to the next & outside {…} / […]
_ANSWER_FIELD = re.compile(r"([^&=]+)=((?:\{[^}]*\}|\[[^\]]*\]|[^&{\[])*)")


def gateway_time(moment: dt.datetime) -> str:
    """YYYYMMDDhhmmss in Beijing time, whatever the process's own zone."""
    if moment.tzinfo is None:
        raise ValueError("UnionPay times need an aware datetime")
    return moment.astimezone(BEIJING).strftime(TIME_FORMAT)


def parse_gateway_time(text: str) -> dt.datetime:
    if not _DIGITS.fullmatch(text) or len(text) != len("YYYYMMDDhhmmss"):
        raise ValueError(f"not a YYYYMMDDhhmmss time: {text!r}")
    return dt.datetime.strptime(text, TIME_FORMAT).replace(tzinfo=BEIJING)


def trace_time(fields: Mapping[str, str]) -> dt.datetime:
    """traceTime (MMDDhhmmss) as a datetime: the year is txnTime's, or the next one when the
    payment came after New Year."""
    order_time, trace = fields["txnTime"], fields["traceTime"]
    if not _DIGITS.fullmatch(trace) or len(trace) != len("MMDDhhmmss"):
        raise ValueError(f"not a MMDDhhmmss time: {trace!r}")
    year = parse_gateway_time(order_time).year + (1 if trace[:4] < order_time[4:8] else 0)
    return parse_gateway_time(f"{year}{trace}")


def signing_string(params: Mapping[str, str]) -> str:
    """`k=v` joined by `&` in key order over the raw values, `signature` left out."""
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "signature")


def _digest(params: Mapping[str, str]) -> bytes:
    """The ASCII bytes of the lowercase SHA-256 hex of the signing string: what RSA signs."""
    return hashlib.sha256(signing_string(params).encode("utf-8")).hexdigest().encode("ascii")


def sign(params: Mapping[str, str], key: rsa.RSAPrivateKey) -> str:
    return rsa_sign(_digest(params), key)


def signature_valid(params: Mapping[str, str], key: rsa.RSAPublicKey) -> bool:
    return rsa_verify(_digest(params), params.get("signature", ""), key)


def parse_answer(text: str) -> dict[str, str]:
    """A sync answer's `k=v&…` with raw values (the official SDK's parseQString)."""
    return dict(_ANSWER_FIELD.findall(text))


def parse_form(body: bytes) -> dict[str, str]:
    """A notification's URL-encoded UTF-8 form; refused when unreadable or a field repeats."""
    try:
        pairs = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, strict_parsing=True, errors="strict"
        )
    except ValueError as e:  # UnicodeDecodeError included
        raise NotificationRefused(REFUSED_MALFORMED, f"not a UTF-8 form: {e}") from e
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise NotificationRefused(REFUSED_MALFORMED, "a field is repeated")
    return fields


@dataclass(frozen=True)
class UnionPayConfig:
    mer_id: str  # merId, 15 characters
    sign_key: rsa.RSAPrivateKey  # from the merchant's .pfx
    sign_cert: x509.Certificate  # its serial number is certId
    root_cert: x509.Certificate  # UnionPay's root (acp_prod_root.cer)
    middle_cert: x509.Certificate  # UnionPay's intermediate (acp_prod_middle.cer)
    front_url: str = PRODUCTION_FRONT_URL
    query_url: str = PRODUCTION_QUERY_URL
    validate_cn_name: bool = True  # false only against UnionPay's own test environment


class UnionPayGateway:
    channel = "unionpay"

    def __init__(self, config: UnionPayConfig, transport: Transport = urllib_transport):
        self.config = config
        self.transport = transport
        self.merchant_id = config.mer_id

    def create(self, order: OrderSpec) -> PayStart:
        if order.created_at is None:
            raise ValueError("UnionPay needs the order's creation time (txnTime)")
        fields = self.signed(
            {
                "txnType": "01",
                "txnSubType": "01",
                "bizType": "000201",
                "channelType": "08" if order.scene == "mobile" else "07",
                "accessType": "0",
                "merId": self.merchant_id,
                "orderId": order.out_trade_no,
                "txnTime": gateway_time(order.created_at),
                "txnAmt": str(order.amount_fen),
                "currencyCode": "156",
                "frontUrl": order.return_url,
                "backUrl": order.notify_url,
                "payTimeout": gateway_time(order.expires_at),
            }
        )
        return PayStart("form", self.config.front_url, fields)

    def signed(self, params: Mapping[str, str]) -> dict[str, str]:
        """The params with the common fields and certId, empty ones dropped, signed (§3.2)."""
        params = {
            "version": VERSION,
            "encoding": "UTF-8",
            "signMethod": SIGN_METHOD,
            "certId": str(self.config.sign_cert.serial_number),
            **params,
        }
        params = {k: v for k, v in params.items() if v}
        return {**params, "signature": sign(params, self.config.sign_key)}

    def verify_notification(
        self, headers: Mapping[str, str], body: bytes, now: dt.datetime
    ) -> GatewayState:
        fields = parse_form(body)
        self.verify_message(fields, now)
        missing = [name for name in NOTIFICATION_FIELDS if not fields.get(name)]
        if missing:
            raise NotificationRefused(REFUSED_MALFORMED, f"missing {', '.join(missing)}")
        if fields.get("txnType") != "01":
            raise NotificationRefused(REFUSED_MALFORMED, "not a consumption notification")
        try:
            traced = trace_time(fields)
            paid = fields["respCode"] in PAID_CODES
            dedupe_key = f"{fields['queryId']}:{fields['respCode']}"
            state = gateway_state(fields, "paid" if paid else "failed", dedupe_key)
        except ValueError as e:
            raise NotificationRefused(REFUSED_MALFORMED, str(e)) from e
        if not now - NOTIFY_WINDOW <= traced <= now + CLOCK_SKEW:
            raise NotificationRefused(REFUSED_STALE, f"traceTime {traced.isoformat()}")
        return state

    def verify_message(self, fields: Mapping[str, str], now: dt.datetime) -> None:
        """Signature by a valid UnionPay certificate (§3.3), then the merchant id."""
        if not fields.get("signature") or not fields.get("signPubKeyCert"):
            raise NotificationRefused(REFUSED_SIGNATURE, "no signature or signPubKeyCert")
        if fields.get("signMethod") != SIGN_METHOD or fields.get("version") != VERSION:
            raise NotificationRefused(REFUSED_SIGNATURE, "not signMethod 01 of version 5.1.0")
        key = self.unionpay_key(fields["signPubKeyCert"], now)
        if not signature_valid(fields, key):
            raise NotificationRefused(REFUSED_SIGNATURE, "wrong signature")
        if fields.get("merId") != self.merchant_id:
            raise NotificationRefused(REFUSED_MERCHANT, f"merId {fields.get('merId')!r}")

    def unionpay_key(self, pem: str, now: dt.datetime) -> rsa.RSAPublicKey:
        """The key of signPubKeyCert once the certificate is validated (§3.3 step 2)."""
        root, middle = self.config.root_cert, self.config.middle_cert
        try:
            cert = x509.load_pem_x509_certificate(pem.encode("utf-8"))
            cert.verify_directly_issued_by(middle)
            middle.verify_directly_issued_by(root)
            expired = [
                c
                for c in (cert, middle, root)
                if not c.not_valid_before_utc <= now <= c.not_valid_after_utc
            ]
            names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
            key = cert.public_key()
        except (ValueError, TypeError, InvalidSignature) as e:
            raise NotificationRefused(REFUSED_SIGNATURE, f"signPubKeyCert: {e!r}") from e
        if expired:
            raise NotificationRefused(REFUSED_SIGNATURE, "a certificate is not valid now")
        cn_fields = str(names[0].value).split("@") if names else []
        if self.config.validate_cn_name and cn_fields[2:3] != [UNIONPAY_NAME]:
            raise NotificationRefused(REFUSED_SIGNATURE, f"not UnionPay's certificate: {cn_fields}")
        if not isinstance(key, rsa.RSAPublicKey):
            raise NotificationRefused(REFUSED_SIGNATURE, "not an RSA certificate")
        return key

    def accepted(self) -> Reply:
        return Reply(200, b"ok")

    def rejected(self) -> Reply:
        return Reply(500)

    def query(self, out_trade_no: str, created_at: dt.datetime) -> GatewayState:
        params = self.signed(
            {
                "txnType": "00",
                "txnSubType": "00",
                "bizType": "000000",
                "accessType": "0",
                "channelType": "07",
                "merId": self.merchant_id,
                "orderId": out_trade_no,
                "txnTime": gateway_time(created_at),
            }
        )
        headers = {"Content-Type": FORM_CONTENT_TYPE}
        url = self.config.query_url
        status, _, body = self.transport("POST", url, headers, urlencode(params).encode())
        if status != 200:
            raise GatewayError(f"{url}: HTTP {status}")
        try:
            answer = parse_answer(body.decode("utf-8"))
            self.verify_message(answer, dt.datetime.now(BEIJING))
        except (UnicodeDecodeError, NotificationRefused) as e:
            raise GatewayError(f"{url}: {e}") from e
        if answer.get("orderId") != out_trade_no:
            raise GatewayError(f"{url}: answer for orderId {answer.get('orderId')!r}")
        if answer.get("respCode") == NO_SUCH_ORDER:
            return GatewayState(out_trade_no, "unknown", raw=answer)
        if answer.get("respCode") != "00":
            raise GatewayError(f"{url}: respCode {answer.get('respCode')} {answer.get('respMsg')}")
        original = answer.get("origRespCode", "")
        state = (
            "paid"
            if original in PAID_CODES
            else "unpaid"
            if original in IN_PROGRESS_CODES
            else "failed"
        )
        try:
            return gateway_state(answer, state)
        except (KeyError, ValueError) as e:
            raise GatewayError(f"{url}: unusable answer: {e!r}") from e

    def close(self, out_trade_no: str, created_at: dt.datetime) -> None:
        """Nothing to do: UnionPay has no close for gateway consumption (§3.5). The order's
        payTimeout makes the gateway refuse payment after expires_at (a payment completed
        later is not notified and goes back to the payer); same-day cancel (txnType=31)
        reverses money already taken, which is not closing."""


def gateway_state(fields: dict[str, str], state: str, dedupe_key: str = "") -> GatewayState:
    """A verified notification or query answer as a GatewayState; ValueError if malformed."""
    amount = fields.get("txnAmt", "")
    if amount and (not _DIGITS.fullmatch(amount) or len(amount) > 12):
        raise ValueError(f"txnAmt {amount!r}")
    return GatewayState(
        out_trade_no=fields["orderId"],
        state=state,
        amount_fen=int(amount) if amount else None,
        transaction_id=fields.get("queryId", ""),
        paid_at=trace_time(fields) if state == "paid" and "traceTime" in fields else None,
        dedupe_key=dedupe_key,
        raw=dict(fields),
    )


# The files from_config reads, named by the section's keys: config.gateway builds a new
# adapter when one of them changes.
KEY_FILES = ("sign_cert_path", "root_cert_path", "middle_cert_path")


def from_config(
    section: dict, folder: Path, transport: Transport = urllib_transport
) -> UnionPayGateway:
    """Our [unionpay] section: mer_id, sign_cert_path (.pfx) + sign_cert_password,
    root_cert_path, middle_cert_path (PEM), front_url, query_url, validate_cn_name."""
    try:
        key, cert, _ = pkcs12.load_key_and_certificates(
            (folder / section["sign_cert_path"]).read_bytes(),
            section["sign_cert_password"].encode("utf-8"),
        )
        root, middle = (
            x509.load_pem_x509_certificate((folder / section[name]).read_bytes())
            for name in ("root_cert_path", "middle_cert_path")
        )
    except (KeyError, OSError, ValueError) as e:
        raise ImproperlyConfigured(f"[unionpay] {e!r}") from e
    if not isinstance(key, rsa.RSAPrivateKey) or cert is None:
        raise ImproperlyConfigured("[unionpay] the .pfx must hold an RSA key and its certificate")
    config = UnionPayConfig(
        mer_id=section["mer_id"],
        sign_key=key,
        sign_cert=cert,
        root_cert=root,
        middle_cert=middle,
        front_url=section.get("front_url", PRODUCTION_FRONT_URL),
        query_url=section.get("query_url", PRODUCTION_QUERY_URL),
        validate_cn_name=section.get("validate_cn_name", True),
    )
    return UnionPayGateway(config, transport)


def issue_certificate(
    common_name: str,
    issuer: tuple[rsa.RSAPrivateKey, x509.Certificate] | None = None,
    *,
    ca: bool = False,
    valid_from: dt.datetime,
    valid_until: dt.datetime,
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A fresh RSA 2048 key and its certificate, issued by `issuer` (self-signed if None)."""
    key = new_key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    issuer_key, issuer_name = (issuer[0], issuer[1].subject) if issuer else (key, subject)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(valid_until)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )
    return key, cert


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def sandbox_keys(folder: Path, base_url: str) -> tuple[dict, dict]:
    """Fresh keys for both sides, in folder/unionpay/. The sandbox plays UnionPay: a root CA,
    an intermediate CA (its key kept so tests can issue odd certificates) and the signing
    certificate with a UnionPay-style CN. Our merchant key and certificate (issued by the same
    intermediate, like a real merchant's) go into a password-protected .pfx."""
    target = folder / "unionpay"
    target.mkdir(parents=True, exist_ok=True)
    # valid from 2000 on, so that tests and demos may move the clock back
    years = {
        "valid_from": dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
        "valid_until": dt.datetime.now(dt.UTC) + dt.timedelta(days=3650),
    }
    root = issue_certificate("Sandbox UnionPay Root CA", ca=True, **years)
    middle = issue_certificate("Sandbox UnionPay Intermediate CA", root, ca=True, **years)
    signer = issue_certificate(f"041@Z12@{UNIONPAY_NAME}@00000001", middle, **years)
    mer_id = f"7772900{secrets.randbelow(10**8):08d}"
    merchant = issue_certificate(f"041@Z12@{mer_id}@00000001", middle, **years)
    password = secrets.token_urlsafe(12)
    pfx = pkcs12.serialize_key_and_certificates(
        b"merchant sign",
        merchant[0],
        merchant[1],
        None,
        serialization.BestAvailableEncryption(password.encode("utf-8")),
    )
    files = {
        "root.pem": (_pem(root[1]), False),
        "middle.pem": (_pem(middle[1]), False),
        "middle.key": (private_pem(middle[0]), True),
        "sign.pem": (_pem(signer[1]), False),
        "sign.key": (private_pem(signer[0]), True),
        "merchant.pfx": (pfx, True),
        "merchant.pem": (_pem(merchant[1]), False),
    }
    for name, (data, private) in files.items():
        (target / name).write_bytes(data)
        if private:
            (target / name).chmod(0o600)
    ours = {
        "mer_id": mer_id,
        "sign_cert_path": "unionpay/merchant.pfx",
        "sign_cert_password": password,
        "root_cert_path": "unionpay/root.pem",
        "middle_cert_path": "unionpay/middle.pem",
        "front_url": f"{base_url}/gateway/api/frontTransReq.do",
        "query_url": f"{base_url}/gateway/api/queryTrans.do",
        "validate_cn_name": True,
    }
    sandbox = {
        "mer_id": mer_id,
        "sign_key_path": "unionpay/sign.key",
        "sign_cert_path": "unionpay/sign.pem",
        "middle_cert_path": "unionpay/middle.pem",
        "middle_key_path": "unionpay/middle.key",
        "merchant_cert_path": "unionpay/merchant.pem",
    }
    return ours, sandbox
