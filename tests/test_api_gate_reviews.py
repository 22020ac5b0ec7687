"""/api/v1/gate-reviews/: request a gate, list reviews, and decide them."""

import pytest

from governance.models import AuditEvent, ChecklistItem, GateDecision, GateReview
from initiatives.models import Initiative, Role, Stage
from tests.lifecycle import OVERRIDE, api_as, assert_problem, decide, give_role, request

pytestmark = pytest.mark.django_db
URL = "/api/v1/gate-reviews/"


def _decisions_url(review) -> str:
    return f"{URL}{review.pk}/decisions/"


@pytest.fixture
def review(initiative, alice):
    return request(initiative, alice)


class TestRequest:
    def test_unmet_criteria_without_an_override_are_a_409(self, alice, initiative):
        body = assert_problem(api_as(alice).post(URL, {"initiative": initiative.slug}, format="json"), 409)

        assert body["type"] == "urn:opmodel:problem:conflict"
        assert "override reason" in body["detail"]
        assert not GateReview.objects.exists()
        assert not AuditEvent.objects.filter(action="gate.requested").exists()

    def test_an_override_opens_the_review(self, alice, initiative):
        response = api_as(alice).post(URL, {"initiative": initiative.slug, "override_reason": OVERRIDE}, format="json")

        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["initiative"], body["gate"], body["status"], body["requested_by"]) == (
            initiative.slug,
            "charter-signoff",
            "open",
            "alice",
        )
        assert (body["from_stage"], body["to_stage"]) == ("define-outcome", "secure-foundation")
        assert body["override_reason"] == OVERRIDE
        assert body["policy_version"] == 1 and body["approver_slots"] == [["executive-sponsor", "cto"]]
        assert [c["key"] for c in body["criteria_results"]][:2] == ["charter-complete", "pilot-theater-answered"]
        assert len(body["snapshot_hash"]) == 64 and body["decisions"] == []
        review = GateReview.objects.get(pk=body["id"])
        assert review.requested_by.username == "alice"
        assert AuditEvent.objects.get(action="gate.requested").object_id == str(review.pk)

    def test_a_second_open_review_is_a_409(self, alice, initiative, review):
        response = api_as(alice).post(URL, {"initiative": initiative.slug, "override_reason": OVERRIDE}, format="json")

        assert "already open" in assert_problem(response, 409)["detail"]
        assert GateReview.objects.count() == 1

    def test_a_killed_initiative_cannot_request(self, alice, sam, initiative, review):
        decide(review, sam, "kill", comment="No outcome.")

        response = api_as(alice).post(URL, {"initiative": initiative.slug, "override_reason": OVERRIDE}, format="json")

        assert_problem(response, 409)
        assert GateReview.objects.count() == 1

    @pytest.mark.parametrize("payload", [{}, {"initiative": "no-such-initiative"}])
    def test_an_unknown_initiative_is_a_400(self, alice, payload):
        assert_problem(api_as(alice).post(URL, payload, format="json"), 400, "initiative")

    def test_an_invisible_initiative_is_a_400_for_outsiders(self, charlie, initiative):
        response = api_as(charlie).post(
            URL, {"initiative": initiative.slug, "override_reason": OVERRIDE}, format="json"
        )

        assert_problem(response, 400, "initiative")
        assert not GateReview.objects.exists()

    def test_a_role_holder_who_is_no_editor_gets_a_403(self, alice, rita, initiative):
        give_role(initiative, Role.SECURITY_RISK, rita, by=alice)

        response = api_as(rita).post(URL, {"initiative": initiative.slug, "override_reason": OVERRIDE}, format="json")

        assert_problem(response, 403)
        assert not GateReview.objects.exists()


class TestList:
    def test_it_lists_visible_reviews_and_filters_them(self, alice, sam, lee, charlie, make_initiative):
        first = make_initiative("Support triage assistant")
        second = make_initiative("Sales call summaries")
        decide(request(first, alice), sam, "request-changes", comment="Name the bounds.")
        open_review = request(first, alice)
        request(second, alice)

        body = api_as(lee).get(URL).json()
        assert set(body) == {"count", "next", "previous", "results"} and body["count"] == 3
        client = api_as(alice)
        assert [r["id"] for r in client.get(URL, {"status": "open", "initiative": first.slug}).json()["results"]] == [
            open_review.pk
        ]
        assert client.get(URL, {"status": "changes-requested"}).json()["count"] == 1
        assert client.get(URL, {"gate": "foundation-ready"}).json()["count"] == 0
        assert client.get(URL, {"initiative": second.slug}).json()["count"] == 1
        assert api_as(charlie).get(URL).json()["count"] == 0
        assert_problem(client.get(URL, {"status": "pending"}), 400, "status")

    def test_it_retrieves_one_review(self, sam, charlie, review):
        response = api_as(sam).get(f"{URL}{review.pk}/")

        assert response.status_code == 200
        assert response.json()["id"] == review.pk
        assert_problem(api_as(charlie).get(f"{URL}{review.pk}/"), 404)
        assert_problem(api_as(sam).get(f"{URL}999999/"), 404)


