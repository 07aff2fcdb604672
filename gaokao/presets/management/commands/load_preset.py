from django.core.management.base import BaseCommand, CommandError

from gaokao.presets.services import PresetError, available, load_preset


class Command(BaseCommand):
    help = "Load a province's regions, code tables and season schedule (e.g. hunan-2020)."

    def add_arguments(self, parser):
        parser.add_argument("preset", help=f"one of: {', '.join(available())}")

    def handle(self, preset, **options):
        try:
            report = load_preset(preset)
        except PresetError as e:
            raise CommandError(str(e)) from e
        for kind in sorted(set(report.created) | set(report.existing)):
            created, existing = report.created.get(kind, 0), report.existing.get(kind, 0)
            self.stdout.write(f"{kind}: {created} created, {existing} already there")
