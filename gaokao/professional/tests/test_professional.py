"""Professional exams and their payment (S6, O6, R2.2): choosing categories, one order per
attempt, notifications believed once and only when they check out, deadlines, workers.

Payments go through the real adapters to the local sandbox gateway, in-process."""

import datetime as dt

import pytest
import time_machine
from django.db import transaction

from gaokao.audit.models import Action, AuditEvent
from gaokao.payments import config, services
from gaokao.payments.gateways.base import GatewayState
from gaokao.payments.models import GatewayMessage, PaymentOrder
from gaokao.payments.services import PaymentRefused
from gaokao.payments.tests.helpers import (
    IN_WINDOW,
    choose,
    make_candidate,
    reload,
    start,
    trade_of,
)
from gaokao.professional import services as professional
from gaokao.professional.models import Registration
from gaokao.sandbox.cashier import channel_module, deliver, settle
from gaokao.sandbox.models import SandboxTrade
from gaokao.testing.factories import (
    CategoryFactory,
    aware,
)

pytestmark = pytest.mark.django_db

Outcome = GatewayMessage.Outcome


# ── categories and choices (S6, R2.2) ─────────────────────────────────────────────────


def test_s6_categories_are_offered_by_subject_track_and_only_when_priced(
    season, point, candidate, art, music, sports
):
    CategoryFactory(season=season, code="SF", fee_fen=0)  # no fee entered yet
    assert professional.categories_for(candidate) == [art, music]
    assert professional.categories_for(make_candidate(season, point, track="8")) == [sports]
    assert professional.categories_for(make_candidate(season, point, track="5")) == []


def test_s6_a_category_outside_the_track_is_refused(candidate, sports, clock):
    with pytest.raises(PaymentRefused) as refused:
        choose(candidate, sports)
    assert refused.value.code == "not_offered"
    assert not Registration.objects.exists()


@pytest.mark.parametrize(
    ("fields", "wrong"),
    [
        ({"main_item": "舞蹈", "secondary_item": "钢琴"}, "main_item"),
        ({"main_item": "", "secondary_item": "钢琴"}, "main_item"),
        ({"main_item": "器乐", "secondary_item": "二胡"}, "secondary_item"),
        ({"main_item": "器乐", "secondary_item": "钢琴", "exam_phone": "1381234567"}, "exam_phone"),
    ],
)
def test_s6_items_and_the_exam_phone_are_checked(candidate, music, clock, fields, wrong):
    with pytest.raises(PaymentRefused) as refused:
        choose(candidate, music, **fields)
    assert wrong in refused.value.message_dict
    assert not Registration.objects.exists()


def test_s6_items_are_refused_for_a_category_without_items(candidate, art, clock):
    with pytest.raises(PaymentRefused) as refused:
        choose(candidate, art, main_item="素描")
    assert "main_item" in refused.value.message_dict


def test_o5_choosing_needs_the_confirmation_password(candidate, art, clock):
    with pytest.raises(PaymentRefused):
        choose(candidate, art, confirmation_password="wrong")
    assert not Registration.objects.exists()
    assert AuditEvent.objects.filter(action=Action.CONFIRMATION_FAILED).count() == 1


def test_s6_an_unpaid_choice_can_be_changed_and_withdrawn(candidate, music, clock):
    first = choose(candidate, music, main_item="声乐", secondary_item="美声")
    again = choose(candidate, music, main_item="器乐", secondary_item="钢琴")
    assert again.pk == first.pk and (again.main_item, again.secondary_item) == ("器乐", "钢琴")
    professional.withdraw(again)
    assert not Registration.objects.exists()


