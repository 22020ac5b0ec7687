"""Outcome trees per demo initiative and the measurement stories they tell."""

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from initiatives.demo.portfolio import Demo
from kpis.catalogue import KpiSpec as K
from kpis.models import Kpi
from opmodel.compat import UTC


@dataclass(frozen=True)
class Plan:
    """One KPI's baseline, target and owner, and the story its measurements tell.

    `end` is the level the series reaches on its last point (today, or when the data
    stopped); None means the KPI gets no measurements. Empty strings keep the
    template's name, unit and cadence; `owner=None` leaves the KPI without one.
    """

    baseline: float | None
    target: float | None = None
    end: float | None = None
    owner: str | None = ""  # "" is the initiative's creator
    name: str = ""
    unit: str = ""
    cadence: str = ""
    bound: float | None = None
    sources: tuple = ("api",)
    noise: float = 0.03  # relative spread of each point
    tau: float = 35.0  # days for the level to move about two thirds of the way to `end`
    jump: tuple | None = None  # (days ago, level): a step change, e.g. a guardrail breach
    from_launch: bool = False  # no points before launch (there was nothing to measure)
    climb: tuple | None = None  # (days ago, level): from then the series climbs in a straight line to `level` today
    digits: int = 2  # decimals kept (a cost per request needs more than cents)


@dataclass(frozen=True)
class Tree:
    templates: tuple = ()
    custom: dict = field(default_factory=dict)  # driver name -> [KpiSpec]: KPIs no template has
    plans: dict = field(default_factory=dict)  # KPI suffix -> Plan
    launched_days_ago: int | None = None  # the foundation gate's approval: the series ramps from there
    stopped_days_ago: int = 0  # the last point (a broken feed, a killed pilot)


DAILY, WEEKLY, MONTHLY = Kpi.Cadence.DAILY, Kpi.Cadence.WEEKLY, Kpi.Cadence.MONTHLY
BOTH = ("api", "bi-export")  # the live feed and the nightly BI export disagree a little: charts show both
LAG, LEAD, GUARD = Kpi.Kind.LAGGING, Kpi.Kind.LEADING, Kpi.Kind.GUARDRAIL
DOWN, UP = Kpi.Direction.DECREASE, Kpi.Direction.INCREASE
OUTCOME, ADOPTION, VALUE, COST = Kpi.Category.OUTCOME, Kpi.Category.ADOPTION, Kpi.Category.VALUE, Kpi.Category.COST


def _cto_plans(
    *, latency: float, cost: float, spend: float, spend_end: float, reuse: float, deploys: float, climb=None
) -> dict:
    """The CTO KPI set, scaled to one initiative's cost model (charter cost and volume); `climb` makes the cost
    per request rise by that factor over the last five weeks."""
    per_request = round(cost / 1000, 6)
    rise = (35, round(per_request * climb, 6)) if climb else None
    return {
        "inference-latency": Plan(
            round(latency * 1.1), end=latency, owner="platform", sources=("api", "gateway"), noise=0.06
        ),
        "failure-rate": Plan(1.1, end=0.6, owner="platform", noise=0.2),
        "guardrail-trigger-rate": Plan(4.0, 2.5, end=2.4, owner="risk", noise=0.1),
        "model-spend": Plan(round(spend * 1.1), round(spend * 0.9), end=spend_end, owner="cto"),
        "prompt-reuse": Plan(10, 40, end=reuse, owner="enablement", from_launch=True),
        "compliance-exceptions": Plan(0, end=0, owner="risk"),
        "deployment-frequency": Plan(0.5, 2, end=deploys, owner="platform", noise=0.15, from_launch=True),
        "rollback-rate": Plan(3.0, end=1.5, owner="platform", noise=0.2),
        "audit-log-completeness": Plan(99.5, end=99.9, owner="risk", noise=0.001),
        "cost-per-1000-inferences": Plan(round(cost * 1.15, 2), cost, end=round(cost * 0.98, 2), owner="cto"),
        "drift-score": Plan(0.05, end=0.06, owner="data", noise=0.04, digits=3),
        "low-confidence-rate": Plan(7.0, end=4.5, owner="data", noise=0.05),
        "cost-per-request": Plan(per_request, end=per_request, owner="cto", noise=0.01, digits=6, climb=rise),
    }


