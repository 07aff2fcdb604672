import getpass
import socket
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils.translation import gettext as _

from gaokao.retention import services
from gaokao.seasons.models import Season


class Command(BaseCommand):
    help = (
        "Remove a closed season's personal data after its retention date, keeping aggregate"
        " statistics (candidates, photos, payments). Shows what it removes and asks first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--season", required=True, help="the season's name or id")
        parser.add_argument("--dry-run", action="store_true", help="show what would go")
        parser.add_argument("--yes", action="store_true", help="do not ask")

    def handle(self, *, season, dry_run, yes, **options):
        lookup = Q(name=season) | (Q(pk=int(season)) if season.isdigit() else Q())
        found = Season.objects.filter(lookup).first()
        if found is None:
            raise CommandError(_("No season named %(season)s.") % {"season": season})
        try:
            services.check_purgeable(found)
        except services.RetentionRefused as e:
            raise CommandError(e.messages[0]) from e
        plan = services.plan(found)
        self.stdout.write(
            _(
                "%(season)s: %(candidates)d candidates, %(photos)d photos and %(orders)d"
                " payment orders will be removed; aggregate statistics are kept."
            )
            % {
                "season": found,
                "candidates": plan.candidates,
                "photos": plan.photos,
                "orders": plan.orders,
            }
        )
        if dry_run:
            self.stdout.write(_("Dry run: nothing was changed."))
            return
        if not yes:
            if not sys.stdin.isatty():
                raise CommandError(_("Add --yes to remove the data (or --dry-run to look)."))
            answer = input(_("Type the season's name to remove its personal data: "))
            if answer.strip() != found.name:
                self.stdout.write(_("Nothing was changed."))
                return
        by = f"{getpass.getuser()}@{socket.gethostname()}"

        def progress(done: int, total: int) -> None:
            self.stdout.write(_("%(done)d of %(total)d removed") % {"done": done, "total": total})

        services.purge(found, by=by, progress=progress)
        done = _("Done: the personal data of %(season)s is removed.") % {"season": found}
        self.stdout.write(done)
