"""``gaokao restore ARCHIVE``: bring back the database, the uploaded files and the keys.

Stop the app servers and workers first; start them after (they read the restored secret
key and configuration at start).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gaokao.ops import backup


class Command(BaseCommand):
    help = (
        "Restore a backup archive (database, uploaded files, keys) after checking every"
        " checksum; a database that is not empty is replaced only with --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="a gaokao-….tar written by `gaokao backup`")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database that holds data (asks to confirm unless --no-input)",
        )
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="do not ask for confirmation",
        )

    def handle(self, *args, archive, force, interactive, **options):
        confirm = self.confirm if interactive and force else None
        try:
            restored = backup.restore_backup(
                archive, force=force, confirm=confirm, progress=self.stdout.write
            )
        except backup.BackupError as e:
            raise CommandError(str(e)) from e
        if restored is None:
            raise CommandError(_("Nothing was restored."))
        self.stdout.write(
            _("Restored the backup of %(created)s: the database and %(files)s files.")
            % {"created": restored.manifest["created_at"], "files": restored.files}
        )
        if restored.migrate_needed:
            self.stdout.write(_("The archive is from an older version: run `gaokao migrate` now."))
        self.stdout.write(_("Start the app servers and workers again."))

    def confirm(self, checked):
        manifest = checked.manifest
        self.stdout.write(
            _(
                "This replaces EVERYTHING in the database with the backup of %(created)s "
                "(%(rows)s rows), and overwrites the uploaded files and keys it holds."
            )
            % {"created": manifest["created_at"], "rows": sum(manifest["tables"].values())}
        )
        answer = input(_("Type yes to restore: "))
        return answer.strip().lower() in ("yes", _("yes"))
