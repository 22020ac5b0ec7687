"""Which changes are webhook events, and what each carries: every path that changes something emits the same
event, in the transaction of the change (governance.webhooks.outbox, kpis.scorecard_events)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from governance.foundation.services import raise_risk_tier
from governance.library import services as library
from governance.models import EventType, WebhookEvent
from initiatives import services as initiative_services
from initiatives.models import Initiative, Role
from kpis.ingest import record_measurements
from kpis.models import Kpi
from kpis.recompute import recompute_scorecards
from tests.lifecycle import answer_checklist, api_as, decide, give_role, pass_charter_signoff, request, support_tree

pytestmark = pytest.mark.django_db
SITE = "http://127.0.0.1:8000"


def events(event_type: str) -> list[dict]:
    return [e.payload() for e in WebhookEvent.objects.filter(event_type=event_type).order_by("id")]


def test_creating_an_initiative(alice):
    initiative = initiative_services.create_initiative(
        acting_user=alice, title="Invoice matching", business_unit="Finance", risk_tier="low"
    )

    [event] = WebhookEvent.objects.filter(event_type=EventType.INITIATIVE_CREATED)
    assert (event.initiative_id, event.business_unit) == (initiative.pk, "Finance")
    assert event.payload()["data"] == {
        "initiative": {
            "id": initiative.pk,
            "slug": initiative.slug,
            "title": "Invoice matching",
            "business_unit": "Finance",
            "stage": {"value": "define-outcome", "label": "Define outcome"},
            "url": f"{SITE}/initiatives/{initiative.slug}/",
        },
        "risk_tier": {"value": "low", "label": "Low"},
        "actor": {"username": "alice", "name": "Alice Product"},
    }


def test_a_gate_request_its_decision_and_the_stage_change(initiative, alice, sam):
    review = pass_charter_signoff(initiative, requester=alice, approver=sam)

    [requested] = events(EventType.GATE_REVIEW_REQUESTED)
    pack = f"{SITE}/approvals/{review.pk}/"
    assert requested["data"]["review"]["decision_pack_url"] == pack
    assert requested["data"]["review"]["gate"] == {"value": "charter-signoff", "label": "Charter sign-off"}
    assert requested["data"]["requested_by"] == "Alice Product"
    [decided] = events(EventType.GATE_REVIEW_DECIDED)
    assert decided["data"]["review"]["status"] == {"value": "approved", "label": "Approved"}
    assert decided["data"]["review"]["decision_pack_url"] == pack
    assert [(d["decision"]["label"], d["decided_by"], d["role"]) for d in decided["data"]["decisions"]] == [
        ("Approve", "Sam Sponsor", "Executive sponsor")
    ]
    assert decided["data"]["actor"]["name"] == "Sam Sponsor"
    [moved] = events(EventType.STAGE_CHANGED)
    assert (moved["data"]["from_stage"]["label"], moved["data"]["to_stage"]["label"]) == (
        "Define outcome",
        "Secure foundation",
    )


def test_one_approval_of_two_is_not_yet_a_decided_review(initiative, alice, sam, rita, dana):
    pass_charter_signoff(initiative, requester=alice, approver=sam)
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    give_role(initiative, Role.DATA_PLATFORM, dana, by=alice)
    review = request(initiative, alice)

    decide(review, rita)

    assert len(events(EventType.GATE_REVIEW_DECIDED)) == 1  # the charter sign-off's only
    decide(review, dana)
    last = events(EventType.GATE_REVIEW_DECIDED)[-1]["data"]
    assert [d["decided_by"] for d in last["decisions"]] == ["Rita Risk", "Dana Data"]


def test_a_rejection_is_a_decided_review_with_its_comment(initiative, alice, sam):
    review = request(initiative, alice)

    decide(review, sam, "reject", comment="No outcome owner yet")

    [decided] = events(EventType.GATE_REVIEW_DECIDED)
    assert decided["data"]["review"]["status"]["label"] == "Rejected"
    assert decided["data"]["decisions"][0]["comment"] == "No outcome owner yet"
    assert not events(EventType.STAGE_CHANGED)


def test_a_decision_in_the_admin_emits_the_same_event(initiative, alice, bea, admin_client):
    review = request(initiative, alice)
    answer_checklist(review, bea)

    admin_client.post(
        "/admin/governance/gatereview/", {"action": "approve_selected", "_selected_action": [str(review.pk)]}
    )

    [decided] = events(EventType.GATE_REVIEW_DECIDED)
    assert decided["data"]["decisions"][0]["decided_by"] == "Bea Boss"
    assert decided["data"]["actor"]["username"] == "bea"
    assert len(events(EventType.STAGE_CHANGED)) == 1


def test_an_initiative_created_over_the_api_emits_the_event(lee):
    response = api_as(lee).post(
        "/api/v1/initiatives/", {"title": "Sales summaries", "business_unit": "Sales"}, format="json"
    )

    assert response.status_code == 201, response.content
    [event] = events(EventType.INITIATIVE_CREATED)
    assert event["data"]["initiative"]["title"] == "Sales summaries"
    assert event["data"]["actor"]["username"] == "lee"


def test_a_stale_approval(initiative, alice, sam):
    review = pass_charter_signoff(initiative, requester=alice, approver=sam)

    initiative_services.update_charter(initiative.pk, acting_user=alice, guardrails="CSAT may drop to 3.5")

    [stale] = events(EventType.APPROVAL_STALE)
    assert stale["data"]["approved_by"] == "Sam Sponsor"
    assert stale["data"]["review"]["decision_pack_url"] == f"{SITE}/approvals/{review.pk}/"
    assert stale["data"]["actor"]["name"] == "Alice Product"


def test_a_risk_tier_change(initiative, lee):
    raise_risk_tier(initiative.pk, acting_user=lee, tier="high", reason="Regulator asked for it")

    [changed] = events(EventType.RISK_TIER_CHANGED)
    assert (changed["data"]["from_risk_tier"]["label"], changed["data"]["to_risk_tier"]["label"]) == ("Medium", "High")


def test_an_asset_version_and_a_label_move(initiative, alice, dana):
    give_role(initiative, Role.PLATFORM_ENGINEERING, dana, by=alice)
    asset = library.create_asset(
        acting_user=dana, name="Triage prompt", type="prompt-template", content="Classify {{ticket_text}}."
    )
    library.publish_version(asset.pk, acting_user=dana, content="Classify {{ticket}}.", changelog="Names the ticket")
    library.move_label(asset.pk, acting_user=dana, name="recommended", version_number=1)
    library.move_label(asset.pk, acting_user=dana, name="recommended", version_number=2)

    published = events(EventType.VERSION_PUBLISHED)
    assert [(e["data"]["version"], e["data"]["changelog"]) for e in published] == [
        (1, "Initial version."),
        (2, "Names the ticket"),
    ]
    assert published[1]["data"]["asset"]["url"] == f"{SITE}/library/{asset.slug}/"
    assert published[1]["data"]["author"] == "Dana Data"
    moves = [
        (e["data"]["label"], e["data"]["from_version"], e["data"]["to_version"]) for e in events(EventType.LABEL_MOVED)
    ]
    assert moves == [("recommended", None, 1), ("recommended", 1, 2)]


def test_changes_that_are_not_domain_events_emit_nothing(initiative, alice, rita):
    before = WebhookEvent.objects.count()

    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    initiative_services.update_charter(initiative.pk, acting_user=alice, constraints="EU only")

    assert WebhookEvent.objects.count() == before


def push(user, key, value, at):
    record_measurements([{"kpi": key, "timestamp": at.isoformat(), "value": value}], acting_user=user)


class TestRecompute:
    @pytest.fixture
    def tree(self, initiative, alice):
        support_tree(initiative, alice, prefix="triage", leading=False)
        return initiative

    def test_a_guardrail_breach_and_the_health_change_it_makes(self, tree, alice):
        now = timezone.now()
        push(alice, "triage.handle-time", 9.5, now - timedelta(hours=2))
        push(alice, "triage.csat", 4.5, now - timedelta(hours=2))
        recompute_scorecards()
        assert not events(EventType.GUARDRAIL_BREACHED)
        was = events(EventType.HEALTH_CHANGED)

        push(alice, "triage.csat", 3.9, now - timedelta(hours=1))
        recompute_scorecards()

        [breach] = events(EventType.GUARDRAIL_BREACHED)
        assert breach["data"]["kpi"] == {
            "key": "triage.csat",
            "name": "Customer satisfaction",
            "unit": "score",
            "direction": "increase",
            "bound": 4.2,
            "url": f"{SITE}/kpis/triage.csat/",
        }
        assert breach["data"]["value"] == 3.9
        assert breach["data"]["initiative"]["title"] == tree.title
        health = events(EventType.HEALTH_CHANGED)
        assert len(health) == len(was) + 1
        assert health[-1]["data"]["to_health"] == {"value": "red", "label": "Red"}

    def test_a_guardrail_still_out_of_bound_is_not_breached_again(self, tree, alice):
        now = timezone.now()
        push(alice, "triage.csat", 3.9, now - timedelta(hours=2))
        recompute_scorecards()
        push(alice, "triage.csat", 3.8, now - timedelta(hours=1))
        recompute_scorecards()

        assert len(events(EventType.GUARDRAIL_BREACHED)) == 1  # the first snapshot after data: red from unknown
        assert Kpi.objects.get(key="triage.csat").kind == Kpi.Kind.GUARDRAIL

    def test_an_unchanged_health_emits_nothing(self, tree, alice):
        push(alice, "triage.csat", 4.5, timezone.now() - timedelta(hours=2))
        recompute_scorecards()
        before = WebhookEvent.objects.count()
        Initiative.objects.update(scorecard_dirty_at=timezone.now())

        recompute_scorecards()

        assert WebhookEvent.objects.count() == before


def _portfolio(n, alice, make_initiative, start=0):
    for i in range(start, start + n):
        initiative = make_initiative(f"Portfolio initiative {i}")
        support_tree(initiative, alice, prefix=f"p{i}", leading=False)
        push(alice, f"p{i}.csat", 4.5, timezone.now() - timedelta(hours=3))
    recompute_scorecards()
    for i in range(start, start + n):
        push(alice, f"p{i}.csat", 3.0, timezone.now() - timedelta(hours=1))  # breached: health goes red


def test_the_recompute_emits_in_as_many_queries_for_many_initiatives_as_for_few(alice, make_initiative):
    recompute_scorecards()  # prepares the statement, which only a connection's first run does
    _portfolio(2, alice, make_initiative)
    with CaptureQueriesContext(connection) as two:
        recompute_scorecards()
    _portfolio(8, alice, make_initiative, start=2)
    with CaptureQueriesContext(connection) as eight:
        recompute_scorecards()

    assert len(events(EventType.GUARDRAIL_BREACHED)) == 10
    assert len(two.captured_queries) == len(eight.captured_queries)
    inserts = [q["sql"] for q in eight.captured_queries if 'INTO "governance_webhookevent"' in q["sql"]]
    assert len(inserts) == 1  # one INSERT for all 16 events


def test_an_audited_change_adds_one_insert_for_its_event(initiative, alice):
    with CaptureQueriesContext(connection) as captured:
        initiative_services.create_initiative(acting_user=alice, title="Invoice matching", business_unit="Finance")

    inserts = [q["sql"] for q in captured.captured_queries if 'INTO "governance_webhookevent"' in q["sql"]]
    assert len(inserts) == 1
