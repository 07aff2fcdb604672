"""O6 under load, on PostgreSQL: the same notification delivered to several app servers at
once makes exactly one transition; two orders of one category paid at once register it
once and flag the other; payments started at once (a double click, two tabs, two
channels) leave at most one order open."""

import pytest

from gaokao.audit.models import Action, AuditEvent
from gaokao.payments import config, services
from gaokao.payments.gateways.base import GatewayState
from gaokao.payments.models import GatewayMessage, PaymentOrder
from gaokao.payments.services import PaymentRefused
from gaokao.payments.tests.helpers import IN_WINDOW, choose, start, trade_of
from gaokao.professional.models import Registration
from gaokao.sandbox.cashier import channel_module, settle
from gaokao.testing.concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)
Outcome = GatewayMessage.Outcome


def test_o6_one_notification_processed_concurrently_makes_one_transition(
    postgresql_only, candidate, art, channel, clock
):
    order = start(choose(candidate, art), channel)
    trade = trade_of(order)
    settle(trade, "pay_silent")
    headers, body, content_type = channel_module(channel).notification(trade, IN_WINDOW)
    headers = {**headers, "Content-Type": content_type}
    replies = run_together(8, lambda i: services.receive_notification(channel, headers, body))
    assert replies == [config.gateway(channel).accepted()] * 8, replies
    outcomes = sorted(GatewayMessage.objects.values_list("outcome", flat=True))
    assert outcomes == sorted([Outcome.APPLIED] + [Outcome.ALREADY] * 7)
    assert AuditEvent.objects.filter(action=Action.PAYMENT_RECEIVED).count() == 1
    assert Registration.objects.get().status == Registration.Status.PAID


def test_o6_two_orders_of_one_category_paid_at_once_register_it_once(
    postgresql_only, candidate, art, wechat, clock
):
    registration = choose(candidate, art)
    first = start(registration, wechat)
    services.close_order(first)
    second = start(registration, wechat)
    orders = [first, second]

    def pay(i):
        order = orders[i % 2]
        paid = GatewayState(
            out_trade_no=order.out_trade_no,
            state="paid",
            amount_fen=order.amount_fen,
            transaction_id=f"T{i % 2}",
            paid_at=order.created_at,
        )
        return services.apply("wechat", paid, source="notify")

    outcomes = run_together(6, pay)
    assert outcomes.count(Outcome.APPLIED) == 1, outcomes
    assert PaymentOrder.objects.filter(state=PaymentOrder.State.PAID).count() == 1
    assert PaymentOrder.objects.filter(needs_review=True).count() == 1


@pytest.mark.parametrize(
    "channels", [("wechat", "wechat"), ("wechat", "alipay")], ids=["same", "different"]
)
def test_o6_payments_started_at_once_leave_at_most_one_open_order(
    postgresql_only, candidate, art, sandbox_setup, clock, channels
):
    sandbox_setup("wechat", "alipay")
    registration = choose(candidate, art)

    def begin(i):
        return start(registration, channels[i % 2])

    for _round in range(3):
        results = run_together(4, begin)
        for result in results:  # an order, or "another payment was started just now"
            assert isinstance(result, PaymentOrder) or (
                isinstance(result, PaymentRefused) and result.code == "busy"
            ), results
        open_orders = PaymentOrder.objects.filter(state=PaymentOrder.State.CREATED)
        assert open_orders.count() == 1, list(open_orders.values_list("channel", "pay_kind"))
        started = {r.pk for r in results if isinstance(r, PaymentOrder)}
        assert open_orders.get().pk in started or not started
