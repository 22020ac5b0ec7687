"""Gate criteria: one registration per criterion, carrying its Python check and its SQL condition.

Apps register the criteria computed from the data they own (`initiatives/criteria.py`,
`kpis/criteria.py`, `governance/foundation/criteria.py`, `governance/library/criteria.py`), each
with the check a gate review runs on one initiative and the condition the scheduled recompute
(`kpis/scorecard_sql.py`) evaluates for every initiative at once, side by side, so adding a
criterion touches one module. The registered criteria are the catalogue a policy may name; a key
no app registers (a policy from before a criterion was retired) is "not yet available" and never
passes silently.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from governance.gates import Gate
from opmodel import clock

PASS, FAIL, UNAVAILABLE = "pass", "fail", "unavailable"
STATUS_CHOICES = [(PASS, "Pass"), (FAIL, "Fail"), (UNAVAILABLE, "Not yet available")]
VERDICTS = dict(STATUS_CHOICES)

Check = Callable[[object], tuple[bool, str]]


@dataclass(frozen=True)
class Criterion:
    """One gate criterion, stated twice: `check` for one initiative, `sql` for the set-based recompute.

    `sql` is a condition on one row `f` of the recompute's `facts` (kpis/scorecard_sql.py: its columns
    and parameters). A criterion reading data no fact column holds states it as a subquery on `f.id`.
    `gate` and `order` place it where PRODUCT.md section 2 lists it; pages show criteria in that order.
    """

    key: str
    label: str
    gate: Gate
    order: int
    check: Check
    sql: str


_CRITERIA: dict[str, Criterion] = {}
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


def criterion(key: str, label: str, *, gate: Gate, order: int, sql: str) -> Callable[[Check], Check]:
    """Register the decorated check, which returns (passed, reason), with its label and SQL condition."""

    def register(check: Check) -> Check:
        if key in _CRITERIA:
            raise ValueError(f"Gate criterion {key!r} is registered twice.")
        _CRITERIA[key] = Criterion(key, label, gate, order, check, sql)
        return check

    return register


def registered() -> tuple[Criterion, ...]:
    """Every registered criterion, in the order pages show them (by gate, then as PRODUCT.md lists them)."""
    gates = list(Gate)
    return tuple(sorted(_CRITERIA.values(), key=lambda c: (gates.index(c.gate), c.order)))


def label(key: str) -> str:
    """A criterion's label; its key when no app registers it."""
    found = _CRITERIA.get(key)
    return found.label if found else key


def evaluate(initiative, keys: list[str]) -> list[CriterionResult]:
    results = []
    for key in keys:
        found = _CRITERIA.get(key)
        if found is None:
            results.append(
                CriterionResult(key, key, UNAVAILABLE, "Not yet available: OpModel does not track this data yet.")
            )
            continue
        passed, reason = found.check(initiative)
        results.append(CriterionResult(key, found.label, PASS if passed else FAIL, reason))
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
