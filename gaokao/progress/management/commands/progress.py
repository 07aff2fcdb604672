import signal
import threading
import time

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone
from django.utils.translation import gettext as _

from gaokao.progress import services


class Command(BaseCommand):
    help = (
        "Progress dashboards: recompute the shared grid of counts (refresh), once or as a"
        " worker every few seconds, so that no dashboard request waits for it."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{refresh}")
        refresh = actions.add_parser(
            "refresh", help="once, or with --every N as a worker (systemd service) until stopped"
        )
        refresh.add_argument(
            "--every",
            type=int,
            metavar="SECONDS",
            help="recompute every SECONDS seconds until SIGTERM or Ctrl+C (at least 2)",
        )

    def handle(self, action, every=None, **options):
        if isinstance(caches["default"], LocMemCache):
            self.stderr.write(
                _(
                    "The cache is this process's own (REDIS_URL is not set): app servers"
                    " will not see the grid it computes."
                )
            )
        if every is None:
            if not self._refresh(None):
                self.stdout.write(_("No current season: nothing to recompute."))
            return
        if every < 2:
            raise CommandError(_("--every must be at least 2 seconds."))
        stop = threading.Event()
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, lambda *args: stop.set()) if main else None
        try:
            while not stop.is_set():
                started = time.monotonic()
                close_old_connections()
                try:
                    self._refresh(every)
                except DatabaseError as e:  # the database restarting: try again next time
                    self.stderr.write(_("Refresh failed: %(error)s") % {"error": e})
                    connection.close()
                stop.wait(max(0.0, every - (time.monotonic() - started)))
        except KeyboardInterrupt:
            pass
        finally:
            if main:
                signal.signal(signal.SIGTERM, previous)

    def _refresh(self, every: int | None) -> bool:
        started = time.monotonic()
        season = services.refresh_due(every)
        if season is None:
            return False
        stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
        ms = (time.monotonic() - started) * 1000
        self.stdout.write(
            _("%(stamp)s progress grid of %(season)s recomputed in %(ms).0f ms")
            % {"stamp": stamp, "season": season, "ms": ms}
        )
        self.stdout.flush()
        return True
