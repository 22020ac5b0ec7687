"""Step two of the framework for the demo portfolio: risk answers, data sources, controls, checklist answers.

The charter's risk answers go into the first charter save (initiatives/demo/replay.py, so no approval goes
stale); checklist answers are given by the approver just before they approve; the rest (data sources,
controls by layer, a risk owner's raised tier) is played by FoundationReplay on each plan's day, in the same
timeline as the gate histories. The coding assistant, quote copilot, underwriting and sales call summaries
recorded theirs just before requesting the foundation gate, which passed on it; the policy retrieval and
weekly summaries requests show the gaps recorded by then. The older support, case routing, invoice and IT
helpdesk inventories were recorded weeks after their foundation reviews, whose override reasons say so.
"""

from dataclasses import dataclass, field

# The charter's two risk questions. Everything else stays internal and decision-support only.
CHARTER_RISK = {
    "support-triage-assistant": {"customer_facing": True},
    "quote-drafting-copilot": {"customer_facing": True},
    "claims-intake-triage": {"automated_decisions": True},  # fast-track claims skip a handler: a draft to rethink
}


@dataclass(frozen=True)
class Source:
    name: str
    system: str
    classification: str
    personal_data: bool
    source_of_truth: str
    freshness_sla_hours: int | None
    retrieval_scope: str
    owner: str | None = "data"


SOURCES = [
    Source(
        "Zendesk tickets",
        "Zendesk (EU instance)",
        "confidential",
        True,
        "Zendesk is the system of record for customer and IT tickets.",
        24,
        "Subject, body, product and queue of tickets from the last 24 months, PII redacted before the model "
        "call. Never attachments, VIP organisations or the legal-hold queue.",
    ),
    Source(
        "Product knowledge base",
        "Zendesk Guide",
        "internal",
        False,
        "Published articles only; drafts and archived articles are excluded.",
        24,
        "Published help-centre and internal agent articles, in English, German and French.",
    ),
    Source(
        "CRM accounts and opportunities",
        "Salesforce",
        "confidential",
        False,
        "Salesforce for accounts, opportunities and products on an opportunity.",
        4,
        "Account-level extract: account, segment, open opportunities, products and stage. Contact records, "
        "notes and activity history are not in the extract.",
    ),
    Source(
        "Price book and product catalogue",
        "SAP CPQ",
        "internal",
        False,
        "SAP CPQ's active price book; list prices only.",
        24,
        "Products, bundles, list prices and discount bands. Never cost prices or margin.",
    ),
    Source(
        "Call recordings and transcripts",
        "Gong",
        "confidential",
        True,
        "Gong, for calls recorded with consent.",
        24,
        "Transcripts of consented calls from the last 30 days. Audio is never sent; retention 30 days.",
    ),
    Source(
        "Forecast submissions",
        "Anaplan",
        "confidential",
        False,
        "Anaplan after the Thursday forecast lock.",
        168,
        "Committed and best-case numbers per account and quarter, after the weekly lock.",
    ),
    Source(
        "Invoice archive (ERP)",
        "SAP S/4HANA",
        "confidential",
        True,
        "SAP S/4HANA accounts payable; the scanned PDF is linked, the posted document wins.",
        1,
        "Supplier invoices and credit notes of the last 3 years, with their purchase orders and goods receipts.",
    ),
    Source(
        "Supplier master data",
        "SAP S/4HANA (vendor master)",
        "confidential",
        True,
        "Vendor master in S/4HANA; the procurement portal copy is not authoritative.",
        None,  # the gap the recycled invoice initiative still has to close
        "Supplier name, VAT number, payment terms and bank account (masked to the last 4 digits).",
    ),
    Source(
        "Broker submissions store",
        "Guidewire PolicyCenter",
        "confidential",
        True,
        "PolicyCenter submission record; broker emails are copies.",
        24,
        "Commercial property submissions: schedules, surveys and loss runs. Never other lines of business.",
    ),
    Source(
        "Claims history (data warehouse)",
        "Snowflake (claims mart)",
        "confidential",
        True,
        "Claims mart, loaded nightly from ClaimCenter.",
        24,
        "Five-year claims history per insured and location; claimant names and health details excluded.",
    ),
    Source(
        "Claims documents",
        "Guidewire ClaimCenter documents",
        "restricted",
        True,
        "ClaimCenter document store.",
        4,
        "First notice of loss forms, photos and adjuster notes. Medical reports only with the claims "
        "handler's access rights.",
    ),
    Source(
        "Underwriting guidelines",
        "SharePoint (Underwriting)",
        "internal",
        False,
        "The published underwriting manual; local desk notes are not a source.",
        168,
        "Appetite, referral rules and authority limits for commercial property.",
    ),
    Source(
        "HR policy library",
        "SharePoint (People)",
        "internal",
        False,
        "Policies published on the People intranet; the country addenda win over the group policy.",
        168,
        "Published group and country policies on leave, benefits, working time and conduct. Never case files.",
    ),
    Source(
        "Compliance and security policies",
        "Confluence (Policies space)",
        "internal",
        False,
        "Approved versions in the Policies space, owned by the second line.",
        72,
        "Approved policies, standards and their FAQs. Drafts and audit findings are out of scope.",
    ),
    Source(
        "IT runbooks",
        "Confluence (IT Service Desk)",
        "internal",
        False,
        "The service desk's runbook space.",
        72,
        "Runbooks and known-error articles for the 40 most frequent IT request types.",
        owner="platform",
    ),
    Source(
        "Code repositories",
        "GitHub Enterprise",
        "internal",
        False,
        "GitHub Enterprise default branches.",
        1,
        "Repositories the engineer already has read access to; secrets filtered, archived repositories excluded.",
        owner="platform",
    ),
]

