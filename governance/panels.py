"""The initiative page's "History" tab: its gate reviews and its audit trail, a page at a time.

Built here, not in a view, so the initiative page imports no governance view."""

from django.core.paginator import Paginator
from django.db.models import Prefetch

from governance.history import describe
from governance.models import AuditEvent, GateDecision
from initiatives.models import Initiative

EVENTS_PER_PAGE = 50
# The kinds of event an initiative's trail holds, by the first part of their action ("gate.decided").
EVENT_KINDS = {
    "initiative": "Initiative details and stage",
    "charter": "Charter",
    "role": "Roles",
    "gate": "Gate reviews",
    "kpi_tree": "Outcome tree",
    "after_action_review": "After-action review",
    "control": "Controls",
    "data_source": "Data sources",
    "checklist": "Executive checklist",
    "asset": "Assets",
}


def history_context(initiative: Initiative, *, kind: str = "", page: str | None = None) -> dict:
    """Every gate review with its decisions, and one page of the audit trail, newest first, of one kind or all.

    An unknown kind shows every kind, as an unknown page number shows the last page: a stale link still opens.
    """
    kind = kind if kind in EVENT_KINDS else ""
    events = AuditEvent.objects.filter(initiative_id=initiative.pk).order_by("-id")
    if kind:
        events = events.filter(action__startswith=f"{kind}.")
    reviews = initiative.gate_reviews.select_related("requested_by", "policy").prefetch_related(
        Prefetch("decisions", queryset=GateDecision.objects.select_related("decided_by"))
    )
    return {
        "reviews": reviews,
        "events": describe(Paginator(events, EVENTS_PER_PAGE).get_page(page)),
        "event_kinds": EVENT_KINDS.items(),
        "kind": kind,
    }
