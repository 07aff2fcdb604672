"""The pages: the candidate's professional exams and payments in the portal (S6, O6), the
office report and export (jurisdiction), the notification endpoint."""

import csv
import io
import time

import pytest
import time_machine
from django.urls import reverse

from gaokao.audit.models import Action, AuditEvent
from gaokao.payments import services
from gaokao.payments.models import GatewayMessage, PaymentOrder
from gaokao.payments.tests.helpers import (
    CONFIRM,
    IN_WINDOW,
    choose,
    make_candidate,
    reload,
    start,
    trade_of,
)
from gaokao.portal import session as portal_session
from gaokao.professional.models import Registration
from gaokao.sandbox.cashier import channel_module, deliver, settle
from gaokao.testing.factories import aware, staff_for

pytestmark = pytest.mark.django_db

PROFESSIONAL = reverse("portal:professional")
Outcome = GatewayMessage.Outcome


def sign_in(client, candidate):
    """As the portal's sign-in leaves the session (the sign-in itself is tested there)."""
    session = client.session
    session[portal_session.KEY] = {"id": str(candidate.pk), "seen": time.time()}
    session.save()


def test_s6_the_candidate_chooses_a_category_on_the_page(client, candidate, music, wechat, clock):
    sign_in(client, candidate)
    page = client.get(PROFESSIONAL)
    assert page.status_code == 200 and "音乐" in page.text
    response = client.post(
        PROFESSIONAL,
        {
            "category": "YY",
            "YY-main_item": "器乐",
            "YY-secondary_item": "钢琴",
            "YY-exam_phone": "13812345678",
            "YY-confirmation_password": CONFIRM,
        },
    )
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert (registration.main_item, registration.secondary_item) == ("器乐", "钢琴")


def test_o5_a_wrong_confirmation_password_keeps_the_input(client, candidate, music, wechat, clock):
    sign_in(client, candidate)
    response = client.post(
        PROFESSIONAL,
        {
            "category": "YY",
            "YY-main_item": "器乐",
            "YY-secondary_item": "钢琴",
            "YY-exam_phone": "13812345678",
            "YY-confirmation_password": "wrong",
        },
    )
    assert response.status_code == 200 and "确认密码错误" in response.text
    assert 'value="13812345678"' in response.text
    assert not Registration.objects.exists()


def test_o6_paying_leads_to_the_order_page_and_shows_the_result(
    client, candidate, art, wechat, clock
):
    sign_in(client, candidate)
    choose(candidate, art)
    response = client.post(reverse("portal:pay", args=["MS"]), {"channel": "wechat"})
    order = PaymentOrder.objects.get()
    assert response.url == reverse("portal:order", args=[order.out_trade_no])
    page = client.get(response.url)
    assert 'data-testid="pay-qr"' in page.text and "<svg" in page.text
    settle(trade_of(order), "pay")
    page = client.get(response.url)
    assert 'data-testid="order-state"' in page.text and "已支付" in page.text
    status = client.get(reverse("portal:status"))
    assert "美术" in status.text and "已报名" in status.text


def test_o6_a_channel_not_configured_is_refused(client, candidate, art, wechat, clock):
    sign_in(client, candidate)
    choose(candidate, art)
    response = client.post(reverse("portal:pay", args=["MS"]), {"channel": "paypal"})
    assert response.url == PROFESSIONAL and not PaymentOrder.objects.exists()


def test_s6_one_candidate_cannot_see_or_pay_anothers_registration(
    client, season, point, candidate, art, wechat, clock
):
    order = start(choose(candidate, art), wechat)
    other = make_candidate(season, point)
    sign_in(client, other)
    assert client.get(reverse("portal:order", args=[order.out_trade_no])).status_code == 404
    response = client.post(reverse("portal:pay", args=["MS"]), {"channel": "wechat"})
    assert response.status_code == 404
    assert client.post(reverse("portal:withdraw", args=["MS"])).status_code == 404
    assert PaymentOrder.objects.count() == 1 and Registration.objects.count() == 1


def test_r2_2_after_the_window_the_page_is_read_only_and_posts_change_nothing(
    client, candidate, art, wechat
):
    with time_machine.travel(aware(2019, 11, 9, 9, 0), tick=False):
        sign_in(client, candidate)
        page = client.get(PROFESSIONAL)
        assert 'data-testid="professional-closed"' in page.text
        assert 'name="MS-exam_phone"' not in page.text
        client.post(
            PROFESSIONAL,
            {"category": "MS", "MS-exam_phone": "13812345678", "MS-confirmation_password": CONFIRM},
        )
    assert not Registration.objects.exists()


def test_s6_portal_pages_need_a_signed_in_candidate(client, art):
    for url in (PROFESSIONAL, reverse("portal:order", args=["GK2019110100000000000000"])):
        assert client.get(url).url.startswith(reverse("portal:login"))


