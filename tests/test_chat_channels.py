"""Slack and Teams channels: routed by business unit and event type, readable messages with names (not
slugs) and the decision pack's link, sent through the same outbox with the same retries and log."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.models import ChatChannel, EventType, WebhookDelivery, WebhookEndpoint, WebhookEvent
from governance.webhooks import chat
from governance.webhooks.delivery import send_webhooks
from kpis.ingest import record_measurements
from kpis.recompute import recompute_scorecards
from tests.lifecycle import decide, request, support_tree
from tests.webhook_receiver import start_receiver

pytestmark = pytest.mark.django_db
GATE_EVENTS = [EventType.GATE_REVIEW_REQUESTED, EventType.GATE_REVIEW_DECIDED, EventType.GUARDRAIL_BREACHED]


@pytest.fixture(autouse=True)
def _allow_loopback(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture
def receivers():
    started = [start_receiver() for _ in range(2)]
    yield [receiver for receiver, _ in started]
    for _, server in started:
        server.shutdown()
        server.server_close()


def channel(kind, url, business_units=(), events=GATE_EVENTS) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(
        name=f"{kind} channel", kind=kind, url=url, event_types=list(events), business_units=list(business_units)
    )
    endpoint.full_clean()
    endpoint.save()
    return endpoint


def mrkdwn(received) -> str:
    return received.json["blocks"][0]["text"]["text"]


def test_a_gate_request_and_its_decision_reach_the_business_units_slack_only(
    receivers, initiative, alice, sam, django_capture_on_commit_callbacks
):
    support, finance = receivers
    channel("slack", support.url, business_units=["Customer Support"])
    channel("teams", finance.url, business_units=["Finance"])

    with django_capture_on_commit_callbacks(execute=True):
        review = request(initiative, alice)
    with django_capture_on_commit_callbacks(execute=True):
        decide(review, sam, comment="Clear outcome & owner")

    assert finance.received == []  # another business unit's channel
    asked, decided = support.received
    assert "webhook-signature" not in asked.headers  # an incoming webhook's URL is its secret
    assert asked.json["text"] == "Decision needed: Charter sign-off for Support triage assistant"
    assert mrkdwn(asked).splitlines() == [
        "*Decision needed: Charter sign-off for Support triage assistant*",
        "Alice Product asked for the Charter sign-off gate (Define outcome → Secure foundation).",
        "Business unit: Customer Support",
        "Requested with 1 unmet criterion: "
        "KPI tree and foundation checks are not tracked in OpModel yet; reviewed by hand.",
        f"<http://127.0.0.1:8000/approvals/{review.pk}/|Open the decision pack>",
    ], mrkdwn(asked)
    assert decided.json["text"] == "Charter sign-off of Support triage assistant: Approved"
    assert "Approve by Sam Sponsor as Executive sponsor: “Clear outcome &amp; owner”" in mrkdwn(decided)
    assert f"<http://127.0.0.1:8000/approvals/{review.pk}/|Open the decision pack>" in mrkdwn(decided)


def test_a_guardrail_breach_as_a_teams_card(receivers, initiative, alice, django_capture_on_commit_callbacks):
    teams, _ = receivers
    channel("teams", teams.url, events=[EventType.GUARDRAIL_BREACHED])
    support_tree(initiative, alice, prefix="triage", leading=False)
    at = (timezone.now() - timedelta(hours=1)).isoformat()
    record_measurements([{"kpi": "triage.csat", "timestamp": at, "value": 3.9}], acting_user=alice)

    with django_capture_on_commit_callbacks(execute=True):
        recompute_scorecards()

    [got] = teams.received
    assert got.json["type"] == "message"
    card = got.json["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    texts = [block["text"] for block in card["content"]["body"]]
    assert texts == [
        "Guardrail breached: Customer satisfaction on Support triage assistant",
        "Latest value 3.9 score; it should stay at least 4.2.",
        "Business unit: Customer Support",
    ]
    assert card["content"]["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open the KPI", "url": "http://127.0.0.1:8000/kpis/triage.csat/"}
    ]


def test_a_channel_gets_only_its_event_types(receivers, initiative, alice, django_capture_on_commit_callbacks):
    slack, _ = receivers
    channel("slack", slack.url, events=[EventType.GATE_REVIEW_DECIDED])

    with django_capture_on_commit_callbacks(execute=True):
        request(initiative, alice)

    assert slack.received == []


def test_a_failing_channel_is_retried_and_logged_like_a_webhook(
    receivers, initiative, alice, django_capture_on_commit_callbacks
):
    slack, _ = receivers
    slack.answer = "error"
    channel("slack", slack.url)
    with django_capture_on_commit_callbacks(execute=True):
        request(initiative, alice)
    failed = WebhookDelivery.objects.get()
    assert (failed.status, failed.attempts, failed.last_status_code) == ("pending", 1, 500)

    slack.answer = "ok"
    send_webhooks(now=failed.next_attempt_at)

    delivered = WebhookDelivery.objects.get()
    assert (delivered.status, delivered.attempts, delivered.last_status_code) == ("delivered", 2, 204)
    assert slack.received[0].body == slack.received[1].body


def test_slack_markup_in_names_shows_as_typed():
    event = WebhookEvent(
        event_type=EventType.HEALTH_CHANGED,
        occurred_at=timezone.now(),
        data={
            "initiative": {"title": "<!channel> R&D", "url": "http://127.0.0.1:8000/initiatives/rd/"},
            "from_health": {"value": "green", "label": "Green"},
            "to_health": {"value": "amber", "label": "Amber"},
        },
    )
    text = chat.slack(event)["blocks"][0]["text"]["text"]
    assert text.splitlines()[0] == "*Health of &lt;!channel&gt; R&amp;D: Amber*"
    assert "Health went from Green to Amber." in text


def test_every_event_type_has_a_readable_message():
    for event_type in EventType:
        event = WebhookEvent(
            event_type=event_type,
            occurred_at=timezone.now(),
            data={"initiative": {"title": "Support triage", "url": "http://x/i/"}},
        )
        if event_type in chat._WRITERS:
            continue  # written from their own fields, tested above
        assert chat.summary(event).title == f"{event_type.label}: Support triage"


def test_the_channel_admin_routes_by_business_unit(admin_client):
    response = admin_client.post(
        reverse("admin:governance_chatchannel_add"),
        {
            "name": "#support-ai",
            "kind": "slack",
            "url": "https://hooks.slack.com/services/T000/B000/XXXX",
            "event_types": [EventType.GATE_REVIEW_REQUESTED],
            "business_units": "Customer Support",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()
    saved = ChatChannel.objects.get()
    assert (saved.kind, saved.business_units) == ("slack", ["Customer Support"])
    page = admin_client.get(reverse("admin:governance_chatchannel_changelist")).content.decode()
    assert "#support-ai" in page and "Customer Support" in page


def test_the_channel_admin_offers_only_chat_kinds(admin_client):
    response = admin_client.post(
        reverse("admin:governance_chatchannel_add"),
        {"name": "x", "kind": "webhook", "url": "https://example.com/", "event_types": [EventType.STAGE_CHANGED]},
    )
    assert response.status_code == 200
    assert "kind" in response.context["adminform"].form.errors
    assert not WebhookEndpoint.objects.exists()


def test_library_events_name_the_asset_and_link_to_it():
    asset = {"name": "Triage prompt", "url": "http://127.0.0.1:8000/library/triage-prompt/"}
    published = WebhookEvent(
        event_type=EventType.VERSION_PUBLISHED,
        occurred_at=timezone.now(),
        data={"asset": asset, "version": 2, "changelog": "Names the ticket", "author": "Dana Data"},
    )
    moved = WebhookEvent(
        event_type=EventType.LABEL_MOVED,
        occurred_at=timezone.now(),
        data={"asset": asset, "label": "recommended", "from_version": 1, "to_version": 2},
    )

    assert chat.summary(published) == chat.Message(
        "Triage prompt: version 2 published",
        ["Published by Dana Data: Names the ticket"],
        "Open the asset",
        asset["url"],
    )
    assert chat.summary(moved).lines == ["“recommended” now points at version 2 (was version 1)."]
