from django.utils.functional import SimpleLazyObject

from governance.models import Notification


def notifications(request) -> dict:
    """The unread count in the nav: one query, for signed-in users, run only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": SimpleLazyObject(
            lambda: Notification.objects.filter(user=user, read_at__isnull=True).count()
        )
    }
