"""Gate criteria computed from the outcome tree and its measurements, and the tree's snapshot part.

Each check reads `kpis_with_latest(initiative)` and the initiative's prefetched relations, so the
Python reference (tests/scorecards.py) evaluates many initiatives' criteria from one prefetch. Each
SQL condition reads the recompute's facts (kpis/scorecard_sql.py).
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from governance import criteria
from governance.criteria import criterion
from governance.models import Gate
from governance.snapshots import snapshot_part
from kpis.after_action import after_action_review_of, linked_kpis
from kpis.models import AfterActionReview, Kpi
from kpis.scorecards import GREEN, RED, cohort_shares, kpis_with_latest, launched_at, score_kpi


@criterion(
    "kpis-leading-lagging",
    "At least one leading and one lagging KPI with baseline and target",
    gate=Gate.CHARTER_SIGNOFF,
    order=3,
    sql="f.leading_ready > 0 AND f.lagging_ready > 0",
)
def leading_and_lagging_kpis(initiative) -> tuple[bool, str]:
    kpis = [k for k in kpis_with_latest(initiative) if k.kind in (Kpi.Kind.LEADING, Kpi.Kind.LAGGING)]
    ready = {kind: [k for k in kpis if k.kind == kind and k.has_baseline_and_target] for kind in ("leading", "lagging")}
    missing = [kind for kind, found in ready.items() if not found]
    if missing:
        without = [k.name for k in kpis if k.kind in missing and not k.has_baseline_and_target]
        hint = f" ({', '.join(without[:3])} still need a baseline and target)" if without else ""
        return False, f"Needs a {' and a '.join(missing)} KPI with baseline and target{hint}."
    return True, f"{len(ready['leading'])} leading and {len(ready['lagging'])} lagging KPIs have a baseline and target."


def _lagging(initiative) -> list[Kpi]:
    return [k for k in kpis_with_latest(initiative) if k.kind == Kpi.Kind.LAGGING]


@criterion(
    "baseline-before-launch",
    "Baseline captured before launch",
    gate=Gate.SCALE_OUT,
    order=1,
    sql="f.launch IS NOT NULL AND f.lagging > 0 AND f.lagging_late_baseline = 0",
)
def baseline_before_launch(initiative) -> tuple[bool, str]:
    launch = launched_at(initiative)
    lagging = _lagging(initiative)
    if launch is None:
        return False, "Not launched yet."
    if not lagging:
        return False, "No lagging KPI to compare against a baseline."
    late = [k.name for k in lagging if k.baseline_date is None or k.baseline_date > launch.date()]
    if late:
        return False, f"Baseline missing or taken after launch ({launch:%d %b %Y}): {', '.join(late[:3])}."
    return True, f"Every lagging KPI has a baseline from before launch ({launch:%d %b %Y})."


@criterion(
    "observation-window",
    "Minimum observation window passed",
    gate=Gate.SCALE_OUT,
    order=2,
    sql="f.observed_days >= %(window_days)s AND f.lagging_after_window > 0",
)
def observation_window(initiative) -> tuple[bool, str]:
    launch = launched_at(initiative)
    if launch is None:
        return False, "Not launched yet."
    days = settings.OBSERVATION_WINDOW_DAYS
    observed = (criteria.now() - launch).days
    if observed < days:
        return False, f"{observed} of {days} days observed since launch."
    if not any(k.latest_at and k.latest_at >= launch + timedelta(days=days) for k in _lagging(initiative)):
        return False, f"{observed} days since launch, but no lagging KPI was measured after day {days}."
    return True, f"{observed} days observed since launch (minimum {days})."


@criterion(
    "lagging-kpis-moving",
    "Lagging KPIs moved toward target",
    gate=Gate.SCALE_OUT,
    order=3,
    sql="f.lagging > 0 AND f.lagging_stuck = 0",
)
def lagging_kpis_moving(initiative) -> tuple[bool, str]:
    now = criteria.now()
    scores = [score_kpi(k, now) for k in _lagging(initiative)]
    if not scores:
        return False, "No lagging KPI."
    stuck = [s.name for s in scores if s.progress is None or s.progress <= 0]
    if stuck:
        return False, f"Not moving toward target (or no data): {', '.join(stuck[:3])}."
    return True, ", ".join(f"{s.name} {s.progress:.0%} of the way" for s in scores[:3]) + "."


@criterion(
    "guardrails-within-bounds",
    "Every guardrail KPI within its bound",
    gate=Gate.SCALE_OUT,
    order=4,
    sql="f.guardrails > 0 AND f.guardrails_red = 0 AND f.guardrails_unknown = 0",
)
def guardrails_within_bounds(initiative) -> tuple[bool, str]:
    now = criteria.now()
    scores = [score_kpi(k, now) for k in kpis_with_latest(initiative) if k.kind == Kpi.Kind.GUARDRAIL]
    if not scores:
        return False, "No guardrail KPI defines what must not get worse."
    broken = [s for s in scores if s.status == RED]
    unknown = [s.name for s in scores if s.status not in (GREEN, RED)]
    if broken:
        return False, " ".join(s.reason for s in broken[:2])
    if unknown:
        return False, f"No data for {', '.join(unknown[:3])}."
    return True, f"All {len(scores)} guardrails within their bounds."


@criterion(
    "cost-known-and-projected",
    "Cost per transaction known and projected at 2× volume",
    gate=Gate.SCALE_OUT,
    order=5,
    sql="f.cost_known = 1",
)
def cost_known_and_projected(initiative) -> tuple[bool, str]:
    charter = initiative.charter
    if charter.cost_per_1000_inferences is None or not charter.expected_monthly_volume:
        return False, "The charter needs the cost per 1,000 inferences and the expected monthly volume."
    monthly = float(charter.cost_per_1000_inferences) * charter.expected_monthly_volume / 1000
    currency = settings.VALUE_CURRENCY
    return True, (
        f"{currency} {float(charter.cost_per_1000_inferences) / 1000:.4f} per transaction; "
        f"{currency} {monthly:,.0f} a month now, {currency} {2 * monthly:,.0f} at twice the volume."
    )


@criterion(
    "cohort-adoption",
    "Adoption in the target cohort at or above its target",
    gate=Gate.SCALE_OUT,
    order=6,
    # NULL (no size, target or share yet) fails, as the check does.
    sql="f.target_cohort_size > 0 AND f.power_share + f.occasional_share >= f.adoption_target",
)
def cohort_adoption(initiative) -> tuple[bool, str]:
    """Adopters (power and occasional users, the newest share of each) are at least the charter's adoption
    target, as shares of a target cohort whose size the charter states."""
    charter = initiative.charter
    size, target = charter.target_cohort_size, charter.adoption_target
    if not size or target is None:
        return False, "The charter needs the target cohort's size (people) and its adoption target (%)."
    shares = cohort_shares(kpis_with_latest(initiative))
    missing = [Kpi.Cohort(c).label.lower() for c in Kpi.ADOPTER_COHORTS if shares.get(c) is None]
    if missing:
        return False, f"No share of {' or '.join(missing)} measured yet: mark a % KPI with each cohort and push it."
    power, occasional = (shares[c] for c in Kpi.ADOPTER_COHORTS)
    adopted = power + occasional
    said = (
        f"{adopted:.4g} % of the {size:,}-person target cohort use it (about {round(adopted * size / 100):,} people: "
        f"power users {power:.4g} %, occasional users {occasional:.4g} %); target {target} %."
    )
    if adopted < target:
        return False, said + _why_not_adopted(shares)
    return True, said


def _why_not_adopted(shares: dict) -> str:
    """Where the gap sits, in the framework's words: few adopters point to trust or workflow fit, adopters
    who stay occasional to training."""
    power, occasional = shares[Kpi.Cohort.POWER], shares[Kpi.Cohort.OCCASIONAL]
    if occasional > power:
        return " Most adopters stay occasional: look at training."
    return " Many never adopted: look at workflow fit and trust."


@criterion(
    "after-action-review",
    "After-action review: the work AI removed, what replaced it, the result and the KPIs that show it",
    gate=Gate.SCALE_OUT,
    order=7,
    sql="f.after_action_held_on <= %(today)s AND f.after_action_blank = 0 AND f.after_action_kpis > 0",
)
def after_action_review(initiative) -> tuple[bool, str]:
    review = after_action_review_of(initiative)
    if review is None:
        return False, (
            "No after-action review yet: what work did AI remove, what higher-value work replaced it, "
            "and what measurable result followed?"
        )
    if review.held_on > timezone.localdate(criteria.now()):
        return False, f"The after-action review is dated {review.held_on:%d %b %Y}, not held yet."
    blank = [
        str(AfterActionReview._meta.get_field(name).verbose_name)
        for name in AfterActionReview.ANSWERS
        if not getattr(review, name).strip()
    ]
    if blank:
        return False, f"The after-action review leaves unanswered: {' '.join(blank)}"
    kpis = linked_kpis(review)
    if not kpis:
        return False, "The after-action review links no KPI of this initiative that shows the result."
    return True, f"Held {review.held_on:%d %b %Y}; the result is shown by {', '.join(k.name for k in kpis[:3])}."


@snapshot_part("kpi_tree")
def kpi_tree_snapshot(initiative) -> dict:
    objective = getattr(initiative, "objective", None)
    kpis = Kpi.objects.filter(initiative=initiative).select_related("driver", "owner").order_by("key")
    return {
        "objective": objective.statement if objective else "",
        "kpis": [
            {
                "key": k.key,
                "name": k.name,
                "driver": k.driver.name,
                "unit": k.unit,
                "kind": k.kind,
                "direction": k.direction,
                "baseline_value": k.baseline_value,
                "baseline_date": k.baseline_date,
                "target_value": k.target_value,
                "target_date": k.target_date,
                "guardrail_bound": k.guardrail_bound,
            }
            for k in kpis
        ],
    }
