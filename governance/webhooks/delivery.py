"""Sending the outbox: each event to each endpoint that wants it, at least once, retried with backoff.

A run (governance.webhooks.tasks.send_webhooks_task, queued when an event commits and every
WEBHOOK_SWEEP_SECONDS by beat) does three things:
1. fan out: each new event gets one WebhookDelivery per active endpoint that wants it;
2. send what is due, claiming each delivery first so two runs never send it at once;
3. forget events (and their logs) older than WEBHOOK_KEEP_DAYS whose deliveries are all done.

A delivery keeps its webhook-id on every retry and redelivery, so a receiver that saw it already can tell.
A failed attempt is tried again after WEBHOOK_RETRY_SECONDS, doubling up to WEBHOOK_RETRY_MAX_SECONDS,
until WEBHOOK_MAX_ATTEMPTS; an endpoint whose last WEBHOOK_DISABLE_AFTER attempts all failed is disabled,
its reason shown in the admin, and every superuser is told (an in-app notification, emailed by beat).
Its pending deliveries wait, and go out when an admin turns it back on.
"""

import ipaddress
import json
import logging
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from governance.models import Notification, WebhookDelivery, WebhookEndpoint, WebhookEvent
from governance.models.webhooks import refused_address
from governance.webhooks import chat

log = logging.getLogger(__name__)

FAN_OUT_BATCH = 500
SEND_BATCH = 100


def send_webhooks(*, now: datetime | None = None) -> int:
    """Fan out new events, send the deliveries due by `now` (default: now), prune; returns how many were sent."""
    now = now or timezone.now()
    fan_out(now)
    # Within half the task's time limit, so slow receivers cannot get a run killed mid-send; the rest stay
    # due for the next run.
    until = time.monotonic() + settings.CELERY_TASK_SOFT_TIME_LIMIT / 2
    sent = 0
    for delivery in _due(now):
        if time.monotonic() > until:
            break
        if _claim(delivery, now):
            sent += attempt(delivery, now)
    prune(now)
    return sent


def fan_out(now: datetime) -> int:
    """One delivery per (new event, active endpoint that wants it); a second run racing this one adds none."""
    made = 0
    while events := list(WebhookEvent.objects.filter(fanned_out_at__isnull=True).order_by("id")[:FAN_OUT_BATCH]):
        endpoints = list(WebhookEndpoint.objects.filter(is_active=True))
        deliveries = [
            WebhookDelivery(event=event, endpoint=endpoint, next_attempt_at=now)
            for event in events
            for endpoint in endpoints
            if endpoint.wants(event)
        ]
        with transaction.atomic():
            WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
            WebhookEvent.objects.filter(pk__in=[event.pk for event in events]).update(fanned_out_at=now)
        made += len(deliveries)
    return made


def _due(now: datetime) -> list[WebhookDelivery]:
    due = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now, endpoint__is_active=True
    )
    return list(due.select_related("event", "endpoint").order_by("next_attempt_at", "id")[:SEND_BATCH])


def _claim(delivery: WebhookDelivery, now: datetime) -> bool:
    """Hold the delivery for as long as one attempt can take; a worker that dies mid-send leaves it due again."""
    lease = settings.WEBHOOK_CONNECT_TIMEOUT + settings.WEBHOOK_READ_TIMEOUT + 60
    claimed = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=WebhookDelivery.Status.PENDING, next_attempt_at=delivery.next_attempt_at
    ).update(next_attempt_at=now + timedelta(seconds=lease))
    return claimed == 1


@dataclass(frozen=True)
class Outcome:
    status_code: int | None = None
    error: str = ""
    response_ms: int | None = None

    @property
    def ok(self) -> bool:
        return not self.error


def attempt(delivery: WebhookDelivery, now: datetime) -> bool:
    """Send the delivery once and log the outcome; True when the receiver answered 2xx."""
    body, headers = request_for(delivery, sent_at=timezone.now())
    outcome = post(delivery.endpoint.url, body, headers)
    _log(delivery, outcome, now)
    return outcome.ok


def request_for(delivery: WebhookDelivery, *, sent_at: datetime) -> tuple[bytes, dict]:
    """The body and headers: a chat message, or the event signed per Standard Webhooks."""
    endpoint, event = delivery.endpoint, delivery.event
    if endpoint.kind == WebhookEndpoint.Kind.SLACK:
        body = chat.slack(event)
    elif endpoint.kind == WebhookEndpoint.Kind.TEAMS:
        body = chat.teams(event)
    else:
        body = event.payload()
    text = json.dumps(body, separators=(",", ":"))
    headers = {"Content-Type": "application/json", "User-Agent": "OpModel-Webhooks/1"}
    if endpoint.kind == WebhookEndpoint.Kind.WEBHOOK:
        headers |= {
            "webhook-id": delivery.message_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": Webhook(endpoint.secret).sign(delivery.message_id, sent_at, text),
        }
    return text.encode(), headers