# Which sources each initiative depends on (several are shared).
USES = {
    "support-triage-assistant": ("Zendesk tickets", "Product knowledge base"),
    "case-routing-classifier": ("Zendesk tickets", "Product knowledge base"),
    "it-helpdesk-triage": ("Zendesk tickets", "IT runbooks"),
    "quote-drafting-copilot": (
        "CRM accounts and opportunities",
        "Price book and product catalogue",
        "Product knowledge base",
    ),
    "sales-call-summaries": ("Call recordings and transcripts", "CRM accounts and opportunities"),
    "weekly-account-summaries": ("CRM accounts and opportunities", "Forecast submissions"),
    "underwriting-decision-support": (
        "Broker submissions store",
        "Claims history (data warehouse)",
        "Underwriting guidelines",
    ),
    "claims-intake-triage": ("Claims documents", "Claims history (data warehouse)"),
    "invoice-document-processing": ("Invoice archive (ERP)", "Supplier master data"),
    "coding-assistant": ("Code repositories",),
    "policy-knowledge-retrieval": ("Compliance and security policies", "HR policy library"),
    "hr-policy-qa": ("HR policy library",),
}

# Evidence per catalogue control; {code} is the initiative's short code.
EVIDENCE = {
    "access-policy": "Confluence: AI-SEC-12 access policy v3, {code} access group in Okta",
    "review-workflow": "Prompt and model changes merged only through a reviewed pull request in ai-{slug}",
    "model-usage-boundaries": "Model register entry MR-{code}: Azure OpenAI EU, no training on our data",
    "retention-and-logging": "Prompts and outputs logged 30 days in Splunk index ai_{code}; read access: SecOps",
    "data-classification": "Data catalogue: every source of {code} classified and tagged in Collibra",
    "retrieval-scopes": "Retrieval scope per source documented in the {code} data contract v2",
    "content-freshness": "Freshness monitors in Monte Carlo, alert to #data-{code} on a missed SLA",
    "environment-separation": "Separate dev, test and prod projects; prompts promoted by the release pipeline",
    "cost-telemetry": "Grafana: cost per 1,000 inferences for {code}, budget alert at 120 %",
    "quality-telemetry": "Weekly drift and low-confidence report from the evaluation harness",
    "human-review": "Every output reviewed by a person before it takes effect; review rate on the ops dashboard",
    "confidence-thresholds": "Threshold 0.7 set in the {code} config; below it the case goes to manual handling",
    "fallback-low-confidence": "Low-confidence items fall back to the pre-AI manual queue",
    "escalation-procedure": "Runbook RB-{code}-04: tier-2 takes over within 30 minutes",
    "rollback-plan": "Feature flag ai-{slug} switches the AI step off; tested in the last game day",
    "training": "LMS course 'Working with {code}' completed by the pilot cohort",
    "support-channel": "Slack #help-{slug} staffed by the service owner's rota",
    "change-management": "Change note '{code}: what changes for you' briefed by every team lead: the new steps, "
    "the manual steps retired, the desk champion to ask",
    "usage": "Weekly active users in the target cohort on the {code} adoption dashboard, reviewed at the Monday "
    "ops meeting",
}


