"""Verbs on an initiative's foundation: controls by layer, data sources, risk tier, checklist answers.

Each is one transaction with its audit row; each marks the initiative's scorecard dirty.
"""

from dataclasses import dataclass, replace

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from governance import audit
from governance.errors import TransitionError
from governance.models import (
    LAYER_INFO,
    ChecklistAnswer,
    ChecklistItem,
    Control,
    DataSource,
    GatePolicy,
    GateReview,
    InitiativeControl,
    Layer,
)
from governance.permissions import (
    can_change_risk_tier,
    can_manage_data_sources,
    can_set_control,
    check_can_decide,
    is_leader,
)
from initiatives.locking import lock_initiative
from initiatives.models import Initiative, Role
from kpis.models import Kpi

TIERS = [Initiative.RiskTier.LOW, Initiative.RiskTier.MEDIUM, Initiative.RiskTier.HIGH]
# Controls that must be in place (a waiver does not do) for the foundation-ready gate.
MUST_BE_IN_PLACE = ("human-review", "escalation-procedure", "rollback-plan")


@dataclass(frozen=True)
class ControlRow:
    control: Control
    status: str
    evidence: str
    waiver_reason: str
    updated_by: object
    updated_at: object
    # The KPI that shows the control working (Control.measured_by) with its latest_value and latest_at; None
    # when the control names none or the initiative does not track it. Only measured_control_rows fills it.
    measure: Kpi | None = None


def control_rows(initiative) -> dict[str, list[ControlRow]]:
    """Every active catalogue control with this initiative's status (missing when never recorded), by layer.

    Reads a scorecard run's prefetch of `initiative.controls` when there is one; otherwise one query, with
    who last updated each control (a row reads it).
    """
    prefetched = getattr(initiative, "_prefetched_objects_cache", {}).get("controls")
    records = prefetched if prefetched is not None else initiative.controls.select_related("updated_by")
    recorded = {c.control_id: c for c in records}
    rows = {layer: [] for layer in Layer.values}
    for control in Control.objects.filter(is_active=True):
        record = recorded.get(control.pk)
        rows[control.layer].append(
            ControlRow(
                control=control,
                status=record.status if record else InitiativeControl.Status.MISSING,
                evidence=record.evidence if record else "",
                waiver_reason=record.waiver_reason if record else "",
                updated_by=record.updated_by if record else None,
                updated_at=record.updated_at if record else None,
            )
        )
    return rows


def measured_control_rows(initiative) -> dict[str, list[ControlRow]]:
    """control_rows with each measured control's KPI on this initiative and its latest value: one query more,
    none when no control names a KPI. Several controls may name the same KPI (training and change management
    both read training completion)."""
    rows = control_rows(initiative)
    key = {row.control.key: f"{initiative.slug}.{row.control.measured_by}" for layer in rows.values() for row in layer}
    wanted = {key[row.control.key] for layer in rows.values() for row in layer if row.control.measured_by}
    if not wanted:
        return rows
    measures = {kpi.key: kpi for kpi in Kpi.objects.filter(initiative=initiative, key__in=wanted).with_latest_values()}
    return {
        layer: [
            replace(row, measure=measures.get(key[row.control.key])) if row.control.measured_by else row
            for row in layer_rows
        ]
        for layer, layer_rows in rows.items()
    }


@transaction.atomic
def set_control(
    initiative_id: int, *, acting_user, control_key: str, status: str, evidence: str = "", waiver_reason: str = ""
) -> InitiativeControl:
    initiative = lock_initiative(initiative_id)
    control = Control.objects.filter(key=control_key, is_active=True).first()
    if control is None:
        raise ValidationError({"control": f"No active control “{control_key}” in the catalogue."})
    if not can_set_control(acting_user, initiative, control):
        raise PermissionDenied(f"Only the {Role(control.owner_role).label} role, risk owners or leaders record this.")
    if status not in InitiativeControl.Status.values:
        raise ValidationError({"status": f"Choose one of: {', '.join(InitiativeControl.Status.values)}."})
    record = InitiativeControl.objects.filter(initiative=initiative, control=control).first()
    record = record or InitiativeControl(initiative=initiative, control=control)
    before = {"status": record.status, "evidence": record.evidence, "waiver_reason": record.waiver_reason}
    record.status, record.evidence, record.updated_by = status, evidence.strip(), acting_user
    record.waiver_reason = waiver_reason.strip() if status == InitiativeControl.Status.WAIVED else ""
    record.full_clean(exclude=["initiative", "control", "updated_by"])  # InitiativeControl.clean: the rules
    record.save()
    after = {"status": record.status, "evidence": record.evidence, "waiver_reason": record.waiver_reason}
    if before != after:
        audit.record(
            "control.updated",
            record,
            actor=acting_user,
            initiative_id=initiative.pk,
            before={"control": control.key, **before},
            after={"control": control.key, **after},
        )
        initiative.mark_dirty()
    return record


