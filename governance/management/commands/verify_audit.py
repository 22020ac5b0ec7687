from django.core.management.base import BaseCommand, CommandError

from governance.audit import verify_chain


class Command(BaseCommand):
    help = "Walk the audit hash chain and report the first broken link, if any."

    def handle(self, *args, **options):
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"Audit chain broken at event #{report.broken_at}: {report.problem}. "
                f"{report.checked} events before it are intact."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.checked} events checked."))
