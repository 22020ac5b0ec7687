"""Who may see, change and decide what. Browser views, the API and the admin all ask here."""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, Value

from governance.models import GateDecision
from initiatives.models import Role, RoleAssignment, is_leader

# Members of the leadership group (initiatives.models.LEADERSHIP_GROUP) act as sponsor or CTO on every initiative.
LEADERSHIP_ROLES = frozenset({Role.EXECUTIVE_SPONSOR, Role.CTO})
EDITOR_ROLES = frozenset({Role.PRODUCT_MANAGER, Role.EXECUTIVE_SPONSOR})


def roles_held(user, initiative) -> set[str]:
    if not user.is_authenticated:
        return set()
    assignments = getattr(initiative, "_prefetched_objects_cache", {}).get("role_assignments")
    if assignments is not None:
        return {a.role for a in assignments if a.user_id == user.pk}
    return set(initiative.role_assignments.filter(user=user).values_list("role", flat=True))


def can_edit(user, initiative) -> bool:
    """The charter, roles and gate requests: the PM, the sponsor, the creator, the charter owner, leaders."""
    if is_leader(user) or initiative.created_by_id == user.pk:
        return True
    if getattr(initiative.charter, "owner_id", None) == user.pk:
        return True
    return bool(roles_held(user, initiative) & EDITOR_ROLES)


can_edit.who = "the initiative's product manager, sponsor, creator, charter owner or a portfolio leader"


# Who runs a reuse review with adjacent teams (PRODUCT.md: the platform / enablement team), beside its editors.
REUSE_REVIEW_ROLES = frozenset({Role.ENABLEMENT, Role.SERVICE_OWNER, Role.PLATFORM_ENGINEERING})


def can_record_reuse_review(user, initiative) -> bool:
    """The reuse review's outcome: the initiative's editors, and its enablement, service owner and platform holders."""
    return can_edit(user, initiative) or bool(roles_held(user, initiative) & REUSE_REVIEW_ROLES)


can_record_reuse_review.who = (
    "the initiative's product manager, sponsor, creator, charter owner, enablement lead, service owner, "
    "platform engineering or a portfolio leader"
)


def can_resume(user, initiative) -> bool:
    """Take an initiative off hold: its executive sponsor or a leader."""
    return is_leader(user) or Role.EXECUTIVE_SPONSOR in roles_held(user, initiative)


can_resume.who = "the executive sponsor or a portfolio leader"


def can_change_risk_tier(user, initiative) -> bool:
    return is_leader(user) or Role.SECURITY_RISK in roles_held(user, initiative)


can_change_risk_tier.who = "a security/risk role holder or a portfolio leader"


def deciding_roles(user, initiative) -> set[str]:
    """Roles in which this user may decide gates on this initiative."""
    roles = roles_held(user, initiative)
    if is_leader(user):
        roles |= LEADERSHIP_ROLES
    return roles


def open_slots_for(user, review) -> list[tuple[int, str]]:
    """Unfilled approver slots this user may fill, as (slot index, role), segregation of duties applied:
    none once they have approved this review (in whichever role).

    Slots for roles the user holds come first, then slots nobody else could fill: a leader who
    approves first stands in for a missing role instead of taking the named sponsor's slot.
    """
    approvals = [
        (d.slot, d.decided_by_id)
        for d in review.decisions.all()
        if d.decision == GateDecision.Kind.APPROVE and not d.is_stale
    ]
    others = {a.role for a in _assignments(review.initiative) if a.user_id not in {user.pk, review.requested_by_id}}
    return offered_slots(
        review.policy.approver_slots,
        approvals,
        user_id=user.pk,
        held=roles_held(user, review.initiative),
        leader=is_leader(user),
        others=others,
    )


def offered_slots(
    approver_slots: list, approvals: list[tuple[int, int]], *, user_id: int, held: set, leader: bool, others=frozenset()
) -> list[tuple[int, str]]:
    """open_slots_for on plain values, so the inbox can ask it of every open review from a few narrow rows.

    `approvals` are the live approvals as (slot, decided_by_id); `held` the user's roles on the initiative;
    `others` the roles other people hold there (they only order the slots, never remove one).
    """
    mine = _fillable_roles(held, leader)
    slots = [
        (index, sorted(slot, key=lambda role: role not in held))
        for index, slot in _fillable(approver_slots, approvals, user_id=user_id, mine=mine)
    ]
    slots.sort(key=lambda item: (not held.intersection(item[1]), bool(others.intersection(item[1]))))
    return [(index, next(role for role in slot if role in mine)) for index, slot in slots]


def offers_a_slot(
    approver_slots: list, approvals: list[tuple[int, int]], *, user_id: int, held: set, leader: bool
) -> bool:
    """Whether offered_slots would offer any, without ordering them: what the inbox asks of every open review."""
    mine = _fillable_roles(held, leader)
    return next(_fillable(approver_slots, approvals, user_id=user_id, mine=mine), None) is not None


