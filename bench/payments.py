"""Payment notifications (O6, E3): genuine signed notifications verified and applied per
second, per gateway, then the same notifications again (duplicates), beside the floor of
the signature checks alone and of a bare UPDATE of the order rows.

    .venv/bin/python bench/payments.py [--count 1000]            # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/benches SECRET_KEY=bench \\
        .venv/bin/python bench/payments.py --count 1000

It works in a database of its own: a temporary SQLite file, or on PostgreSQL a scratch
database (`bench_payments_<pid>`, made by Django's test machinery, dropped at the end). It writes
payments.toml with fresh keys for both sides of every channel, as `gaokao payments
sandbox-setup` does (and the payment tests: gaokao/payments/tests/conftest.py), seeds a
season whose professional window is open, and for each of WeChat Pay v3, Alipay and
UnionPay N candidates with a chosen category and an unpaid order. The local sandbox
gateway then makes, for each order, the notification the real gateway would send once the
payer has paid (WeChat Pay: RSA-SHA256 signed headers and an AES-256-GCM resource;
Alipay: an RSA2-signed form; UnionPay: a form signed with a certificate of the sandbox's
own root and intermediate CA), before the clock starts. Timed, in this process:

- ours: each notification POSTed to /pay/notify/<channel>/ through Django's test client
  (the whole stack: middleware, the view, `receive_notification`: the adapter loaded from
  the configuration, verified, the order locked, marked paid, the message kept, audited);
  then all of them again, which the orders answer as already applied;
- floor: signatures alone: cryptography verifying the same messages (with the AES-GCM
  decryption of WeChat Pay's resource and UnionPay's certificate chain, which their
  protocols require);
- floor: bare UPDATE: one `UPDATE … SET state = 'paid'` per order, each in its own
  transaction (autocommit), on the same rows (reset before ours runs).

See bench/README.md.
"""

import argparse
import base64
import datetime as dt
import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import scratch_environment  # noqa: E402

CHANNELS = ("wechat", "alipay", "unionpay")
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--count", type=int, default=1000, help="orders per channel (1000)")
parser.add_argument("--channels", default=",".join(CHANNELS), help="comma-separated")
parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
ARGS = parser.parse_args()

WORK = scratch_environment("gaokao-bench-payments-")

import django  # noqa: E402

django.setup()

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from gaokao.candidates.models import Candidate  # noqa: E402
from gaokao.lib.idnumber import check_digit  # noqa: E402
from gaokao.payments import config, services  # noqa: E402
from gaokao.payments.gateways import alipay, unionpay, wechat  # noqa: E402
from gaokao.payments.models import PaymentOrder  # noqa: E402
from gaokao.presets.services import PRESETS_DIR, LoadReport, load_codes  # noqa: E402
from gaokao.professional.models import Registration  # noqa: E402
from gaokao.sandbox.cashier import channel_module  # noqa: E402
from gaokao.sandbox.models import SandboxTrade  # noqa: E402
from gaokao.seasons.models import PhaseKind  # noqa: E402
from gaokao.testing.factories import (  # noqa: E402
    CategoryFactory,
    CountyFactory,
    PointFactory,
    SeasonFactory,
    add_phase,
)

HOST = "127.0.0.1"  # a host ALLOWED_HOSTS accepts by default
PKCS1, SHA256 = padding.PKCS1v15(), hashes.SHA256()


def setup(channels: list[str]):
    load_codes(Path(PRESETS_DIR) / "hunan-2020" / "codes.csv", LoadReport())
    settings.PAYMENTS_CONFIG = config.write_sandbox_config(
        WORK / "payments", f"http://{HOST}", tuple(channels)
    )
    settings.PAYMENTS_SANDBOX = True
    settings.PAYMENTS_TRANSPORT = "gaokao.payments.testing.client_transport"
    point = PointFactory(county=CountyFactory())
    season = SeasonFactory(province=point.county.parent.parent)
    today = timezone.localdate()
    add_phase(
        season,
        PhaseKind.PROFESSIONAL,
        opens=today - dt.timedelta(days=10),
        closes=today + dt.timedelta(days=10),
    )
    return season, point, CategoryFactory(season=season, code="MS", name="美术", fee_fen=12000)


