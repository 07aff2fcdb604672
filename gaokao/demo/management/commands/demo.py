from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from gaokao.demo.services import ensure_demo


class Command(BaseCommand):
    help = "Set up demo data (a season open today, points, an account per level) and serve it."

    def add_arguments(self, parser):
        parser.add_argument("--addrport", default="127.0.0.1:8000", help="where to serve")
        parser.add_argument("--no-serve", action="store_true", help="set up the data only")

    def handle(self, addrport, no_serve, **options):
        call_command("migrate", interactive=False, verbosity=0)
        accounts = ensure_demo()
        url = f"http://{addrport}/office/"
        self.stdout.write(self.style.SUCCESS(f"\nDemo ready. Office web: {url}\n"))
        rows = [(_("User name"), _("Password"), _("Role"), _("Unit"))]
        rows += [(a.username, a.password, a.role, a.unit) for a in accounts]
        for row in rows:
            self.stdout.write(
                "  ".join(
                    str(cell).ljust(width) for cell, width in zip(row, (20, 14, 10, 0), strict=True)
                )
            )
        self.stdout.write("\n(The passwords are kept in the data directory: demo-accounts.txt.)\n")
        if not no_serve:
            call_command("runserver", addrport, use_reloader=False)
