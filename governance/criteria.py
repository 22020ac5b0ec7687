"""Gate criteria: a catalogue of every criterion a policy may name, and a registry of checks.

Apps register the checks for the data they own (see `initiatives/criteria.py`).
A criterion whose check is not registered yet is shown as "not yet available";
it never passes silently.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from opmodel import clock

PASS, FAIL, UNAVAILABLE = "pass", "fail", "unavailable"
STATUS_CHOICES = [(PASS, "Pass"), (FAIL, "Fail"), (UNAVAILABLE, "Not yet available")]
VERDICTS = dict(STATUS_CHOICES)

# key -> label, in the words of PRODUCT.md section 2.
CATALOGUE = {
    "charter-complete": (
        "Charter complete (problem statement, outcome, owner, target users, guardrails, expected impact)"
    ),
    "pilot-theater-answered": "The four pilot-theater questions answered",
    "kpis-leading-lagging": "At least one leading and one lagging KPI with baseline and target",
    "foundation-controls": "Every foundation layer has its controls in place or waived with a reason",
    "data-sources-classified": "Every data source classified, with an owner and a freshness SLA",
    "review-escalation-rollback": "Human review, escalation and rollback defined",
    "baseline-before-launch": "Baseline captured before launch",
    "observation-window": "Minimum observation window passed",
    "lagging-kpis-moving": "Lagging KPIs moved toward target",
    "guardrails-within-bounds": "Every guardrail KPI within its bound",
    "cost-known-and-projected": "Cost per transaction known and projected at 2× volume",
    "assets-published": "Workflow published as versioned assets (prompt templates, evaluation set, playbook)",
    "service-owner-accepted": "An AI service owner is assigned and has accepted",
    "reuse-review-scheduled": "A reuse review is scheduled",
}

Check = Callable[[object], tuple[bool, str]]
_CHECKS: dict[str, Check] = {}
_evaluated_at: ContextVar[datetime | None] = ContextVar("criteria_evaluated_at", default=None)


def now() -> datetime:
    """The moment criteria are evaluated as of: a check counts days and expected progress up to it.

    The clock's time unless told otherwise, so a replayed story (opmodel.clock.story_time) counts its days.
    """
    return _evaluated_at.get() or clock.now()


@contextmanager
def evaluated_as_of(moment: datetime) -> Iterator[None]:
    """Within this block, checks count days up to `moment` (a review's request, replayed demo history)."""
    token = _evaluated_at.set(moment)
    try:
        yield
    finally:
        _evaluated_at.reset(token)


@dataclass(frozen=True)
class CriterionResult:
    key: str
    label: str
    status: str
    reason: str

    @property
    def passed(self) -> bool:
        return self.status == PASS

    @property
    def verdict(self) -> str:
        return VERDICTS[self.status]

    def as_dict(self) -> dict:
        return vars(self).copy()


def criterion(key: str) -> Callable[[Check], Check]:
    """Register the check for a catalogue key. The check returns (passed, reason)."""
    if key not in CATALOGUE:
        raise KeyError(f"{key!r} is not in the criteria catalogue")

    def register(check: Check) -> Check:
        _CHECKS[key] = check
        return check

    return register


def registered_checks() -> frozenset[str]:
    """The catalogue keys that have a check; the others are "not yet available"."""
    return frozenset(_CHECKS)


def evaluate(initiative, keys: list[str]) -> list[CriterionResult]:
    results = []
    for key in keys:
        label = CATALOGUE.get(key, key)
        check = _CHECKS.get(key)
        if check is None:
            results.append(
                CriterionResult(key, label, UNAVAILABLE, "Not yet available: OpModel does not track this data yet.")
            )
            continue
        passed, reason = check(initiative)
        results.append(CriterionResult(key, label, PASS if passed else FAIL, reason))
    return results


def compare(now: list[CriterionResult], then: list[dict]) -> list[dict]:
    """Criteria now beside the same criteria when the review was requested, marking what changed.

    `then` is a review's stored `criteria_results`; a criterion only one side has shows a dash on the other.
    """
    earlier = {c["key"]: c for c in then}
    rows = []
    for result in now:
        before = earlier.pop(result.key, None)
        changed = before is not None and before["status"] != result.status
        rows.append(
            {
                "key": result.key,
                "label": result.label,
                "now": result.as_dict(),
                "then": before,
                "changed": changed,
                "change": f"was {VERDICTS[before['status']]}, now {result.verdict}" if changed else "",
            }
        )
    rows += [
        {"key": c["key"], "label": c["label"], "now": None, "then": c, "changed": False, "change": ""}
        for c in earlier.values()
    ]
    return rows


def readiness(results: list[CriterionResult]) -> dict:
    """Criteria met of total, as a page or the API shows it beside the rows it counts."""
    return {"met": sum(r.passed for r in results), "total": len(results)}
