import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from gaokao.accounts.models import Role, StaffUser
from gaokao.bundles.format import BundleRefused, server_key_path, server_public_key_b64
from gaokao.bundles.services import MAX_BYTES, apply, check, purge_expired


class Command(BaseCommand):
    help = (
        "Disc bundles (E5): print the server's public key that point clients encrypt bundles"
        " for (public-key; made on first use), import a bundle for a county account without a"
        " browser (import; for large files), delete checked files left unconfirmed for a day"
        " (purge; run daily)."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="{public-key,import,purge}"
        )
        actions.add_parser("public-key", help="Base64 of the server's X25519 public key")
        imports = actions.add_parser(
            "import", help="check a bundle and apply it with the same rules as the office web"
        )
        imports.add_argument("file", type=Path)
        imports.add_argument(
            "--user", required=True, help="the county account the import is made as (audited)"
        )
        imports.add_argument("--dry-run", action="store_true", help="check only, change nothing")
        imports.add_argument("--yes", action="store_true", help="apply without asking")
        actions.add_parser("purge", help="run daily (cron / systemd timer)")

    def handle(self, action, **options):
        if action == "public-key":
            self.stdout.write(server_public_key_b64())
            self.stderr.write(f"(private key: {server_key_path()}; back it up with the database)")
        elif action == "import":
            self.import_bundle(options)
        else:
            self.stdout.write(f"held files deleted: {purge_expired()}")

    def import_bundle(self, options):
        user = StaffUser.objects.filter(username=options["user"], is_active=True).first()
        if user is None or user.role != Role.COUNTY:
            raise CommandError(_("%(user)s is not an active county account.") % options)
        path: Path = options["file"]
        try:
            if path.stat().st_size > MAX_BYTES:
                raise CommandError(
                    _("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // 2**20}
                )
            data = path.read_bytes()
        except OSError as e:
            message = _("Cannot read %(file)s: %(error)s") % {"file": path, "error": e}
            raise CommandError(message) from e
        try:
            summary = check(data, user)
        except BundleRefused as e:
            raise CommandError(e.message) from e
        self.stdout.write(
            _(
                "Bundle of %(point)s, point client %(device)s, written %(at)s: %(changes)d"
                " changes (%(new)d new), %(photos)d photos (%(photos_received)d received"
                " already)."
            )
            % {
                "point": summary.point,
                "device": summary.device.name,
                "at": timezone.localtime(summary.created_at).strftime("%Y-%m-%d %H:%M"),
                "changes": summary.changes,
                "new": summary.new_changes,
                "photos": summary.photos,
                "photos_received": summary.photos_received,
            }
        )
        if summary.incidents or summary.entries or summary.comments:
            self.stdout.write(
                _(
                    "Also %(incidents)d incidents, %(entries)d entries on incidents and"
                    " %(comments)d comments on candidates."
                )
                % {
                    "incidents": summary.incidents,
                    "entries": summary.entries,
                    "comments": summary.comments,
                }
            )
        if options["dry_run"]:
            self.stdout.write(_("Dry run: nothing was changed."))
            return
        if not options["yes"]:
            if not sys.stdin.isatty():
                raise CommandError(_("Add --yes to apply the bundle (or --dry-run to check it)."))
            if input(_("Apply this bundle? [y/N] ")).strip().lower() not in ("y", "yes"):
                self.stdout.write(_("Nothing was changed."))
                return
        try:
            result = apply(data, user)
        except BundleRefused as e:
            raise CommandError(e.message) from e
        self.stdout.write(
            _(
                "Applied: %(applied)d, received before: %(duplicate)d, conflicts: %(conflict)d,"
                " refused: %(refused)d; photos stored: %(stored)d."
            )
            % {**result.counts, "stored": result.photos.get("stored", 0)}
        )
        for problem in [*result.conflicts, *result.refused, *result.photo_problems]:
            self.stdout.write(f"  {problem.number} {problem.name}: {problem.message}")
        if any(result.records.values()):
            self.stdout.write(
                _(
                    "Incidents, entries and comments: %(applied)d stored, %(duplicate)d"
                    " received before, %(refused)d refused."
                )
                % result.records
            )
        for problem in result.record_problems:
            self.stdout.write(f"  {problem.kind} {problem.id}: {problem.message}")
