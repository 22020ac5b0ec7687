"""Verbs on an initiative's outcome tree. Each is one transaction with its audit row.

Every edit of the tree is material: approvals bound to an older tree go stale.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from governance import audit
from governance.errors import TransitionError
from governance.permissions import can_edit, can_edit_kpis
from governance.services import mark_stale_approvals
from initiatives.locking import lock_initiative
from initiatives.models import LAUNCHED, Initiative
from kpis.catalogue import TEMPLATES
from kpis.models import AfterActionReview, Driver, Kpi, Objective
from opmodel import clock

# A KPI's state in its audit rows: every field a person sets (its driver is shown by name).
KPI_FIELDS = [*Kpi.CREATE_ONLY_FIELDS, *(name for name in Kpi.EDITABLE_FIELDS if name != "driver")]


class NeedsConfirmation(Exception):
    """Removing a KPI that has measurements deletes them; the caller must confirm."""


def _lock_for_edit(initiative_id: int, acting_user) -> Initiative:
    return lock_initiative(initiative_id, acting_user, may=can_edit_kpis, to="edit its outcome tree")


def _tree_changed(initiative: Initiative, action: str, obj, acting_user, *, before=None, after=None) -> None:
    audit.record(action, obj, actor=acting_user, initiative_id=initiative.pk, before=before, after=after)
    initiative.mark_dirty()
    mark_stale_approvals(initiative, acting_user=acting_user)


def kpi_state(kpi: Kpi) -> dict:
    state = {name: getattr(kpi, name) for name in KPI_FIELDS if name != "owner"}
    state["owner"] = kpi.owner.username if kpi.owner_id else None
    state["driver"] = kpi.driver.name
    return state


def _objective(initiative: Initiative) -> Objective:
    objective = Objective.objects.filter(initiative=initiative).first()
    if objective is None:
        statement = initiative.charter.outcome_statement.strip()[:300] or initiative.title
        objective = Objective.objects.create(initiative=initiative, statement=statement)
    return objective


@transaction.atomic
def set_objective(initiative_id: int, *, acting_user, statement: str) -> Objective:
    initiative = _lock_for_edit(initiative_id, acting_user)
    statement = statement.strip()
    if not statement:
        raise ValidationError({"statement": "State the business objective the tree serves."})
    objective = _objective(initiative)
    before = objective.statement
    if before != statement:
        objective.statement = statement
        objective.full_clean(exclude=["initiative"])
        objective.save()
        _tree_changed(
            initiative,
            "kpi_tree.objective_set",
            objective,
            acting_user,
            before={"statement": before},
            after={"statement": statement},
        )
    return objective


@transaction.atomic
def add_driver(initiative_id: int, *, acting_user, name: str) -> Driver:
    initiative = _lock_for_edit(initiative_id, acting_user)
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the operational driver, e.g. “Faster first response”."})
    objective = _objective(initiative)
    if objective.drivers.filter(name__iexact=name).exists():
        raise ValidationError({"name": f"This tree already has a driver named “{name}”."})
    position = (objective.drivers.aggregate(p=Max("position"))["p"] or 0) + 1
    driver = Driver.objects.create(objective=objective, name=name, position=position)
    _tree_changed(initiative, "kpi_tree.driver_added", driver, acting_user, after={"name": name})
    return driver


@transaction.atomic
def remove_driver(driver_id: int, *, acting_user) -> None:
    driver = Driver.objects.select_related("objective").get(pk=driver_id)
    initiative = _lock_for_edit(driver.objective.initiative_id, acting_user)
    if driver.kpis.exists():
        raise ValidationError({"driver": f"Move or remove the KPIs under “{driver.name}” first."})
    _tree_changed(initiative, "kpi_tree.driver_removed", driver, acting_user, before={"name": driver.name})
    driver.delete()


@transaction.atomic
def add_kpi(initiative_id: int, *, acting_user, driver: Driver, **fields) -> Kpi:
    initiative = _lock_for_edit(initiative_id, acting_user)
    if driver.objective.initiative_id != initiative.pk:
        raise ValidationError({"driver": "Choose a driver of this initiative's tree."})
    unknown = set(fields) - set(Kpi.CREATE_ONLY_FIELDS) - set(Kpi.EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    position = (driver.kpis.aggregate(p=Max("position"))["p"] or 0) + 1
    kpi = Kpi(initiative=initiative, driver=driver, position=position, **fields)
    kpi.full_clean()
    kpi.save()
    _tree_changed(initiative, "kpi_tree.kpi_added", kpi, acting_user, after=kpi_state(kpi))
    return kpi


@transaction.atomic
def update_kpi(kpi_id: int, *, acting_user, **changes) -> Kpi:
    kpi = Kpi.objects.select_related("driver", "owner").get(pk=kpi_id)
    initiative = _lock_for_edit(kpi.initiative_id, acting_user)
    # The key is not among them: REST clients push measurements to it.
    unknown = set(changes) - set(Kpi.EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed here."))
    if "driver" in changes and changes["driver"].objective.initiative_id != initiative.pk:
        raise ValidationError({"driver": "Choose a driver of this initiative's tree."})
    before = kpi_state(kpi)
    for name, value in changes.items():
        setattr(kpi, name, value)
    kpi.full_clean()
    after = kpi_state(kpi)
    if before != after:
        kpi.save()
        diff_before = {k: v for k, v in before.items() if after[k] != v}
        diff_after = {k: v for k, v in after.items() if before[k] != v}
        _tree_changed(initiative, "kpi_tree.kpi_updated", kpi, acting_user, before=diff_before, after=diff_after)
    return kpi


@transaction.atomic
def move_kpi(kpi_id: int, *, acting_user, offset: int) -> Kpi:
    """Move a KPI up (-1) or down (+1) among its driver's KPIs."""
    kpi = Kpi.objects.get(pk=kpi_id)
    initiative = _lock_for_edit(kpi.initiative_id, acting_user)
    siblings = list(Kpi.objects.filter(driver_id=kpi.driver_id).order_by("position", "id"))
    i = next(n for n, k in enumerate(siblings) if k.pk == kpi.pk)
    j = i + offset
    if not 0 <= j < len(siblings):
        return kpi
    siblings[i], siblings[j] = siblings[j], siblings[i]
    for position, sibling in enumerate(siblings, start=1):
        if sibling.position != position:
            Kpi.objects.filter(pk=sibling.pk).update(position=position)
    _tree_changed(
        initiative, "kpi_tree.kpi_moved", kpi, acting_user, before={"position": i + 1}, after={"position": j + 1}
    )
    return kpi