def post(url: str, body: bytes, headers: dict) -> Outcome:
    refused = refused_destination(url)
    if refused:
        return Outcome(error=f"Not sent: {refused} (see WEBHOOK_ALLOW_PRIVATE).")
    started = time.monotonic()
    try:
        # No redirects: a redirect could point a signed request at an address refused above.
        response = requests.post(
            url,
            data=body,
            headers=headers,
            timeout=(settings.WEBHOOK_CONNECT_TIMEOUT, settings.WEBHOOK_READ_TIMEOUT),
            allow_redirects=False,
            stream=True,
        )
    except requests.Timeout:
        return Outcome(error="Timed out: no answer in time.", response_ms=_ms_since(started))
    except requests.RequestException as e:
        return Outcome(error=f"Could not connect: {type(e).__name__}: {e}"[:500], response_ms=_ms_since(started))
    with response:
        if 200 <= response.status_code < 300:
            return Outcome(response.status_code, response_ms=_ms_since(started))
        # A little of the answer says why; never more, so a huge reply costs nothing.
        snippet = response.raw.read(200, decode_content=True).decode(errors="replace")
    error = f"HTTP {response.status_code} {response.reason or ''}: {snippet}".strip()
    return Outcome(response.status_code, error[:500], _ms_since(started))


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def refused_destination(url: str) -> str:
    """Why the URL's host may not be sent to ("" when it may): it is, or resolves to, a private address."""
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return ""
    parts = urlsplit(url)
    host = parts.hostname or ""
    refused = refused_address(host)
    if refused:
        return refused
    try:
        infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError):
        return ""  # requests reports the failure to resolve, as a failed attempt
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            return f"{host} resolves to {address}, a private, loopback or reserved address"
    return ""


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: RETRY_SECONDS, doubling, at most RETRY_MAX_SECONDS."""
    seconds = settings.WEBHOOK_RETRY_SECONDS * 2 ** min(attempts - 1, 30)
    return timedelta(seconds=min(seconds, settings.WEBHOOK_RETRY_MAX_SECONDS))


def _log(delivery: WebhookDelivery, outcome: Outcome, now: datetime) -> None:
    delivery.attempts += 1
    delivery.last_attempt_at = timezone.now()
    delivery.last_status_code, delivery.last_error = outcome.status_code, outcome.error
    delivery.response_ms = outcome.response_ms
    if outcome.ok:
        delivery.status, delivery.delivered_at = WebhookDelivery.Status.DELIVERED, delivery.last_attempt_at
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    with transaction.atomic():
        delivery.save(
            update_fields=[
                "attempts",
                "last_attempt_at",
                "last_status_code",
                "last_error",
                "response_ms",
                "status",
                "delivered_at",
                "next_attempt_at",
            ]
        )
        _count(delivery.endpoint, outcome)


def _count(endpoint: WebhookEndpoint, outcome: Outcome) -> None:
    """Keep the endpoint's run of failed attempts; disable it when the run reaches WEBHOOK_DISABLE_AFTER."""
    endpoints = WebhookEndpoint.objects.filter(pk=endpoint.pk)
    if outcome.ok:
        endpoints.exclude(consecutive_failures=0).update(consecutive_failures=0)
        return
    endpoints.update(consecutive_failures=F("consecutive_failures") + 1)
    failures = endpoints.values_list("consecutive_failures", flat=True).get()
    if failures < settings.WEBHOOK_DISABLE_AFTER:
        return
    reason = f"Disabled after {failures} failed attempts in a row; the last: {outcome.error}"[:300]
    # Only the run that turns it off tells anyone.
    if endpoints.filter(is_active=True).update(is_active=False, disabled_at=timezone.now(), disabled_reason=reason):
        _tell_superusers(endpoint, reason)


def _tell_superusers(endpoint: WebhookEndpoint, reason: str) -> None:
    log.warning("%s: %s", endpoint, reason)
    what = "Chat channel" if endpoint.is_chat else "Webhook subscription"
    model = "chatchannel" if endpoint.is_chat else "webhooksubscription"
    url = reverse(f"admin:governance_{model}_change", args=[endpoint.pk])
    message = f"{what} “{endpoint.name}” was disabled: its deliveries kept failing. Fix it, then turn it back on."
    superusers = get_user_model().objects.filter(is_superuser=True, is_active=True).values_list("pk", flat=True)
    Notification.objects.bulk_create(
        Notification(user_id=pk, message=message[:300], detail=reason, url=url) for pk in superusers
    )


def prune(now: datetime) -> int:
    """Forget events fanned out more than WEBHOOK_KEEP_DAYS ago whose deliveries are all done."""
    old = WebhookEvent.objects.filter(fanned_out_at__lt=now - timedelta(days=settings.WEBHOOK_KEEP_DAYS))
    deleted, _ = old.exclude(deliveries__status=WebhookDelivery.Status.PENDING).delete()
    return deleted