@dataclass(frozen=True)
class Plan:
    """What the foundation page shows for one initiative."""

    code: str
    days_ago: int  # when the inventory was recorded
    # None: every control in place (except the waived ones); a tuple: only these are recorded.
    recorded: tuple | None = None
    waived: dict = field(default_factory=dict)
    evidence: dict = field(default_factory=dict)  # initiative-specific evidence, by control key
    raise_to: tuple = ()  # (tier, reason): a risk owner's raised floor


PLANS = {
    "support-triage-assistant": Plan(
        "SUP",
        40,
        evidence={
            "human-review": "An agent approves every drafted reply; nothing is sent automatically",
            "retention-and-logging": "Transcripts kept 30 days in the EU region (DPIA-2024-031, section 6)",
        },
    ),
    "coding-assistant": Plan(
        "ENG",
        230,
        evidence={
            "human-review": "Every suggestion lands through a reviewed pull request",
            "model-usage-boundaries": "Enterprise terms exclude training on our code; secret filter on",
        },
    ),
    "case-routing-classifier": Plan(
        "CRC", 36, evidence={"human-review": "Team leads can override every routing from the queue view"}
    ),
    "underwriting-decision-support": Plan(
        "UW",
        151,
        evidence={
            "human-review": "The underwriter decides; the assistant only extracts and cites pages",
            "model-usage-boundaries": "Model-risk validation MRV-2024-07 on file with the second line",
        },
    ),
    "quote-drafting-copilot": Plan(
        "QDC", 161, evidence={"human-review": "The account executive edits and sends every quote"}
    ),
    "sales-call-summaries": Plan(
        "SCS", 129, evidence={"access-policy": "Consent check in both telephony flows; AI-SEC-12 v3 access policy"}
    ),
    "it-helpdesk-triage": Plan(
        "ITH",
        30,
        waived={
            "training": "Reuses the support triage workflow unchanged: the helpdesk agents took that course "
            "when it launched.",
        },
    ),
    # Secure foundation: the gaps the foundation page shows.
    "invoice-document-processing": Plan(
        "INV",
        12,
        recorded=(
            "access-policy",
            "review-workflow",
            "model-usage-boundaries",
            "retention-and-logging",
            "data-classification",
            "retrieval-scopes",
            "environment-separation",
            "quality-telemetry",
            "human-review",
            "confidence-thresholds",
            "escalation-procedure",
        ),
        evidence={"human-review": "AP clerks confirm every extracted amount and VAT line before posting"},
        raise_to=(
            "high",
            "Invoices carry supplier bank details and a wrong match can release a payment: high until "
            "extraction errors on amount and VAT are back under 0.5 % for a full quarter.",
        ),
    ),
    "policy-knowledge-retrieval": Plan(
        "POL",
        41,
        recorded=(
            "access-policy",
            "model-usage-boundaries",
            "retention-and-logging",
            "data-classification",
            "retrieval-scopes",
            "content-freshness",
            "environment-separation",
            "human-review",
            "confidence-thresholds",
        ),
        waived={"environment-separation": "Single-tenant sandbox with no production data until launch."},
        evidence={"human-review": "Answers cite the policy paragraph; HR and compliance answer anything uncited"},
    ),
    "weekly-account-summaries": Plan("WAS", 41, recorded=("access-policy", "data-classification", "retrieval-scopes")),
}

# (initiative, gate, approver): the executive checklist answers they gave just before approving.
CHECKLIST_ANSWERS = {
    ("case-routing-classifier", "charter-signoff", "cto"): [
        ("Do users actually want this workflow change?", "yes", "All 12 team leads asked for it in the Q1 retro."),
        ("What task are we removing or simplifying?", "yes", "Manual re-assignment between specialist queues."),
        ("Which KPI proves the change matters?", "yes", "First-time-right routing, 72 % to 87 %."),
    ],
    ("support-triage-assistant", "foundation-ready", "risk"): [
        ("Can we explain the architecture in one page?", "yes", "Architecture one-pager SUP-ARCH v2."),
        ("Are logs sufficient for audit and debugging?", "yes", "Prompts, outputs and agent edits, 30 days."),
        ("Can we roll back safely?", "yes", "Feature flag tested in staging and on one desk."),
        ("Have we defined confidence thresholds and escalation paths?", "yes", "0.7 threshold; tier 2 escalation."),
        ("What is the fallback when the model is wrong?", "yes", "The agent discards the draft and answers."),
    ],
    ("support-triage-assistant", "scale-out", "cto"): [
        (
            "Do we know the cost per transaction and what happens when volume doubles?",
            "yes",
            "3.80 per 1,000 inferences; cached retrieval keeps it under 4.10 at twice the volume.",
        ),
        ("What training does the new behavior require?", "yes", "A 40-minute course and a desk champion."),
        (
            "Is the goal a one-time productivity boost or a repeatable business capability?",
            "yes",
            "Repeatable: the triage pattern is already planned for IT helpdesk.",
        ),
        ("How are we governing risk without slowing adoption?", "yes", "Weekly evaluation on the golden set."),
    ],
    ("underwriting-decision-support", "foundation-ready", "legal"): [
        ("Can we explain the architecture in one page?", "yes", "Extraction with page citations, one page."),
        ("Are logs sufficient for audit and debugging?", "yes", "Every extraction is kept with the submission."),
        ("Can we roll back safely?", "yes", "Underwriters keep the manual workbench."),
        ("Have we defined confidence thresholds and escalation paths?", "yes", "Referral rules unchanged."),
        (
            "What is the fallback when the model is wrong?",
            "no",
            "Fallback is the manual workbench, but no drill yet: scheduled before scale-out.",
        ),
    ],
    ("invoice-document-processing", "foundation-ready", "risk"): [
        ("Can we roll back safely?", "yes", "Posting falls back to the AP clerk queue."),
        ("Are logs sufficient for audit and debugging?", "yes", "Each extraction is stored with the invoice."),
    ],
}


