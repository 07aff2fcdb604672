"""Payments (缴费, O6, R2.2): orders, gateway messages and the expiry worker.

The rules, in one place:
- One order per payment attempt, committed before the gateway is called, with its own
  out-trade-no. Its life ends at the earlier of 30 minutes and the payable's deadline, and
  the gateway is told so: nobody can pay after the deadline.
- At most one order of a payable is open at a time: the payable's row stays locked from
  the check until the new order exists, so two starts at once cannot both create one.
- A gateway message changes an order only after the adapter verified it and its order and
  amount match ours; every message is kept. The order row is locked while a message is
  applied, so the same notification processed twice (or concurrently) makes one transition.
- A payment made within the order's life counts even when its notification comes late;
  money that arrives for an order closed before being paid, or for something already paid
  through another order, is flagged for a person (the office's list of payments to handle).

What an order pays, its price, its deadline and what "paid" means belong to the app that
owns it; payments asks through payables.py.
"""

import datetime as dt
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass, replace

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.payments import config, payables
from gaokao.payments.gateways.base import (
    GatewayError,
    GatewayState,
    NotificationRefused,
    OrderSpec,
    Reply,
)
from gaokao.payments.models import GatewayMessage, PaymentOrder

ORDER_LIFETIME = dt.timedelta(minutes=30)
# Longer than a gateway's create call may take (10 s timeout; see gateways/base.py).
ORDER_STARTING = dt.timedelta(minutes=2)
_ALPHABET = string.ascii_uppercase + string.digits

Outcome = GatewayMessage.Outcome


class PaymentRefused(ValidationError):
    """A refusal of a payment (or of a change to what is paid), whose message is shown to
    the payer as it is."""


def _audit(payable, action: str, request=None, **details) -> None:
    payer = payables.kind_of(payable).payer(payable)
    record(
        action,
        request=request,
        unit=payer.unit,
        target=payer.target,
        label=payer.label,
        **payer.details,
        **details,
    )


# ── orders ────────────────────────────────────────────────────────────────────────────


def new_out_trade_no(now: dt.datetime) -> str:
    """GK + date + 14 random letters and digits: 24 characters, valid for all three
    gateways (upper-case letters and digits, 8–32), unguessable, never reused."""
    local = timezone.localtime(now)
    return "GK" + local.strftime("%Y%m%d") + "".join(secrets.choice(_ALPHABET) for _ in range(14))


def _open_orders(payable, now: dt.datetime):
    return PaymentOrder.objects.filter(
        registration_id=payable.pk, state=PaymentOrder.State.CREATED, expires_at__gt=now
    )


def _reusable(orders, channel: str) -> PaymentOrder | None:
    """A double click or a reload: the open order of this channel, the same QR."""
    return next((o for o in orders if o.channel == channel and o.pay_content), None)


def _refuse_if_starting(orders, now: dt.datetime) -> None:
    """An open order without its pay link, made moments ago, is being started by another
    request (its gateway call is under way): closing it under that request would hand the
    candidate a dead QR. An older one was left by a crash and may be closed."""
    if any(not o.pay_content and o.created_at > now - ORDER_STARTING for o in orders):
        raise PaymentRefused(
            _("Another payment for this was started just now. Wait a moment and try again."),
            code="busy",
        )


def start_payment(
    payable,
    channel: str,
    *,
    notify_url: str,
    return_url: str,
    scene: str = "pc",
    client_ip: str = "127.0.0.1",
    request=None,
    at: dt.datetime | None = None,
) -> PaymentOrder:
    """Start (or, on a double click, continue) paying one payable on one channel."""
    now = at or timezone.now()
    kind = payables.kind_of(payable)
    with transaction.atomic():
        payable = payables.locked(payable)
        kind.terms(payable, now)
        if channel not in config.channels():
            raise PaymentRefused(_("This payment channel is not available."), code="channel")
        open_orders = list(_open_orders(payable, now))
        if reused := _reusable(open_orders, channel):
            return reused
        _refuse_if_starting(open_orders, now)
    # Another channel's open order must be closed first: it may have just been paid. The
    # gateway is asked outside any lock.
    for order in open_orders:
        close_order(order, now)
    with transaction.atomic():
        # Locked again, and held until the new order exists: a start that ran meanwhile
        # either made its order before (seen here) or waits for the lock and sees ours.
        payable = payables.locked(payable)
        terms = kind.terms(payable, now)  # it may have been paid meanwhile
        still_open = list(_open_orders(payable, now))
        if reused := _reusable(still_open, channel):
            return reused
        if still_open:
            raise PaymentRefused(
                _("Another payment for this was started just now. Wait a moment and try again."),
                code="busy",
            )
        expires_at = now + ORDER_LIFETIME
        order = PaymentOrder.objects.create(
            registration=payable,
            out_trade_no=new_out_trade_no(now),
            channel=channel,
            amount_fen=terms.amount_fen,
            expires_at=min(expires_at, terms.pay_by) if terms.pay_by else expires_at,
        )
    spec = OrderSpec(
        out_trade_no=order.out_trade_no,
        amount_fen=order.amount_fen,
        description=terms.description,
        expires_at=order.expires_at,
        notify_url=notify_url,
        return_url=return_url,
        scene=scene,
        client_ip=client_ip,
        created_at=order.created_at,
    )
    try:
        start = config.gateway(channel).create(spec)
    except GatewayError as e:
        order.state, order.closed_at = PaymentOrder.State.CLOSED, timezone.now()
        order.review_note = f"gateway refused the order: {e}"
        order.save(update_fields=["state", "closed_at", "review_note"])
        raise PaymentRefused(
            _("The payment service cannot be reached just now. Please try again shortly."),
            code="gateway",
        ) from e
    order.pay_kind, order.pay_content, order.pay_fields = start.kind, start.content, start.fields
    order.save(update_fields=["pay_kind", "pay_content", "pay_fields"])
    _audit(
        payable,
        Action.PAYMENT_STARTED,
        request=request,
        order=order.out_trade_no,
        channel=channel,
        amount_fen=order.amount_fen,
    )
    return order


