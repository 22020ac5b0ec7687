from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from governance.audit import verify_chain
from governance.backups import BackupError, restore
from initiatives.models import Initiative
from kpis.models import Measurement, Scorecard


class Command(BaseCommand):
    help = "Restore a backup made by `backup` into the configured database, replacing its contents."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--yes", action="store_true", help="Do not ask before replacing the database.")

    def handle(self, *args, path, yes, **options):
        database = connection.settings_dict["NAME"]
        if not yes and input(f"Replace everything in {database} with {path}? [y/N] ").strip().lower() != "y":
            raise CommandError("Nothing restored.")
        try:
            restore(path)
        except (FileNotFoundError, BackupError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Restored {path}: {Initiative.objects.count()} initiatives, {Measurement.objects.count()} measurements, "
            f"{Scorecard.objects.count()} scorecard snapshots."
        )
        report = verify_chain()
        if not report.ok:
            raise CommandError(f"Restored, but the audit chain does not verify: {report.problem}")
        self.stdout.write(f"Audit chain intact: {report.checked} events.")
