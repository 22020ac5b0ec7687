from celery import shared_task

from governance.webhooks.delivery import send_webhooks


@shared_task
def send_webhooks_task() -> int:
    """Send the webhook and chat deliveries that are due (governance.webhooks.delivery). Queued when an event
    commits and run by beat as a sweep; two runs at once are safe, as each delivery is claimed first."""
    return send_webhooks()
