"""Professional exams and their payment (S6 professional part, O6, R2.2).

The rules, in one place:
- A candidate of a matching subject track chooses categories while the professional window
  is open for their county (extensions included); each choice is confirmed with the
  confirmation password (O5).
- A category is registered only when a payment for it succeeded. Paid categories cannot be
  changed or withdrawn; nothing is refunded (O6).
- One order per payment attempt, committed before the gateway is called, with its own
  out-trade-no. Its life ends at the earlier of 30 minutes and the window's end, and the
  gateway is told so: nobody can pay after the deadline.
- A gateway message changes an order only after the adapter verified it and its order and
  amount match ours; every message is kept. The order row is locked while a message is
  applied, so the same notification processed twice (or concurrently) makes one transition.
- A payment made within the order's life counts even when its notification comes late;
  money that arrives for an order closed before being paid is flagged for a person.
"""

import datetime as dt
import re
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass, replace

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.candidates.models import Candidate
from gaokao.candidates.services import IntakeRefused
from gaokao.lib.text import clean_text
from gaokao.payments import config
from gaokao.payments.gateways.base import (
    GatewayError,
    GatewayState,
    NotificationRefused,
    OrderSpec,
    Reply,
)
from gaokao.payments.models import Category, GatewayMessage, PaymentOrder, Registration
from gaokao.portal.services import check_confirmation
from gaokao.portal.services import label as portal_label
from gaokao.seasons.models import PhaseKind

ORDER_LIFETIME = dt.timedelta(minutes=30)
_PHONE = re.compile(r"1[3-9][0-9]{9}")
_ALPHABET = string.ascii_uppercase + string.digits

Outcome = GatewayMessage.Outcome


class PaymentRefused(IntakeRefused):
    """A refusal whose message is shown to the candidate as it is."""


def label(candidate: Candidate) -> str:
    return portal_label(candidate.registration_number)


# ── what a candidate may do ───────────────────────────────────────────────────────────


def window_open(candidate: Candidate, at: dt.datetime | None = None) -> bool:
    return candidate.season.is_open(PhaseKind.PROFESSIONAL, candidate.point.county, at)


def window_end(candidate: Candidate) -> dt.datetime | None:
    phase = candidate.season.phases.filter(kind=PhaseKind.PROFESSIONAL).first()
    return phase.ends_at_for(candidate.point.county) if phase else None


def categories_for(candidate: Candidate) -> list[Category]:
    """The categories this candidate's subject track may register for (priced ones only:
    a category without a fee is not offered yet)."""
    offered = Category.objects.filter(season=candidate.season, is_active=True, fee_fen__gt=0)
    return [c for c in offered if candidate.subject_track in c.tracks]


def _require_open(candidate: Candidate, at: dt.datetime | None) -> None:
    if not window_open(candidate, at):
        raise PaymentRefused(
            _("Professional exam registration is closed: nothing can be added, changed or paid."),
            code="window_closed",
        )


