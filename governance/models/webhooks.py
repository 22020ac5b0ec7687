"""Outbound webhooks and chat channels: where events go, the outbox of events, and each delivery's log.

An event is written to the outbox (WebhookEvent) in the transaction that makes the change it tells of
(governance.webhooks.outbox); a Celery task then makes one WebhookDelivery per endpoint that wants it
and sends it, retrying with backoff (governance.webhooks.delivery).
"""

import base64
import ipaddress
import secrets
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class EventType(models.TextChoices):
    """The domain events an endpoint can subscribe to; the value is the payload's `type`."""

    INITIATIVE_CREATED = "initiative.created", "Initiative created"
    STAGE_CHANGED = "initiative.stage_changed", "Stage changed"
    RISK_TIER_CHANGED = "initiative.risk_tier_changed", "Risk tier changed"
    GATE_REVIEW_REQUESTED = "gate_review.requested", "Gate review requested"
    GATE_REVIEW_DECIDED = "gate_review.decided", "Gate review decided"
    APPROVAL_STALE = "gate_review.approval_stale", "Approval gone stale"
    GUARDRAIL_BREACHED = "kpi.guardrail_breached", "KPI guardrail breached"
    HEALTH_CHANGED = "scorecard.health_changed", "Scorecard health changed"
    VERSION_PUBLISHED = "asset.version_published", "Asset version published"
    LABEL_MOVED = "asset.label_moved", "Asset label moved"


def new_secret() -> str:
    """A Standard Webhooks secret: "whsec_" and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def new_message_id() -> str:
    """The webhook-id header: one per event and endpoint pair, the same on every retry and redelivery."""
    return "msg_" + uuid.uuid4().hex


def refused_address(host: str) -> str:
    """Why a host that is a literal IP address or localhost may not receive webhooks ("" when it may).

    Private, loopback, link-local and reserved addresses reach this server's own network (SSRF);
    WEBHOOK_ALLOW_PRIVATE allows them (tests, `make run`). Names are resolved and checked again at send time.
    """
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return ""
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return "localhost is this server"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return ""
    if not address.is_global:
        return f"{address} is a private, loopback or reserved address"
    return ""


def validate_endpoint_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("Give an http:// or https:// URL.")
    if parts.username or parts.password:
        raise ValidationError("Leave credentials out of the URL; a webhook is signed with its secret instead.")
    refused = refused_address(parts.hostname)
    if refused:
        raise ValidationError(f"That address is not allowed: {refused} (see WEBHOOK_ALLOW_PRIVATE).")


class WebhookEndpoint(models.Model):
    """Somewhere events are sent: a signed webhook subscription, or a Slack or Teams incoming webhook.

    The admin shows the two as "Webhook subscriptions" and "Chat channels" (the proxies below).
    """

    class Kind(models.TextChoices):
        WEBHOOK = "webhook", "Signed webhook"
        SLACK = "slack", "Slack"
        TEAMS = "teams", "Microsoft Teams"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.WEBHOOK)
    url = models.URLField("URL", max_length=500, validators=[validate_endpoint_url])
    event_types = models.JSONField(default=list, help_text="The events sent here.")
    business_units = models.JSONField(
        default=list, blank=True, help_text="Only events of initiatives in these business units; empty for all."
    )
    secret = models.CharField(
        max_length=100, default=new_secret, help_text="Signs each webhook (Standard Webhooks); give it to the receiver."
    )
    is_active = models.BooleanField("active", default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def is_chat(self) -> bool:
        return self.kind != self.Kind.WEBHOOK

    def clean(self):
        unknown = sorted(set(self.event_types) - set(EventType.values))
        if not self.event_types or unknown:
            raise ValidationError({"event_types": "Choose at least one of the listed events."})

    def wants(self, event: "WebhookEvent") -> bool:
        if event.event_type not in self.event_types:
            return False
        return not self.business_units or event.business_unit in self.business_units

    def event_type_labels(self) -> list[str]:
        return [EventType(value).label for value in self.event_types if value in EventType.values]


class WebhookSubscription(WebhookEndpoint):
    class Meta:
        proxy = True
        verbose_name = "webhook subscription"


class ChatChannel(WebhookEndpoint):
    class Meta:
        proxy = True
        verbose_name = "chat channel"


class WebhookEvent(models.Model):
    """The outbox: one row per domain event, written in the transaction that made the change.

    No foreign key to the initiative: like the audit trail, an event outlives what it tells of.
    """

    event_type = models.CharField(max_length=40, choices=EventType.choices)
    occurred_at = models.DateTimeField()
    initiative_id = models.BigIntegerField(null=True, blank=True)
    business_unit = models.CharField(max_length=100, blank=True)
    data = models.JSONField(default=dict)
    # Set once the deliveries for every endpoint that wanted it were made (fan-out).
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["fanned_out_at"], name="governance_webhook_fanned_out")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_event_type_display()}"

    def payload(self) -> dict:
        """The body a webhook receives (Standard Webhooks: type, timestamp, data)."""
        return {"type": self.event_type, "timestamp": self.occurred_at.isoformat(), "data": self.data}


class WebhookDelivery(models.Model):
    """One event to one endpoint: the delivery log (attempts, last answer or error, response time)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    message_id = models.CharField(max_length=40, unique=True, default=new_message_id)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    response_ms = models.PositiveIntegerField("response time (ms)", null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="governance_webhook_delivery_once"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="governance_webhook_due")]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint.name}"
