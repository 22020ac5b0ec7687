from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from governance.tokens import issue_token


class Command(BaseCommand):
    help = "Issue an API token for a user. The key is printed once, alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="What the token is for (default: cli).")
        parser.add_argument("--days", type=int, default=None, help="Expire after this many days (default: never).")

    def handle(self, *args, username, name, days, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        expires_at = timezone.now() + timedelta(days=days) if days else None
        token, key = issue_token(acting_user=user, user=user, name=name, expires_at=expires_at)
        expiry = f"expires {expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else "never expires"
        self.stderr.write(f"Token “{token.name}” for {username} ({expiry}). Store it now; it is not shown again.")
        self.stdout.write(key)
