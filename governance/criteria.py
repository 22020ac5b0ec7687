"""Gate criteria: a catalogue of every criterion a policy may name, and a registry of checks.

Apps register the checks for the data they own (see `initiatives/criteria.py`).
A criterion whose check is not registered yet is shown as "not yet available";
it never passes silently.
"""

from collections.abc import Callable
from dataclasses import dataclass

PASS, FAIL, UNAVAILABLE = "pass", "fail", "unavailable"
STATUS_CHOICES = [(PASS, "Pass"), (FAIL, "Fail"), (UNAVAILABLE, "Not yet available")]

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


@dataclass(frozen=True)
class CriterionResult:
    key: str
    label: str
    status: str
    reason: str

    @property
    def passed(self) -> bool:
        return self.status == PASS

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
