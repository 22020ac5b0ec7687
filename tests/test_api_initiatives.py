"""/api/v1/initiatives/: list, create, retrieve, PATCH and the charter."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from governance.models import AuditEvent
from initiatives import services as initiative_services
from initiatives.models import Initiative, Role, RoleAssignment, Stage
from tests.lifecycle import api_as, assert_problem, give_role, pass_charter_signoff

pytestmark = pytest.mark.django_db
URL = "/api/v1/initiatives/"


@pytest.fixture
def portfolio(make_initiative, alice, sam, dana):
    """Three initiatives of Alice's; Dana owns the charter of the one in Finance, which has passed its first gate."""
    triage = make_initiative("Support triage assistant")
    docs = make_initiative("Invoice document processing", complete=False)
    initiative_services.update_initiative(docs.pk, acting_user=alice, business_unit="Finance")
    initiative_services.update_charter(docs.pk, acting_user=alice, owner=dana)
    pass_charter_signoff(triage, requester=alice, approver=sam)
    summaries = make_initiative("Sales call summaries")
    return {"triage": triage, "docs": docs, "summaries": summaries}


def _slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["slug"] for item in response.json()["results"]]


class TestList:
    def test_it_is_paginated(self, alice, portfolio):
        response = api_as(alice).get(URL, {"page_size": 2})

        body = response.json()
        assert set(body) == {"count", "next", "previous", "results"}
        assert body["count"] == 3 and len(body["results"]) == 2 and body["previous"] is None
        assert "page=2" in body["next"]
        second = api_as(alice).get(body["next"]).json()
        assert second["next"] is None and second["previous"] and len(second["results"]) == 1
        item = body["results"][0]
        assert set(item) == {
            "slug",
            "title",
            "business_unit",
            "risk_tier",
            "stage",
            "status",
            "started_on",
            "stage_entered_at",
            "owner",
            "created_at",
            "updated_at",
        }

    @pytest.mark.parametrize(
        "query, expected",
        [
            ({"stage": "secure-foundation"}, ["support-triage-assistant"]),
            ({"stage": "define-outcome"}, ["invoice-document-processing", "sales-call-summaries"]),
            ({"status": "active"}, ["invoice-document-processing", "sales-call-summaries", "support-triage-assistant"]),
            ({"status": "killed"}, []),
            ({"business_unit": "finance"}, ["invoice-document-processing"]),
            ({"owner": "dana"}, ["invoice-document-processing"]),
            ({"owner": "alice", "stage": "define-outcome"}, ["sales-call-summaries"]),
            ({"risk_tier": "high"}, []),
        ],
    )
    def test_it_filters(self, alice, portfolio, query, expected):
        assert _slugs(api_as(alice).get(URL, query)) == expected

    def test_an_unknown_filter_value_is_a_400(self, alice, portfolio):
        assert_problem(api_as(alice).get(URL, {"stage": "piloting"}), 400, "stage")

    def test_charlie_sees_nothing_and_lee_sees_everything(self, charlie, lee, portfolio):
        assert _slugs(api_as(charlie).get(URL)) == []
        assert len(_slugs(api_as(lee).get(URL))) == 3

    def test_a_role_holder_sees_only_that_initiative(self, alice, rita, portfolio):
        give_role(portfolio["docs"], Role.SECURITY_RISK, rita, by=alice)

        assert _slugs(api_as(rita).get(URL)) == ["invoice-document-processing"]

    def test_its_query_count_does_not_grow_with_rows(self, make_initiative, alice, django_assert_max_num_queries):
        for i in range(3):
            make_initiative(f"Initiative {i:02}")
        client = APIClient()
        client.force_authenticate(alice)
        with CaptureQueriesContext(connection) as few:
            assert len(_slugs(client.get(URL))) == 3

        for i in range(3, 15):
            make_initiative(f"Initiative {i:02}")
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert len(_slugs(client.get(URL))) == 15

    def test_it_pages_by_title_with_each_owner(self, make_initiative, alice):
        for title in ["Quote creation", "Contract review", "Support triage assistant", "Claims intake", "Audit"]:
            make_initiative(title)
        client, url, rows = api_as(alice), f"{URL}?page_size=2", []
        while url:
            body = client.get(url).json()
            assert body["count"] == 5 and set(body) == {"count", "next", "previous", "results"}
            rows += body["results"]
            url = body["next"]
        assert [r["title"] for r in rows] == sorted(r["title"] for r in rows)
        assert {r["owner"] for r in rows} == {"alice"}