# The foundation-ready questions a control answers: the answer is that control's state in the story.
QUESTION_CONTROLS = {
    "Are logs sufficient for audit and debugging?": ("retention-and-logging",),
    "Can we roll back safely?": ("rollback-plan",),
    "Have we defined confidence thresholds and escalation paths?": ("confidence-thresholds", "escalation-procedure"),
    "What is the fallback when the model is wrong?": ("fallback-low-confidence",),
    "What training does the new behavior require?": ("training",),
}


def story_answer(initiative, question: str) -> tuple[str, str]:
    """An approver's answer read from the initiative's own story: its charter, outcome tree and control plan.

    Used for the questions CHECKLIST_ANSWERS does not script; a control the plan leaves missing or
    waived is a "no", with the gap as its note.
    """
    charter = initiative.charter
    if question in QUESTION_CONTROLS:
        return _control_answer(initiative.slug, QUESTION_CONTROLS[question])
    lagging = [k for k in initiative.kpis.all() if k.kind == "lagging"]
    proof = "; ".join(f"{k.name} from {k.baseline_value:g} to {k.target_value:g} {k.unit}" for k in lagging[:2])
    if question == "Which KPI proves the change matters?":
        return ("yes", proof) if proof else ("no", "No lagging KPI with a baseline and target yet.")
    if question == "Do we know the cost per transaction and what happens when volume doubles?":
        if charter.cost_per_1000_inferences is None or not charter.expected_monthly_volume:
            return "no", "The charter does not give the cost per 1,000 inferences and the monthly volume yet."
        monthly = float(charter.cost_per_1000_inferences) * charter.expected_monthly_volume / 1000
        return (
            "yes",
            f"{charter.cost_per_1000_inferences} per 1,000 inferences: "
            f"{monthly:,.0f} a month, {2 * monthly:,.0f} at 2×.",
        )
    if question == "Can we explain the architecture in one page?":
        return "yes", "The one-page control model: purpose, data sources, controls by layer, escalation and rollback."
    if (
        question
        == "How will we know if the AI investment is creating durable advantage rather than isolated efficiency?"
    ):
        return (
            ("yes", f"The lagging KPIs stay on the scorecard after scale-out: {proof}.")
            if proof
            else ("no", "No lagging KPI yet.")
        )
    from_charter = {
        "Do users actually want this workflow change?": charter.target_users,
        "What task are we removing or simplifying?": charter.problem_task,
        "Is the goal a one-time productivity boost or a repeatable business capability?": charter.reuse_plan,
        "How are we governing risk without slowing adoption?": charter.guardrails,
        "What must become standardized for the next team to reuse this pattern?": charter.reuse_plan,
    }
    text = from_charter.get(question, "")
    return ("yes", text) if text else ("no", "Not answered in the charter yet.")


def _control_answer(slug: str, keys: tuple[str, ...]) -> tuple[str, str]:
    plan = PLANS.get(slug)
    if plan is None:
        return "no", "No foundation controls recorded yet."
    gaps = [k for k in keys if k in plan.waived or (plan.recorded is not None and k not in plan.recorded)]
    if gaps:
        return "no", "Not in place yet: " + ", ".join(k.replace("-", " ") for k in gaps) + "."
    evidence = [(plan.evidence.get(k) or EVIDENCE[k]).format(code=plan.code, slug=slug) for k in keys]
    return "yes", "; ".join(evidence) + "."
