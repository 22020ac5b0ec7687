"""Checklists count: an approval waits for the executive checklist questions it rests on.

An approver answers the questions addressed to their role; the approval that completes the
review needs every question of the gate answered. The rule lives in governance.services.decide,
so the browser, the API and the admin's "Approve as me" refuse alike.
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from governance import services
from governance.errors import ChecklistIncomplete
from governance.foundation import evidence as gate_records
from governance.foundation import services as foundation
from governance.models import AuditEvent, ChecklistItem, GateDecision
from governance.services import checklist_due
from initiatives.models import Role, Stage
from tests.lifecycle import answer_checklist, api_as, assert_problem, give_role, pass_gate, request

pytestmark = pytest.mark.django_db

CHARTER_QUESTIONS = [
    "Do users actually want this workflow change?",
    "What task are we removing or simplifying?",
    "Which KPI proves the change matters?",
]


@pytest.fixture
def review(initiative, alice):
    """An open charter sign-off (medium risk: one slot, sponsor or CTO) that Alice requested."""
    return request(initiative, alice)


def _answer(review, user, question, answer="yes", note=""):
    item = ChecklistItem.objects.get(gate=review.gate, question=question)
    return foundation.answer_checklist(review.pk, acting_user=user, item_id=item.pk, answer=answer, note=note)


def _unchanged(review, initiative):
    initiative.refresh_from_db()
    review.refresh_from_db()
    return initiative.stage == Stage.DEFINE_OUTCOME and review.is_open and not GateDecision.objects.exists()


class TestTheService:
    def test_an_approval_with_unanswered_questions_is_refused_naming_them(self, review, initiative, sam):
        _answer(review, sam, CHARTER_QUESTIONS[0])

        with pytest.raises(ChecklistIncomplete) as caught:
            decide_without_answering(review, sam)

        assert caught.value.questions == CHARTER_QUESTIONS[1:]
        assert all(q in str(caught.value) for q in CHARTER_QUESTIONS[1:])
        assert _unchanged(review, initiative)
        assert not AuditEvent.objects.filter(action="gate.decided").exists()

    def test_every_answer_lets_the_approval_through(self, review, initiative, sam):
        for question in CHARTER_QUESTIONS:
            _answer(review, sam, question, answer="n/a" if "KPI" in question else "yes")

        decide_without_answering(review, sam)

        initiative.refresh_from_db()
        assert initiative.stage == Stage.SECURE_FOUNDATION

    def test_a_no_needs_a_note(self, review, sam):
        with pytest.raises(ValidationError) as caught:
            _answer(review, sam, CHARTER_QUESTIONS[0], answer="no", note="   ")
        assert "note" in caught.value.message_dict
        assert not review.checklist_answers.exists()

    def test_other_decisions_do_not_wait_for_the_checklist(self, review, sam):
        decision = decide_without_answering(review, sam, "request-changes", comment="Name the KPI first.")

        assert decision.decision == "request-changes"


class TestForTheirRole:
    """Scale-out at medium risk needs the CTO and the sponsor: each answers their own questions first."""

    @pytest.fixture
    def scale_out(self, initiative, alice, sam, rita, dana, cto):
        pass_gate(initiative, requester=alice, approvers=[sam])
        give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
        give_role(initiative, Role.DATA_PLATFORM, dana, by=alice)
        pass_gate(initiative, requester=alice, approvers=[rita, dana])
        give_role(initiative, Role.CTO, cto, by=alice)
        assert initiative.stage == Stage.MEASURE_IMPACT
        return request(initiative, alice)

    @pytest.fixture
    def cto(self, django_user_model):
        return django_user_model.objects.create_user("carol", first_name="Carol", last_name="Cto")

    def test_the_first_approver_answers_their_roles_questions_and_the_last_every_one(self, scale_out, sam, cto):
        sponsor_due = [item.question for item in checklist_due(sam, scale_out)]
        assert sponsor_due == [
            "Is the goal a one-time productivity boost or a repeatable business capability?",
            "How are we governing risk without slowing adoption?",
        ]
        with pytest.raises(ChecklistIncomplete):
            decide_without_answering(scale_out, sam)
        for question in sponsor_due:
            _answer(scale_out, sam, question)
        decide_without_answering(scale_out, sam)

        # The CTO completes the review: the CTO's question and the PM's (nobody approves as PM).
        assert [item.question for item in checklist_due(cto, scale_out)] == [
            "Do we know the cost per transaction and what happens when volume doubles?",
            "What training does the new behavior require?",
        ]
        with pytest.raises(ChecklistIncomplete):
            decide_without_answering(scale_out, cto)
        answer_checklist(scale_out, cto)
        decide_without_answering(scale_out, cto)
        scale_out.refresh_from_db()
        assert scale_out.status == "approved"


class TestTheRecord:
    def test_the_answers_are_stored_with_the_decision_its_audit_event_and_the_evidence(self, review, sam):
        _answer(review, sam, CHARTER_QUESTIONS[0], answer="no", note="Only 3 of 12 team leads asked for it")
        _answer(review, sam, CHARTER_QUESTIONS[1])
        _answer(review, sam, CHARTER_QUESTIONS[2], answer="n/a")

        approval = decide_without_answering(review, sam, comment="Go, and survey the other teams.")

        stored = {a["question"]: (a["answer"], a["note"], a["answered_by"]) for a in approval.checklist}
        assert stored[CHARTER_QUESTIONS[0]] == ("no", "Only 3 of 12 team leads asked for it", "Sam Sponsor")
        assert stored[CHARTER_QUESTIONS[2]][0] == "n/a"
        event = AuditEvent.objects.get(action="gate.decided")
        assert event.after["checklist"] == approval.checklist
        exported = gate_records.gate_evidence(review)["decisions"][0]["checklist"]
        assert exported == approval.checklist

    def test_the_decision_keeps_the_answers_it_rested_on(self, initiative, alice, sam, rita, dana):
        """A later change of answer by the next approver does not rewrite the first approval's record."""
        pass_gate(initiative, requester=alice, approvers=[sam])
        give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
        give_role(initiative, Role.DATA_PLATFORM, dana, by=alice)
        review = request(initiative, alice)
        _answer(review, rita, "Can we roll back safely?", note="Feature flag")
        first = decide_without_answering(review, rita)

        _answer(review, dana, "Can we roll back safely?", answer="no", note="The flag was never tested")

        first.refresh_from_db()
        assert [(a["answer"], a["note"]) for a in first.checklist] == [("yes", "Feature flag")]