class TestCreate:
    def test_it_creates_an_initiative_with_its_creator_as_pm(self, alice):
        body = {"title": "Contract review copilot", "business_unit": "Legal"}
        response = api_as(alice).post(URL, body, format="json")

        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["slug"], body["stage"], body["status"], body["risk_tier"]) == (
            "contract-review-copilot",
            "define-outcome",
            "active",
            "medium",
        )
        initiative = Initiative.objects.get(slug="contract-review-copilot")
        assert initiative.created_by == alice and initiative.stage == Stage.DEFINE_OUTCOME
        assert initiative.charter.pk is not None
        assert RoleAssignment.objects.get(initiative=initiative).role == Role.PRODUCT_MANAGER
        assert AuditEvent.objects.get(action="initiative.created").initiative_id == initiative.pk

    def test_a_stage_in_the_body_is_refused_not_ignored(self, alice):
        body = {"title": "Contract review copilot", "business_unit": "Legal", "stage": "scaled"}

        problem = assert_problem(api_as(alice).post(URL, body, format="json"), 400, "stage")

        assert problem["errors"] == [{"field": "stage", "message": "Read-only field: it cannot be set here."}]
        assert not Initiative.objects.filter(title="Contract review copilot").exists()

    def test_missing_fields_are_named(self, alice):
        body = assert_problem(
            api_as(alice).post(URL, {"risk_tier": "extreme"}, format="json"), 400, "title", "business_unit", "risk_tier"
        )

        assert body["type"] == "urn:opmodel:problem:validation-error"
        assert not Initiative.objects.exists()

    def test_a_taken_slug_is_a_400(self, alice, initiative):
        response = api_as(alice).post(
            URL, {"title": "Another", "business_unit": "Support", "slug": initiative.slug}, format="json"
        )

        assert_problem(response, 400, "slug")
        assert Initiative.objects.count() == 1

    def test_a_non_json_body_is_a_problem(self, alice):
        response = api_as(alice).post(URL, "title=x", content_type="application/x-www-form-urlencoded")

        assert_problem(response, 415)


class TestRetrieve:
    def test_it_shows_the_next_gate_and_its_criteria(self, alice, initiative):
        response = api_as(alice).get(f"{URL}{initiative.slug}/")

        assert response.status_code == 200
        body = response.json()
        assert body["next_gate"] == "charter-signoff"
        criteria = {c["key"]: c["status"] for c in body["gate_criteria"]}
        assert criteria["charter-complete"] == "pass"
        assert criteria["kpis-leading-lagging"] != "pass"

    def test_an_unknown_initiative_is_a_404_problem(self, alice):
        body = assert_problem(api_as(alice).get(f"{URL}no-such-thing/"), 404)

        assert body["type"] == "urn:opmodel:problem:not-found"

    def test_an_invisible_initiative_is_a_404(self, charlie, initiative):
        assert_problem(api_as(charlie).get(f"{URL}{initiative.slug}/"), 404)

    def test_put_and_delete_are_not_allowed(self, alice, initiative):
        client = api_as(alice)

        assert_problem(client.put(f"{URL}{initiative.slug}/", {"title": "x"}, format="json"), 405)
        assert_problem(client.delete(f"{URL}{initiative.slug}/"), 405)
        assert Initiative.objects.filter(pk=initiative.pk).exists()