def _source_state(source: DataSource) -> dict:
    state = {name: getattr(source, name) for name in DataSource.EDITABLE_FIELDS if name != "owner"}
    state["owner"] = source.owner.username if source.owner_id else None
    return state


@transaction.atomic
def save_data_source(initiative_id: int, *, acting_user, source: DataSource | None = None, **fields) -> DataSource:
    """Create a source for this initiative, or change one it uses; every initiative using it re-derives its risk."""
    initiative = lock_initiative(initiative_id, acting_user, may=can_manage_data_sources, to="record data sources")
    unknown = set(fields) - set(DataSource.EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "Not a data source field."))
    if source is not None and not source.initiatives.filter(pk=initiative.pk).exists():
        raise ValidationError({"source": "This initiative does not use that data source."})
    if source is not None:
        _check_may_change_shared(acting_user, source, initiative)
    record = source or DataSource()
    before = _source_state(record) if source else None
    for name, value in fields.items():
        setattr(record, name, value)
    record.full_clean()
    record.save()
    record.initiatives.add(initiative)
    audit.record(
        "data_source.saved",
        record,
        actor=acting_user,
        initiative_id=initiative.pk,
        before=before,
        after=_source_state(record),
    )
    for affected in record.initiatives.select_for_update():
        refresh_risk_tier(affected, acting_user=acting_user, because=f"data source “{record.name}” changed")
    return record


def _check_may_change_shared(user, source: DataSource, initiative) -> None:
    """A change to a shared source re-derives every user's risk tier, so it needs a say in each of them.

    Sharing a source is open (it is a catalogue); changing one is for those who may manage data
    sources on every initiative using it, the source's owner, or leaders.
    """
    if is_leader(user) or source.owner_id == user.pk:
        return
    others = source.initiatives.exclude(pk=initiative.pk).select_related("charter")
    if not all(can_manage_data_sources(user, other) for other in others):
        raise PermissionDenied(
            f"“{source.name}” is shared with initiatives you may not manage; its owner, their teams or a "
            "portfolio leader may change it."
        )


@transaction.atomic
def link_data_source(initiative_id: int, *, acting_user, source: DataSource, linked: bool = True) -> None:
    """Share an existing source with this initiative (or stop using it)."""
    initiative = lock_initiative(initiative_id, acting_user, may=can_manage_data_sources, to="record data sources")
    (source.initiatives.add if linked else source.initiatives.remove)(initiative)
    audit.record(
        "data_source.linked" if linked else "data_source.unlinked",
        source,
        actor=acting_user,
        initiative_id=initiative.pk,
        after={"source": source.name},
    )
    refresh_risk_tier(
        initiative, acting_user=acting_user, because=f"data source “{source.name}” {'added' if linked else 'removed'}"
    )


def computed_risk(initiative) -> tuple[str, list[str]]:
    """The tier the charter and data sources call for, with the reasons."""
    charter = initiative.charter
    sources = list(initiative.data_sources.all())
    restricted = [s.name for s in sources if s.classification == DataSource.Classification.RESTRICTED]
    personal = [s.name for s in sources if s.personal_data]
    confidential = [s.name for s in sources if s.classification == DataSource.Classification.CONFIDENTIAL]
    high, medium = [], []
    if restricted:
        high.append(f"restricted data ({', '.join(restricted)})")
    if charter.automated_decisions:
        high.append("decisions take effect without human review")
    if personal and charter.customer_facing:
        high.append(f"customer-facing with personal data ({', '.join(personal)})")
    if personal and not charter.customer_facing:
        medium.append(f"personal data ({', '.join(personal)})")
    if charter.customer_facing and not personal:
        medium.append("customer-facing")
    if confidential:
        medium.append(f"confidential data ({', '.join(confidential)})")
    if high:
        return Initiative.RiskTier.HIGH, high
    if medium:
        return Initiative.RiskTier.MEDIUM, medium
    return Initiative.RiskTier.LOW, ["internal use, no personal, confidential or restricted data"]


def refresh_risk_tier(initiative, *, acting_user, because: str, may_lower: bool = False) -> str:
    """Store max(computed tier, the floor a risk owner set), rising on its own but never falling on its own.

    Only set_risk_tier, a risk owner's explicit and reasoned change, passes may_lower. Must run
    inside the changing transaction.
    """
    tier, reasons = computed_risk(initiative)
    if initiative.risk_floor and TIERS.index(initiative.risk_floor) > TIERS.index(tier):
        tier, reasons = initiative.risk_floor, [f"set by a risk owner: {initiative.risk_floor_reason}"]
    if not may_lower and initiative.risk_reason and TIERS.index(tier) < TIERS.index(initiative.risk_tier):
        return initiative.risk_tier  # the data calls for less now, but lowering is a risk owner's decision
    reason = "; ".join(reasons)
    if (tier, reason) != (initiative.risk_tier, initiative.risk_reason) or not initiative.risk_reason:
        before = {"risk_tier": initiative.risk_tier, "risk_reason": initiative.risk_reason}
        Initiative.objects.filter(pk=initiative.pk).update(risk_tier=tier, risk_reason=reason)
        initiative.risk_tier, initiative.risk_reason = tier, reason
        if before["risk_tier"] != tier:
            audit.record(
                "initiative.risk_tier_changed",
                initiative,
                actor=acting_user,
                initiative_id=initiative.pk,
                before=before,
                after={"risk_tier": tier, "risk_reason": reason, "because": because},
            )
            _rebind_open_review(initiative, acting_user)
        initiative.mark_dirty()
    return tier