class TestEveryPath:
    def test_the_browser_names_the_questions_and_nothing_is_preset(self, client, review, initiative, sam):
        client.force_login(sam)
        url = reverse("governance:approval_detail", args=[review.pk])
        pack = client.get(url).content.decode()
        item = ChecklistItem.objects.get(gate=review.gate, question=CHARTER_QUESTIONS[0])
        select = pack[pack.index(f'name="q{item.pk}-answer"') :].split("</select>")[0]
        assert '<option value="" selected>Choose an answer…</option>' in select
        assert select.count("selected") == 1
        assert "answer before you approve" in pack

        response = client.post(url, {"decision": "approve", "comment": ""}, follow=True)

        html = response.content.decode()
        assert "Answer the executive checklist before approving" in html
        assert all(q in html for q in CHARTER_QUESTIONS)
        assert _unchanged(review, initiative)

    def test_a_no_without_a_note_is_refused_in_the_browser(self, client, review, sam):
        item = ChecklistItem.objects.get(gate=review.gate, question=CHARTER_QUESTIONS[0])
        client.force_login(sam)

        response = client.post(
            reverse("governance:checklist_answer", args=[review.pk]), {"item": item.pk, f"q{item.pk}-answer": "no"}
        )

        assert response.status_code == 200
        assert "Say what is missing when the answer is no." in response.content.decode()
        assert not review.checklist_answers.exists()

    def test_an_empty_answer_is_refused_in_the_browser(self, client, review, sam):
        item = ChecklistItem.objects.get(gate=review.gate, question=CHARTER_QUESTIONS[0])
        client.force_login(sam)

        response = client.post(
            reverse("governance:checklist_answer", args=[review.pk]), {"item": item.pk, f"q{item.pk}-answer": ""}
        )

        assert response.status_code == 200
        assert "This field is required." in response.content.decode()
        assert not review.checklist_answers.exists()

    def test_the_api_answers_409_with_one_error_per_unanswered_question(self, review, initiative, sam):
        _answer(review, sam, CHARTER_QUESTIONS[1])
        url = f"/api/v1/gate-reviews/{review.pk}/decisions/"

        body = assert_problem(api_as(sam).post(url, {"decision": "approve"}, format="json"), 409)

        assert body["errors"] == [
            {"field": "checklist", "message": CHARTER_QUESTIONS[0]},
            {"field": "checklist", "message": CHARTER_QUESTIONS[2]},
        ]
        assert "Answer the executive checklist before approving" in body["detail"]
        assert _unchanged(review, initiative)

    def test_the_api_decision_carries_its_answers(self, review, sam):
        _answer(review, sam, CHARTER_QUESTIONS[0], answer="no", note="Only 3 of 12 team leads asked")
        _answer(review, sam, CHARTER_QUESTIONS[1])
        _answer(review, sam, CHARTER_QUESTIONS[2])
        url = f"/api/v1/gate-reviews/{review.pk}/decisions/"

        response = api_as(sam).post(url, {"decision": "approve"}, format="json")

        assert response.status_code == 201, response.content
        first = response.json()["checklist"][0]
        assert (first["question"], first["answer"], first["note"], first["answered_by"]) == (
            CHARTER_QUESTIONS[0],
            "no",
            "Only 3 of 12 team leads asked",
            "Sam Sponsor",
        )

    def test_the_pack_shows_the_answers_each_decision_rested_on(self, client, review, sam):
        _answer(review, sam, CHARTER_QUESTIONS[0], answer="no", note="Only 3 of 12 team leads asked")
        _answer(review, sam, CHARTER_QUESTIONS[1])
        _answer(review, sam, CHARTER_QUESTIONS[2])
        decide_without_answering(review, sam)
        client.force_login(sam)

        pack = client.get(reverse("governance:approval_detail", args=[review.pk])).content.decode()

        decisions = pack[pack.index('id="decisions"') :]
        assert "Checklist answers this decision rested on (3)" in decisions
        assert "Only 3 of 12 team leads asked" in decisions


def decide_without_answering(review, user, decision="approve", comment=""):
    """services.decide itself (tests.lifecycle.decide answers the checklist first)."""
    return services.decide(review.pk, acting_user=user, decision=decision, comment=comment)