def choose(
    candidate: Candidate,
    category: Category,
    *,
    main_item: str,
    secondary_item: str,
    exam_phone: str,
    confirmation_password: str,
    request=None,
    at: dt.datetime | None = None,
) -> Registration:
    """Choose a category, or change the items and phone of a chosen, unpaid one."""
    _require_open(candidate, at)
    if category not in categories_for(candidate):
        raise PaymentRefused(
            _("Your subject track cannot register for %(category)s.") % {"category": category},
            code="not_offered",
        )
    main_item, secondary_item = clean_text(main_item), clean_text(secondary_item)
    exam_phone = clean_text(exam_phone)
    errors = {}
    for name, value, items in (
        ("main_item", main_item, category.main_items),
        ("secondary_item", secondary_item, category.secondary_items),
    ):
        if items and value not in items:
            errors[name] = [_("Choose one of the items offered.")]
        elif not items and value:
            errors[name] = [_("This category has no such item.")]
    if not _PHONE.fullmatch(exam_phone):
        errors["exam_phone"] = [_("Enter a mainland mobile number: 11 digits from 13–19.")]
    if errors:
        raise PaymentRefused(errors)
    try:
        check_confirmation(candidate, confirmation_password, request)
    except IntakeRefused as e:
        raise PaymentRefused(e.messages[0], code=e.code) from e
    with transaction.atomic():
        registration, created = Registration.objects.select_for_update().get_or_create(
            candidate=candidate,
            category=category,
            defaults={
                "main_item": main_item,
                "secondary_item": secondary_item,
                "exam_phone": exam_phone,
            },
        )
        if not created:
            if registration.status == Registration.Status.PAID:
                raise PaymentRefused(
                    _("%(category)s is paid: it can no longer be changed.")
                    % {"category": category},
                    code="paid",
                )
            registration.main_item, registration.secondary_item = main_item, secondary_item
            registration.exam_phone = exam_phone
            registration.status = Registration.Status.UNPAID
            registration.save()
        record(
            Action.PROFESSIONAL_CHOSEN,
            request=request,
            unit=candidate.point,
            target=candidate,
            label=label(candidate),
            category=category.name,
            main_item=main_item,
            secondary_item=secondary_item,
        )
    return registration


def withdraw(registration: Registration, *, request=None, at: dt.datetime | None = None) -> None:
    """Withdraw an unpaid choice. Its open orders are closed first; one that turns out to
    be paid makes the category registered instead."""
    candidate = registration.candidate
    _require_open(candidate, at)
    for order in registration.orders.filter(state=PaymentOrder.State.CREATED):
        close_order(order, at)
    with transaction.atomic():
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status == Registration.Status.PAID:
            raise PaymentRefused(
                _("%(category)s is paid: it can no longer be withdrawn.")
                % {"category": registration.category},
                code="paid",
            )
        if registration.orders.exists():
            registration.status = Registration.Status.LAPSED
            registration.save(update_fields=["status", "updated_at"])
        else:
            registration.delete()
        record(
            Action.PROFESSIONAL_WITHDRAWN,
            request=request,
            unit=candidate.point,
            target=candidate,
            label=label(candidate),
            category=registration.category.name,
        )


# ── orders ────────────────────────────────────────────────────────────────────────────


def new_out_trade_no(now: dt.datetime) -> str:
    """GK + date + 14 random letters and digits: 24 characters, valid for all three
    gateways (upper-case letters and digits, 8–32), unguessable, never reused."""
    local = timezone.localtime(now)
    return "GK" + local.strftime("%Y%m%d") + "".join(secrets.choice(_ALPHABET) for _ in range(14))