def close_order(order: PaymentOrder, at: dt.datetime | None = None) -> PaymentOrder:
    """Ask the gateway first (it may have just been paid), then close it there and here.
    An unreachable gateway leaves the order open: it is asked again later."""
    refreshed = refresh(order)
    if refreshed.state != PaymentOrder.State.CREATED:
        return refreshed
    config.gateway(order.channel).close(order.out_trade_no, order.created_at)
    with transaction.atomic():
        order = PaymentOrder.objects.select_for_update().get(pk=order.pk)
        if order.state == PaymentOrder.State.CREATED:
            order.state, order.closed_at = PaymentOrder.State.CLOSED, at or timezone.now()
            order.save(update_fields=["state", "closed_at"])
    return order


def refresh(order: PaymentOrder) -> PaymentOrder:
    """Query the gateway about an order still waiting and apply what it says (a missing
    notification is recovered this way). Raises GatewayError when it cannot be asked."""
    if order.state != PaymentOrder.State.CREATED:
        return order
    state = config.gateway(order.channel).query(order.out_trade_no, order.created_at)
    if state.out_trade_no != order.out_trade_no:
        raise GatewayError(f"query for {order.out_trade_no} answered {state.out_trade_no}")
    apply(order.channel, state, source=GatewayMessage.Source.QUERY)
    order.refresh_from_db()
    return order


# ── gateway messages ──────────────────────────────────────────────────────────────────


def receive_notification(channel: str, headers: Mapping[str, str], body: bytes) -> Reply:
    """A notification as the gateway POSTs it: verified, kept, applied once, answered in
    the gateway's own terms (accepted: it stops resending; rejected: it tries again)."""
    gateway = config.gateway(channel)
    kept = {
        "headers": {_storable(k, 100): _storable(v, 2000) for k, v in dict(headers).items()},
        "body": _storable(body.decode("utf-8", "replace"), 100_000),
    }
    try:
        state = gateway.verify_notification(headers, body, timezone.now())
    except NotificationRefused as e:
        with transaction.atomic(durable=True):  # kept as evidence whatever the caller does
            GatewayMessage.objects.create(
                channel=channel,
                source=GatewayMessage.Source.NOTIFICATION,
                verified=False,
                outcome=Outcome.REFUSED,
                detail=_storable(str(e), 1000),
                **kept,
            )
        return refused_reply(gateway)
    outcome = apply(channel, state, source=GatewayMessage.Source.NOTIFICATION, **kept)
    return gateway.rejected() if outcome == Outcome.UNKNOWN_ORDER else gateway.accepted()


def refused_reply(gateway) -> Reply:
    """The gateway's failure answer to a notification that cannot be believed, as a 4xx:
    the fault is the sender's, and a flood of forgeries must not read as server errors in
    the monitoring (E3). WeChat Pay and UnionPay take any 4xx as a failure too."""
    reply = gateway.rejected()
    return replace(reply, status=400) if reply.status >= 500 else reply


def _storable(value, limit: int) -> str:
    """Hostile bytes kept as evidence, in a form every database stores (PostgreSQL refuses
    NUL in text), cut to a sane length."""
    return str(value).replace("\x00", "\\x00")[:limit]


