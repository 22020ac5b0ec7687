from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from governance.backups import BackupError, backup, default_path


class Command(BaseCommand):
    help = "Back the database up (pg_dump on PostgreSQL, the online backup on SQLite); prints the file's path last."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="Where to write it (default var/backups/opmodel-<time>).")

    def handle(self, *args, output=None, **options):
        path = output or default_path()
        try:
            note = backup(path)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Backed up the database ({note}) to:")
        self.stdout.write(str(path))
