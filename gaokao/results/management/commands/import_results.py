from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gaokao.accounts.models import StaffUser
from gaokao.results.formats import KINDS
from gaokao.results.services import CREATE, PROBLEM, UNCHANGED, UPDATE, ImportRefused, run_import


class Command(BaseCommand):
    help = (
        "Import physical exams, proficiency results or policy bonuses (S10) from a CSV or "
        "XLSX file, as a province or city account and within its jurisdiction; for files "
        "too large for the web page. All or nothing; the same file again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("file")
        parser.add_argument(
            "--user", required=True, help="the staff account the import is made and audited as"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check every row and report, save nothing"
        )

    def handle(self, kind, file, user, dry_run, **options):
        account = StaffUser.objects.filter(username__iexact=user, is_active=True).first()
        if account is None:
            raise CommandError(f"no active staff account {user!r}")
        path = Path(file)
        try:
            data = path.read_bytes()
            report = run_import(kind, data, path.name, by=account, dry_run=dry_run)
        except (OSError, ImportRefused) as e:
            raise CommandError(" ".join(getattr(e, "messages", [str(e)]))) from e
        if report.file_error:
            raise CommandError(report.file_error)
        for row in report.rows:
            for problem in row.problems:
                self.stderr.write(f"line {row.line} ({row.registration_number}): {problem}")
        counts = report.counts
        self.stdout.write(
            f"{kind}: {counts[CREATE]} new, {counts[UPDATE]} changed, "
            f"{counts[UNCHANGED]} unchanged, {counts[PROBLEM]} with problems"
        )
        if counts[PROBLEM]:
            raise CommandError(f"{counts[PROBLEM]} rows refused; nothing was saved")
        self.stdout.write("dry run: nothing saved" if dry_run else "saved")
