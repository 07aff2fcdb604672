import unicodedata

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gaokao.accounts.models import StaffUser
from gaokao.demo.services import current_code, ensure_demo, passwords_file
from gaokao.payments import config as payments_config


def pad(text: str, width: int) -> str:
    """Left-justify for a terminal, where a Chinese character takes two columns."""
    columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - columns, 0)


def no_such_account(username: str) -> str:
    """Why a demo account is not in this database: most often because this terminal is set
    up as a point client, whose database is its own (issue 20)."""
    if settings.GAOKAO_MODE == "client":
        return _(
            "%(user)s is not in this point client's database (%(path)s): a client knows the"
            " central server's accounts only after enrolling. For the code to enrol with, run"
            " gaokao demo --code %(user)s where the demo server runs (in its folder, without"
            " GAOKAO_MODE=client or the client's GAOKAO_DATA_DIR)."
        ) % {"user": username, "path": settings.DATA_DIR}
    return _(
        "%(user)s is not in this database (%(path)s): run bin/demo first, in the same folder"
        " and with the same GAOKAO_DATA_DIR."
    ) % {"user": username, "path": settings.DATA_DIR}


class Command(BaseCommand):
    help = "Set up demo data (a season open today, points, an account per level) and serve it."

    def add_arguments(self, parser):
        parser.add_argument("--addrport", default="127.0.0.1:8000", help="where to serve")
        parser.add_argument("--no-serve", action="store_true", help="set up the data only")
        parser.add_argument(
            "--reader", metavar="URL", help="a real ID-card reader's port, not the simulated one"
        )
        parser.add_argument(
            "--no-reader", action="store_true", help="do not start the ID-card reader bridge"
        )
        parser.add_argument(
            "--code", metavar="USERNAME", help="print a demo account's current authenticator code"
        )

    def handle(self, addrport, no_serve, code, reader=None, no_reader=False, **options):
        if code:
            try:
                self.stdout.write(current_code(code))
            except ValueError as e:
                raise CommandError(str(e)) from e
            except StaffUser.DoesNotExist as e:
                raise CommandError(no_such_account(code)) from e
            return
        call_command("migrate", interactive=False, verbosity=0)
        accounts = ensure_demo()
        site = f"http://{addrport if ':' in addrport else '127.0.0.1:' + addrport}"
        if payments_config.public_url() != site:
            payments_config.write_sandbox_config(settings.PAYMENTS_CONFIG.parent, site)
        # The demo's payments go to the local sandbox gateway (never on in production).
        settings.PAYMENTS_SANDBOX = True
        url = f"http://{addrport}/office/"
        self.stdout.write(
            self.style.SUCCESS("\n" + _("Demo ready. Office web: %(url)s") % {"url": url})
        )
        rows = [(_("User name"), _("Password"), _("Real name"), _("ID number"), _("Unit"))]
        rows += [(a.username, a.password, a.real_name, a.id_number, a.unit) for a in accounts]
        widths = (20, 15, 20, 20, 0)
        for row in rows:
            self.stdout.write("".join(pad(str(c), w) for c, w in zip(row, widths, strict=True)))
        self.stdout.write(
            "\n"
            + _(
                "At first sign-in each account confirms its name and ID number, chooses a new"
                " password and sets up an authenticator app. Without a phone,"
                " `gaokao demo --code USERNAME` prints the current code."
            )
        )
        self.stdout.write(
            _("The passwords are kept in %(path)s.") % {"path": passwords_file()} + "\n"
        )
        self.stdout.write(
            _("Candidate portal: %(portal)s · sandbox payment gateway: %(sandbox)s")
            % {"portal": f"{site}/ks/", "sandbox": f"{site}/sandbox/"}
        )
        if not no_serve:
            bridge = None if no_reader else self.start_reader_bridge(reader, addrport)
            try:
                call_command("runserver", addrport, use_reloader=False)
            finally:
                if bridge is not None:
                    bridge.stop()

    def start_reader_bridge(self, reader, addrport):
        """The office page's 读卡 button calls this bridge (gaokao.idcard.bridge)."""
        from gaokao.idcard.bridge import start_bridge

        try:
            office = addrport if ":" in addrport else f"127.0.0.1:{addrport}"
            bridge, _thread = start_bridge(reader or "sim", origins=[f"http://{office}"])
        except (OSError, ValueError) as e:
            self.stderr.write(_("ID-card reader bridge not started: %(error)s") % {"error": e})
            return None
        if reader:
            line = _("ID-card reader bridge (reader %(port)s): %(url)s")
        else:
            line = _("ID-card reader bridge (simulated reader): %(url)s")
        self.stdout.write(line % {"port": reader, "url": bridge.url})
        return bridge
