from django.core.management.base import BaseCommand, CommandError

from governance.audit import verify_chain, write_checkpoint


class Command(BaseCommand):
    help = (
        "Walk the audit chain with the audit key, hold it against every signed checkpoint, report the first "
        "problem if any; if intact, write a new checkpoint of its head."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-checkpoint", action="store_true", help="Verify only; write no new checkpoint of the chain's head."
        )

    def handle(self, *args, **options):
        report = verify_chain()
        if not report.ok:
            if report.broken_at is not None:
                raise CommandError(
                    f"Audit chain broken at event #{report.broken_at}: {report.problem}. "
                    f"{report.checked} events before it are intact."
                )
            raise CommandError(f"Audit chain does not match its checkpoints: {report.problem}.")
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(warning))
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {report.checked} events checked against {report.checkpoints} checkpoint(s)."
            )
        )
        if not options["no_checkpoint"] and report.checked:
            checkpoint = write_checkpoint(report)
            self.stdout.write(
                f"Checkpoint #{checkpoint['seq']} written: {checkpoint['events']} events, "
                f"head #{checkpoint['head_id']} {checkpoint['head_hash'][:16]}…"
            )
