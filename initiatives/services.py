"""Verbs on initiatives, charters and roles. Each is one transaction with its audit rows."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from governance import audit
from governance.foundation.services import refresh_risk_tier, set_risk_tier
from governance.permissions import can_change_risk_tier, can_edit
from governance.services import mark_stale_approvals
from initiatives.locking import lock_initiative
from initiatives.models import ACCOUNTABLE_ROLES, Charter, Initiative, Role, RoleAssignment
from initiatives.people import person_name

# Every field of a charter's state (snapshots and audit rows); what may change is Charter.EDITABLE_FIELDS.
CHARTER_FIELDS = [f.name for f in Charter._meta.concrete_fields if f.name not in ("id", "initiative", "updated_at")]


def unique_slug(title: str) -> str:
    base = slugify(title)[:70] or "initiative"
    slug, n = base, 2
    while Initiative.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def create_initiative(
    *,
    acting_user,
    title: str,
    business_unit: str,
    risk_tier: str = Initiative.RiskTier.MEDIUM,
    started_on: date | None = None,
    slug: str = "",
) -> Initiative:
    """Create the initiative with an empty charter; its creator becomes its product manager."""
    if slug and Initiative.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"The slug “{slug}” is already taken."})
    initiative = Initiative.objects.create(
        slug=slug or unique_slug(title),
        title=title,
        business_unit=business_unit,
        risk_tier=risk_tier,
        # The tier declared at creation is a floor: the data sources and charter can only raise it.
        risk_floor=risk_tier,
        risk_floor_reason="declared when the initiative was created",
        risk_reason=f"declared {risk_tier} when the initiative was created",
        started_on=started_on or timezone.localdate(),
        stage_entered_at=timezone.now(),
        scorecard_dirty_at=timezone.now(),
        created_by=acting_user,
    )
    Charter.objects.create(initiative=initiative)
    audit.record(
        "initiative.created",
        initiative,
        actor=acting_user,
        initiative_id=initiative.pk,
        after=_initiative_state(initiative),
    )
    RoleAssignment.objects.create(
        initiative=initiative,
        role=Role.PRODUCT_MANAGER,
        user=acting_user,
        assigned_by=acting_user,
        accepted_at=timezone.now(),
    )
    audit.record(
        "role.assigned",
        initiative,
        actor=acting_user,
        initiative_id=initiative.pk,
        after={"role": Role.PRODUCT_MANAGER.value, "user": acting_user.username},
    )
    return initiative


def _initiative_state(initiative: Initiative) -> dict:
    return {
        f: getattr(initiative, f)
        for f in ("slug", "title", "business_unit", "risk_tier", "stage", "status", "started_on")
    }


@transaction.atomic
def update_initiative(initiative_id: int, *, acting_user, **changes) -> Initiative:
    """Change title, business unit, start date or risk tier. The stage is never written here."""
    initiative = lock_initiative(initiative_id)
    # The security/risk owner may set the risk tier without being an editor of the rest.
    tier_only = set(changes) <= {"risk_tier"} and can_change_risk_tier(acting_user, initiative)
    if not can_edit(acting_user, initiative) and not tier_only:
        raise PermissionDenied(f"Only {can_edit.who} may edit this initiative.")
    unknown = set(changes) - set(Initiative.EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed here."))
    tier = changes.pop("risk_tier", initiative.risk_tier)
    if tier != initiative.risk_tier:
        set_risk_tier(
            initiative,
            acting_user=acting_user,
            tier=tier,
            reason=f"set to {tier} by {person_name(acting_user)} in the initiative's details",
        )
    before = _initiative_state(initiative)
    for name, value in changes.items():
        setattr(initiative, name, value)
    after = _initiative_state(initiative)
    if before != after:
        initiative.save()
        initiative.mark_dirty()
        audit.record(
            "initiative.updated",
            initiative,
            actor=acting_user,
            initiative_id=initiative.pk,
            before=_diff(before, after),
            after=_diff(after, before),
        )
    return initiative


def _diff(a: dict, b: dict) -> dict:
    return {k: v for k, v in a.items() if b.get(k) != v}


def charter_state(charter: Charter) -> dict:
    state = {name: getattr(charter, name) for name in CHARTER_FIELDS if name != "owner"}
    state["owner"] = charter.owner.username if charter.owner_id else None
    return state


@transaction.atomic
def update_charter(initiative_id: int, *, acting_user, **changes) -> Charter:
    """Save the charter (a draft may stay incomplete). A material edit marks earlier approvals stale."""
    initiative = lock_initiative(initiative_id, acting_user, may=can_edit, to="edit the charter")
    unknown = set(changes) - set(Charter.EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed here."))
    charter = initiative.charter
    before = charter_state(charter)
    for name, value in changes.items():
        setattr(charter, name, value)
    charter.full_clean(exclude=["initiative"])
    after = charter_state(charter)
    if before == after:
        return charter
    charter.save()
    initiative.mark_dirty()
    if {"customer_facing", "automated_decisions"} & set(_diff(before, after)):
        refresh_risk_tier(initiative, acting_user=acting_user, because="the charter's risk answers changed")
    audit.record(
        "charter.updated",
        charter,
        actor=acting_user,
        initiative_id=initiative.pk,
        before=_diff(before, after),
        after=_diff(after, before),
    )
    mark_stale_approvals(initiative, acting_user=acting_user)
    return charter


@transaction.atomic
def assign_role(initiative_id: int, *, acting_user, role: str, user) -> RoleAssignment:
    """Give a user a role. An accountable role has one holder, so assigning it replaces the holder."""
    initiative = lock_initiative(initiative_id, acting_user, may=can_edit, to="assign roles")
    if role not in Role.values:
        raise ValidationError({"role": f"Choose one of: {', '.join(Role.values)}."})
    if not user.is_active:
        raise ValidationError({"user": f"{user.username} is deactivated."})
    existing = initiative.role_assignments.filter(role=role, user=user).first()
    if existing:
        return existing
    replaced = []
    if role in ACCOUNTABLE_ROLES:
        replaced = list(initiative.role_assignments.filter(role=role).select_related("user"))
        for old in replaced:
            old.delete()
    assignment = RoleAssignment.objects.create(
        initiative=initiative,
        role=role,
        user=user,
        assigned_by=acting_user,
        accepted_at=timezone.now() if user == acting_user else None,
    )
    audit.record(
        "role.assigned",
        assignment,
        actor=acting_user,
        initiative_id=initiative.pk,
        before={"role": role, "users": [a.user.username for a in replaced]} if replaced else None,
        after={"role": role, "user": user.username},
    )
    initiative.mark_dirty()
    return assignment


@transaction.atomic
def remove_role(assignment_id: int, *, acting_user) -> None:
    assignment = RoleAssignment.objects.select_related("initiative", "user").get(pk=assignment_id)
    initiative = lock_initiative(assignment.initiative_id, acting_user, may=can_edit, to="remove roles")
    audit.record(
        "role.removed",
        assignment,
        actor=acting_user,
        initiative_id=initiative.pk,
        before={"role": assignment.role, "user": assignment.user.username},
    )
    assignment.delete()
    initiative.mark_dirty()


@transaction.atomic
def accept_role(assignment_id: int, *, acting_user) -> RoleAssignment:
    """The holder accepts a role (the reuse-ready gate needs an accepted service owner)."""
    assignment = RoleAssignment.objects.select_for_update().get(pk=assignment_id)
    if assignment.user_id != acting_user.pk:
        raise PermissionDenied("Only the person who holds a role can accept it.")
    if assignment.accepted_at is None:
        assignment.accepted_at = timezone.now()
        assignment.save(update_fields=["accepted_at"])
        audit.record(
            "role.accepted",
            assignment,
            actor=acting_user,
            initiative_id=assignment.initiative_id,
            after={"role": assignment.role, "user": acting_user.username},
        )
        Initiative.objects.filter(pk=assignment.initiative_id).mark_dirty()
    return assignment