class TestPatch:
    def test_it_changes_the_title_but_never_the_stage(self, alice, initiative):
        refused = api_as(alice).patch(
            f"{URL}{initiative.slug}/", {"title": "Support triage copilot", "stage": "scaled"}, format="json"
        )
        assert_problem(refused, 400, "stage")
        initiative.refresh_from_db()
        assert initiative.title == "Support triage assistant"  # nothing of a refused body is stored

        response = api_as(alice).patch(f"{URL}{initiative.slug}/", {"title": "Support triage copilot"}, format="json")

        assert response.status_code == 200, response.content
        assert response.json()["stage"] == "define-outcome"
        initiative.refresh_from_db()
        assert (initiative.title, initiative.stage) == ("Support triage copilot", Stage.DEFINE_OUTCOME)
        event = AuditEvent.objects.get(action="initiative.updated")
        assert (event.before, event.after) == (
            {"title": "Support triage assistant"},
            {"title": "Support triage copilot"},
        )

    def test_a_pm_cannot_change_the_risk_tier(self, alice, initiative):
        assert_problem(api_as(alice).patch(f"{URL}{initiative.slug}/", {"risk_tier": "low"}, format="json"), 403)

        initiative.refresh_from_db()
        assert initiative.risk_tier == "medium"
        assert not AuditEvent.objects.filter(action="initiative.updated").exists()

    def test_a_leader_or_the_risk_owner_changes_the_risk_tier(self, alice, lee, rita, initiative):
        give_role(initiative, Role.SECURITY_RISK, rita, by=alice)

        assert api_as(lee).patch(f"{URL}{initiative.slug}/", {"risk_tier": "high"}, format="json").status_code == 200
        response = api_as(rita).patch(f"{URL}{initiative.slug}/", {"risk_tier": "low"}, format="json")

        assert response.status_code == 200, response.content
        initiative.refresh_from_db()
        assert initiative.risk_tier == "low"
        # The risk owner may change the tier, not the rest of the initiative.
        assert_problem(api_as(rita).patch(f"{URL}{initiative.slug}/", {"title": "Mine"}, format="json"), 403)

    def test_a_blank_title_is_a_400(self, alice, initiative):
        assert_problem(api_as(alice).patch(f"{URL}{initiative.slug}/", {"title": ""}, format="json"), 400, "title")

    def test_outsiders_get_a_404(self, charlie, initiative):
        assert_problem(api_as(charlie).patch(f"{URL}{initiative.slug}/", {"title": "x"}, format="json"), 404)


class TestCharter:
    def test_it_reads_the_charter(self, sam, initiative):
        response = api_as(sam).get(f"{URL}{initiative.slug}/charter/")

        assert response.status_code == 200
        body = response.json()
        assert body["owner"] == "alice" and body["is_complete"] is True and body["missing_fields"] == []

    def test_it_saves_a_partial_charter(self, alice, make_initiative):
        initiative = make_initiative(complete=False)

        response = api_as(alice).patch(
            f"{URL}{initiative.slug}/charter/",
            {"problem_user": "Accounts payable clerks", "plan_start_on": "2025-01-06", "owner": "alice"},
            format="json",
        )

        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["problem_user"], body["plan_start_on"], body["owner"]) == (
            "Accounts payable clerks",
            "2025-01-06",
            "alice",
        )
        assert body["is_complete"] is False and "Outcome statement" in body["missing_fields"]
        initiative.charter.refresh_from_db()
        assert initiative.charter.problem_user == "Accounts payable clerks"
        assert AuditEvent.objects.filter(action="charter.updated").last().after["plan_start_on"] == "2025-01-06"

    @pytest.mark.parametrize(
        "change, field",
        [
            ({"plan_start_on": "06/01/2025"}, "plan_start_on"),
            ({"owner": "nobody"}, "owner"),
            ({"cost_per_1000_inferences": "cheap"}, "cost_per_1000_inferences"),
        ],
    )
    def test_bad_values_are_named(self, alice, initiative, change, field):
        before = AuditEvent.objects.count()

        assert_problem(api_as(alice).patch(f"{URL}{initiative.slug}/charter/", change, format="json"), 400, field)

        assert AuditEvent.objects.count() == before + 1  # only the token issued for the client

    def test_a_role_holder_who_is_no_editor_cannot_edit_it(self, alice, rita, initiative):
        give_role(initiative, Role.SECURITY_RISK, rita, by=alice)

        response = api_as(rita).patch(f"{URL}{initiative.slug}/charter/", {"guardrails": "None"}, format="json")

        assert_problem(response, 403)
        initiative.charter.refresh_from_db()
        assert initiative.charter.guardrails.startswith("CSAT")

    def test_outsiders_get_a_404(self, charlie, initiative):
        assert_problem(api_as(charlie).get(f"{URL}{initiative.slug}/charter/"), 404)