@transaction.atomic
def remove_kpi(kpi_id: int, *, acting_user, confirmed: bool = False) -> None:
    kpi = Kpi.objects.select_related("driver").get(pk=kpi_id)
    initiative = _lock_for_edit(kpi.initiative_id, acting_user)
    points = kpi.measurements.count()
    if points and not confirmed:
        raise NeedsConfirmation(f"“{kpi.name}” has {points} measurements; removing it deletes them.")
    _tree_changed(
        initiative, "kpi_tree.kpi_removed", kpi, acting_user, before={**kpi_state(kpi), "measurements": points}
    )
    kpi.delete()


@transaction.atomic
def apply_template(initiative_id: int, *, acting_user, template: str) -> list[Kpi]:
    """Create the template's drivers and KPIs that are missing; keys are prefixed with the initiative's slug."""
    initiative = _lock_for_edit(initiative_id, acting_user)
    spec = TEMPLATES.get(template)
    if spec is None:
        raise ValidationError({"template": f"Choose one of: {', '.join(TEMPLATES)}."})
    objective = _objective(initiative)
    existing_keys = set(Kpi.objects.filter(key__startswith=f"{initiative.slug}.").values_list("key", flat=True))
    missing = {
        name: [k for k in kpis if f"{initiative.slug}.{k.suffix}" not in existing_keys]
        for name, kpis in spec.drivers.items()
    }
    if not any(missing.values()):
        return []  # applied before: nothing to add, nothing to audit
    if spec.objective and objective.statement == initiative.title:
        objective.statement = spec.objective
        objective.save(update_fields=["statement"])
    created = []
    for position, (driver_name, kpis) in enumerate(missing.items(), start=objective.drivers.count() + 1):
        if not kpis:
            continue
        driver = objective.drivers.filter(name=driver_name).first() or Driver.objects.create(
            objective=objective, name=driver_name, position=position
        )
        first = (driver.kpis.aggregate(p=Max("position"))["p"] or 0) + 1
        for n, k in enumerate(kpis, start=first):
            kpi = Kpi(
                initiative=initiative,
                driver=driver,
                key=f"{initiative.slug}.{k.suffix}",
                name=k.name,
                unit=k.unit,
                kind=k.kind,
                direction=k.direction,
                category=k.category,
                cadence=k.cadence,
                guardrail_bound=k.guardrail_bound,
                value_measure=k.value_measure,
                cohort=k.cohort,
                position=n,
            )
            kpi.full_clean()
            created.append(kpi)
    Kpi.objects.bulk_create(created)
    _tree_changed(
        initiative,
        "kpi_tree.template_applied",
        objective,
        acting_user,
        after={"template": template, "kpis_added": [k.key for k in created]},
    )
    return created


