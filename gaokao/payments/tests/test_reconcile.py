"""O6 reconciliation: a gateway's daily statement against our paid orders; every
difference reported, nothing changed."""

import io
import zipfile

import pytest
from django.core.management import CommandError, call_command

from gaokao.payments.models import PaymentOrder
from gaokao.payments.reconcile import StatementError, parse, reconcile
from gaokao.payments.tests.helpers import choose, make_candidate, start, trade_of
from gaokao.sandbox.cashier import settle
from gaokao.testing.factories import CategoryFactory

pytestmark = pytest.mark.django_db

WECHAT_HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
    "交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,"
    "充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
)


def wechat_line(no: str, yuan: str, status: str = "SUCCESS") -> str:
    cells = ["2019-11-01 10:00:00", "wx1", "1900000109", "0", "", "4200001", no, "o1", "NATIVE"]
    cells += [status, "OTHERS", "CNY", yuan, "0.00", "0", "0", "0.00", "0.00", "", "", "美术"]
    cells += ["", "0.00", "0.60%", yuan, "0.00", ""]
    return ",".join("`" + c for c in cells)


def wechat_statement(*lines: str) -> bytes:
    summary = (
        "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n"
        "`1,`120.00,`0.00,`0.00,`0.72,`120.00,`0.00\n"
    )
    return ("\n".join([WECHAT_HEADER, *lines]) + "\n" + summary).encode()


@pytest.fixture
def three_paid(season, point, art, wechat, clock):
    """Three candidates who paid 120.00 yuan through WeChat Pay on 2019-11-01."""
    orders = []
    for _ in range(3):
        order = start(choose(make_candidate(season, point), art), "wechat")
        settle(trade_of(order), "pay")
        order.refresh_from_db()
        orders.append(order)
    return orders


def test_o6_reconciliation_matches_and_finds_a_missing_and_a_mismatched_order(three_paid):
    a, b, c = (o.out_trade_no for o in three_paid)
    statement = wechat_statement(
        wechat_line(a, "120.00"),
        wechat_line(b, "1.20"),  # the gateway has another amount
        # c is missing from the statement
        wechat_line("GK20191101ZZZZZZZZZZZZZZ", "120.00"),  # money for an order we don't know
        wechat_line("GK20191101YYYYYYYYYYYYYY", "120.00", status="REFUND"),  # not a payment
    )
    report = reconcile("wechat", three_paid[0].paid_at.date(), parse("wechat", statement))
    assert report.matched == 1
    assert {(m.kind, m.out_trade_no) for m in report.mismatches} == {
        ("amount_mismatch", b),
        ("missing_at_gateway", c),
        ("unknown_order", "GK20191101ZZZZZZZZZZZZZZ"),
    }
    assert PaymentOrder.objects.filter(state=PaymentOrder.State.PAID).count() == 3  # unchanged


def test_o6_a_payment_the_gateway_has_and_we_missed_is_reported(season, point, art, wechat, clock):
    order = start(choose(make_candidate(season, point), art), "wechat")
    statement = wechat_statement(wechat_line(order.out_trade_no, "120.00"))
    report = reconcile("wechat", order.created_at.date(), parse("wechat", statement))
    assert [(m.kind, m.out_trade_no) for m in report.mismatches] == [
        ("missing_locally", order.out_trade_no)
    ]


def test_o6_the_alipay_bill_is_read_from_its_gbk_zip():
    detail = (
        "#支付宝业务明细查询\n#账号：[20880000000000000156]\n"
        "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,"
        "终端号,对方账户,订单金额（元）,商家实收（元）\n"
        "2019110122001,GK20191101AAAAAAAAAAAAAA,交易,美术,,,,,,,,120.00,120.00\n"
        "2019110122002,GK20191101BBBBBBBBBBBBBB,退款,美术,,,,,,,,-120.00,-120.00\n"
        "#-----------------------------------------业务明细列表结束\n"
    )
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("20880000000000000156_20191101_业务明细.csv", detail.encode("gbk"))
        z.writestr("20880000000000000156_20191101_业务明细(汇总).csv", "#汇总".encode("gbk"))
    lines = parse("alipay", archive.getvalue())
    assert [(x.out_trade_no, x.amount_fen, x.paid) for x in lines] == [
        ("GK20191101AAAAAAAAAAAAAA", 12000, True),
        ("GK20191101BBBBBBBBBBBBBB", -12000, False),
    ]


@pytest.mark.parametrize(
    ("channel", "data"),
    [
        ("wechat", b"no header here\n1,2,3\n"),
        ("wechat", wechat_statement(wechat_line("X", "12.345"))),
        ("alipay", b"PK\x03\x04broken"),
        ("unionpay", b"out_trade_no,transaction_id,amount_fen,status\nX,Y,abc,paid\n"),
    ],
)
def test_o6_an_unreadable_statement_is_refused_clearly(channel, data):
    with pytest.raises(StatementError):
        parse(channel, data)


def test_o6_the_reconcile_command_reports_and_fails_on_mismatches(three_paid, tmp_path, capsys):
    day = three_paid[0].paid_at.date().isoformat()
    good = tmp_path / "good.csv"
    good.write_bytes(wechat_statement(*(wechat_line(o.out_trade_no, "120.00") for o in three_paid)))
    call_command(
        "payments", "reconcile", "--channel", "wechat", "--date", day, "--statement", str(good)
    )
    assert "matched: 3, mismatches: 0" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_bytes(wechat_statement(wechat_line(three_paid[0].out_trade_no, "120.00")))
    with pytest.raises(CommandError, match="2 mismatches"):
        call_command(
            "payments", "reconcile", "--channel", "wechat", "--date", day, "--statement", str(bad)
        )
    assert "missing_at_gateway" in capsys.readouterr().out


def test_o6_unionpay_statements_use_the_plain_format(season, art):
    assert CategoryFactory  # (the plain format is the converted UnionPay file)
    lines = parse("unionpay", b"out_trade_no,transaction_id,amount_fen,status\nA,Q1,12000,paid\n")
    assert lines[0].amount_fen == 12000 and lines[0].paid
