"""Outbound webhooks: signed per Standard Webhooks, sent after the commit, retried with backoff, logged,
never lost, the same webhook-id on every retry; an endpoint that keeps failing is disabled and the
superusers are told. A real HTTP receiver on loopback checks every signature (tests/webhook_receiver.py)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from governance.models import (
    EventType,
    Notification,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookSubscription,
)
from governance.webhooks import outbox
from governance.webhooks.delivery import backoff, send_webhooks
from initiatives import services
from tests.webhook_receiver import down_url, start_receiver

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on 127.0.0.1
    settings.WEBHOOK_RETRY_SECONDS = 30
    settings.WEBHOOK_RETRY_MAX_SECONDS = 3600
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    settings.WEBHOOK_DISABLE_AFTER = 10
    settings.WEBHOOK_CONNECT_TIMEOUT = 2
    settings.WEBHOOK_READ_TIMEOUT = 2


@pytest.fixture
def receiver():
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


def subscribe(url, events=(EventType.INITIATIVE_CREATED,), **fields) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(name="Portfolio BI", url=url, event_types=list(events), **fields)
    endpoint.full_clean()
    endpoint.save()
    return endpoint


def create_initiative(user, title="Invoice matching", capture=None):
    """Create an initiative and run what its commit queues (the send task, eager in unit tests)."""
    with capture(execute=True):
        return services.create_initiative(acting_user=user, title=title, business_unit="Finance", risk_tier="low")


def the_delivery() -> WebhookDelivery:
    return WebhookDelivery.objects.select_related("event", "endpoint").get()


def test_an_event_is_signed_sent_after_the_commit_and_logged(receiver, alice, django_capture_on_commit_callbacks):
    endpoint = subscribe(receiver.url)
    receiver.secret = endpoint.secret

    initiative = create_initiative(alice, capture=django_capture_on_commit_callbacks)

    [got] = receiver.received
    assert got.verified  # standardwebhooks.Webhook(secret).verify accepted the signature
    assert got.json["type"] == "initiative.created"
    assert got.json["data"]["initiative"]["title"] == "Invoice matching"
    assert got.json["data"]["initiative"]["url"] == f"http://127.0.0.1:8000/initiatives/{initiative.slug}/"
    assert got.json["data"]["actor"] == {"username": "alice", "name": "Alice Product"}
    delivery = the_delivery()
    assert got.headers["webhook-id"] == delivery.message_id
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        "delivered",
        1,
        204,
        "",
    )
    assert delivery.response_ms is not None and delivery.delivered_at is not None


def test_a_request_never_waits_on_delivery(receiver, alice, django_capture_on_commit_callbacks):
    subscribe(receiver.url)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        services.create_initiative(acting_user=alice, title="Invoice matching", business_unit="Finance")

    assert receiver.received == []  # nothing is sent inside the request's transaction
    assert WebhookEvent.objects.filter(event_type="initiative.created").count() == 1  # but the outbox row is there
    assert len(queued) == 1  # the send task, queued for after the commit


def test_a_rolled_back_change_emits_nothing(receiver, alice):
    subscribe(receiver.url)

    with pytest.raises(RuntimeError), transaction.atomic():
        services.create_initiative(acting_user=alice, title="Invoice matching", business_unit="Finance")
        raise RuntimeError("the change fails after its audit event")

    assert not WebhookEvent.objects.exists()


def test_a_receiver_answering_500_is_retried_with_backoff_and_the_same_id(
    receiver, alice, django_capture_on_commit_callbacks
):
    receiver.secret = subscribe(receiver.url).secret
    receiver.answer = "error"
    create_initiative(alice, capture=django_capture_on_commit_callbacks)
    first = the_delivery()
    assert (first.status, first.attempts, first.last_status_code) == ("pending", 1, 500)
    assert first.last_error.startswith("HTTP 500") and "receiver says no" in first.last_error

    assert send_webhooks(now=first.next_attempt_at - timedelta(seconds=1)) == 0  # not due yet: nothing sent
    assert len(receiver.received) == 1
    send_webhooks(now=first.next_attempt_at)  # a second failure waits twice as long
    second = the_delivery()
    assert second.next_attempt_at - first.next_attempt_at == timedelta(seconds=60)

    receiver.answer = "ok"
    assert send_webhooks(now=second.next_attempt_at) == 1

    delivered = the_delivery()
    assert (delivered.status, delivered.attempts, delivered.last_status_code, delivered.last_error) == (
        "delivered",
        3,
        204,
        "",
    )
    assert [r.verified for r in receiver.received] == [True, True, True]
    assert {r.headers["webhook-id"] for r in receiver.received} == {delivered.message_id}  # one id, three tries
    assert len({r.body for r in receiver.received}) == 1


def test_the_backoff_doubles_up_to_its_cap(settings):
    settings.WEBHOOK_RETRY_SECONDS, settings.WEBHOOK_RETRY_MAX_SECONDS = 30, 600
    assert [backoff(n).total_seconds() for n in range(1, 8)] == [30, 60, 120, 240, 480, 600, 600]
    assert backoff(500).total_seconds() == 600


def test_a_receiver_that_is_down_is_logged_and_given_up_on_then_redelivered_by_hand(
    receiver, alice, admin_client, django_capture_on_commit_callbacks
):
    endpoint = subscribe(down_url())
    create_initiative(alice, capture=django_capture_on_commit_callbacks)
    for _ in range(3):
        send_webhooks(now=the_delivery().next_attempt_at)

    failed = the_delivery()
    assert (failed.status, failed.attempts, failed.last_status_code) == ("failed", 4, None)
    assert failed.last_error.startswith("Could not connect")
    assert send_webhooks(now=timezone.now() + timedelta(days=1)) == 0  # given up: the sweep leaves it

    # The receiver comes back; an admin redelivers from the delivery log.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=receiver.url)
    receiver.secret = endpoint.secret
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:governance_webhookdelivery_changelist"),
            {"action": "redeliver", "_selected_action": [failed.pk]},
            follow=True,
        )
    assert "1 delivery(ies) queued to be sent again." in response.content.decode()
    delivered = the_delivery()
    assert (delivered.status, delivered.attempts) == ("delivered", 1)
    [got] = receiver.received
    assert got.verified and got.headers["webhook-id"] == failed.message_id


def test_a_slow_receiver_times_out_and_is_retried(receiver, alice, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_READ_TIMEOUT = 0.3
    receiver.secret = subscribe(receiver.url).secret
    receiver.answer, receiver.delay = "slow", 1.5

    create_initiative(alice, capture=django_capture_on_commit_callbacks)

    delivery = the_delivery()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", 1, "Timed out: no answer in time.")
    assert delivery.response_ms >= 300
    receiver.answer = "ok"
    assert send_webhooks(now=delivery.next_attempt_at) == 1
    assert the_delivery().status == "delivered"


def test_an_endpoint_that_keeps_failing_is_disabled_and_superusers_are_told(
    receiver, alice, bea, settings, admin_client, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DISABLE_AFTER = 3
    endpoint = subscribe(down_url())
    create_initiative(alice, "Invoice matching", capture=django_capture_on_commit_callbacks)
    create_initiative(alice, "Contract review", capture=django_capture_on_commit_callbacks)  # 2 failures so far
    later = timezone.now() + timedelta(minutes=5)
    send_webhooks(now=later)  # the first retry is the third failure in a row

    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_at is not None
    assert endpoint.disabled_reason.startswith("Disabled after 3 failed attempts in a row; the last: Could not connect")
    note = Notification.objects.get(user=bea)
    assert note.message.startswith("Webhook subscription “Portfolio BI” was disabled")
    assert note.url == reverse("admin:governance_webhooksubscription_change", args=[endpoint.pk])
    assert not Notification.objects.exclude(user=bea).exists()  # only superusers
    page = admin_client.get(reverse("admin:governance_webhooksubscription_changelist")).content.decode()
    assert "is disabled: Disabled after 3 failed attempts" in page

    # Disabled: what is pending waits, and nothing is lost.
    attempts = sum(WebhookDelivery.objects.values_list("attempts", flat=True))
    assert send_webhooks(now=later + timedelta(hours=2)) == 0
    assert sum(WebhookDelivery.objects.values_list("attempts", flat=True)) == attempts
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"pending"}

    # Fixed and turned back on in the admin: both go out, and the run of failures starts again.
    receiver.secret = endpoint.secret
    form = {"name": endpoint.name, "url": receiver.url, "event_types": endpoint.event_types, "is_active": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:governance_webhooksubscription_change", args=[endpoint.pk]), form)
    assert response.status_code == 302, response.content.decode()
    send_webhooks(now=later + timedelta(hours=3))  # the waits that had begun are over
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.consecutive_failures, endpoint.disabled_reason) == (True, 0, "")
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}
    assert sorted(r.json["data"]["initiative"]["title"] for r in receiver.received) == [
        "Contract review",
        "Invoice matching",
    ]
    assert all(r.verified for r in receiver.received)


def test_an_endpoint_only_gets_the_events_it_chose(receiver, alice, django_capture_on_commit_callbacks):
    subscribe(receiver.url, events=[EventType.STAGE_CHANGED])

    create_initiative(alice, capture=django_capture_on_commit_callbacks)

    assert receiver.received == [] and not WebhookDelivery.objects.exists()
    assert WebhookEvent.objects.get().fanned_out_at is not None


def test_two_runs_at_once_send_a_delivery_once(receiver, alice, django_capture_on_commit_callbacks):
    receiver.secret = subscribe(receiver.url).secret
    with django_capture_on_commit_callbacks(execute=False):
        services.create_initiative(acting_user=alice, title="Invoice matching", business_unit="Finance")

    # Both runs fan out and read the same due delivery; the claim lets one of them send it.
    send_webhooks()
    WebhookEvent.objects.update(fanned_out_at=None)
    send_webhooks()

    assert len(receiver.received) == 1
    assert WebhookDelivery.objects.count() == 1


class TestUrls:
    def test_only_http_and_https(self, settings):
        with pytest.raises(ValidationError, match="http:// or https://"):
            subscribe("ftp://example.com/hooks")

    def test_private_addresses_are_refused_unless_allowed(self, settings):
        settings.WEBHOOK_ALLOW_PRIVATE = False
        for url in [
            "http://127.0.0.1:9/",
            "http://10.1.2.3/hooks",
            "http://169.254.169.254/latest",
            "http://localhost/",
        ]:
            with pytest.raises(ValidationError, match="not allowed"):
                subscribe(url)
        subscribe("https://hooks.example.com/opmodel")  # a name is checked again when sending

    def test_a_send_to_a_private_address_is_refused_at_send_time(
        self, receiver, alice, settings, django_capture_on_commit_callbacks
    ):
        subscribe(receiver.url)
        settings.WEBHOOK_ALLOW_PRIVATE = False  # e.g. the setting turned off after the subscription was made

        create_initiative(alice, capture=django_capture_on_commit_callbacks)

        assert receiver.received == []
        assert the_delivery().last_error.startswith("Not sent: 127.0.0.1 is a private, loopback or reserved address")

    def test_credentials_stay_out_of_the_url(self):
        with pytest.raises(ValidationError, match="credentials"):
            subscribe("https://user:pw@hooks.example.com/")


def test_an_old_finished_event_is_forgotten_and_a_pending_one_kept(receiver, alice, django_capture_on_commit_callbacks):
    subscribe(receiver.url)
    create_initiative(alice, "Invoice matching", capture=django_capture_on_commit_callbacks)
    receiver.answer = "error"
    create_initiative(alice, "Contract review", capture=django_capture_on_commit_callbacks)

    send_webhooks(now=timezone.now() + timedelta(days=31))

    assert list(WebhookEvent.objects.values_list("data__initiative__title", flat=True)) == ["Contract review"]


def test_the_subscription_admin_stores_the_chosen_events(admin_client):
    response = admin_client.post(
        reverse("admin:governance_webhooksubscription_add"),
        {
            "name": "Portfolio BI",
            "url": "https://bi.example.com/hooks",
            "event_types": [EventType.GATE_REVIEW_DECIDED, EventType.STAGE_CHANGED],
            "business_units": "Finance\n  Customer Support \n\nFinance",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()
    endpoint = WebhookSubscription.objects.get()
    assert endpoint.kind == "webhook" and endpoint.secret.startswith("whsec_")
    assert endpoint.event_types == ["gate_review.decided", "initiative.stage_changed"]
    assert endpoint.business_units == ["Customer Support", "Finance"]
    page = admin_client.get(reverse("admin:governance_webhooksubscription_change", args=[endpoint.pk]))
    assert endpoint.secret in page.content.decode()  # shown, to give to the receiver


def test_the_subscription_admin_names_a_missing_event_choice(admin_client):
    response = admin_client.post(
        reverse("admin:governance_webhooksubscription_add"),
        {"name": "Portfolio BI", "url": "https://bi.example.com/hooks", "is_active": "on"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["event_types"] == ["Choose at least one of the listed events."]


def test_the_delivery_log_lists_without_a_query_per_row(
    receiver, alice, admin_client, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    subscribe(receiver.url)
    for n in range(5):
        create_initiative(alice, f"Initiative {n}", capture=django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(12):
        page = admin_client.get(reverse("admin:governance_webhookdelivery_changelist"))
    assert page.content.decode().count("Initiative created") >= 5
    event = WebhookEvent.objects.first()
    with django_assert_max_num_queries(12):
        detail = admin_client.get(reverse("admin:governance_webhookevent_change", args=[event.pk]))
    assert "Initiative 4" in detail.content.decode() and "Delivered" in detail.content.decode()


def test_a_run_stops_sending_within_its_time_budget(receiver, alice, settings, django_capture_on_commit_callbacks):
    subscribe(receiver.url)
    with django_capture_on_commit_callbacks(execute=False):
        services.create_initiative(acting_user=alice, title="Invoice matching", business_unit="Finance")
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 0  # no time left: what is due waits for the next run

    assert send_webhooks() == 0

    assert receiver.received == []
    waiting = the_delivery()
    assert (waiting.status, waiting.attempts) == ("pending", 0)
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 270
    assert send_webhooks() == 1


def test_a_broker_down_at_commit_fails_nothing_and_the_sweep_sends_the_event(
    receiver, alice, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    receiver.secret = subscribe(receiver.url).secret

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(outbox.send_webhooks_task, "apply_async", broker_down)
    initiative = create_initiative(alice, capture=django_capture_on_commit_callbacks)  # the request succeeds

    assert initiative.pk and receiver.received == []
    assert "Connection refused" in caplog.text  # logged by the robust on-commit callback
    send_webhooks()  # the beat sweep, once the broker is back
    [got] = receiver.received
    assert got.verified and got.json["data"]["initiative"]["title"] == "Invoice matching"


def test_an_admin_gives_a_subscription_a_new_secret(admin_client, receiver, alice, django_capture_on_commit_callbacks):
    endpoint = subscribe(receiver.url)
    old = endpoint.secret

    response = admin_client.post(
        reverse("admin:governance_webhooksubscription_changelist"),
        {"action": "rotate_secret", "_selected_action": [endpoint.pk]},
        follow=True,
    )

    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret.startswith("whsec_")
    assert "New secret for 1 subscription(s)" in response.content.decode()
    receiver.secret = endpoint.secret
    create_initiative(alice, capture=django_capture_on_commit_callbacks)
    assert receiver.received[0].verified  # signed with the new secret