def start_payment(
    registration: Registration,
    channel: str,
    *,
    notify_url: str,
    return_url: str,
    scene: str = "pc",
    client_ip: str = "127.0.0.1",
    request=None,
    at: dt.datetime | None = None,
) -> PaymentOrder:
    """Start (or, on a double click, continue) paying one registration on one channel."""
    now = at or timezone.now()
    candidate = registration.candidate
    _require_open(candidate, now)
    if channel not in config.channels():
        raise PaymentRefused(_("This payment channel is not available."), code="channel")
    with transaction.atomic():
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status == Registration.Status.PAID:
            raise PaymentRefused(_("This category is already paid."), code="paid")
        if registration.status == Registration.Status.LAPSED:
            raise PaymentRefused(_("Choose the category again before paying."), code="lapsed")
        open_orders = list(
            registration.orders.filter(state=PaymentOrder.State.CREATED, expires_at__gt=now)
        )
        for order in open_orders:
            if order.channel == channel and order.pay_content:
                return order  # a double click or a reload: the same order, the same QR
    # Another channel's open order must be closed first: it may have just been paid.
    for order in open_orders:
        close_order(order, now)
    registration.refresh_from_db()
    if registration.status == Registration.Status.PAID:
        raise PaymentRefused(_("This category is already paid."), code="paid")
    end = window_end(candidate)
    order = PaymentOrder.objects.create(
        registration=registration,
        out_trade_no=new_out_trade_no(now),
        channel=channel,
        amount_fen=registration.category.fee_fen,
        expires_at=min(now + ORDER_LIFETIME, end) if end else now + ORDER_LIFETIME,
    )
    spec = OrderSpec(
        out_trade_no=order.out_trade_no,
        amount_fen=order.amount_fen,
        description=f"{candidate.season.year}年普通高考{registration.category.name}专业考试报名费",
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
    record(
        Action.PAYMENT_STARTED,
        request=request,
        unit=candidate.point,
        target=candidate,
        label=label(candidate),
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
    """Apply one verified gateway message to its order, exactly once. Returns the outcome."""
    with transaction.atomic():
        order = (
            PaymentOrder.objects.select_for_update()
            .select_related("registration__candidate__point", "registration__category")
            .filter(out_trade_no=state.out_trade_no, channel=channel)
            .first()
        )
        if order is not None:  # two orders of one registration paid at once: one at a time
            Registration.objects.select_for_update().filter(pk=order.registration_id).first()
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
    others = order.registration.orders.filter(state=PaymentOrder.State.PAID).exclude(pk=order.pk)
    if others.exists():
        return Outcome.AFTER_CLOSE, "the category was already paid through another order"
    # Paid within the order's life: it counts even if we had closed it (a late notice).
    return Outcome.APPLIED, ""


def _mark_paid(order: PaymentOrder, state: GatewayState) -> None:
    now = timezone.now()
    order.state = PaymentOrder.State.PAID
    order.transaction_id = state.transaction_id[:64]
    order.paid_at = state.paid_at or now
    order.save(update_fields=["state", "transaction_id", "paid_at"])
    registration = order.registration
    registration.status, registration.paid_at = Registration.Status.PAID, order.paid_at
    registration.save(update_fields=["status", "paid_at", "updated_at"])
    candidate = registration.candidate
    record(
        Action.PAYMENT_RECEIVED,
        unit=candidate.point,
        target=candidate,
        label=label(candidate),
        order=order.out_trade_no,
        category=registration.category.name,
        amount_fen=order.amount_fen,
    )


def _flag(order: PaymentOrder, state: GatewayState, detail: str) -> None:
    """Money or a message that does not fit: never dropped, never refunded by us, shown
    to the province for a decision."""
    order.needs_review = True
    note = f"{timezone.now().isoformat()} {state.transaction_id} {detail}"
    order.review_note = f"{order.review_note}\n{note}".strip()
    order.save(update_fields=["needs_review", "review_note"])
    candidate = order.registration.candidate
    record(
        Action.PAYMENT_FLAGGED,
        unit=candidate.point,
        target=candidate,
        label=label(candidate),
        order=order.out_trade_no,
        detail=detail,
    )


# ── the workers ───────────────────────────────────────────────────────────────────────


@dataclass
class ExpiryReport:
    closed: int = 0
    paid: int = 0
    unreachable: int = 0
    lapsed: int = 0


def expire(now: dt.datetime | None = None) -> ExpiryReport:
    """Close orders past their life (asking the gateway first), then end unpaid choices
    whose window has closed. Safe to run as often as wanted, on several servers."""
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
    unpaid = Registration.objects.filter(status=Registration.Status.UNPAID).select_related(
        "candidate__season", "candidate__point__county"
    )
    for registration in unpaid.iterator():
        candidate = registration.candidate
        end = window_end(candidate)
        if end is None or end >= now:
            continue
        if registration.orders.filter(state=PaymentOrder.State.CREATED).exists():
            continue  # not yet closed (gateway unreachable): next run
        with transaction.atomic():
            updated = Registration.objects.filter(
                pk=registration.pk, status=Registration.Status.UNPAID
            ).update(status=Registration.Status.LAPSED)
        report.lapsed += updated
    if report.lapsed:
        record(Action.REGISTRATIONS_LAPSED, label="gaokao payments expire", count=report.lapsed)
    return report
