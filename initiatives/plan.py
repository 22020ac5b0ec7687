"""The framework's 90-day plan, tracked: three milestones on the charter's dates against the gates passed.

    Days 1-30   a signed charter                                 charter sign-off approved
    Days 31-60  the foundation hardened, tested with real users  foundation ready approved (launch)
    Days 61-90  rollout with enablement                          scale-out approved

A milestone is met when the initiative reached the stage its gate opens; it is behind plan when its
date has passed first. The scorecard's "behind plan" failure mode is the earliest milestone missed
(kpis/scorecard_sql.py states it in SQL; tests/scorecards.py checks the two agree).
"""

from dataclasses import dataclass
from datetime import date

from initiatives.models import Charter, Stage


@dataclass(frozen=True)
class Milestone:
    day: int
    due_field: str  # the charter's date for it
    label: str
    reached: Stage  # the stage the milestone's gate opens


MILESTONES = (
    Milestone(30, "scorecard_due_on", "Charter signed off", Stage.SECURE_FOUNDATION),
    Milestone(60, "foundation_due_on", "Foundation hardened and tested", Stage.MEASURE_IMPACT),
    Milestone(90, "launch_due_on", "Rolled out with enablement", Stage.STANDARDIZE_REUSE),
)
BY_DAY = {milestone.day: milestone for milestone in MILESTONES}


def has_reached(stage: str, milestone: Milestone) -> bool:
    return Stage(stage).index >= milestone.reached.index


def missed_milestone(stage: str, charter: Charter | None, today: date) -> Milestone | None:
    """The earliest milestone whose date passed before the initiative reached it, if any."""
    for milestone in MILESTONES:
        due = getattr(charter, milestone.due_field, None)
        if due is not None and due < today and not has_reached(stage, milestone):
            return milestone
    return None


@dataclass(frozen=True)
class MilestoneRow:
    milestone: Milestone
    due: date | None
    reached_on: date | None
    status: str  # met, late, behind, upcoming, reached (no date planned), unplanned
    days_late: int  # past its date when reached, or by today when behind


def timeline(initiative, today: date) -> list[MilestoneRow]:
    """Each milestone with its date, the day its stage was first reached, and where it stands (one query:
    the stage changes). A milestone counts as reached only while the initiative is at or past its stage,
    as the failure mode reads it: one recycled back to an earlier stage has that milestone ahead again."""
    charter = getattr(initiative, "charter", None)
    changes = list(initiative.stage_changes.order_by("changed_at", "id").values_list("to_stage", "changed_at"))
    rows = []
    for milestone in MILESTONES:
        due = getattr(charter, milestone.due_field, None)
        reached_on = None
        if has_reached(initiative.stage, milestone):
            entered = (at.date() for stage, at in changes if has_reached(stage, milestone))
            reached_on = next(entered, initiative.stage_entered_at.date())
        status = _status(due, reached_on, today)
        late = max(((reached_on or today) - due).days, 0) if due else 0
        rows.append(MilestoneRow(milestone, due, reached_on, status, late))
    return rows


def _status(due: date | None, reached_on: date | None, today: date) -> str:
    if reached_on is not None:
        if due is None:
            return "reached"
        return "met" if reached_on <= due else "late"
    if due is None:
        return "unplanned"
    return "behind" if due < today else "upcoming"
