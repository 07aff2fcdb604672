"""``gaokao client``: the point client on the point's PC (R4, E4, E5).

gaokao client enrol --server https://bm.example.cn --username bmd0102001
gaokao client sync [--every 60]          # once, or again and again
gaokao client status
gaokao client export 数据包.gkb          # a disc bundle of everything pending, for the county
gaokao client run [--reader COM3]        # the point's one window: web server, reader, sync
gaokao client serve [--addrport 127.0.0.1:8001]
gaokao client version                     # this client's version and the centre's
gaokao client wheelhouse DIR --platform win_amd64   # on the build machine: the offline folder

All of them but wheelhouse run only on a point client (GAOKAO_MODE=client, which `gaokao
client …` sets by itself where no DATABASE_URL is configured): the client's database is its
own SQLite file in its own data folder, never the central one.
"""

from __future__ import annotations

import getpass
import ipaddress
import os
import signal
import socket
import sys
import threading
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from gaokao.client import local, sync, update
from gaokao.client import run as one_window
from gaokao.client import wheelhouse as offline
from gaokao.client.enrolment import enrol, key_path
from gaokao.client.export import export_bundle
from gaokao.ops.version import app_version

DEFAULT_ADDRPORT = "127.0.0.1:8001"


def default_every() -> float:
    raw = os.environ.get("GAOKAO_CLIENT_SYNC_SECONDS", "60")
    try:
        value = float(raw)
    except ValueError:
        value = 0
    if value < 5:
        raise CommandError(f"GAOKAO_CLIENT_SYNC_SECONDS must be a number ≥ 5, not {raw!r}")
    return value


