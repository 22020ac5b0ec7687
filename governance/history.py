"""The audit trail as people read it: who acted by name, what happened in words, each changed field by its
label and each value as the rest of the product shows it.

The events keep the usernames, keys and slugs they were written with: those identify, and they are hashed
into the chain. Only their reading changes here, for a page of events at a time, in a few queries.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.utils.text import capfirst

from governance.models import (
    Asset,
    AuditEvent,
    ChecklistAnswer,
    ChecklistItem,
    Control,
    Gate,
    GateDecision,
    GateReview,
)
from initiatives.models import Initiative, Role, Stage
from initiatives.people import person_name
from kpis.catalogue import TEMPLATES
from kpis.models import Kpi

ACTIONS = {
    "initiative.created": "Initiative created",
    "initiative.updated": "Details edited",
    "initiative.stage_changed": "Stage changed",
    "initiative.status_changed": "Status changed",
    "initiative.risk_tier_changed": "Risk tier changed",
    "initiative.reuse_review_scheduled": "Reuse review scheduled",
    "initiative.reuse_review_held": "Reuse review outcome recorded",
    "after_action_review.saved": "After-action review written",
    "charter.updated": "Charter edited",
    "role.assigned": "Role assigned",
    "role.removed": "Role removed",
    "role.accepted": "Role accepted",
    "gate.requested": "Gate review requested",
    "gate.decided": "Gate decision",
    "gate.closed": "Gate review closed",
    "gate.approval_stale": "Approval marked stale",
    "gate.policy_rebound": "Review moved to the current policy",
    "kpi_tree.objective_set": "Objective set",
    "kpi_tree.template_applied": "KPI set applied",
    "kpi_tree.driver_added": "Driver added",
    "kpi_tree.driver_removed": "Driver removed",
    "kpi_tree.kpi_added": "KPI added",
    "kpi_tree.kpi_updated": "KPI edited",
    "kpi_tree.kpi_moved": "KPI moved",
    "kpi_tree.kpi_removed": "KPI removed",
    "control.updated": "Control recorded",
    "data_source.saved": "Data source saved",
    "data_source.linked": "Data source linked",
    "data_source.unlinked": "Data source unlinked",
    "checklist.answered": "Checklist question answered",
    "asset.created": "Asset created",
    "asset.updated": "Asset edited",
    "asset.version_published": "Asset version published",
    "asset.adopted": "Asset adopted",
    "asset.label_moved": "Asset label moved",
    "asset.label_requested": "Asset label move requested",
    "asset.label_request_decided": "Asset label move decided",
    "shadow_ai.recorded": "Shadow AI use recorded",
    "shadow_ai.updated": "Shadow AI use edited",
    "shadow_ai.triaged": "Shadow AI use triaged",
}

# Values named by their choices wherever they appear, also in events of a model without the field
# (the role of the creator's first assignment is recorded on the initiative).
CHOICES = {
    "stage": dict(Stage.choices),
    "from_stage": dict(Stage.choices),
    "to_stage": dict(Stage.choices),
    "recycle_to": dict(Stage.choices),
    "role": dict(Role.choices),
    "risk_tier": dict(Initiative.RiskTier.choices),
    "gate": dict(Gate.choices),
    "decision": dict(GateDecision.Kind.choices),
    "answer": dict(ChecklistAnswer.Answer.choices),
    "audience": dict(ChecklistItem.Audience.choices),
}
FIELD_LABELS = {
    "user": "Person",
    "users": "Held by",
    "because": "Because",
    "criteria_unmet": "Criteria not met",
    "kpis_added": "KPIs added",
    "template": "KPI set",
    "review": "Review",
    "checklist": "Checklist answers",
    "snapshot_hash": "Snapshot",
    "source": "Data source",
}


def describe(events: Iterable[AuditEvent]) -> Iterable[AuditEvent]:
    """Give each event its reading: `who` (a name), `what` (the action in words) and `lines` (field, before,
    after, in words). Returns `events` (a list or a page of them), so a view can pass it on."""
    rows = list(events)
    names = _Names(rows)
    for event in rows:
        event.who = names.actor(event)
        event.what = ACTIONS.get(event.action) or capfirst(event.action.replace("_", " ").replace(".", ": "))
        # A field blank on both sides says nothing; one that kept its value is shown once, without an arrow.
        changes = [(name, None if old == new else old, new) for name, old, new in _changes(event)]
        event.lines = [_line(event, c, names) for c in changes if not (_blank(c[1]) and _blank(c[2]))]
    return events


def _blank(value) -> bool:
    return value is None or value == "" or value == []


def _changes(event: AuditEvent) -> list[tuple[str, object, object]]:
    before, after = event.before or {}, event.after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [("", before, after)]
    return [(name, before.get(name), after.get(name)) for name in dict.fromkeys([*before, *after])]


def _line(event: AuditEvent, change: tuple[str, object, object], names: "_Names") -> dict:
    name, before, after = change
    field = _model_field(event.object_type, name)
    label = FIELD_LABELS.get(name) or capfirst(field.verbose_name if field else name.replace("_", " "))
    return {
        "field": label if name else "",
        "before": names.value(field, name, before),
        "after": names.value(field, name, after),
    }


def _model_field(object_type: str, name: str):
    try:
        return apps.get_model(object_type)._meta.get_field(name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return None


class _Names:
    """Names for the rows a page of events refers to by key: people, controls, assets, KPIs, criteria.

    One query per kind that the page refers to, and none for a kind it does not."""

    def __init__(self, events: list[AuditEvent]):
        refs = defaultdict(set)
        for event in events:
            for name, before, after in _changes(event):
                kind = _REFERENCES.get(name)
                for value in (before, after):
                    if kind and value:
                        refs[kind].update(value if isinstance(value, list) else [value])
        actor_ids = {e.actor_id for e in events if e.actor_id}
        users = get_user_model().objects.filter(Q(pk__in=actor_ids) | Q(username__in=refs["username"]))
        people = list(users) if actor_ids or refs["username"] else []
        self.by_id = {u.pk: person_name(u) for u in people}
        self.labels = {
            "username": {u.username: person_name(u) for u in people},
            "control": _lookup(Control, "key", refs["control"]),
            "asset": _lookup(Asset, "slug", refs["asset"]),
            "initiative": _titles(refs["initiative"]),
            "kpi": _lookup(Kpi, "key", refs["kpi"]),
            "criterion": _criterion_labels(events),
            "template": {key: template.name for key, template in TEMPLATES.items()},
        }

    def actor(self, event: AuditEvent) -> str:
        # A deleted user keeps the username the event recorded; nobody acting means OpModel itself.
        if event.actor_id in self.by_id:
            return self.by_id[event.actor_id]
        return "OpModel" if event.actor_username in ("", "system") else event.actor_username

    def value(self, field, name: str, value):
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if isinstance(value, list):
            if value and isinstance(value[0], dict):
                return f"{len(value)} recorded"
            return ", ".join(str(self.value(field, name, v)) for v in value) or "none"
        if value in (None, "") or isinstance(value, dict):
            return value
        if name in _REFERENCES:
            return self.labels[_REFERENCES[name]].get(value, value)
        labels = dict(field.flatchoices) if field is not None and field.choices else CHOICES.get(name, {})
        return labels.get(value, value)


# Event fields whose values name a row by its key, and the kind of row.
_REFERENCES = {
    "user": "username",
    "users": "username",
    "owner": "username",
    "control": "control",
    "asset": "asset",
    "initiative": "initiative",  # the one replacing a shadow-AI use; its events belong to that initiative
    "kpis_added": "kpi",
    "criteria_unmet": "criterion",
    "template": "template",
}


def _titles(slugs: set) -> dict:
    return dict(Initiative.objects.filter(slug__in=slugs).values_list("slug", "title")) if slugs else {}


def _lookup(model, key: str, values: set) -> dict:
    return dict(model.objects.filter(**{f"{key}__in": values}).values_list(key, "name")) if values else {}


def _criterion_labels(events: list[AuditEvent]) -> dict:
    # A review stores each criterion's label as it was asked; that is the label its request names.
    reviews = [e.object_id for e in events if e.action == "gate.requested" and (e.after or {}).get("criteria_unmet")]
    stored = GateReview.objects.filter(pk__in=reviews).values_list("criteria_results", flat=True) if reviews else []
    return {c["key"]: c["label"] for results in stored for c in results}
