from django.core.management.base import BaseCommand

from kpis.recompute import recompute_scorecards


class Command(BaseCommand):
    help = "Recompute the scorecards of dirty initiatives (or --all), as the scheduled Celery task does."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Recompute every initiative, dirty or not.")

    def handle(self, *args, **options):
        result = recompute_scorecards(full=options["all"])
        if result.skipped:
            self.stdout.write("Another recompute is running; nothing done.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Recomputed {result.recomputed} scorecard(s)."))
