import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gaokao.audit.verify import HeadsFileError, Verification, check_heads, head_line, heads

# Exit codes of `verify`: 0 the trail is intact, 1 problems found (listed), 2 bad usage.
PROBLEMS, USAGE = 1, 2


class Command(BaseCommand):
    help = (
        "The audit trail's hash chains (E3): check that no event was edited, deleted or"
        " reordered (verify; exit code 1 if any was), write the chains' ends to keep"
        " outside the database (heads)."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{verify,heads}")
        check = actions.add_parser("verify", help="walk every chain and recompute its hashes")
        check.add_argument("--chain", help="only this chain, e.g. p17:2026-11-28")
        check.add_argument(
            "--since", type=dt.date.fromisoformat, help="only the days from YYYY-MM-DD"
        )
        check.add_argument(
            "--heads", type=Path, help="also check the chain ends saved by `gaokao audit heads`"
        )
        ends = actions.add_parser(
            "heads", help="print every chain's last event (keep the output elsewhere)"
        )
        ends.add_argument(
            "--since", type=dt.date.fromisoformat, help="only the days from YYYY-MM-DD"
        )

    def handle(self, action, **options):
        if action == "heads":
            self.stdout.write("# chain\tday\tseq\thash")
            for head in heads(since=options["since"]):
                self.stdout.write(head_line(head))
            return
        self.verify(options)

    def verify(self, options):
        saved = None
        if options["heads"]:
            try:
                saved = options["heads"].read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as e:
                message = _("Cannot read %(file)s: %(error)s") % {
                    "file": options["heads"],
                    "error": e,
                }
                raise CommandError(message, returncode=USAGE) from e
        run = Verification(chain=options["chain"], since=options["since"], progress=self.progress)
        found = 0
        for problem in run.problems():
            found += 1
            self.stdout.write(str(problem))
        if saved is not None:
            try:
                for problem in check_heads(saved):
                    found += 1
                    self.stdout.write(str(problem))
            except HeadsFileError as e:
                raise CommandError(str(e), returncode=USAGE) from e
        counts = {"events": run.events, "chains": run.chains, "count": found}
        if run.events and run.edited == run.events:
            self.stderr.write(
                _(
                    "Every event checked looks changed. Is this the installation's own"
                    " SECRET_KEY (or AUDIT_KEY)? A key replaced without keeping the old one in"
                    " SECRET_KEY_FALLBACKS (AUDIT_KEY_FALLBACKS) makes every event fail."
                )
            )
        if found:
            raise CommandError(
                _(
                    "The audit trail failed verification: %(count)s problems in %(events)s"
                    " events of %(chains)s chains (listed above)."
                )
                % counts,
                returncode=PROBLEMS,
            )
        self.stdout.write(
            _("The audit trail is intact: %(events)s events in %(chains)s chains checked.") % counts
        )

    def progress(self, done: int, total: int) -> None:
        counts = {"done": done, "total": total}
        self.stderr.write(_("Checked %(done)s of %(total)s events…") % counts)