@pytest.mark.parametrize(
    ("at", "is_open"),
    [
        (aware(2019, 10, 27, 23, 59, 59), False),
        (aware(2019, 10, 28, 0, 0, 0), True),
        (aware(2019, 11, 8, 23, 59, 59), True),
        (aware(2019, 11, 9, 0, 0, 0), False),
    ],
)
def test_r2_2_choices_only_within_the_professional_window(candidate, art, at, is_open):
    with time_machine.travel(at, tick=False):
        if is_open:
            assert choose(candidate, art).status == Registration.Status.UNPAID
        else:
            with pytest.raises(PaymentRefused) as refused:
                choose(candidate, art)
            assert refused.value.code == "window_closed"


# ── paying (O6) ───────────────────────────────────────────────────────────────────────


def test_o6_a_category_is_registered_once_its_payment_succeeded(candidate, art, channel, clock):
    registration = choose(candidate, art)
    order = start(registration, channel)
    assert order.state == PaymentOrder.State.CREATED and order.amount_fen == 12000
    assert trade_of(order).amount_fen == 12000
    assert registration.status == Registration.Status.UNPAID

    assert settle(trade_of(order), "pay") == [order_reply_status(channel)]
    reload(order, registration)
    assert order.state == PaymentOrder.State.PAID and order.transaction_id
    assert registration.status == Registration.Status.PAID and registration.paid_at
    [message] = GatewayMessage.objects.all()
    assert message.verified and message.outcome == Outcome.APPLIED and message.order == order
    assert AuditEvent.objects.filter(action=Action.PAYMENT_RECEIVED).count() == 1


def order_reply_status(channel):
    return {"wechat": 204, "alipay": 200, "unionpay": 200}[channel]


def test_o6_a_duplicate_notification_changes_nothing(candidate, art, channel, clock):
    order = start(choose(candidate, art), channel)
    settle(trade_of(order), "pay_duplicate")
    outcomes = sorted(GatewayMessage.objects.values_list("outcome", flat=True))
    assert outcomes == sorted([Outcome.APPLIED, Outcome.ALREADY])
    assert AuditEvent.objects.filter(action=Action.PAYMENT_RECEIVED).count() == 1


def test_o6_a_gateway_message_is_applied_in_a_transaction_of_its_own(candidate, art, wechat, clock):
    """Durable: once the gateway is told "accepted" no caller's rollback may undo the
    payment, so a notification is never handled inside another transaction."""
    order = start(choose(candidate, art), wechat)
    with transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
        services.apply("wechat", state(order), source="notify")
    with transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
        services.receive_notification("wechat", {}, b"forged")
    assert not GatewayMessage.objects.exists()
    assert services.apply("wechat", state(order), source="notify") == Outcome.APPLIED


def test_o6_a_missing_notification_is_recovered_by_querying(candidate, art, channel, clock):
    order = start(choose(candidate, art), channel)
    settle(trade_of(order), "pay_silent")
    reload(order)
    assert order.state == PaymentOrder.State.CREATED
    assert services.refresh(order).state == PaymentOrder.State.PAID
    assert GatewayMessage.objects.get().source == GatewayMessage.Source.QUERY
    assert Registration.objects.get().status == Registration.Status.PAID


def test_o6_a_failed_payment_leaves_the_category_unpaid(candidate, art, channel, clock):
    order = start(choose(candidate, art), channel)
    settle(trade_of(order), "fail")
    assert services.refresh(order).state != PaymentOrder.State.PAID
    assert Registration.objects.get().status == Registration.Status.UNPAID


def test_o6_a_tampered_notification_is_refused_kept_and_changes_nothing(
    candidate, art, channel, clock
):
    order = start(choose(candidate, art), channel)
    settle(trade_of(order), "pay_silent")
    headers, body, content_type = channel_module(channel).notification(trade_of(order), IN_WINDOW)
    forged = body.replace(b"12000", b"00001").replace(b"120.00", b"000.01")
    if forged == body:  # WeChat: the amount is inside the encrypted resource
        forged = body.replace(b'"ciphertext": "', b'"ciphertext": "A')
    assert forged != body
    reply = services.receive_notification(
        channel, {**headers, "Content-Type": content_type}, forged
    )
    # The gateway's failure answer, as a 4xx: a forgery is the sender's fault, not ours.
    assert reply == services.refused_reply(config.gateway(channel))
    assert reply.status < 500 and reply != config.gateway(channel).accepted()
    assert reply.body == config.gateway(channel).rejected().body
    message = GatewayMessage.objects.get()
    assert (message.verified, message.outcome) == (False, Outcome.REFUSED)
    reload(order)
    assert order.state == PaymentOrder.State.CREATED