def loopback(addrport: str) -> bool:
    host = addrport.rsplit(":", 1)[0] if ":" in addrport else "127.0.0.1"
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Command(BaseCommand):
    help = (
        "The point client: enrol with the server, sync, show the status, export a disc"
        " bundle, or serve the office web on this PC (GAOKAO_MODE=client)."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(
            dest="action",
            required=True,
            metavar="{enrol,sync,status,export,run,serve,version,wheelhouse}",
        )
        e = actions.add_parser("enrol", help="enrol this PC as the point's client")
        e.add_argument("--server", required=True, help="the central server, https://…")
        e.add_argument("--username", required=True, help="the point account's user name")
        e.add_argument(
            "--device-name", default=socket.gethostname()[:60], help="a name for this PC"
        )
        e.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password (first line) and, without --totp, the authenticator"
            " code (second line) from standard input",
        )
        e.add_argument("--totp", help="the authenticator app's current 6-digit code")
        s = actions.add_parser("sync", help="sync with the server now")
        s.add_argument("--every", type=float, metavar="SECONDS", help="keep syncing")
        actions.add_parser("status", help="what waits to be sent, and the last sync")
        x = actions.add_parser("export", help="write a disc bundle for the county (E5)")
        x.add_argument("file", type=Path)
        x.add_argument(
            "--server-key",
            metavar="BASE64",
            help="the server's bundle key (gaokao bundles public-key on the server), if this"
            " PC does not know it yet",
        )
        r = actions.add_parser(
            "run", help="the point client in one window: web server, reader bridge, sync"
        )
        r.add_argument("--port", type=int, default=one_window.DEFAULT_PORT)
        r.add_argument(
            "--reader",
            default=os.environ.get("GAOKAO_READER_PORT") or None,
            metavar="PORT",
            help="the ID-card reader's serial port (COM3, /dev/ttyUSB0) or sim for the"
            " simulated reader; default GAOKAO_READER_PORT, else no reader",
        )
        r.add_argument("--every", type=float, metavar="SECONDS", help="seconds between syncs")
        r.add_argument(
            "--open-browser", action="store_true", help="open the office web in the browser"
        )
        actions.add_parser("version", help="this client's version and the one the centre publishes")
        w = actions.add_parser(
            "wheelhouse", help="write the offline installation folder of a point (build machine)"
        )
        w.add_argument("folder", type=Path)
        w.add_argument(
            "--platform",
            help="the wheel platform of the point's PCs, e.g. win_amd64 (default: this machine)",
        )
        w.add_argument("--wheel", type=Path, help="the project's wheel, if already built")
        v = actions.add_parser("serve", help="the office web on this PC, syncing meanwhile")
        v.add_argument("--addrport", default=DEFAULT_ADDRPORT)
        v.add_argument("--every", type=float, metavar="SECONDS", help="seconds between syncs")

    def handle(self, action, **options):
        if action == "wheelhouse":  # the build machine's; not a client
            return self.wheelhouse(**options)
        if settings.GAOKAO_MODE != "client":
            raise CommandError(
                _(
                    "This command runs only on a point client: set GAOKAO_MODE=client (and a"
                    " GAOKAO_DATA_DIR of its own) first. The central server never runs it."
                )
            )
        # The client's own database follows the installed version (after a pip upgrade
        # too); with nothing to do this takes a moment.
        call_command("migrate", interactive=False, verbosity=0)
        if (old := one_window.stranded_folder()) is not None:
            self.stderr.write(one_window.stranded_message(old))
        try:
            getattr(self, action)(**options)
        except sync.SyncError as e:
            raise CommandError(e.message) from e

    # ── enrol ──

    def enrol(self, server, username, device_name, password_stdin, totp, **options):
        if password_stdin:
            lines = sys.stdin.read().splitlines()
            password = lines[0] if lines else ""
            totp = totp or (lines[1].strip() if len(lines) > 1 else "")
        else:
            password = getpass.getpass(_("Password of %(user)s: ") % {"user": username})
            totp = totp or input(_("Authenticator code: ")).strip()
        if not password or not totp:
            raise CommandError(_("Both the password and the authenticator code are needed."))
        result = enrol(
            server=server,
            username=username,
            password=password,
            totp=totp,
            device_name=device_name,
        )
        state = result.state
        self.stdout.write(
            _("Enrolled: point %(point)s, device %(device)s. The device key is in %(key)s.")
            % {"point": state.point_code, "device": state.device_id, "key": key_path()}
        )
        if result.pull_error:
            self.stdout.write(
                _(
                    "The first pull failed (%(error)s); run gaokao client sync when the"
                    " network works."
                )
                % {"error": result.pull_error}
            )
        else:
            self.stdout.write(_("First pull done: %(n)d candidates.") % {"n": result.pulled})
            self.stdout.write(local.blocks_text(state.device_id))
        if local.peers_text():
            self.stdout.write(local.peers_text())
        self.stdout.write(
            _(
                "To sign in on this PC: user name %(user)s, the same password, and the code of"
                " this PC's own authenticator entry. Add it in the authenticator app with the"
                " key %(key)s (or this link: %(uri)s)."
            )
            % {"user": result.username, "key": result.totp_secret, "uri": result.provisioning_uri}
        )

    # ── sync ──

    def sync(self, every, **options):
        if every is None:
            report = sync.sync_once()
            if not report.ok:
                raise CommandError(report.error)
            self.stdout.write(report.summary())
            self._tell_update(update.check_now())
            return
        if every < 5:
            raise CommandError(_("--every must be at least 5 seconds."))
        stop = threading.Event()
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, lambda *args: stop.set()) if main else None
        try:
            sync.run_loop(every, stop, self._print_report)
        except KeyboardInterrupt:
            pass
        finally:
            if main:
                signal.signal(signal.SIGTERM, previous)

    def _print_report(self, report) -> None:
        stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
        self.stdout.write(f"{stamp} {report.summary()}")
        if report.ok:
            self._tell_update(update.check_now(), once=True)
        self.stdout.flush()

    def _tell_update(self, found: update.Update | None, once: bool = False) -> None:
        """The update notice after a sync; with `once`, once per version in this process."""
        if found is None or not found.newer:
            return
        if once and getattr(self, "_told", None) == found.published:
            return
        self._told = found.published
        self.stdout.write(self.style.WARNING(found.message()))

    # ── status ──

    def status(self, **options):
        s = sync.status()
        state = s.state
        if state is None:
            self.stdout.write(_("Not enrolled: run gaokao client enrol."))
        else:
            last = (
                timezone.localtime(state.last_sync_at).strftime("%Y-%m-%d %H:%M:%S")
                if state.last_sync_at
                else _("never")
            )
            self.stdout.write(_("Server: %(s)s") % {"s": state.server_url})
            self.stdout.write(_("Device: %(d)s") % {"d": state.device_id})
            self.stdout.write(_("Point: %(p)s") % {"p": state.point_code})
            self.stdout.write(
                _("Last sync: %(at)s %(result)s") % {"at": last, "result": state.last_sync_result}
            )
            self.stdout.write(
                _("Connection: online (the server was reached in the last few minutes).")
                if sync.is_online(state)
                else _("Connection: offline (the last sync did not reach the server lately).")
            )
            if state.clock_flagged:
                self.stdout.write(
                    _(
                        "This PC's clock is off by %(minutes)d minutes from the server's: set"
                        " it right (the times changes were keyed are read from it)."
                    )
                    % {"minutes": round((state.clock_skew_seconds or 0) / 60)}
                )
            if state.bundle_key_offered:
                self.stdout.write(
                    _(
                        "The server announced a new bundle key; bundles are not written until"
                        " it is confirmed with gaokao client export --server-key."
                    )
                )
        self.stdout.write(
            _("Waiting to be sent: %(changes)d changes, %(photos)d photos.")
            % {"changes": s.pending_changes, "photos": s.pending_photos}
        )
        if any(s.pending_records.values()):
            self.stdout.write(
                _(
                    "Also waiting: %(incidents)d incidents, %(entries)d incident entries,"
                    " %(comments)d comments."
                )
                % s.pending_records
            )
        self.stdout.write(_("Needs attention: %(n)d") % {"n": len(s.attention)})
        labels = sync.candidate_labels(s.attention)  # number and name, never a UUID
        for entry in s.attention:
            self.stdout.write(
                f"  {labels[entry.candidate_id]} · {entry.description}: {entry.last_error}"
            )

        known = update.last_known()
        if known is not None and known.newer:
            self.stdout.write(known.message())

    # ── export ──

    def export(self, file, server_key, **options):
        result = export_bundle(file, server_key_b64=server_key)
        self.stdout.write(
            _(
                "Bundle written to %(path)s: %(changes)d changes and %(photos)d photos"
                " (%(size)d bytes). Take it to the county office on a disc."
            )
            % {
                "path": result.path,
                "changes": result.changes,
                "photos": result.photos,
                "size": result.size,
            }
        )
        if result.records:
            self.stdout.write(
                _(
                    "The bundle also holds %(n)d incidents, entries and comments; they stay"
                    " waiting here until a sync, which stores nothing twice."
                )
                % {"n": result.records}
            )
        if result.again:
            self.stdout.write(
                _(
                    "%(n)d of the changes were refused by sync (for example after the"
                    " deadline) and are on the disc again for the county."
                )
                % {"n": result.again}
            )
        if result.missing_photos:
            self.stdout.write(
                _("%(n)d photos could not be read from this PC and are not in the bundle.")
                % {"n": result.missing_photos}
            )

    # ── run: the point's one window ──

    def run(self, port, reader, every, open_browser, **options):
        every = every or default_every()
        state = sync.require_state()
        call_command("collectstatic", interactive=False, verbosity=0)
        one_window.quiet_logs()

        def sync_loop(stop):
            sync.run_loop(every, stop, self._print_report)

        try:
            started = one_window.start(port, reader, sync_loop)
        except OSError as e:
            raise CommandError(
                _("Port %(port)d of this PC is taken (%(error)s): is the client already running?")
                % {"port": port, "error": e}
            ) from e
        office = f"{started.url}/office/"
        lines = [
            _("gaokao point client %(version)s: point %(point)s, server %(server)s")
            % {"version": app_version(), "point": state.point_code, "server": state.server_url},
            "",
            _("    Open in the browser:  %(url)s") % {"url": office},
            "",
            _("Web server (waitress): %(url)s, this PC only") % {"url": started.url},
            started.bridge_line,
            _("Sync with the server every %(n)d seconds; each sync is reported below.")
            % {"n": every},
            _("Data folder: %(path)s") % {"path": settings.DATA_DIR},
            _("Keep this window open while working; Ctrl+C (or closing it) stops the client."),
            "",
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()
        if open_browser:
            import webbrowser

            webbrowser.open(office)
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _interrupt) if main else None
        try:
            started.server.run()
        except KeyboardInterrupt:
            pass
        finally:
            started.stop()
            if main:
                signal.signal(signal.SIGTERM, previous)
        self.stdout.write(_("The point client has stopped."))

    # ── version ──

    def version(self, **options):
        self.stdout.write(_("gaokao point client %(v)s") % {"v": app_version()})
        known = update.last_known()
        if known is not None:
            self.stdout.write(
                _("The centre publishes version %(v)s (at the last sync).") % {"v": known.published}
            )
            if known.newer:
                self.stdout.write(known.message())

    # ── wheelhouse: the offline installation folder, on the build machine ──

    def wheelhouse(self, folder, platform, wheel, **options):
        try:
            built = offline.build(folder, platform=platform, wheel=wheel)
        except offline.WheelhouseError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(
            _(
                "Offline installation folder for %(platform)s written to %(folder)s: %(n)d"
                " wheels with %(own)s, the install and start scripts and the guide. On the"
                " point's PC run install.bat (Windows) or install.sh (Linux) in it."
            )
            % {
                "platform": built.platform,
                "folder": built.folder,
                "n": built.wheels,
                "own": built.own_wheel.name,
            }
        )

    # ── serve ──

    def serve(self, addrport, every, **options):
        if not loopback(addrport):
            raise CommandError(
                _("The point client serves this PC only: use 127.0.0.1:PORT, not %(a)s.")
                % {"a": addrport}
            )
        every = every or default_every()
        call_command("collectstatic", interactive=False, verbosity=0)
        sync.require_state()
        stop = threading.Event()
        worker = threading.Thread(
            target=sync.run_loop,
            args=(every, stop, self._print_report),
            name="gaokao-client-sync",
            daemon=True,
        )
        worker.start()
        try:
            call_command("runserver", addrport, use_reloader=False, use_threading=True)
        finally:
            stop.set()
            worker.join(timeout=5)


def _interrupt(signum, frame):
    """SIGTERM (a service manager, the test kit) stops `run` as Ctrl+C does."""
    raise KeyboardInterrupt
