"""Outbound webhooks and chat notifications: the outbox (outbox.py), sending with retries (delivery.py),
Slack and Teams messages (chat.py) and the admin pages (admin.py). Models: governance/models/webhooks.py."""
