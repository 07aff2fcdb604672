from django.core.management.base import BaseCommand, CommandError

from gaokao.codes.schools import SchoolFileError, import_schools


class Command(BaseCommand):
    help = (
        "Load the province's school list from a UTF-8 CSV file with the columns "
        "code,name,county. All or nothing; loading the same file again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check every row and report, save nothing"
        )

    def handle(self, file, dry_run, **options):
        try:
            report = import_schools(file, dry_run=dry_run)
        except (SchoolFileError, OSError) as e:
            raise CommandError(str(e)) from e
        for line, problem in report.errors:
            self.stderr.write(f"line {line}: {problem}")
        self.stdout.write(
            f"schools: {report.created} new, {report.updated} changed, "
            f"{report.unchanged} unchanged, {report.not_in_file} on record but not in the file"
        )
        if report.errors:
            raise CommandError(f"{len(report.errors)} rows refused; nothing was saved")
        self.stdout.write("dry run: nothing saved" if dry_run else "saved")