def _cohort_plans(*, power: float, occasional: float, tau: float = 35.0) -> dict:
    """The cohort-adoption set (kpis.catalogue.COHORT_SET): from launch, power and occasional users grow from
    nobody while non-adopters fall from the whole target cohort, to the shares of today."""
    return {
        "power-users": Plan(0, 40, end=power, owner="enablement", tau=tau, noise=0.01),
        "occasional-users": Plan(0, 30, end=occasional, owner="enablement", tau=tau, noise=0.01),
        "non-adopters": Plan(100, 30, end=100 - power - occasional, owner="enablement", tau=tau, noise=0.01),
    }


TREES = {
    # On track: handling time past its 9.6-minute target, CSAT steady, adoption at 78 %.
    "support-triage-assistant": Tree(
        templates=("support-triage", "enablement-kpi-set", "cohort-adoption"),
        launched_days_ago=209,
        plans={
            "handle-time": Plan(12.0, 9.6, end=9.3, owner="ops", cadence=DAILY, sources=BOTH),
            "first-response-time": Plan(95, 60, end=57, owner="ops", cadence=DAILY, sources=BOTH),
            "routing-accuracy": Plan(78, 88, end=89, owner="data", cadence=DAILY, sources=BOTH, noise=0.02),
            "escalation-rate": Plan(10.5, 9.0, end=8.7, owner="ops", cadence=DAILY, bound=11, noise=0.05),
            "csat": Plan(4.3, 4.4, end=4.36, noise=0.01),
            "assisted-tickets": Plan(0, 75, end=78, owner="enablement", cadence=DAILY, sources=BOTH),
            "time-saved": Plan(0, 430, end=455),
            "time-reallocated": Plan(0, 300, end=270, owner="ops"),
            # Change management measured: the course done, fewer calls for help as agents settle in.
            "training-completion": Plan(0, 95, end=97, owner="enablement", from_launch=True, noise=0.01),
            "support-channel-use": Plan(6, 3, end=2.4, owner="enablement", from_launch=True, noise=0.05),
            "weekly-active-users": Plan(0, 80, end=86, owner="enablement", from_launch=True, noise=0.02),
            # Adoption by cohort: most agents became power users within ten weeks, 82 % adopters by now.
            **_cohort_plans(power=52, occasional=30, tau=25),
        },
    ),
    # A custom tree: routing is the whole outcome, so the support-triage template would be mostly noise.
    "case-routing-classifier": Tree(
        templates=("value-realisation", "cohort-adoption"),
        custom={
            "Right queue first time": [
                K("first-time-right", "First-time-right routing", "%", LAG, UP, OUTCOME, DAILY),
                K("reassignment-rate", "Cases re-assigned between queues", "%", LAG, DOWN, OUTCOME, DAILY),
                K("time-to-specialist", "Median time to first specialist", "hours", GUARD, DOWN, OUTCOME, DAILY, 3),
            ],
            "Team lead adoption": [
                K("suggestions-accepted", "Routing suggestions accepted by leads", "%", LEAD, UP, ADOPTION, DAILY),
            ],
        },
        launched_days_ago=186,
        plans={
            "first-time-right": Plan(72, 87, end=88.5, cadence=DAILY, sources=BOTH, noise=0.02),
            "reassignment-rate": Plan(28, 8, end=6.6, owner="ops", sources=BOTH, noise=0.06, tau=25),
            "time-to-specialist": Plan(2.6, end=2.1, owner="ops", noise=0.05),
            "suggestions-accepted": Plan(0, 80, end=84, owner="enablement", sources=BOTH),
            # Nearly every team lead routes with it daily: a small cohort, won over in weeks.
            **_cohort_plans(power=77, occasional=17, tau=25),
            "time-saved": Plan(0, 146, end=150),
            "time-reallocated": Plan(0, 100, end=95, owner="ops"),
        },
    ),
    # Quote time nearly at target, but the pricing-error guardrail broke its bound after a price-book change.
    "quote-drafting-copilot": Tree(
        templates=("quote-creation", "cto-kpi-set", "cohort-adoption"),
        launched_days_ago=152,
        plans={
            "quote-cycle-time": Plan(16, 4, end=5.1, owner="ops", unit="business hours", cadence=DAILY, sources=BOTH),
            "quotes-drafted-by-ai": Plan(0, 75, end=71, owner="enablement", cadence=DAILY, sources=BOTH),
            "pricing-error-rate": Plan(0.4, end=0.35, owner="ops", cadence=DAILY, noise=0.1, jump=(21, 1.7)),
            "time-saved": Plan(0, 85, end=80),
            "time-reallocated": Plan(0, 60, end=38, owner="ops"),
            # 78 % of reps and analysts use it, but many only for renewals: occasional users are a third.
            **_cohort_plans(power=45, occasional=33),
            **_cto_plans(latency=1400, cost=6.5, spend=60, spend_end=57, reuse=35, deploys=1.5),
        },
    ),
    # Off track: files are pre-assessed (adoption 64 %) but decisions are no faster, and spend climbs.
    "underwriting-decision-support": Tree(
        templates=("underwriting", "cto-kpi-set"),
        launched_days_ago=137,
        plans={
            "time-to-decision": Plan(6.0, 3.0, end=6.4, owner="pm", cadence=DAILY, sources=BOTH, noise=0.05),
            "files-pre-assessed": Plan(0, 80, end=64, owner="ops", cadence=DAILY, sources=BOTH),
            "decision-reversal-rate": Plan(2.5, end=3.1, owner="risk", cadence=DAILY, bound=4, noise=0.08),
            "time-saved": Plan(0, 40, end=22),
            "time-reallocated": Plan(0, 30, end=4, owner="ops"),
            **_cto_plans(latency=2100, cost=24, spend=96, spend_end=130, reuse=15, deploys=1),
        },
    ),
    # On hold before launch: a complete tree, no measurements.
    "weekly-account-summaries": Tree(
        templates=("sales-summaries",),
        custom={
            "Trustworthy summaries": [
                K("permission-breaches", "Out-of-permission citations", "count", GUARD, DOWN, OUTCOME, WEEKLY, 0),
            ],
        },
        plans={
            "permission-breaches": Plan(None, owner="risk"),
            "prep-time": Plan(240, 30, owner="ops"),
            "summaries-used": Plan(0, 90, owner="enablement"),
            "factual-error-rate": Plan(None, owner="data"),
            "time-saved": Plan(0, 45),
            "time-reallocated": Plan(0, 35, owner="ops"),
        },
    ),
    # Stale: the ticket export broke in the service-desk tool upgrade six weeks ago and nobody noticed.
    "it-helpdesk-triage": Tree(
        templates=("support-triage",),
        launched_days_ago=80,
        stopped_days_ago=42,
        plans={
            "handle-time": Plan(
                9.0, 6.3, end=7.6, name="Time to resolve P3/P4 tickets", unit="working hours", cadence=DAILY
            ),
            "first-response-time": Plan(45, 20, end=31, owner="ops", cadence=DAILY, sources=BOTH),
            "routing-accuracy": Plan(
                70, 85, end=79, name="Resolver-group routing accuracy", owner="data", cadence=DAILY
            ),
            "escalation-rate": Plan(5.2, end=4.8, name="Ticket reopen rate", bound=6, owner="ops"),
            "csat": Plan(4.1, end=4.15, name="Employee satisfaction with IT", bound=4.0, noise=0.01),
            "assisted-tickets": Plan(0, 60, end=44, owner="enablement", cadence=DAILY),
            "time-saved": Plan(0, 54, end=30),
            "time-reallocated": Plan(0, 40, end=12, owner=None),
        },
    ),
    # Recycled: touchless processing rose, but extraction errors run at 1.7 % against a 0.5 % guardrail.
    "invoice-document-processing": Tree(
        templates=("document-processing",),
        custom={
            "Processing cost": [K("cost-per-invoice", "Cost per processed invoice", "EUR", LAG, DOWN, COST, MONTHLY)]
        },
        launched_days_ago=178,
        plans={
            "cycle-time": Plan(52, 24, end=31, owner="ops", cadence=DAILY, sources=BOTH, noise=0.05),
            "straight-through-rate": Plan(18, 60, end=41, owner="ops", cadence=DAILY, sources=BOTH),
            "extraction-error-rate": Plan(0.4, end=1.7, owner="data", cadence=DAILY, bound=0.5, noise=0.08),
            "reviewed-with-ai": Plan(0, 90, end=88, owner="enablement", cadence=DAILY, sources=BOTH),
            "cost-per-invoice": Plan(4.10, 2.45, end=3.30, owner="pm", noise=0.02),
            "time-saved": Plan(0, 185, end=120),
            "time-reallocated": Plan(0, 120, end=55, owner="ops"),
        },
    ),
    # On track: lead time down from 4.2 to about 3.1 days, change failure rate flat under its bound.
    "coding-assistant": Tree(
        templates=("coding-assistant", "cto-kpi-set", "cohort-adoption"),
        launched_days_ago=224,
        plans={
            "lead-time": Plan(101, 77, end=75, cadence=DAILY, sources=BOTH, tau=45, noise=0.05),
            "suggestion-acceptance": Plan(
                22, 32, end=34, owner="enablement", cadence=DAILY, sources=BOTH, from_launch=True
            ),
            "change-failure-rate": Plan(11.0, end=10.6, bound=12, noise=0.05),
            "time-saved": Plan(0, 600, end=640, owner="enablement"),
            "time-reallocated": Plan(0, 400, end=410, owner="owner"),
            # Seven in ten engineers use it; a quarter still never open it (mostly embedded and infra teams).
            **_cohort_plans(power=41, occasional=32, tau=25),
            # Since a longer-context model went live five weeks ago, each request costs 40 % more: rising cost.
            **_cto_plans(latency=650, cost=0.35, spend=525, spend_end=470, reuse=55, deploys=3, climb=1.4),
        },
    ),
    # Not launched: the baseline is captured (flat), and the evaluation set is still short of 95 %.
    "policy-knowledge-retrieval": Tree(
        templates=("pm-kpi-set",),
        custom={
            "Fewer policy questions": [
                K("policy-owner-emails", "Policy questions emailed to policy owners", "per week", LAG, DOWN, OUTCOME),
                K("out-of-policy-claims", "Out-of-policy expense claims", "%", LAG, DOWN, OUTCOME, MONTHLY),
            ],
            "Trustworthy answers": [
                K("answer-accuracy", "Answer accuracy on the evaluation set", "%", GUARD, UP, OUTCOME, WEEKLY, 95),
            ],
        },
        plans={
            "policy-owner-emails": Plan(320, 190, end=320, sources=("bi-export",), noise=0.06),
            "out-of-policy-claims": Plan(8.0, 6.0, end=8.0, owner="ops", sources=("bi-export",)),
            "answer-accuracy": Plan(91, end=94.2, owner="data", noise=0.005),
            "task-completion-time": Plan(25, 5, name="Time to find a policy answer"),
            "ai-assisted-share": Plan(0, 40, name="Policy questions answered by the assistant", owner="enablement"),
            "user-satisfaction": Plan(3.4, 4.2),
            "human-override-rate": Plan(None, owner="legal"),
            "error-correction-time": Plan(
                48, 8, name="Time to correct a superseded answer", unit="hours", owner="data"
            ),
            "weekly-active-users": Plan(0, 30, owner="enablement"),
        },
    ),
    # Killed: weekly active use stalled at 18 % of reps and reps rewrite a third of the summaries.
    "sales-call-summaries": Tree(
        templates=("pm-kpi-set", "value-realisation", "enablement-kpi-set", "cohort-adoption"),
        custom={
            "Complete CRM records": [
                K("note-completeness", "CRM call-note completeness", "%", LAG, UP, OUTCOME),
                K("factual-error-rate", "Factual error rate in summaries", "%", GUARD, DOWN, OUTCOME, WEEKLY, 3),
            ],
        },
        launched_days_ago=122,
        stopped_days_ago=20,
        plans={
            "note-completeness": Plan(55, 90, end=63, cadence=DAILY, sources=BOTH),
            "factual-error-rate": Plan(None, end=2.2, owner="ops", noise=0.1),
            "task-completion-time": Plan(25, 5, end=11, name="Time to write the call note"),
            "ai-assisted-share": Plan(
                0, 80, end=21, name="Calls summarised with AI", owner="enablement", cadence=DAILY, tau=15
            ),
            "user-satisfaction": Plan(3.2, 4.0, end=3.3, noise=0.02),
            "human-override-rate": Plan(None, end=34, name="Summaries rewritten by reps", owner="ops", noise=0.05),
            "error-correction-time": Plan(8, 3, end=6.5, name="Manager time correcting call notes"),
            "weekly-active-users": Plan(0, 70, end=18, owner="enablement", tau=15),
            # Half the reps never took the course, and those who did kept asking for help.
            "training-completion": Plan(0, 90, end=44, owner="enablement", from_launch=True, tau=20),
            "support-channel-use": Plan(5, 2, end=9, owner="enablement", from_launch=True, noise=0.08),
            # Seven in ten reps never adopted it: a trust and workflow-fit problem more than a training one.
            **_cohort_plans(power=6, occasional=22, tau=15),
            "time-saved": Plan(0, 200, end=45),
            "time-reallocated": Plan(0, 150, end=10, owner=None),
        },
    ),
    # Charter review open: a complete tree (baselines and targets on both kinds), nothing measured yet.
    "hr-policy-qa": Tree(
        templates=("pm-kpi-set",),
        custom={
            "Fewer routine HR cases": [
                K("routine-cases", "Routine HR cases opened", "per month", LAG, DOWN, OUTCOME, MONTHLY),
                K("adviser-hours", "Adviser hours on routine questions", "hours/month", LAG, DOWN, VALUE, MONTHLY),
            ],
            "Safe answers": [
                K("answer-accuracy", "Answer accuracy on the HR evaluation set", "%", GUARD, UP, OUTCOME, WEEKLY, 95),
                K("sensitive-routed", "Sensitive questions routed to an adviser", "%", GUARD, UP, OUTCOME, WEEKLY, 100),
            ],
        },
        plans={
            "routine-cases": Plan(3400, 2380),
            "adviser-hours": Plan(2600, 1600, owner="ops"),
            "answer-accuracy": Plan(None, owner="data"),
            "sensitive-routed": Plan(None, owner="risk"),
            "task-completion-time": Plan(26, 1, name="Time to a policy answer", unit="hours"),
            "ai-assisted-share": Plan(0, 60, name="Questions answered by the assistant", owner="enablement"),
            "user-satisfaction": Plan(3.8, 4.1, name="Employee satisfaction with HR answers"),
            "human-override-rate": Plan(None, name="Answers handed to an adviser", owner="ops"),
            "error-correction-time": Plan(72, 24, name="Time to correct a wrong answer", unit="hours", owner="data"),
            "weekly-active-users": Plan(0, 35, name="Weekly active employees in the pilot", owner="enablement"),
        },
    ),
    # A draft on purpose: two baselines, no targets, most KPIs without an owner.
    "claims-intake-triage": Tree(
        templates=("document-processing",),
        plans={
            "cycle-time": Plan(30, name="Time from first notice of loss to first contact"),
            "straight-through-rate": Plan(5, name="Claims fast-tracked at intake"),
        },
    ),
}


