"""Daily reconciliation (O6): a gateway's statement for one day against our paid orders.

Statement formats read:
- WeChat Pay trade bill (`/v3/bill/tradebill`, bill_type ALL): CSV, every field prefixed
  with a backtick, amounts in yuan, a summary block after the details;
- Alipay trade bill (`alipay.data.dataservice.bill.downloadurl.query`, bill_type trade):
  GBK CSV (or the ZIP it comes in), '#' comment lines, amounts in yuan;
- a plain CSV `out_trade_no,transaction_id,amount_fen,status` (status `paid`), for
  UnionPay's fixed-width files converted by the operator and for any other source.

Every difference is reported; nothing is changed: a person decides (money may have moved).
"""

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from gaokao.payments.models import PaymentOrder


class StatementError(Exception):
    pass


@dataclass(frozen=True)
class StatementLine:
    out_trade_no: str
    transaction_id: str
    amount_fen: int
    paid: bool


@dataclass
class Mismatch:
    kind: str  # missing_locally, missing_at_gateway, amount_mismatch, unknown_order
    out_trade_no: str
    detail: str


@dataclass
class ReconcileReport:
    matched: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)


def _fen(yuan: str) -> int:
    try:
        value = Decimal(yuan.strip().lstrip("`")) * 100
    except InvalidOperation:
        raise StatementError(f"not an amount: {yuan!r}") from None
    if value != value.to_integral_value():
        raise StatementError(f"not an amount in fen: {yuan!r}")
    return int(value)


def _rows(text: str, marker: str) -> tuple[list[str], list[list[str]]]:
    """The header row (the first that names `marker`) and the rows after it."""
    rows = [
        [cell.strip().lstrip("`") for cell in row]
        for row in csv.reader(io.StringIO(text))
        if row and not row[0].startswith("#")
    ]
    for i, row in enumerate(rows):
        if marker in row:
            return row, rows[i + 1 :]
    raise StatementError(f"no header row with {marker!r}")


def parse_wechat(data: bytes) -> list[StatementLine]:
    header, rows = _rows(data.decode("utf-8-sig"), "商户订单号")
    col = {name: i for i, name in enumerate(header)}
    amount = col.get("订单金额", col.get("应结订单金额"))
    lines = []
    for row in rows:
        if row[0].startswith("总交易单数"):
            break  # the summary block
        lines.append(
            StatementLine(
                out_trade_no=row[col["商户订单号"]],
                transaction_id=row[col["微信订单号"]],
                amount_fen=_fen(row[amount]),
                paid=row[col["交易状态"]] == "SUCCESS",
            )
        )
    return lines


def parse_alipay(data: bytes) -> list[StatementLine]:
    if data[:2] == b"PK":  # the ZIP as downloaded: the detail file, not the summary
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [n for n in archive.namelist() if "汇总" not in n]
            if not names:
                raise StatementError("the archive holds no detail file")
            data = archive.read(names[0])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gbk")
    header, rows = _rows(text, "商户订单号")
    col = {name: i for i, name in enumerate(header)}
    return [
        StatementLine(
            out_trade_no=row[col["商户订单号"]],
            transaction_id=row[col["支付宝交易号"]],
            amount_fen=_fen(row[col["订单金额（元）"]]),
            paid=row[col["业务类型"]] == "交易",
        )
        for row in rows
        if len(row) >= len(header)
    ]


def parse_plain(data: bytes) -> list[StatementLine]:
    header, rows = _rows(data.decode("utf-8-sig"), "out_trade_no")
    col = {name: i for i, name in enumerate(header)}
    try:
        return [
            StatementLine(
                out_trade_no=row[col["out_trade_no"]],
                transaction_id=row[col["transaction_id"]],
                amount_fen=int(row[col["amount_fen"]]),
                paid=row[col["status"]] == "paid",
            )
            for row in rows
        ]
    except (KeyError, IndexError, ValueError) as e:
        raise StatementError(f"not the plain statement format: {e}") from None


PARSERS = {"wechat": parse_wechat, "alipay": parse_alipay, "unionpay": parse_plain}


def parse(channel: str, data: bytes) -> list[StatementLine]:
    try:
        return PARSERS[channel](data)
    except (KeyError, IndexError, UnicodeDecodeError, zipfile.BadZipFile) as e:
        raise StatementError(f"cannot read the {channel} statement: {e}") from None


def reconcile(channel: str, day: dt.date, lines: list[StatementLine]) -> ReconcileReport:
    report = ReconcileReport()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    ours = {
        o.out_trade_no: o
        for o in PaymentOrder.objects.filter(
            channel=channel,
            state=PaymentOrder.State.PAID,
            paid_at__gte=start,
            paid_at__lt=start + dt.timedelta(days=1),
        )
    }
    seen = set()
    for line in (line for line in lines if line.paid):
        seen.add(line.out_trade_no)
        order = (
            ours.get(line.out_trade_no)
            or PaymentOrder.objects.filter(channel=channel, out_trade_no=line.out_trade_no).first()
        )
        if order is None:
            report.mismatches.append(
                Mismatch("unknown_order", line.out_trade_no, f"paid {line.amount_fen} fen")
            )
        elif order.state != PaymentOrder.State.PAID:
            report.mismatches.append(
                Mismatch(
                    "missing_locally",
                    line.out_trade_no,
                    f"the gateway has it paid ({line.transaction_id}); ours is {order.state}",
                )
            )
        elif line.amount_fen != order.amount_fen:
            report.mismatches.append(
                Mismatch(
                    "amount_mismatch",
                    line.out_trade_no,
                    f"gateway {line.amount_fen} fen, ours {order.amount_fen} fen",
                )
            )
        else:
            report.matched += 1
    for out_trade_no in sorted(set(ours) - seen):
        report.mismatches.append(
            Mismatch("missing_at_gateway", out_trade_no, "paid here, not in the statement")
        )
    return report