def orders_for(channel: str, first: int, count: int, season, point, category) -> list:
    """`count` art candidates with the category chosen and one unpaid order each."""
    candidates = []
    for n in range(first, first + count):
        birth = dt.date(2002, 1, 1) + dt.timedelta(days=n // 1000)
        first17 = f"430102{birth:%Y%m%d}{n % 1000:03d}"
        candidates.append(
            Candidate(
                season=season,
                point=point,
                subject_track="3",
                registration_number=f"{point.county.registration_code}{n:04d}",
                id_number=first17 + check_digit(first17),
                name=f"艺术考生{n}",
                sex="1",
                ethnicity="01",
                birth_date=birth,
                identity_source="1",
                eligibility="eligible",
            )
        )
    Candidate.objects.bulk_create(candidates)
    registrations = Registration.objects.bulk_create(
        Registration(candidate=c, category=category, exam_phone="13812345678") for c in candidates
    )
    now = timezone.now()
    return PaymentOrder.objects.bulk_create(
        PaymentOrder(
            registration=r,
            out_trade_no=services.new_out_trade_no(now),
            channel=channel,
            amount_fen=category.fee_fen,
            expires_at=now + services.ORDER_LIFETIME,
        )
        for r in registrations
    )


def notifications(channel: str, orders: list) -> list[tuple[dict, bytes, str]]:
    """What the sandbox gateway POSTs once each order is paid: (headers, body, type)."""
    merchant = config.gateway(channel).merchant_id
    module, now = channel_module(channel), timezone.now()
    stamp = timezone.localtime(now).strftime("%Y%m%d%H%M%S")
    made = []
    for order in orders:
        trade = SandboxTrade.objects.create(
            channel=channel,
            merchant_id=merchant,
            out_trade_no=order.out_trade_no,
            amount_fen=order.amount_fen,
            description="2020年普通高考美术专业考试报名费",
            notify_url=f"http://{HOST}/pay/notify/{channel}/",
            order_time=stamp,
            expires_at=order.expires_at,
        )
        module.mark_paid(trade, now)
        made.append(module.notification(trade, now))
    return made


def post_all(channel: str, messages) -> tuple[float, dict[int, int]]:
    client = Client(HTTP_HOST=HOST)
    statuses: dict[int, int] = {}
    url = f"/pay/notify/{channel}/"
    started = time.perf_counter()
    for headers, body, content_type in messages:
        meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
        status = client.post(url, body, content_type=content_type, **meta).status_code
        statuses[status] = statuses.get(status, 0) + 1
    return time.perf_counter() - started, statuses


# ── the floor: the cryptography the protocols require, nothing else ────────────────────


def verify_wechat(gateway, headers: dict, body: bytes) -> None:
    c = gateway.config
    message = wechat.response_message(
        headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"], body
    )
    signature = base64.b64decode(headers["Wechatpay-Signature"])
    c.platform_public_key.verify(signature, message, PKCS1, SHA256)
    resource = json.loads(body)["resource"]
    AESGCM(c.apiv3_key).decrypt(
        resource["nonce"].encode(),
        base64.b64decode(resource["ciphertext"]),
        resource["associated_data"].encode(),
    )


def verify_alipay(gateway, headers: dict, body: bytes) -> None:
    fields = dict(parse_qsl(body.decode()))
    text = alipay.signing_string(fields, drop=("sign", "sign_type"))
    signature = base64.b64decode(fields["sign"])
    gateway.config.alipay_public_key.verify(signature, text.encode(), PKCS1, SHA256)


def verify_unionpay(gateway, headers: dict, body: bytes) -> None:
    fields = dict(parse_qsl(body.decode()))
    c = gateway.config
    cert = x509.load_pem_x509_certificate(fields["signPubKeyCert"].encode())
    cert.verify_directly_issued_by(c.middle_cert)
    c.middle_cert.verify_directly_issued_by(c.root_cert)
    digest = hashlib.sha256(unionpay.signing_string(fields).encode()).hexdigest().encode()
    cert.public_key().verify(base64.b64decode(fields["signature"]), digest, PKCS1, SHA256)


VERIFY = {"wechat": verify_wechat, "alipay": verify_alipay, "unionpay": verify_unionpay}


def floor_crypto(channel: str, messages) -> float:
    gateway = config.gateway(channel)  # keys loaded once, outside the clock
    started = time.perf_counter()
    for headers, body, _type in messages:
        VERIFY[channel](gateway, headers, body)
    return time.perf_counter() - started


def floor_update(orders: list) -> float:
    now = timezone.now()
    started = time.perf_counter()
    for order in orders:  # autocommit: each UPDATE its own transaction
        PaymentOrder.objects.filter(pk=order.pk).update(
            state=PaymentOrder.State.PAID, transaction_id="4200000000", paid_at=now
        )
    seconds = time.perf_counter() - started
    PaymentOrder.objects.filter(pk__in=[o.pk for o in orders]).update(
        state=PaymentOrder.State.CREATED, transaction_id="", paid_at=None
    )
    return seconds


def main() -> None:
    n = ARGS.count
    channels = [c for c in ARGS.channels.split(",") if c]
    test_db, old_name = None, connection.settings_dict["NAME"]
    if connection.vendor == "postgresql":  # a name of its own: benches may run at once
        connection.settings_dict["TEST"]["NAME"] = f"bench_payments_{os.getpid()}"
        test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    else:
        call_command("migrate", verbosity=0)
    try:
        season, point, category = setup(channels)
        print(f"database: {connection.vendor}; {n} orders per channel, notifications in process")
        print(f"{'':36}{'seconds':>9}{'per second':>11}{'ratio':>8}")

        def line(label, seconds, note="", floor=None):
            ratio = f"{seconds / floor:>8.1f}" if floor else f"{'':>8}"
            print(f"{label:36}{seconds:>9.2f}{n / seconds:>11.0f}{ratio}  {note}".rstrip())

        for index, channel in enumerate(channels):
            orders = orders_for(channel, 1 + index * n, n, season, point, category)
            messages = notifications(channel, orders)
            crypto = floor_crypto(channel, messages)
            update = floor_update(orders)
            line(f"{channel}: floor: signatures alone", crypto)
            line(f"{channel}: floor: bare UPDATE", update)
            seconds, statuses = post_all(channel, messages)
            paid = PaymentOrder.objects.filter(channel=channel, state="paid").count()
            line(f"{channel}: verified and applied", seconds, f"HTTP {statuses}, {paid} paid",
                 floor=crypto + update)  # fmt: skip
            seconds, statuses = post_all(channel, messages)
            line(f"{channel}: duplicates", seconds, f"HTTP {statuses}", floor=crypto + update)
        print("(ratio: over the sum of both floors)")
    finally:
        if test_db is not None:
            connection.creation.destroy_test_db(old_name, verbosity=0)
        if ARGS.keep:
            print(f"kept {WORK}")
        else:
            shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
