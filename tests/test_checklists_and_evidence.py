"""Executive checklists answered by approvers, and a gate's evidence exported as data."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from governance.errors import TransitionError
from governance.foundation import evidence as gate_records
from governance.foundation import services as foundation
from governance.models import AuditEvent, ChecklistAnswer, ChecklistItem
from initiatives.models import Role
from tests.lifecycle import decide, give_role, pass_charter_signoff, request

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(alice, sam, rita, dana, initiative):
    """An open foundation-ready review Alice requested; Rita (security/risk) and Dana (data) approve."""
    pass_charter_signoff(initiative, requester=alice, approver=sam)
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    give_role(initiative, Role.DATA_PLATFORM, dana, by=alice)
    return request(initiative, alice)


def _item(question_start: str) -> ChecklistItem:
    return ChecklistItem.objects.get(question__startswith=question_start)


def _answer(review, user, item, answer="yes", note=""):
    return foundation.answer_checklist(review.pk, acting_user=user, item_id=item.pk, answer=answer, note=note)


def test_an_approver_answers_and_the_answer_is_audited(rita, review):
    item = _item("Can we roll back safely?")

    record = _answer(review, rita, item, note="Feature flag per queue")

    assert (record.answer, record.note, record.answered_by) == ("yes", "Feature flag per queue", rita)
    event = AuditEvent.objects.filter(action="checklist.answered").last()
    assert (event.actor_username, event.initiative_id) == ("rita", review.initiative_id)
    assert event.after == {
        "review": review.pk,
        "question": "Can we roll back safely?",
        "answer": "yes",
        "note": "Feature flag per queue",
    }


def test_answering_again_replaces_the_answer(rita, dana, review):
    item = _item("Can we roll back safely?")
    _answer(review, rita, item)

    _answer(review, dana, item, answer="n/a")

    record = ChecklistAnswer.objects.get(review=review, item=item)
    assert (record.answer, record.answered_by) == ("n/a", dana)


@pytest.mark.parametrize("who", ["alice", "charlie", "sam"])
def test_the_requester_and_non_approvers_cannot_answer(request, review, who):
    with pytest.raises(PermissionDenied):
        _answer(review, request.getfixturevalue(who), _item("Can we roll back safely?"))

    assert not review.checklist_answers.exists()


def test_no_needs_a_note(rita, review):
    item = _item("Are logs sufficient")
    with pytest.raises(ValidationError) as caught:
        _answer(review, rita, item, answer="no", note=" ")
    assert "note" in caught.value.message_dict

    record = _answer(review, rita, item, answer="no", note="Prompts are not logged yet")
    assert (record.answer, record.note) == ("no", "Prompts are not logged yet")


def test_a_question_of_another_gate_or_an_unknown_answer_is_refused(rita, review):
    with pytest.raises(ValidationError) as caught:
        _answer(review, rita, _item("Do users actually want"))
    assert "item" in caught.value.message_dict

    with pytest.raises(ValidationError) as caught:
        _answer(review, rita, _item("Can we roll back safely?"), answer="maybe")
    assert "answer" in caught.value.message_dict


def test_a_closed_review_takes_no_more_answers(rita, dana, review):
    decide(review, rita)
    decide(review, dana)
    review.refresh_from_db()
    assert review.status == "approved"
    answers = list(review.checklist_answers.values())

    with pytest.raises(TransitionError):
        _answer(review, rita, _item("Can we roll back safely?"), answer="no", note="Changed my mind")
    assert list(review.checklist_answers.values()) == answers


def test_the_evidence_holds_everything_the_decision_rested_on(rita, dana, review):
    _answer(review, rita, _item("Are logs sufficient"), answer="no", note="Prompts are not logged yet")
    decide(review, rita, comment="Logging ticket OPS-12 accepted")
    review.refresh_from_db()

    evidence = gate_records.gate_evidence(review)

    assert set(evidence) == {
        "review",
        "criteria",
        "decisions",
        "checklist",
        "snapshot",
        "control_model",
        "after_action_review",
        "reuse_review",
    }
    assert (evidence["review"]["gate"], evidence["review"]["requested_by"]) == ("foundation-ready", "Alice Product")
    assert evidence["review"]["snapshot_hash"] == review.snapshot_hash
    assert [c["key"] for c in evidence["criteria"]] == [
        "foundation-controls",
        "data-sources-classified",
        "review-escalation-rollback",
    ]
    assert [(d["decision"], d["by"], d["role"], d["comment"]) for d in evidence["decisions"]] == [
        ("approve", "Rita Risk", "security-risk", "Logging ticket OPS-12 accepted")
    ]
    assert len(evidence["checklist"]) == ChecklistItem.objects.filter(gate="foundation-ready").count() == 5
    logs = next(q for q in evidence["checklist"] if q["question"].startswith("Are logs sufficient"))
    assert logs["references"] == {"eu_ai_act": "Art. 12", "nist_ai_rmf": "MEASURE 2.8", "iso_iec_42001": "A.6.2.8"}
    assert (logs["answer"], logs["note"], logs["answered_by"]) == ("no", "Prompts are not logged yet", "Rita Risk")
    unanswered = next(q for q in evidence["checklist"] if q["question"].startswith("Can we roll back"))
    assert (unanswered["answer"], unanswered["answered_by"]) == (None, None)
    assert evidence["snapshot"] == review.snapshot
    assert evidence["control_model"]["initiative"]["slug"] == review.initiative.slug


def test_the_control_model_lists_the_five_layers_with_their_owners(alice, lee, review):
    initiative = review.initiative
    foundation.set_control(
        initiative.pk, acting_user=lee, control_key="rollback-plan", status="in-place", evidence="Runbook RB-7"
    )
    foundation.save_data_source(initiative.pk, acting_user=alice, name="Ticket history", system="Zendesk")

    model = gate_records.control_model(initiative)

    assert [(layer["layer"], layer["owner"]) for layer in model["layers"]] == [
        ("governance", "Security / risk"),
        ("data", "Data platform"),
        ("architecture", "Platform engineering"),
        ("workflow", "Product / ops"),
        ("adoption", "Enablement"),
    ]
    assert all(layer["controls"] and layer["example_kpi"] for layer in model["layers"])
    assert model["escalation_and_rollback"]["rollback-plan"] == {
        "name": "Rollback plan",
        "status": "in-place",
        "status_label": "In place",
        "evidence": "Runbook RB-7",
    }
    assert model["escalation_and_rollback"]["human-review"]["status"] == "missing"
    assert [s["name"] for s in model["data_sources"]] == ["Ticket history"]
    assert model["risk"]["tier"] == initiative.risk_tier
    assert [a["gate"] for a in model["approvals"]] == ["charter-signoff"]
