"""What every gate requires: gate policy versions, the control catalogue and the executive checklists,
changed only here.

Each verb is one transaction that writes its audit event with the state before and after, so the
trail shows who changed what a gate asks of every initiative, and when. The admin calls these.

Drafts are audited too: a draft changes no gate until it is published, but publishing records the
whole policy it puts in force beside the one it replaces, and the draft events show who wrote it.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from governance import audit
from governance.errors import TransitionError
from governance.models import ChecklistItem, Control, GatePolicy

POLICY_FIELDS = ("gate", "risk_tier", "version", "criteria", "approver_slots", "review_due_days", "notes")
CONTROL_FIELDS = ("key", "name", "layer", "description", "owner_role", "position", "is_active", "measured_by")
CHECKLIST_FIELDS = ("gate", "audience", "question", "eu_ai_act", "nist_ai_rmf", "iso_42001", "position")


def policy_state(policy: GatePolicy | None) -> dict | None:
    if policy is None:
        return None
    state = {name: getattr(policy, name) for name in POLICY_FIELDS}
    state["published_at"] = policy.published_at
    return state


def control_state(control: Control | None) -> dict | None:
    return None if control is None else _state(control, CONTROL_FIELDS)


def _lock_versions(policy_id: int) -> tuple[GatePolicy, list[GatePolicy]]:
    """The policy and every version of its gate and risk tier, locked in one order (no deadlock between two
    admins), so two publications or copies of the same gate and tier are serialised."""
    gate, risk_tier = GatePolicy.objects.values_list("gate", "risk_tier").get(pk=policy_id)
    versions = list(GatePolicy.objects.select_for_update().filter(gate=gate, risk_tier=risk_tier).order_by("pk"))
    return next(p for p in versions if p.pk == policy_id), versions


@transaction.atomic
def publish_policy(policy_id: int, *, acting_user) -> GatePolicy:
    """1. lock the gate's versions; 2. check the draft is valid and newest; 3. publish; 4. audit.

    The event's before is the version in force until now (None for a gate's first), its after the
    version that replaces it: together they say what changed for every initiative at that gate.
    """
    policy, versions = _lock_versions(policy_id)
    if policy.is_published:
        return policy  # a repeated click: already in force, so no second event
    published = [p for p in versions if p.is_published]
    replaced = max(published, key=lambda p: p.version, default=None)
    if replaced is not None and replaced.version > policy.version:
        raise TransitionError(
            f"v{replaced.version} is already published and newer than this draft (v{policy.version}), so "
            "publishing the draft would change nothing: copy the published version to a new draft instead."
        )
    policy.full_clean()
    policy.published_at = timezone.now()
    policy.save(update_fields=["published_at"])
    audit.record(
        "gate_policy.published", policy, actor=acting_user, before=policy_state(replaced), after=policy_state(policy)
    )
    return policy


@transaction.atomic
def copy_policy_to_draft(policy_id: int, *, acting_user) -> GatePolicy:
    """A new draft version, the newest of its gate and risk tier, with the copied version's content."""
    source, versions = _lock_versions(policy_id)
    draft = GatePolicy.objects.create(
        gate=source.gate,
        risk_tier=source.risk_tier,
        version=max(p.version for p in versions) + 1,
        criteria=source.criteria,
        approver_slots=source.approver_slots,
        review_due_days=source.review_due_days,
        notes=f"Copied from v{source.version}.",
    )
    audit.record("gate_policy.copied", draft, actor=acting_user, before=policy_state(source), after=policy_state(draft))
    return draft


@transaction.atomic
def save_policy_draft(policy_id: int | None, *, acting_user, **fields) -> GatePolicy:
    """Create a draft version (policy_id None) or change one; a published version never changes."""
    unknown = set(fields) - set(POLICY_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "Not a gate policy field."))
    policy = GatePolicy.objects.select_for_update().get(pk=policy_id) if policy_id else GatePolicy()
    if policy.is_published:
        raise ValidationError("A published gate policy never changes; copy it to a new draft version.")
    before = policy_state(policy) if policy_id else None
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.full_clean()
    policy.save()
    after = policy_state(policy)
    if before != after:
        audit.record("gate_policy.draft_saved", policy, actor=acting_user, before=before, after=after)
    return policy


@transaction.atomic
def delete_policy_draft(policy_id: int, *, acting_user) -> None:
    policy = GatePolicy.objects.select_for_update().get(pk=policy_id)
    if policy.is_published:
        raise ValidationError("A published gate policy cannot be deleted.")
    audit.record("gate_policy.draft_deleted", policy, actor=acting_user, before=policy_state(policy))
    policy.delete()


@transaction.atomic
def save_control(control_id: int | None, *, acting_user, **fields) -> Control:
    """Add a control to the catalogue (control_id None) or change one; every initiative is asked for it.

    Retiring a control is unticking is_active: statuses recorded against it keep pointing at it.
    """
    if (
        control_id
        and "key" in fields
        and fields["key"] != Control.objects.values_list("key", flat=True).get(pk=control_id)
    ):
        raise ValidationError({"key": "A control's key never changes: gate criteria name controls by key."})
    return _save_catalogue_row(Control, CONTROL_FIELDS, "control_catalogue", control_id, acting_user, fields)


@transaction.atomic
def save_checklist_item(item_id: int | None, *, acting_user, **fields) -> ChecklistItem:
    """Add an executive checklist question (item_id None) or change one: approvers of its gate must answer
    it before they approve, so it changes what the gate requires, as a control does. Questions are never
    deleted (answers given to them are kept with their decisions)."""
    return _save_catalogue_row(ChecklistItem, CHECKLIST_FIELDS, "checklist", item_id, acting_user, fields)


def _save_catalogue_row(model, field_names: tuple[str, ...], subject: str, pk: int | None, acting_user, fields):
    """Create or change one catalogue row, validated, with an audit event when anything changed."""
    unknown = set(fields) - set(field_names)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), f"Not a {model._meta.verbose_name} field."))
    row = model.objects.select_for_update().get(pk=pk) if pk else model()
    before = _state(row, field_names) if pk else None
    for name, value in fields.items():
        setattr(row, name, value)
    row.full_clean()
    row.save()
    after = _state(row, field_names)
    if before != after:
        action = f"{subject}.added" if before is None else f"{subject}.changed"
        audit.record(action, row, actor=acting_user, before=before, after=after)
    return row


def _state(row, field_names: tuple[str, ...]) -> dict:
    return {name: getattr(row, name) for name in field_names}