# ── the office (O6) ───────────────────────────────────────────────────────────────────


@pytest.fixture
def paid_and_unpaid(season, point, art, music, wechat, clock):
    paid = make_candidate(season, point)
    settle(trade_of(start(choose(paid, art), "wechat")), "pay")
    unpaid = make_candidate(season, point)
    choose(unpaid, music, main_item="声乐", secondary_item="美声")
    return paid, unpaid


def test_o6_the_county_report_counts_registered_unpaid_and_money(
    client, county_user, paid_and_unpaid
):
    client.force_login(county_user)
    page = client.get(reverse("payments-office:report"))
    rows = {(r["category"], r["paid"], r["unpaid"], r["amount"]) for r in page.context["rows"]}
    assert rows == {("美术", 1, 0, "120.00"), ("音乐", 0, 1, "0.00")}


def test_o6_another_countys_staff_see_nothing_of_it(client, other_county_user, paid_and_unpaid):
    client.force_login(other_county_user)
    assert client.get(reverse("payments-office:report")).context["rows"] == []
    export = client.get(reverse("payments-office:export"))
    assert len(list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))) == 1


def test_o6_the_export_lists_the_registered_and_is_audited(client, county_user, paid_and_unpaid):
    paid, _unpaid = paid_and_unpaid
    client.force_login(county_user)
    export = client.get(reverse("payments-office:export"))
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][0] == paid.registration_number and rows[1][3] == "美术"
    assert AuditEvent.objects.filter(action=Action.PROFESSIONAL_EXPORTED).count() == 1


def test_o6_points_see_their_report_but_cannot_export(client, point_user, paid_and_unpaid):
    client.force_login(point_user)
    assert len(client.get(reverse("payments-office:report")).context["rows"]) == 2
    assert client.get(reverse("payments-office:export")).status_code == 403


def test_o6_flagged_payments_are_listed_for_the_office(client, county_user, paid_and_unpaid):
    PaymentOrder.objects.update(needs_review=True, review_note="second payment")
    client.force_login(county_user)
    page = client.get(reverse("payments-office:report"))
    assert 'data-testid="flagged"' in page.text and "second payment" in page.text


def test_o6_a_second_payment_for_a_paid_registration_is_flagged_and_shown_to_the_office(
    client, county_user, candidate, art, wechat, clock
):
    """Money that still arrives for an order of a category already paid through another
    order is kept, flagged for reconciliation and listed for the office: never silently
    kept, never counted twice."""
    registration = choose(candidate, art)
    first = start(registration, wechat)
    first_trade = trade_of(first)
    services.close_order(first)
    second = start(registration, wechat)
    settle(trade_of(second), "pay")
    # The payer had paid the first order too, within its life; its notification comes now.
    channel_module("wechat").mark_paid(first_trade, IN_WINDOW)
    assert deliver(first_trade) == 204  # accepted: the gateway must not resend it forever
    reload(registration, first, second)
    assert (registration.status, second.state) == (Registration.Status.PAID, "paid")
    assert first.state == PaymentOrder.State.CLOSED and first.needs_review
    assert first_trade.transaction_id in first.review_note
    assert GatewayMessage.objects.filter(order=first, outcome=Outcome.AFTER_CLOSE).exists()
    assert AuditEvent.objects.filter(action=Action.PAYMENT_FLAGGED).count() == 1
    client.force_login(county_user)
    page = client.get(reverse("payments-office:report"))
    assert [o.out_trade_no for o in page.context["flagged"]] == [first.out_trade_no]
    assert 'data-testid="flagged"' in page.text and first.out_trade_no in page.text
    assert {(r["category"], r["paid"], r["amount"]) for r in page.context["rows"]} == {
        ("美术", 1, "120.00")
    }


def test_o6_the_sandbox_answers_only_when_switched_on(client, settings, candidate, art, wechat):
    assert client.get("/sandbox/").status_code == 200
    settings.PAYMENTS_SANDBOX = False
    assert client.get("/sandbox/").status_code == 404
    assert client.get(reverse("sandbox-cashier", args=["wechat", "X"])).status_code == 404


def test_o6_the_province_sets_fees_in_the_admin_and_money_records_are_read_only(
    client, season, art, paid_and_unpaid
):
    province = staff_for(season.province, is_staff=True, is_superuser=True)
    client.force_login(province)
    change = reverse("admin:professional_category_change", args=[art.pk])
    assert client.get(change).status_code == 200
    order = PaymentOrder.objects.get()
    order_page = reverse("admin:payments_paymentorder_change", args=[order.pk])
    assert client.get(order_page).status_code == 200  # viewable
    client.post(order_page, {"amount_fen": "1", "state": "closed"})
    delete = reverse("admin:payments_paymentorder_delete", args=[order.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    order.refresh_from_db()
    assert (order.amount_fen, order.state) == (12000, PaymentOrder.State.PAID)
