from datetime import date

from django.core.management.base import BaseCommand, CommandError

from kpis.recompute import past_days, recompute_as_of, recompute_scorecards


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date; write it as YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = (
        "Recompute the scorecards of dirty initiatives (or --all), as the scheduled Celery task does; or compute "
        "past snapshots from the data as it was (--as-of DAY, or weekly from --since DAY)."
    )

    def add_arguments(self, parser):
        chosen = parser.add_mutually_exclusive_group()
        chosen.add_argument("--all", action="store_true", help="Recompute every initiative, dirty or not.")
        chosen.add_argument(
            "--as-of",
            metavar="YYYY-MM-DD",
            help="Store every initiative's scorecard as it stood at the end of this past day (UTC).",
        )
        chosen.add_argument(
            "--since",
            metavar="YYYY-MM-DD",
            help="Backfill: as --as-of for this past day and every 7 days after it, up to yesterday.",
        )

    def handle(self, *args, **options):
        if options["as_of"] or options["since"]:
            days = [_day(options["as_of"])] if options["as_of"] else past_days(_day(options["since"]))
            if not days:
                raise CommandError("That day is not in the past; choose a day before today.")
            try:
                result = recompute_as_of(days)
            except ValueError as error:
                raise CommandError(f"{error} Choose a day before today.") from None
            done = f"Stored {result.recomputed} past scorecard(s) for {len(days)} day(s)"
            done += f" ({days[0]:%Y-%m-%d} to {days[-1]:%Y-%m-%d})." if len(days) > 1 else f" ({days[0]:%Y-%m-%d})."
        else:
            result = recompute_scorecards(full=options["all"])
            done = f"Recomputed {result.recomputed} scorecard(s)."
        if result.skipped:
            self.stdout.write("Another recompute is running; nothing done.")
        else:
            self.stdout.write(self.style.SUCCESS(done))