def apply(channel: str, state: GatewayState, *, source: str, headers=None, body: str = "") -> str:
    """Apply one verified gateway message to its order, exactly once. Returns the outcome.
    Commits on its own (durable): the gateway is told "accepted" only for a change that
    is stored, and no caller's transaction can roll it back after that answer."""
    with transaction.atomic(durable=True):
        order = (
            PaymentOrder.objects.select_for_update()
            .filter(out_trade_no=state.out_trade_no, channel=channel)
            .first()
        )
        if order is not None:  # two orders of one payable paid at once: one at a time
            payable_model = PaymentOrder._meta.get_field("registration").related_model
            order.registration = payables.locked(payable_model(pk=order.registration_id))
        outcome, detail = _decide(order, state)
        if outcome == Outcome.APPLIED:
            _mark_paid(order, state)
        elif outcome in (Outcome.MISMATCH, Outcome.AFTER_CLOSE):
            _flag(order, state, detail)
        elif (
            outcome == Outcome.NOT_PAID
            and state.state in ("closed", "failed")
            and order.state == PaymentOrder.State.CREATED
        ):
            order.state, order.closed_at = PaymentOrder.State.CLOSED, timezone.now()
            order.save(update_fields=["state", "closed_at"])
        GatewayMessage.objects.create(
            channel=channel,
            source=source,
            order=order,
            out_trade_no=state.out_trade_no[:64],
            dedupe_key=state.dedupe_key[:128],
            headers=headers or {},
            body=body or _storable(state.raw, 10_000),
            verified=True,
            outcome=outcome,
            detail=detail,
        )
    return outcome


def _decide(order: PaymentOrder | None, state: GatewayState) -> tuple[str, str]:
    if order is None:
        return Outcome.UNKNOWN_ORDER, "no order with this number on this channel"
    if state.state != "paid":
        return Outcome.NOT_PAID, state.state
    if state.amount_fen != order.amount_fen:
        return Outcome.MISMATCH, f"paid {state.amount_fen} fen, order is {order.amount_fen}"
    if order.state == PaymentOrder.State.PAID:
        if state.transaction_id and state.transaction_id != order.transaction_id:
            return Outcome.AFTER_CLOSE, f"a second transaction {state.transaction_id}"
        return Outcome.ALREADY, ""
    paid_at = state.paid_at or timezone.now()
    if order.state == PaymentOrder.State.CLOSED and paid_at > order.expires_at:
        return Outcome.AFTER_CLOSE, f"paid at {paid_at.isoformat()} after the order expired"
    others = PaymentOrder.objects.filter(
        registration_id=order.registration_id, state=PaymentOrder.State.PAID
    ).exclude(pk=order.pk)
    if others.exists():
        return Outcome.AFTER_CLOSE, "already paid through another order"
    # Paid within the order's life: it counts even if we had closed it (a late notice).
    return Outcome.APPLIED, ""


def _mark_paid(order: PaymentOrder, state: GatewayState) -> None:
    now = timezone.now()
    order.state = PaymentOrder.State.PAID
    order.transaction_id = state.transaction_id[:64]
    order.paid_at = state.paid_at or now
    order.save(update_fields=["state", "transaction_id", "paid_at"])
    payables.kind_of(order.registration).paid(order.registration, order)
    _audit(
        order.registration,
        Action.PAYMENT_RECEIVED,
        order=order.out_trade_no,
        amount_fen=order.amount_fen,
    )


def _flag(order: PaymentOrder, state: GatewayState, detail: str) -> None:
    """Money or a message that does not fit: never dropped, never refunded by us, shown
    to the province for a decision (the office's list of payments to handle)."""
    order.needs_review = True
    note = f"{timezone.now().isoformat()} {state.transaction_id} {detail}"
    order.review_note = f"{order.review_note}\n{note}".strip()
    order.save(update_fields=["needs_review", "review_note"])
    _audit(order.registration, Action.PAYMENT_FLAGGED, order=order.out_trade_no, detail=detail)


# ── the workers ───────────────────────────────────────────────────────────────────────


@dataclass
class ExpiryReport:
    closed: int = 0
    paid: int = 0
    unreachable: int = 0
    lapsed: int = 0


def expire(now: dt.datetime | None = None) -> ExpiryReport:
    """Close orders past their life (asking the gateway first), then let each payable kind
    end what can no longer be paid (unpaid choices whose window has closed). Safe to run as
    often as wanted, on several servers."""
    now = now or timezone.now()
    report = ExpiryReport()
    due = PaymentOrder.objects.filter(state=PaymentOrder.State.CREATED, expires_at__lte=now)
    for order in due.iterator():
        try:
            result = close_order(order, now)
        except GatewayError:
            report.unreachable += 1
            continue
        if result.state == PaymentOrder.State.PAID:
            report.paid += 1
        else:
            report.closed += 1
    for kind in payables.kinds():
        report.lapsed += kind.expire(now)
    return report
