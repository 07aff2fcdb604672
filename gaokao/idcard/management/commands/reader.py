"""``gaokao reader serve``: the ID-card reader bridge on the office PC (S3).

gaokao reader serve --port /dev/ttyUSB0 --origin https://gaokao.example.cn
gaokao reader serve --port sim                 # a simulated reader, for trying it out
gaokao reader status --port COM3               # is the reader there? prints its SAM ID
"""

import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gaokao.idcard.bridge import DEFAULT_LISTEN, SIMULATED, start_bridge
from gaokao.idcard.protocol import ReaderError
from gaokao.idcard.reader import Reader
from gaokao.idcard.simulator import SimulatorServer

DEFAULT_ORIGIN = "http://127.0.0.1:8000"


class Command(BaseCommand):
    help = (
        "Run the ID-card reader bridge that the office web page calls (serve),"
        " or check a reader (status)."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{serve,status}")
        serve = actions.add_parser("serve", help="serve the reader to the office web page")
        status = actions.add_parser("status", help="check the reader and print its SAM ID")
        for sub in (serve, status):
            sub.add_argument(
                "--port",
                required=True,
                metavar="URL|sim",
                help="the reader's serial port (/dev/ttyUSB0, COM3, socket://HOST:PORT)"
                " or 'sim' for a simulated reader",
            )
            sub.add_argument(
                "--timeout", type=float, default=3.0, help="seconds to wait for each reply"
            )
        serve.add_argument(
            "--listen",
            default=DEFAULT_LISTEN,
            help="address to listen on; loopback only (default %(default)s)",
        )
        serve.add_argument(
            "--origin",
            action="append",
            dest="origins",
            metavar="URL",
            help=f"origin of the office web allowed to call the bridge; repeatable"
            f" (default {DEFAULT_ORIGIN})",
        )

    def handle(self, action, **options):
        if action == "serve":
            self.serve(options["port"], options["listen"], options["origins"], options["timeout"])
        else:
            self.status(options["port"], options["timeout"])

    def serve(self, port, listen, origins, timeout):
        try:
            server, thread = start_bridge(
                port, listen, origins or [DEFAULT_ORIGIN], timeout=timeout
            )
        except (ValueError, OSError) as e:
            raise CommandError(str(e)) from e
        reader = _("simulated reader") if port == SIMULATED else port
        self.stdout.write(
            _("ID-card reader bridge (%(reader)s): %(url)s") % {"reader": reader, "url": server.url}
        )
        self.stdout.write(
            _("Pages allowed to use it: %(origins)s")
            % {"origins": ", ".join(sorted(server.origins))}
        )
        self.stdout.write(_("Press Ctrl-C to stop."))
        stop = threading.Event()
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, lambda *args: stop.set()) if main else None
        try:
            while thread.is_alive() and not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            if main:
                signal.signal(signal.SIGTERM, previous)
            server.stop()
        self.stdout.write(_("ID-card reader bridge stopped."))

    def status(self, port, timeout):
        simulator = SimulatorServer().start() if port == SIMULATED else None
        try:
            with Reader(simulator.url if simulator else port, timeout=timeout) as reader:
                reader.sam_status()
                sam_id = reader.sam_id()
        except ReaderError as e:
            raise CommandError(str(e.message)) from e
        finally:
            if simulator is not None:
                simulator.stop()
        self.stdout.write(_("The reader answers. SAM ID: %(sam_id)s") % {"sam_id": sam_id})
