"""Outcome-tree templates: the framework's KPI sets and one tree per archetype.

A template is an objective and drivers with KPI specs; applying one to an
initiative creates what is missing and leaves existing KPIs alone. Baselines and
targets are left for the team to fill in: they are facts about their workflow.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class KpiSpec:
    suffix: str
    name: str
    unit: str
    kind: str
    direction: str
    category: str
    cadence: str = "weekly"
    guardrail_bound: float | None = None
    value_measure: str = ""
    cohort: str = ""


@dataclass(frozen=True)
class TreeTemplate:
    slug: str
    name: str
    objective: str
    drivers: dict[str, list[KpiSpec]] = field(default_factory=dict)


K = KpiSpec

PM_SET = {
    "Adoption and behaviour (PM KPI set)": [
        K("task-completion-time", "Task completion time", "minutes", "lagging", "decrease", "outcome"),
        K("ai-assisted-share", "Share of tasks assisted by AI", "%", "leading", "increase", "adoption"),
        K("user-satisfaction", "User satisfaction", "score 1-5", "lagging", "increase", "outcome", "monthly"),
        K("human-override-rate", "Human override rate", "%", "guardrail", "decrease", "outcome", guardrail_bound=15),
        K("error-correction-time", "Error correction time", "minutes", "lagging", "decrease", "outcome"),
        K("weekly-active-users", "Weekly active users in target cohort", "%", "leading", "increase", "adoption"),
    ]
}

# The adoption layer measured (training, change management, usage): the foundation page shows the first two
# beside the controls they prove (Control.measured_by), usage is the PM set's cohort KPI.
ENABLEMENT_SET = {
    "Change management (enablement KPI set)": [
        K("training-completion", "Target users trained on the new workflow", "%", "leading", "increase", "adoption"),
        K(
            "support-channel-use",
            "Support requests per 100 active users",
            "requests",
            "leading",
            "decrease",
            "adoption",
        ),
        K("weekly-active-users", "Weekly active users in target cohort", "%", "leading", "increase", "adoption"),
    ]
}

# Cohort-based adoption: "power users, occasional users, and non-adopters. This helps identify whether the
# problem is training, workflow fit, or trust." Each KPI is the share of the charter's target cohort in one
# group, pushed like any KPI; Kpi.cohort (not the key) tells the chart and the criterion which is which.
COHORT_SET = {
    "Adoption by cohort (PM KPI set)": [
        K("power-users", "Power users in target cohort", "%", "leading", "increase", "adoption", cohort="power"),
        K(
            "occasional-users",
            "Occasional users in target cohort",
            "%",
            "leading",
            "increase",
            "adoption",
            cohort="occasional",
        ),
        K(
            "non-adopters",
            "Non-adopters in target cohort",
            "%",
            "leading",
            "decrease",
            "adoption",
            cohort="non-adopter",
        ),
    ]
}

CTO_SET = {
    "Platform health, cost and risk (CTO KPI set)": [
        K(
            "inference-latency",
            "Average inference latency",
            "ms",
            "guardrail",
            "decrease",
            "platform",
            "daily",
            guardrail_bound=2500,
        ),
        K("failure-rate", "Failure rate", "%", "guardrail", "decrease", "platform", "daily", guardrail_bound=2),
        K("guardrail-trigger-rate", "Guardrail trigger rate", "%", "leading", "decrease", "platform", "daily"),
        K("model-spend", "Model spend for this business unit", "EUR/month", "lagging", "decrease", "cost", "monthly"),
        K("prompt-reuse", "Prompt reuse percentage", "%", "leading", "increase", "platform", "monthly"),
        K(
            "compliance-exceptions",
            "Compliance exception count",
            "count",
            "guardrail",
            "decrease",
            "platform",
            "monthly",
            guardrail_bound=0,
        ),
        K(
            "deployment-frequency",
            "Deployment frequency of AI-enabled features",
            "per week",
            "leading",
            "increase",
            "platform",
        ),
        K("rollback-rate", "Rollback rate", "%", "guardrail", "decrease", "platform", guardrail_bound=5),
        K(
            "audit-log-completeness",
            "Audit-log completeness",
            "%",
            "guardrail",
            "increase",
            "platform",
            "daily",
            guardrail_bound=99,
        ),
        K("cost-per-1000-inferences", "Cost per 1,000 inferences", "EUR", "lagging", "decrease", "cost", "monthly"),
        # Operational telemetry (kpis/telemetry.py): drift, low-confidence outputs and cost per request, whose
        # trends raise "drift rising" and "cost rising"; cost per request also prices the scale-out projection.
        K(
            "drift-score",
            "Input drift (population stability index)",
            "PSI",
            "guardrail",
            "decrease",
            "platform",
            "daily",
            guardrail_bound=0.2,
        ),
        K(
            "low-confidence-rate",
            "Low-confidence output rate",
            "%",
            "guardrail",
            "decrease",
            "platform",
            "daily",
            guardrail_bound=10,
        ),
        K("cost-per-request", "Cost per request", "EUR", "leading", "decrease", "cost"),
    ]
}

VALUE_SET = {
    "Time returned to the business": [
        K("time-saved", "Time saved", "hours/week", "leading", "increase", "value", value_measure="time-saved"),
        K(
            "time-reallocated",
            "Time reallocated to higher-value work",
            "hours/week",
            "lagging",
            "increase",
            "value",
            value_measure="time-reallocated",
        ),
    ]
}

ARCHETYPES = [
    TreeTemplate(
        "support-triage",
        "Support triage",
        "Reduce customer support handling time by 20 %",
        {
            "Faster handling and resolution": [
                K("handle-time", "Average handling time", "minutes", "lagging", "decrease", "outcome"),
                K("first-response-time", "First-response time", "minutes", "lagging", "decrease", "outcome"),
                K("routing-accuracy", "Case routing accuracy", "%", "lagging", "increase", "outcome"),
                K("escalation-rate", "Escalation rate", "%", "guardrail", "decrease", "outcome", guardrail_bound=12),
                K(
                    "csat",
                    "Customer satisfaction (CSAT)",
                    "score 1-5",
                    "guardrail",
                    "increase",
                    "outcome",
                    guardrail_bound=4.2,
                ),
            ],
            "Agent adoption": [
                K("assisted-tickets", "Tickets answered with the assistant", "%", "leading", "increase", "adoption"),
            ],
            **VALUE_SET,
        },
    ),
    TreeTemplate(
        "document-processing",
        "Document processing",
        "Process documents faster with fewer errors",
        {
            "Straight-through processing": [
                K("cycle-time", "Document cycle time", "hours", "lagging", "decrease", "outcome"),
                K("straight-through-rate", "Straight-through rate", "%", "lagging", "increase", "outcome"),
                K(
                    "extraction-error-rate",
                    "Extraction error rate",
                    "%",
                    "guardrail",
                    "decrease",
                    "outcome",
                    guardrail_bound=3,
                ),
            ],
            "Reviewer adoption": [
                K("reviewed-with-ai", "Documents pre-filled by AI", "%", "leading", "increase", "adoption"),
            ],
            **VALUE_SET,
        },
    ),
    TreeTemplate(
        "sales-summaries",
        "Sales account summaries",
        "Weekly forecast reviews prepared in under 30 minutes with at most 2 % factual errors",
        {
            "Faster preparation": [
                K("prep-time", "Forecast review preparation time", "minutes", "lagging", "decrease", "outcome"),
                K("summaries-used", "Account summaries used in reviews", "%", "leading", "increase", "adoption"),
            ],
            "Trustworthy summaries": [
                K(
                    "factual-error-rate",
                    "Factual error rate",
                    "%",
                    "guardrail",
                    "decrease",
                    "outcome",
                    guardrail_bound=2,
                ),
            ],
            **VALUE_SET,
        },
    ),
    TreeTemplate(
        "coding-assistant",
        "Coding assistant",
        "Ship changes faster without hurting quality",
        {
            "Delivery speed": [
                K("lead-time", "Lead time for changes", "hours", "lagging", "decrease", "outcome"),
                K("suggestion-acceptance", "Suggestion acceptance rate", "%", "leading", "increase", "adoption"),
            ],
            "Quality": [
                K(
                    "change-failure-rate",
                    "Change failure rate",
                    "%",
                    "guardrail",
                    "decrease",
                    "outcome",
                    guardrail_bound=15,
                ),
            ],
            **VALUE_SET,
        },
    ),
    TreeTemplate(
        "quote-creation",
        "Quote creation",
        "Shorten quote creation from two days to four hours",
        {
            "Faster quotes": [
                K("quote-cycle-time", "Quote creation time", "hours", "lagging", "decrease", "outcome"),
                K("quotes-drafted-by-ai", "Quotes drafted with AI", "%", "leading", "increase", "adoption"),
            ],
            "Pricing accuracy": [
                K(
                    "pricing-error-rate",
                    "Pricing error rate",
                    "%",
                    "guardrail",
                    "decrease",
                    "outcome",
                    guardrail_bound=1,
                ),
            ],
            **VALUE_SET,
        },
    ),
    TreeTemplate(
        "underwriting",
        "Underwriting decisions",
        "Decrease time-to-decision in underwriting",
        {
            "Faster decisions": [
                K("time-to-decision", "Time to decision", "days", "lagging", "decrease", "outcome"),
                K("files-pre-assessed", "Files pre-assessed by AI", "%", "leading", "increase", "adoption"),
            ],
            "Sound decisions": [
                K(
                    "decision-reversal-rate",
                    "Decision reversal rate",
                    "%",
                    "guardrail",
                    "decrease",
                    "outcome",
                    guardrail_bound=4,
                ),
            ],
            **VALUE_SET,
        },
    ),
]

FRAMEWORK_SETS = [
    TreeTemplate("pm-kpi-set", "The framework's PM KPI set", "", PM_SET),
    TreeTemplate("cohort-adoption", "Adoption by cohort: power, occasional and non-adopters", "", COHORT_SET),
    TreeTemplate("cto-kpi-set", "The framework's CTO KPI set", "", CTO_SET),
    TreeTemplate("enablement-kpi-set", "The framework's change-management KPI set", "", ENABLEMENT_SET),
    TreeTemplate("value-realisation", "Time returned to the business", "", VALUE_SET),
]

TEMPLATES = {t.slug: t for t in ARCHETYPES + FRAMEWORK_SETS}