def test_o6_garbage_posted_to_the_notification_url_is_refused(client, wechat, clock):
    response = client.post(
        "/pay/notify/wechat/", b"\x00\xff<script>", content_type="application/json"
    )
    assert response.status_code >= 400
    assert GatewayMessage.objects.get().outcome == Outcome.REFUSED
    assert client.post("/pay/notify/nosuch/", b"x", content_type="text/plain").status_code == 404


def state(order, **kw):
    values = {
        "out_trade_no": order.out_trade_no,
        "state": "paid",
        "amount_fen": order.amount_fen,
        "transaction_id": "4200000001",
        "paid_at": IN_WINDOW,
    }
    return GatewayState(**(values | kw))


def test_o6_an_amount_that_differs_is_flagged_not_paid(candidate, art, wechat, clock):
    order = start(choose(candidate, art), wechat)
    outcome = services.apply("wechat", state(order, amount_fen=1), source="notify")
    assert outcome == Outcome.MISMATCH
    reload(order)
    assert order.state == PaymentOrder.State.CREATED and order.needs_review
    assert Registration.objects.get().status == Registration.Status.UNPAID


def test_o6_a_notification_for_an_unknown_order_is_refused(wechat, clock):
    unknown = GatewayState(out_trade_no="GK20191101XXXXXXXXXXXXXX", state="paid", amount_fen=1)
    assert services.apply("wechat", unknown, source="notify") == Outcome.UNKNOWN_ORDER


def test_o6_money_for_an_order_closed_before_it_was_paid_is_flagged(candidate, art, wechat, clock):
    order = start(choose(candidate, art), wechat)
    services.close_order(order)
    reload(order)
    assert order.state == PaymentOrder.State.CLOSED
    late = state(order, paid_at=order.expires_at + dt.timedelta(minutes=1))
    assert services.apply("wechat", late, source="notify") == Outcome.AFTER_CLOSE
    reload(order)
    assert order.state == PaymentOrder.State.CLOSED and order.needs_review
    assert Registration.objects.get().status == Registration.Status.UNPAID
    assert AuditEvent.objects.filter(action=Action.PAYMENT_FLAGGED).exists()


def test_o6_a_payment_within_the_orders_life_counts_even_after_it_was_closed(
    candidate, art, wechat, clock
):
    order = start(choose(candidate, art), wechat)
    services.close_order(order)
    assert services.apply("wechat", state(order), source="notify") == Outcome.APPLIED
    assert Registration.objects.get().status == Registration.Status.PAID


def test_o6_a_second_payment_for_a_paid_category_is_flagged(candidate, art, wechat, clock):
    registration = choose(candidate, art)
    first = start(registration, wechat)
    services.close_order(first)
    second = start(registration, wechat)
    assert services.apply("wechat", state(second), source="notify") == Outcome.APPLIED
    assert services.apply("wechat", state(first), source="notify") == Outcome.AFTER_CLOSE
    assert PaymentOrder.objects.filter(state=PaymentOrder.State.PAID).count() == 1


def test_o6_paid_categories_cannot_be_changed_withdrawn_or_paid_again(
    candidate, music, wechat, clock
):
    registration = choose(candidate, music, main_item="声乐", secondary_item="美声")
    settle(trade_of(start(registration, wechat)), "pay")
    for attempt in (
        lambda: choose(candidate, music, main_item="器乐", secondary_item="钢琴"),
        lambda: professional.withdraw(registration),
        lambda: start(registration, wechat),
    ):
        with pytest.raises(PaymentRefused) as refused:
            attempt()
        assert refused.value.code == "paid"
    reload(registration)
    assert (registration.main_item, registration.status) == ("声乐", Registration.Status.PAID)