class TestDecide:
    def test_the_sponsor_approves(self, sam, initiative, review):
        for item in ChecklistItem.objects.filter(gate=review.gate):
            answered = api_as(sam).post(
                f"/api/v1/gate-reviews/{review.pk}/checklist/", {"item": item.pk, "answer": "yes"}, format="json"
            )
            assert answered.status_code == 200, answered.content

        response = api_as(sam).post(_decisions_url(review), {"decision": "approve", "comment": "Go."}, format="json")

        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["decision"], body["decided_by"], body["role"], body["is_stale"]) == (
            "approve",
            "sam",
            "executive-sponsor",
            False,
        )
        initiative.refresh_from_db()
        review.refresh_from_db()
        assert initiative.stage == Stage.SECURE_FOUNDATION
        assert review.status == GateReview.Status.APPROVED
        assert AuditEvent.objects.filter(action="initiative.stage_changed", initiative_id=initiative.pk).count() == 1

    def test_the_requester_gets_a_403(self, sam, initiative):
        review = request(initiative, sam)

        body = assert_problem(api_as(sam).post(_decisions_url(review), {"decision": "approve"}, format="json"), 403)

        assert "segregation of duties" in body["detail"]
        assert not GateDecision.objects.exists()
        initiative.refresh_from_db()
        assert initiative.stage == Stage.DEFINE_OUTCOME

    def test_someone_without_a_required_role_gets_a_403(self, alice, rita, review, initiative):
        give_role(initiative, Role.SECURITY_RISK, rita, by=alice)

        assert_problem(api_as(rita).post(_decisions_url(review), {"decision": "approve"}, format="json"), 403)
        assert not GateDecision.objects.exists()

    def test_outsiders_get_a_404(self, charlie, review):
        assert_problem(api_as(charlie).post(_decisions_url(review), {"decision": "approve"}, format="json"), 404)
        assert not GateDecision.objects.exists()

    def test_a_closed_review_is_a_409(self, sam, lee, initiative, review):
        decide(review, sam)

        response = api_as(lee).post(_decisions_url(review), {"decision": "reject", "comment": "Late."}, format="json")

        assert "closed" in assert_problem(response, 409)["detail"]
        assert GateDecision.objects.count() == 1

    @pytest.mark.parametrize(
        "payload, field",
        [
            ({"decision": "maybe"}, "decision"),
            ({}, "decision"),
            ({"decision": "reject"}, "comment"),
            ({"decision": "request-changes", "comment": "  "}, "comment"),
            ({"decision": "recycle", "comment": "Back.", "recycle_to": "piloting"}, "recycle_to"),
        ],
    )
    def test_invalid_decisions_are_a_400(self, sam, review, payload, field):
        assert_problem(api_as(sam).post(_decisions_url(review), payload, format="json"), 400, field)

        review.refresh_from_db()
        assert review.is_open and not review.decisions.exists()

    def test_a_recycle_in_the_first_stage_is_a_409(self, sam, review):
        response = api_as(sam).post(_decisions_url(review), {"decision": "recycle", "comment": "Back."}, format="json")

        assert_problem(response, 409)
        review.refresh_from_db()
        assert review.is_open

    def test_a_decision_that_fills_no_role_sends_role_null_as_the_schema_says(self, client, sam, review):
        # Found by schemathesis: role was "", which the schema's RoleEnum does not admit.
        response = api_as(sam).post(_decisions_url(review), {"decision": "hold", "comment": "Q3."}, format="json")

        assert response.status_code == 201
        assert response.json()["role"] is None
        assert api_as(sam).get(f"{URL}{review.pk}/").json()["decisions"][0]["role"] is None
        role = client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]["GateDecision"]
        assert role["properties"]["role"]["nullable"] is True

    def test_hold_with_a_comment_puts_the_initiative_on_hold(self, sam, initiative, review):
        response = api_as(sam).post(_decisions_url(review), {"decision": "hold", "comment": "Q3."}, format="json")

        assert response.status_code == 201
        assert response.json()["comment"] == "Q3."
        initiative.refresh_from_db()
        assert (initiative.stage, initiative.status) == (Stage.DEFINE_OUTCOME, Initiative.Status.ON_HOLD)