def series(tree: Tree, demo: Demo, now: datetime) -> list[dict]:
    """Measurement items for every planned KPI, at its cadence, from before launch to the last point.

    Each KPI holds its baseline until launch, then moves towards `end` on an
    exponential curve that lands on `end` at the last point; an unlaunched
    initiative's series ramps from its first point.
    """
    launched = tree.launched_days_ago
    first = launched + 28 if launched else demo.started_days_ago
    today = now.date()
    days = [today - timedelta(days=n) for n in range(first, tree.stopped_days_ago - 1, -1)]
    rng = random.Random(demo.slug)
    items = []
    for kpi in Kpi.objects.filter(initiative__slug=demo.slug).order_by("key"):
        plan = tree.plans.get(kpi.key.removeprefix(f"{demo.slug}."))
        if plan is None or plan.end is None:
            continue
        ramp_from = launched if launched else first
        start = plan.baseline if plan.baseline is not None else plan.end
        skip_before_launch = plan.from_launch or plan.baseline == 0
        for day in days:
            days_ago = (today - day).days
            at = datetime.combine(day, time(6), tzinfo=UTC)
            if at > now or not _on_cadence(day, kpi.cadence) or (skip_before_launch and days_ago > ramp_from):
                continue
            level = _level(start, plan, since=ramp_from - days_ago, span=ramp_from - tree.stopped_days_ago)
            if plan.jump and days_ago <= plan.jump[0]:
                level = plan.jump[1]
            if plan.climb and days_ago <= plan.climb[0]:
                level += (plan.climb[1] - level) * (1 - days_ago / plan.climb[0])
            for source in plan.sources:
                value = _clamp(level * (1 + rng.gauss(0, plan.noise)), kpi.unit, plan.digits)
                items.append({"kpi": kpi.key, "timestamp": at.isoformat(), "value": value, "source": source})
    return items


def _on_cadence(day: date, cadence: str) -> bool:
    if cadence == Kpi.Cadence.WEEKLY:
        return day.weekday() == 0
    if cadence == Kpi.Cadence.MONTHLY:
        return day.day == 1
    return True


def _level(start: float, plan: Plan, *, since: int, span: int) -> float:
    if since <= 0:
        return start
    progress = (1 - math.exp(-since / plan.tau)) / (1 - math.exp(-max(span, 1) / plan.tau))
    return start + (plan.end - start) * progress


def _clamp(value: float, unit: str, digits: int = 2) -> float:
    if unit == "%":
        value = min(value, 100.0)
    elif unit.startswith("score"):
        value = min(value, 5.0)
    elif unit == "count":
        value = round(value)
    return round(max(value, 0.0), digits)
