"""``gaokao backup``: archives of the database, the uploaded files and the keys (E3).

gaokao backup [--dir DIR] [--keep N] [--no-media]    write an archive (and prune)
gaokao backup --verify ARCHIVE                       restore into a scratch database, compare
gaokao backup --verify-latest [--dir DIR]            the same for the newest archive
gaokao backup --list [--dir DIR]                     the archives, newest first

See docs/backup.md for what an archive holds and a schedule.
"""

import signal
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from gaokao.ops import backup


class Command(BaseCommand):
    help = (
        "Back up the database, the uploaded files and the keys into one archive (run hourly"
        " during registration, daily otherwise); --verify restores an archive into a scratch"
        " database and compares it; see docs/backup.md."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir",
            type=Path,
            help="where the archives are (default: $GAOKAO_DATA_DIR/backups)",
        )
        parser.add_argument(
            "--keep",
            type=int,
            metavar="N",
            help="after writing, delete all but the newest N archives",
        )
        parser.add_argument(
            "--no-media",
            action="store_true",
            help="leave the uploaded files out (database and keys only)",
        )
        action = parser.add_mutually_exclusive_group()
        action.add_argument(
            "--verify", type=Path, metavar="ARCHIVE", help="check ARCHIVE instead of writing one"
        )
        action.add_argument(
            "--verify-latest", action="store_true", help="check the newest archive in --dir"
        )
        action.add_argument("--list", action="store_true", help="list the archives in --dir")

    def handle(self, *args, **options):
        directory = options["dir"] or backup.default_dir()
        if options["keep"] is not None and options["keep"] < 1:
            raise CommandError(_("--keep must be at least 1."))
        if options["list"]:
            return self.list(directory)
        if options["verify"] or options["verify_latest"]:
            path = options["verify"]
            if path is None:
                newest = backup.latest(directory)
                if newest is None:
                    raise CommandError(_("No backup in %(dir)s.") % {"dir": directory})
                path = newest.path
            return self.verify(path)
        self.write(directory, options["keep"], media=not options["no_media"])

    def write(self, directory, keep, *, media):
        # SIGTERM (systemd stopping the timer's service) unwinds like Ctrl+C: the
        # half-written archive is deleted, never left with a final name.
        previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        try:
            written = backup.write_backup(directory, media=media, progress=self.say)
        except backup.BackupError as e:
            raise CommandError(str(e)) from e
        finally:
            signal.signal(signal.SIGTERM, previous)
        self.stdout.write(
            _("Backup written: %(path)s (%(size)s, %(files)s files).")
            % {"path": written.path, "size": filesizeformat(written.size), "files": written.files}
        )
        if keep is not None:
            for path in backup.prune(directory, keep):
                self.say(_("Deleted %(name)s.") % {"name": path.name})

    def verify(self, path):
        result = backup.verify_backup(path, progress=self.say)
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(problem)
            raise CommandError(_("Verification FAILED: %(path)s") % {"path": path})
        self.stdout.write(
            _(
                "Verified %(path)s: %(tables)s tables with %(rows)s rows and %(files)s files "
                "match the manifest."
            )
            % {"path": path, "tables": result.tables, "rows": result.rows, "files": result.files}
        )

    def list(self, directory):
        archives = backup.list_backups(directory)
        if not archives:
            self.stdout.write(_("No backup in %(dir)s.") % {"dir": directory})
        for a in archives:
            if a.verified is None:
                state = _("not verified")
            elif a.verified:
                state = _("verified %(at)s") % {"at": f"{timezone.localtime(a.verified_at):%F %T}"}
            else:
                state = _("verification FAILED")
            self.stdout.write(f"{a.name}\t{filesizeformat(a.size)}\t{state}")

    def say(self, message):
        self.stdout.write(message)
