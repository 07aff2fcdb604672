"""The one interface every payment gateway adapter implements (O6).

An adapter speaks one gateway's real wire protocol: it signs what it sends, verifies what it
receives, and turns both into the small value objects below. It knows nothing about
candidates or categories; `gaokao.payments.services` decides what a verified message means
for an order. HTTP goes through a `Transport`, so tests (and the demo) can route the real
protocol to the local sandbox gateway without a network.
"""

import datetime as dt
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

# (method, url, headers, body) -> (status, headers, body); header names as sent/received.
Transport = Callable[[str, str, Mapping[str, str], bytes], tuple[int, dict[str, str], bytes]]

TIMEOUT_SECONDS = 10


def urllib_transport(
    method: str, url: str, headers: Mapping[str, str], body: bytes
) -> tuple[int, dict[str, str], bytes]:
    """The default transport: one HTTP request with the standard library, 10 s timeout.
    HTTP error statuses are returned, not raised; network failures raise GatewayError."""
    if not url.startswith(("https://", "http://")):
        raise GatewayError(f"not an HTTP(S) URL: {url!r}")
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        url, data=body if method != "GET" else None, method=method, headers=dict(headers)
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers.items()), e.read()
    except (urllib.error.URLError, TimeoutError, OSError) as e:
        raise GatewayError(f"{url}: {e}") from e


class GatewayError(Exception):
    """The gateway could not be reached or answered something unusable. Nothing is
    known about the payment: the order stays as it is and is queried again later."""


class NotificationRefused(Exception):
    """A notification that must not be believed: bad or missing signature, stale
    timestamp, another merchant's, unreadable. `reason` is one of the REFUSED_* codes."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


REFUSED_SIGNATURE = "signature"  # missing, malformed or wrong signature / certificate
REFUSED_STALE = "stale"  # timestamp too far from now (replay)
REFUSED_MERCHANT = "merchant"  # signed correctly but for another merchant / app id
REFUSED_MALFORMED = "malformed"  # not the gateway's format


@dataclass(frozen=True)
class OrderSpec:
    """What an adapter needs to start one payment attempt."""

    out_trade_no: str  # 8–32 upper-case letters and digits: valid for all three gateways
    amount_fen: int
    description: str  # shown on the payer's bill
    expires_at: dt.datetime  # aware; the gateway refuses payment after it
    notify_url: str  # absolute URL of our notification endpoint for this channel
    return_url: str  # absolute URL the payer's browser comes back to
    scene: Literal["pc", "mobile"] = "pc"
    client_ip: str = "127.0.0.1"
    created_at: dt.datetime | None = None  # aware; UnionPay's txnTime (set by the service)


@dataclass(frozen=True)
class PayStart:
    """How the payer's browser starts paying.

    kind "qr": show `content` as a QR code to scan; "redirect": send the browser to
    `content`; "form": auto-submit `fields` by POST to the URL in `content`."""

    kind: Literal["qr", "redirect", "form"]
    content: str
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GatewayState:
    """A verified statement from the gateway about one order (a notification or a query).

    state: "paid" (money received), "unpaid" (not yet), "closed" (closed or expired at
    the gateway, no money), "failed" (payment failed), "unknown" (the gateway does not
    know the order, e.g. an Alipay QR never scanned)."""

    out_trade_no: str
    state: Literal["paid", "unpaid", "closed", "failed", "unknown"]
    amount_fen: int | None = None
    transaction_id: str = ""
    paid_at: dt.datetime | None = None
    dedupe_key: str = ""  # the gateway's id of this message (notifications)
    raw: dict = field(default_factory=dict)  # the decoded message, kept with the order


@dataclass(frozen=True)
class Reply:
    """The HTTP answer a gateway expects to a notification."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"


class Gateway(Protocol):
    channel: str  # "wechat", "alipay", "unionpay"
    merchant_id: str  # WeChat mchid, Alipay app_id, UnionPay merId

    def create(self, order: OrderSpec) -> PayStart: ...

    def verify_notification(
        self, headers: Mapping[str, str], body: bytes, now: dt.datetime
    ) -> GatewayState:
        """Verify signature (and freshness, certificate chain, merchant id where the
        protocol has them) and decode; raise NotificationRefused otherwise. `headers` are
        HTTP header names (case-insensitive lookups are the adapter's job)."""
        ...

    def accepted(self) -> Reply:
        """The reply that tells the gateway the notification was received."""
        ...

    def rejected(self) -> Reply:
        """The reply that makes the gateway send the notification again later."""
        ...

    def query(self, out_trade_no: str, created_at: dt.datetime) -> GatewayState: ...

    def close(self, out_trade_no: str, created_at: dt.datetime) -> None:
        """Close the order at the gateway so it can no longer be paid (UnionPay has no
        close: its payTimeout does it, so its close does nothing). Raises GatewayError."""
        ...
