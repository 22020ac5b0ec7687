"""The initiative page's tabs. Each builds only what it shows, so opening one costs its own queries, not the
sum of every panel's; each is a link (`?tab=<key>`), so every tab has its address and works without JavaScript.

Built here, not in a view, so the page imports its panels from each app and no view of theirs."""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils import timezone

from governance import services as governance
from governance.criteria import readiness
from governance.foundation.panels import foundation_context
from governance.library.panels import library_context
from governance.models import GateReview
from governance.panels import history_context
from governance.permissions import can_resume
from initiatives.forms import ResumeForm, ReviewRequestForm, RoleAssignmentForm
from initiatives.models import ACCOUNTABLE_ROLES, ROLE_DUTIES, Initiative, Role, RoleAssignment
from initiatives.shortcuts import tab_url
from kpis.models import Scorecard
from kpis.panels import tree_context
from kpis.scorecards import latest_scorecard

OVERVIEW = "overview"


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    # The ids of the sections a link could point at before the page had tabs (/initiatives/x/#assets):
    # static/js/initiative_detail.js opens the tab that holds one.
    sections: str
    template: str
    build: Callable[[HttpRequest, Initiative, bool], dict]


def _overview(request: HttpRequest, initiative: Initiative, editable: bool) -> dict:
    # Readiness is counted from the criteria evaluated now, never from the last snapshot, so it can
    # never contradict the criteria rows shown below it (a snapshot lags a decision by minutes).
    criteria, next_gate = governance.criteria_for(initiative), governance.gate_for(initiative)
    open_review = initiative.gate_reviews.filter(status=GateReview.Status.OPEN).select_related("requested_by").first()
    return {
        "criteria": criteria,
        "readiness": {
            **readiness(criteria),
            "gate": next_gate.label if next_gate else "",
            "evaluated_at": timezone.now(),
        },
        "next_gate": next_gate,
        "open_review": open_review,
        "can_request": editable and initiative.is_active and open_review is None and next_gate is not None,
        "roles": _role_rows(list(initiative.role_assignments.select_related("user"))),
        "role_form": RoleAssignmentForm(),
        "request_form": ReviewRequestForm(),
        "can_resume": initiative.status == Initiative.Status.ON_HOLD and can_resume(request.user, initiative),
        "resume_form": ResumeForm(),
        **_scorecard(initiative),
    }


def _scorecard(initiative: Initiative) -> dict:
    """The latest scorecard, and the KPIs the overview lists: those that need a look (not green, or stale);
    the others it only counts, so a long outcome tree does not make a long overview."""
    scorecard = latest_scorecard(initiative)
    if scorecard is None:
        return {"scorecard": None}
    rows = [k for k in scorecard.kpis if k["status"] != Scorecard.Health.GREEN or k["stale"]]
    return {"scorecard": scorecard, "focus": {"rows": rows, "on_track": len(scorecard.kpis) - len(rows)}}


def _role_rows(assignments: list[RoleAssignment]) -> list[dict]:
    return [
        {
            "role": role,
            "duty": ROLE_DUTIES[role],
            "accountable": role in ACCOUNTABLE_ROLES,
            "holders": [a for a in assignments if a.role == role],
        }
        for role in Role
    ]


def _tree(request: HttpRequest, initiative: Initiative, editable: bool) -> dict:
    return tree_context(initiative, request.user)


def _foundation(request: HttpRequest, initiative: Initiative, editable: bool) -> dict:
    return foundation_context(initiative, request.user)


def _assets(request: HttpRequest, initiative: Initiative, editable: bool) -> dict:
    return library_context(initiative, request.user)


def _history(request: HttpRequest, initiative: Initiative, editable: bool) -> dict:
    return history_context(initiative, kind=request.GET.get("kind", ""), page=request.GET.get("page"))


TABS = {
    tab.key: tab
    for tab in (
        Tab(OVERVIEW, "Overview", "scorecard next-gate roles charter", "initiatives/_overview.html", _overview),
        Tab(
            "tree", "Outcome tree & KPIs", "outcome-tree cohort-adoption after-action-review", "kpis/_tree.html", _tree
        ),
        Tab("foundation", "Foundation", "foundation", "governance/_initiative_foundation.html", _foundation),
        Tab("assets", "Assets", "assets", "governance/_initiative_assets.html", _assets),
        Tab("history", "History", "gate-history audit", "governance/_initiative_history.html", _history),
    )
}


def tab_named(key: str | None) -> Tab:
    """The tab a URL asks for; an unknown one opens the overview, as the page's own URL does."""
    return TABS.get(key or OVERVIEW, TABS[OVERVIEW])


def tab_links(initiative: Initiative, current: Tab) -> list[dict]:
    """The tab bar: the overview at the page's own URL, the others at `?tab=<key>`."""
    return [
        {
            "label": tab.label,
            "url": initiative.get_absolute_url() if tab.key == OVERVIEW else tab_url(initiative, tab.key),
            "sections": tab.sections,
            "current": tab == current,
        }
        for tab in TABS.values()
    ]