def _fillable_roles(held: set, leader: bool) -> set:
    """The roles whose slots a user may fill: those they hold, and a leader's the leadership roles too."""
    if not leader:
        return held
    return held | LEADERSHIP_ROLES if held else LEADERSHIP_ROLES


def _fillable(approver_slots: list, approvals: list[tuple[int, int]], *, user_id: int, mine: set):
    """(index, roles) of each required slot still empty that one of the roles in `mine` fills."""
    filled = set()
    for slot, decided_by in approvals:
        if decided_by == user_id:
            return  # one person counts for one required role only
        filled.add(slot)
    for index, slot in enumerate(approver_slots):
        if index not in filled and not mine.isdisjoint(slot):
            yield index, slot


def _assignments(initiative):
    prefetched = getattr(initiative, "_prefetched_objects_cache", {}).get("role_assignments")
    return prefetched if prefetched is not None else initiative.role_assignments.all()


def check_can_decide(user, review) -> None:
    """Segregation of duties, enforced for browser, API and admin alike. Raises PermissionDenied."""
    if review.requested_by_id == user.pk:
        raise PermissionDenied("You requested this review, so you cannot decide it (segregation of duties).")
    required = {role for slot in review.policy.approver_slots for role in slot}
    if not deciding_roles(user, review.initiative) & required:
        names = ", ".join(sorted(Role(r).label for r in required))
        raise PermissionDenied(
            f"Only holders of a required role ({names}) or portfolio leaders may decide this review."
        )


def can_edit_kpis(user, initiative) -> bool:
    """The outcome tree: every role holder on the initiative (its PM among them) and leaders.

    with_measurement_rights states the same rule in SQL, for every KPI of an ingest batch at once.
    """
    return is_leader(user) or bool(roles_held(user, initiative))


can_edit_kpis.who = "the initiative's role holders or a portfolio leader"


def with_measurement_rights(user, kpis):
    """`kpis` annotated with `writable`: whether this user may write measurements to each, in the same query.

    Whoever may edit a KPI's tree (can_edit_kpis) may, and so may the KPI's owner without a role on
    the initiative: the person answerable for its numbers, who is not thereby an editor of the tree.
    """
    if is_leader(user):
        return kpis.annotate(writable=Value(True))
    holds_role = RoleAssignment.objects.filter(initiative=OuterRef("initiative"), user=user)
    return kpis.annotate(writable=Q(owner=user) | Exists(holds_role))


# The library's curators: the platform and enablement teams own it, leaders oversee it.
CURATOR_ROLES = frozenset({Role.PLATFORM_ENGINEERING, Role.ENABLEMENT})


def _holds_anywhere(user, roles) -> bool:
    return RoleAssignment.objects.filter(user=user, role__in=roles).exists()


def can_curate_asset(user, asset) -> bool:
    """Publish versions and move labels: the asset's owner or creator, platform/enablement people, leaders."""
    if is_leader(user) or user.pk in (asset.owner_id, asset.created_by_id):
        return True
    # The team behind the initiative an asset was published from keeps it up to date.
    if asset.source_initiative_id and can_edit(user, asset.source_initiative):
        return True
    return _holds_anywhere(user, CURATOR_ROLES)


can_curate_asset.who = "the asset's owner, its initiative's team, the platform and enablement teams or a leader"


def can_approve_security_labels(user) -> bool:
    return _holds_anywhere(user, {Role.SECURITY_RISK})


RISK_OWNER_ROLES = frozenset({Role.SECURITY_RISK, Role.DATA_PLATFORM, Role.LEGAL_COMPLIANCE})


def can_set_control(user, initiative, control) -> bool:
    """A control is recorded by the role the catalogue names, by risk owners, or by leaders."""
    held = roles_held(user, initiative)
    return is_leader(user) or control.owner_role in held or bool(held & RISK_OWNER_ROLES)


def can_manage_data_sources(user, initiative) -> bool:
    return is_leader(user) or can_edit(user, initiative) or bool(roles_held(user, initiative) & RISK_OWNER_ROLES)


can_manage_data_sources.who = "the initiative's editors, risk owners or leaders"


# The shadow-AI register's stewards: risk owners judge the exposure, enablement owns the sanctioned path.
SHADOW_AI_ROLES = frozenset({Role.SECURITY_RISK, Role.ENABLEMENT})


def can_manage_shadow_ai(user) -> bool:
    """Read and change the shadow-AI register: security/risk and enablement role holders, leaders, admins."""
    return is_leader(user) or _holds_anywhere(user, SHADOW_AI_ROLES)


can_manage_shadow_ai.who = "security/risk and enablement role holders and portfolio leaders"