def after_action_state(review: AfterActionReview | None) -> dict | None:
    """The review in its audit rows: its answers, its date and its KPIs by key."""
    if review is None or review.pk is None:
        return None
    state = {name: getattr(review, name) for name in AfterActionReview.EDITABLE_FIELDS if name != "kpis"}
    state["kpis"] = sorted(review.kpis.values_list("key", flat=True))
    return state


def after_action_problems(initiative: Initiative, *, held_on, kpis) -> dict[str, list[str]]:
    """The review's rules beyond each field's own: held by today, and at least one KPI, each of this initiative.
    The service enforces them; the page's form asks them too, so a bad save names every field at once."""
    problems = {}
    if held_on and held_on > timezone.localdate(clock.now()):
        problems["held_on"] = ["Record the review once held: choose today or an earlier day."]
    if not kpis:
        problems["kpis"] = ["Link at least one KPI that shows the result."]
    foreign = [k.key for k in kpis or () if k.initiative_id != initiative.pk]
    if foreign:
        problems["kpis"] = [f"Not a KPI of this initiative: {', '.join(foreign)}."]
    return problems


@transaction.atomic
def save_after_action_review(initiative_id: int, *, acting_user, **fields) -> AfterActionReview:
    """Write the initiative's after-action review (the scale-out gate asks for it), the whole of it each time.

    It looks back on a launched initiative: what work AI removed, what replaced it, what result followed,
    and which of the initiative's KPIs show that result (at least one). A rewrite that changes nothing
    writes no audit row."""
    initiative = lock_initiative(initiative_id, acting_user, may=can_edit, to="write its after-action review")
    unknown = set(fields) - set(AfterActionReview.EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    if initiative.stage not in LAUNCHED:
        raise TransitionError(
            f"An after-action review looks back on a launched initiative; {initiative.title} is still at "
            f"{initiative.get_stage_display()} (it launches when the foundation-ready gate is passed)."
        )
    review = AfterActionReview.objects.filter(initiative=initiative).first() or AfterActionReview(initiative=initiative)
    before = after_action_state(review)
    kpis = list(fields.pop("kpis", None) or [])
    for name, value in fields.items():
        setattr(review, name, value)
    review.recorded_by = acting_user
    errors = {}
    try:
        review.full_clean(exclude=["initiative", "recorded_by"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    for name, messages in after_action_problems(initiative, held_on=review.held_on, kpis=kpis).items():
        errors.setdefault(name, messages)
    if errors:
        raise ValidationError(errors)
    proposed = {name: getattr(review, name) for name in AfterActionReview.EDITABLE_FIELDS if name != "kpis"}
    if before == {**proposed, "kpis": sorted(k.key for k in kpis)}:
        return review  # a retried request: no second audit row
    review.save()
    review.kpis.set(kpis)
    after = after_action_state(review)
    audit.record(
        "after_action_review.saved",
        review,
        actor=acting_user,
        initiative_id=initiative.pk,
        before=_changed(before, after) if before else None,
        after=_changed(after, before) if before else after,
    )
    initiative.mark_dirty()
    return review


def _changed(a: dict, b: dict) -> dict:
    return {k: v for k, v in a.items() if b.get(k) != v}