def test_o6_a_double_click_gives_the_same_order_and_another_channel_closes_it(
    candidate, art, sandbox_setup, clock
):
    sandbox_setup("wechat", "alipay")
    registration = choose(candidate, art)
    first = start(registration, "wechat")
    assert start(registration, "wechat").pk == first.pk
    other = start(registration, "alipay")
    reload(first)
    assert other.pk != first.pk and first.state == PaymentOrder.State.CLOSED
    assert trade_of(first).state == SandboxTrade.State.CLOSED  # closed at the gateway too


def test_o6_every_order_gets_its_own_number_valid_for_all_gateways(candidate, art, wechat, clock):
    registration = choose(candidate, art)
    numbers = {services.new_out_trade_no(IN_WINDOW) for _ in range(200)}
    assert len(numbers) == 200
    assert all(n.isalnum() and n.isupper() and 8 <= len(n) <= 32 for n in numbers)
    assert start(registration, wechat).out_trade_no.startswith("GK20191101")


# ── the deadline and the workers (R2.2, O6) ───────────────────────────────────────────


def test_r2_2_orders_end_at_the_deadline_at_the_latest(candidate, art, wechat):
    with time_machine.travel(aware(2019, 11, 8, 23, 50), tick=False):
        order = start(choose(candidate, art), wechat)
    assert order.expires_at == aware(2019, 11, 8, 23, 59, 59, 999999)


def test_r2_2_after_the_window_nothing_is_paid_and_unpaid_choices_end(candidate, art, wechat):
    with time_machine.travel(aware(2019, 11, 8, 23, 50), tick=False):
        registration = choose(candidate, art)
        order = start(registration, wechat)
    with time_machine.travel(aware(2019, 11, 9, 0, 0, 1), tick=False):
        with pytest.raises(PaymentRefused):
            start(registration, wechat)
        report = services.expire()
    assert (report.closed, report.lapsed) == (1, 1)
    reload(order, registration)
    assert order.state == PaymentOrder.State.CLOSED
    assert registration.status == Registration.Status.LAPSED
    assert trade_of(order).state == SandboxTrade.State.CLOSED


def test_o6_a_payment_before_the_deadline_notified_after_it_still_counts(candidate, art, wechat):
    with time_machine.travel(aware(2019, 11, 8, 23, 55), tick=False):
        registration = choose(candidate, art)
        trade = trade_of(start(registration, wechat))
        settle(trade, "pay_late")  # the gateway holds the notification back
    with time_machine.travel(aware(2019, 11, 9, 0, 10), tick=False):
        deliver(trade)
        services.expire()
    reload(registration)
    assert registration.status == Registration.Status.PAID


def test_o6_expire_finds_a_paid_order_before_closing_it(candidate, art, wechat, clock):
    order = start(choose(candidate, art), wechat)
    settle(trade_of(order), "pay_silent")
    clock.shift(services.ORDER_LIFETIME + dt.timedelta(minutes=1))
    report = services.expire()
    assert (report.paid, report.closed) == (1, 0)
    reload(order)
    assert order.state == PaymentOrder.State.PAID


def test_o6_issue19_a_choice_of_a_category_no_longer_offered_cannot_be_paid(
    candidate, art, wechat, clock
):
    """The province stops offering a category (专业考试类别): an unpaid choice of it is not
    paid for by a request made by hand either."""
    registration = choose(candidate, art)
    art.is_active = False
    art.save()

    with pytest.raises(PaymentRefused) as refused:
        start(registration, wechat)

    assert refused.value.code == "not_offered"
    assert not PaymentOrder.objects.exists()