def set_risk_tier(initiative, *, acting_user, tier: str, reason: str) -> str:
    """A risk owner sets the tier with a recorded reason; never below what the data calls for.

    Must run inside the changing transaction with the initiative row locked.
    """
    if not can_change_risk_tier(acting_user, initiative):
        raise PermissionDenied(f"Only {can_change_risk_tier.who} may change the risk tier.")
    if tier not in TIERS:
        raise ValidationError({"risk_tier": f"Choose one of: {', '.join(TIERS)}."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why the risk tier changes; approvers read it."})
    floor_of_data, reasons = computed_risk(initiative)
    if TIERS.index(tier) < TIERS.index(floor_of_data):
        raise ValidationError(
            {"risk_tier": f"The charter and data sources call for {floor_of_data} risk: {'; '.join(reasons)}."}
        )
    initiative.risk_floor, initiative.risk_floor_reason = tier, reason.strip()
    Initiative.objects.filter(pk=initiative.pk).update(risk_floor=tier, risk_floor_reason=reason.strip())
    return refresh_risk_tier(initiative, acting_user=acting_user, because=reason.strip(), may_lower=True)


@transaction.atomic
def raise_risk_tier(initiative_id: int, *, acting_user, tier: str, reason: str) -> Initiative:
    """The risk owner's verb in the browser and the API: raise the tier, with a reason."""
    initiative = lock_initiative(initiative_id, acting_user, may=can_change_risk_tier, to="raise the risk tier")
    if tier in TIERS and TIERS.index(tier) <= TIERS.index(initiative.risk_tier):
        raise ValidationError({"risk_tier": f"The tier is already {initiative.risk_tier}; choose a higher one."})
    set_risk_tier(initiative, acting_user=acting_user, tier=tier, reason=reason)
    return initiative


def _rebind_open_review(initiative, acting_user) -> None:
    """An open review moves to the policy of the new tier (its approvals keep their slots)."""
    review = initiative.gate_reviews.filter(status=GateReview.Status.OPEN).select_related("policy").first()
    if review is None:
        return
    policy = GatePolicy.objects.current(review.gate, initiative.risk_tier)
    if policy and policy.pk != review.policy_id:
        audit.record(
            "gate.policy_rebound",
            review,
            actor=acting_user,
            initiative_id=initiative.pk,
            before={"policy": str(review.policy)},
            after={"policy": str(policy)},
        )
        GateReview.objects.filter(pk=review.pk).update(policy=policy)


@transaction.atomic
def answer_checklist(review_id: int, *, acting_user, item_id: int, answer: str, note: str = "") -> ChecklistAnswer:
    """An approver answers one of the gate's executive checklist questions."""
    review = GateReview.objects.select_for_update().select_related("policy", "initiative").get(pk=review_id)
    check_can_decide(acting_user, review)
    if review.status != GateReview.Status.OPEN:
        # The answers are part of the evidence the decision rested on: they cannot change afterwards.
        raise TransitionError(f"This review is already closed ({review.get_status_display().lower()}).")
    item = ChecklistItem.objects.filter(pk=item_id, gate=review.gate).first()
    if item is None:
        raise ValidationError({"item": "That question does not belong to this gate."})
    if answer not in ChecklistAnswer.Answer.values:
        raise ValidationError({"answer": f"Choose one of: {', '.join(ChecklistAnswer.Answer.values)}."})
    if answer == ChecklistAnswer.Answer.NO and not note.strip():
        raise ValidationError({"note": "Say what is missing when the answer is no."})
    record, _ = ChecklistAnswer.objects.update_or_create(
        review=review,
        item=item,
        defaults={"answer": answer, "note": note.strip(), "answered_by": acting_user, "answered_at": timezone.now()},
    )
    audit.record(
        "checklist.answered",
        record,
        actor=acting_user,
        initiative_id=review.initiative_id,
        after={"review": review.pk, "question": item.question, "answer": answer, "note": record.note},
    )
    return record


def layer_summary() -> list[dict]:
    return [
        {
            "layer": layer,
            "label": Layer(layer).label,
            "what_it_controls": what,
            "example_kpi": kpi,
            "owner": Role(owner).label,
        }
        for layer, (what, kpi, owner) in LAYER_INFO.items()
    ]
