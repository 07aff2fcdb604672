import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gaokao.payments import config
from gaokao.payments.reconcile import StatementError, parse, reconcile
from gaokao.payments.services import expire


class Command(BaseCommand):
    help = (
        "Payment workers: close expired orders and end unpaid choices after the deadline"
        " (expire), compare a day's gateway statement with our orders (reconcile), write"
        " keys for the local sandbox gateway (sandbox-setup)."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="{expire,reconcile,sandbox-setup}"
        )
        actions.add_parser("expire", help="run every few minutes (cron / systemd timer)")
        rec = actions.add_parser("reconcile", help="run daily after the statements are out")
        rec.add_argument("--channel", required=True, choices=config.CHANNELS)
        rec.add_argument("--date", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")
        rec.add_argument("--statement", required=True, type=Path, help="the statement file")
        setup = actions.add_parser("sandbox-setup", help="demo and tests only: no real keys")
        setup.add_argument(
            "--url", default="http://127.0.0.1:8000", help="this site's address (%(default)s)"
        )

    def handle(self, action, **options):
        if action == "expire":
            report = expire()
            self.stdout.write(
                f"orders closed: {report.closed}, found paid: {report.paid}, gateway"
                f" unreachable: {report.unreachable}; choices ended unpaid: {report.lapsed}"
            )
        elif action == "reconcile":
            self.reconcile(options["channel"], options["date"], options["statement"])
        else:
            file = config.write_sandbox_config(settings.PAYMENTS_CONFIG.parent, options["url"])
            self.stdout.write(f"wrote {file}; set GAOKAO_PAYMENTS_SANDBOX=True to use it")

    def reconcile(self, channel, day, statement):
        try:
            lines = parse(channel, statement.read_bytes())
        except (OSError, StatementError) as e:
            raise CommandError(str(e)) from e
        report = reconcile(channel, day, lines)
        for m in report.mismatches:
            self.stdout.write(f"{m.kind}\t{m.out_trade_no}\t{m.detail}")
        self.stdout.write(f"matched: {report.matched}, mismatches: {len(report.mismatches)}")
        if report.mismatches:
            raise CommandError(f"{len(report.mismatches)} mismatches: see above")
