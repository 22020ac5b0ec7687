"""Evidence a risk owner or an auditor reads: the one-page control model, a gate's whole record, and its
executive checklist, built once here for the decision pack, the API and the export."""

from dataclasses import dataclass

from governance.foundation.services import MUST_BE_IN_PLACE, control_rows, layer_summary
from governance.models import ChecklistAnswer, ChecklistItem, GateDecision, InitiativeControl
from initiatives.people import person_name
from kpis.after_action import after_action_evidence


@dataclass(frozen=True)
class ChecklistRow:
    """One question of a review's executive checklist, with its answer (None until answered)."""

    item: ChecklistItem
    answer: ChecklistAnswer | None

    @property
    def references(self) -> dict:
        item = self.item
        return {"eu_ai_act": item.eu_ai_act, "nist_ai_rmf": item.nist_ai_rmf, "iso_iec_42001": item.iso_42001}


def checklist_rows(review) -> list[ChecklistRow]:
    """The gate's questions in order, each with this review's answer: what the decision pack, the API
    and the evidence export all show, in two queries."""
    answers = {a.item_id: a for a in review.checklist_answers.select_related("answered_by")}
    return [ChecklistRow(item, answers.get(item.pk)) for item in ChecklistItem.objects.filter(gate=review.gate)]


def control_model(initiative) -> dict:
    """The one-page control model: what a risk owner needs to judge the initiative, as plain data.

    Each choice keeps the value API clients read (`status`, `owner_role`...) with its label beside it
    (`status_label`...), which the pages and a printed copy show."""
    charter = initiative.charter
    rows = control_rows(initiative)
    by_key = {r.control.key: r for layer_rows in rows.values() for r in layer_rows}
    approvals = (
        GateDecision.objects.filter(review__initiative=initiative, decision=GateDecision.Kind.APPROVE)
        .select_related("review", "decided_by")
        .order_by("decided_at", "id")
    )
    return {
        "initiative": {
            "slug": initiative.slug,
            "title": initiative.title,
            "business_unit": initiative.business_unit,
            "stage": initiative.stage,
            "stage_label": initiative.get_stage_display(),
            "status": initiative.status,
            "status_label": initiative.get_status_display(),
        },
        "purpose": {
            "outcome_statement": charter.outcome_statement,
            "target_users": charter.target_users,
            "task_or_decision": charter.problem_task,
            "guardrails": charter.guardrails,
        },
        "risk": {
            "tier": initiative.risk_tier,
            "tier_label": initiative.get_risk_tier_display(),
            "why": initiative.risk_reason,
            "customer_facing": charter.customer_facing,
            "automated_decisions": charter.automated_decisions,
        },
        "data_sources": [
            {
                "name": s.name,
                "system": s.system,
                "classification": s.classification,
                "classification_label": s.get_classification_display(),
                "personal_data": s.personal_data,
                "source_of_truth": s.source_of_truth,
                "freshness_sla_hours": s.freshness_sla_hours,
                "retrieval_scope": s.retrieval_scope,
                "owner": person_name(s.owner) if s.owner_id else None,
            }
            for s in initiative.data_sources.select_related("owner")
        ],
        "layers": [
            {
                **info,
                "controls": [
                    {
                        "key": r.control.key,
                        "name": r.control.name,
                        "owner_role": r.control.owner_role,
                        "owner_role_label": r.control.get_owner_role_display(),
                        "status": r.status,
                        "status_label": InitiativeControl.Status(r.status).label,
                        "evidence": r.evidence,
                        "waiver_reason": r.waiver_reason,
                    }
                    for r in rows[info["layer"]]
                ],
            }
            for info in layer_summary()
        ],
        "escalation_and_rollback": {
            key: {
                "name": by_key[key].control.name,
                "status": by_key[key].status,
                "status_label": InitiativeControl.Status(by_key[key].status).label,
                "evidence": by_key[key].evidence,
            }
            for key in MUST_BE_IN_PLACE
            if key in by_key
        },
        "approvals": [
            {
                "gate": a.review.gate,
                "gate_label": a.review.get_gate_display(),
                "by": person_name(a.decided_by),
                "role": a.role,
                "role_label": a.get_role_display(),
                "at": a.decided_at.isoformat(),
                "stale": a.is_stale,
            }
            for a in approvals
        ],
    }


def gate_evidence(review) -> dict:
    """Everything a gate decision rested on, exportable as evidence for EU AI Act, NIST AI RMF, ISO/IEC 42001.

    People are named by their names; the audit trail keeps the usernames that identify them. Stages,
    statuses, roles and answers keep their API values, each with its `_label` for people.
    """
    return {
        "review": {
            "id": review.pk,
            "gate": review.gate,
            "gate_label": review.get_gate_display(),
            "status": review.status,
            "status_label": review.get_status_display(),
            "from_stage": review.from_stage,
            "from_stage_label": review.get_from_stage_display(),
            "to_stage": review.to_stage,
            "to_stage_label": review.get_to_stage_display(),
            "requested_by": person_name(review.requested_by),
            "requested_at": review.requested_at.isoformat(),
            "override_reason": review.override_reason,
            "policy": str(review.policy),
            "snapshot_hash": review.snapshot_hash,
        },
        "criteria": review.criteria_results,
        "decisions": [
            {
                "decision": d.decision,
                "decision_label": d.get_decision_display(),
                "by": person_name(d.decided_by),
                "role": d.role,
                "role_label": d.get_role_display(),
                "comment": d.comment,
                "at": d.decided_at.isoformat(),
                "stale": d.is_stale,
                "snapshot_hash": d.snapshot_hash,
                # The checklist answers as they stood when this decision was taken.
                "checklist": d.checklist,
            }
            for d in review.decisions.select_related("decided_by")
        ],
        "checklist": [
            {
                "question": row.item.question,
                "audience": row.item.audience,
                "audience_label": row.item.get_audience_display(),
                "references": row.references,
                "answer": row.answer.answer if row.answer else None,
                "answer_label": row.answer.get_answer_display() if row.answer else None,
                "note": row.answer.note if row.answer else "",
                "answered_by": person_name(row.answer.answered_by) if row.answer else None,
            }
            for row in checklist_rows(review)
        ],
        "snapshot": review.snapshot,
        "control_model": control_model(review.initiative),
        # As they stand now, like the control model: the after-action review (null when none) and the reuse review.
        "after_action_review": after_action_evidence(review.initiative),
        "reuse_review": {
            "scheduled_on": review.initiative.reuse_review_on,
            "held_on": review.initiative.reuse_review_held_on,
            "adjacent_teams_adopting": review.initiative.reuse_review_adopting,
            "changes_needed": review.initiative.reuse_review_changes,
        },
    }
