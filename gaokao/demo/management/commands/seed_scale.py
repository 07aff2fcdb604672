from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gaokao.demo.scale import CONFIRMATION_PASSWORD, PORTAL_PASSWORD, SeedError, seed_scale

KINDS = {
    "points": gettext_lazy("registration points"),
    "number ranges": gettext_lazy("number ranges"),
    "staff accounts": gettext_lazy("staff accounts"),
    "candidates": gettext_lazy("candidates"),
    "photos": gettext_lazy("photos"),
    "professional registrations": gettext_lazy("professional registrations"),
    "payment orders": gettext_lazy("payment orders"),
}


class Command(BaseCommand):
    help = (
        "Build a province at scale for the benchmarks: Hunan's regions, about 2,000 points, "
        "number ranges, staff accounts and N candidates (never on a real database)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--candidates", type=int, default=600_000, help="how many in all")
        parser.add_argument(
            "--points-per-county", type=int, default=16, help="points in each county"
        )
        parser.add_argument("--seed", type=int, default=2020, help="of the random choices")

    def handle(self, candidates, points_per_county, seed, **options):
        if candidates < 0 or points_per_county < 1:
            raise CommandError(_("Give a positive number of candidates and points."))
        self.stdout.write(
            _("Seeding %(candidates)s candidates, %(points)s points per county …")
            % {"candidates": f"{candidates:,}", "points": points_per_county}
        )
        try:
            report = seed_scale(
                candidates,
                points_per_county=points_per_county,
                seed=seed,
                progress=self.stdout.write,
            )
        except SeedError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"{'':28} {_('created'):>10} {_('in all'):>12}")
        for kind, total in report.total.items():
            label = str(KINDS.get(kind, kind))
            self.stdout.write(f"{label:28} {report.created.get(kind, 0):10,} {total:12,}")
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Done in %(seconds).1f s. Candidates sign in with %(login)s and confirm "
                    "saves with %(confirm)s; staff accounts: see gaokao/demo/scale.py."
                )
                % {
                    "seconds": report.seconds,
                    "login": PORTAL_PASSWORD,
                    "confirm": CONFIRMATION_PASSWORD,
                }
            )
        )
