"""The dozen demo initiatives and the gate history each one plays through the services."""

from dataclasses import dataclass, field
from decimal import Decimal

from governance.models import GateDecision
from initiatives.models import Role, Stage


@dataclass(frozen=True)
class Request:
    """The initiative's creator (or `by`) asks for the next gate: on the evidence when every criterion passes
    that day, else with `reason` (the override the product asks for; the seed fails when it is missing)."""

    days_ago: int
    reason: str = ""
    by: str = ""


@dataclass(frozen=True)
class Decide:
    days_ago: int
    by: str
    decision: str
    comment: str = ""
    recycle_to: str = ""


@dataclass(frozen=True)
class Edit:
    """A charter edit by the creator, e.g. answering a change request."""

    changes: dict


@dataclass(frozen=True)
class AfterAction:
    """The creator writes the after-action review on its day (held that day): the framework's three questions
    answered, and the suffixes of the KPIs that show the result."""

    days_ago: int
    work_removed: str
    work_replacing: str
    result: str
    kpis: tuple


@dataclass(frozen=True)
class Assign:
    """A role given later in the initiative's life (typically the service owner)."""

    days_ago: int
    role: str
    username: str


@dataclass
class Demo:
    slug: str
    title: str
    business_unit: str
    risk_tier: str
    started_days_ago: int
    charter: dict
    roles: dict
    steps: list = field(default_factory=list)
    created_by: str = "pm"
    unaccepted: tuple = ()
    draft: bool = False  # a draft charter gets no 90-day plan beyond its start date


Kind = GateDecision.Kind
APPROVE, CHANGES, REJECT, HOLD, KILL, RECYCLE = (
    Kind.APPROVE,
    Kind.REQUEST_CHANGES,
    Kind.REJECT,
    Kind.HOLD,
    Kind.KILL,
    Kind.RECYCLE,
)
CORE_ROLES = {
    Role.EXECUTIVE_SPONSOR: "sponsor",
    Role.CTO: "cto",
    Role.SECURITY_RISK: "risk",
    Role.DATA_PLATFORM: "data",
    Role.PLATFORM_ENGINEERING: "platform",
    Role.PRODUCT_OPS: "ops",
    Role.ENABLEMENT: "enablement",
}

# Override reasons, where a review was requested with a criterion unmet. Every other request passes its
# gate's criteria on the data of that day (the seed fails if one does not).
NOT_ON_THE_FOUNDATION_PAGE = "not on the foundation page yet: the approvers decide on the design review minutes."
SUPPORT_FOUNDATION = (
    "Controls were agreed in the security design review (DPIA-2024-031: PII redaction, EU region, 30-day "
    "retention) and the ticket and knowledge-base feeds have owners; both are " + NOT_ON_THE_FOUNDATION_PAGE
)
CASE_ROUTING_FOUNDATION = (
    "Override path, confidence threshold and drift report are agreed with the team leads; they and the "
    "case data the model reads are " + NOT_ON_THE_FOUNDATION_PAGE
)
INVOICE_FOUNDATION = (
    "The ERP purchase-order feed and the payment controls are agreed; they are "
    + NOT_ON_THE_FOUNDATION_PAGE
    + " Supplier master data has no agreed freshness SLA yet."
)
HELPDESK_FOUNDATION = (
    "Reuses the support triage controls as published in the library; the service desk's ticket export and "
    "runbooks are " + NOT_ON_THE_FOUNDATION_PAGE
)
WEEKLY_FOUNDATION = (
    "Only access, classification and retrieval scopes are in place: permission-aware retrieval needs the CRM "
    "on the new data platform. Asking security / risk whether to go ahead on the current CRM or to wait."
)
POLICY_FOUNDATION = (
    "Escalation, rollback and six other controls are still open: asking legal and security / risk to settle "
    "log retention and the index scope before we build them."
)
QUOTE_SCALE_OUT = (
    "Median quote time is down to about five hours, but pricing errors have been over their 1 % bound since "
    "the price-book change two weeks ago: asking for the scale-out decision with that breach on the table."
)
SALES_SCALE_OUT = (
    "Reps rewrite about a third of the summaries, over the 15 % guardrail, and weekly use has stalled at "
    "under a fifth of reps: asking the sponsor to choose between a redesign and stopping. No after-action review: "
    "there is no result to review yet."
)
INVOICE_SCALE_OUT = (
    "Touchless processing has more than doubled and cost per invoice is falling, but extraction errors on amount and "
    "VAT are over the 0.5 % guardrail: asking the CTO how to fix them before any scale-out. The after-action "
    "review waits for that fix."
)
CODING_REUSE = (
    "The coding assistant's reusable parts are the repository indexing pipeline, the model routing rule "
    "(published by the platform team) and the enablement course: it has no prompt template, evaluation set "
    "or playbook of its own to publish."
)

SUPPORT_GUARDRAILS_DRAFT = "Customer satisfaction must not drop."
SUPPORT_GUARDRAILS = (
    "CSAT stays at or above 4.2 / 5; escalation rate to tier 2 at most 11 %; factual error rate in drafted "
    "replies at most 2 % on the weekly evaluation sample."
)

DEMOS = [
    Demo(
        slug="support-triage-assistant",
        title="Support triage assistant",
        business_unit="Customer Support",
        risk_tier="medium",
        started_days_ago=268,
        roles=CORE_ROLES,
        charter={
            "problem_user": "Tier-1 customer support agents (EMEA and North America desks)",
            "problem_task": (
                "Read each incoming ticket, classify it, pull the relevant knowledge-base articles and "
                "draft a first reply before the agent answers."
            ),
            "expected_business_result": "Reduce customer support handling time by 20 % without hurting satisfaction.",
            "constraints": (
                "Customer data stays in the EU region; nothing is sent automatically, an agent approves "
                "every reply; answers below 0.7 confidence go to manual handling."
            ),
            "outcome_statement": (
                "Average handling time per ticket falls from 12.0 to 9.6 minutes within 90 days of launch."
            ),
            "owner": "pm",
            "target_users": "The 140 tier-1 agents across both desks; pilot cohort of 25 agents on the billing queue.",
            "target_cohort_size": 140,
            "adoption_target": 70,
            "guardrails": SUPPORT_GUARDRAILS_DRAFT,
            "expected_impact": (
                "About 5,600 agent hours a quarter returned, redeployed to complex cases and proactive outreach."
            ),
            "scope": (
                "In: email and web-form tickets in English, German and French. Out: phone, social media, VIP "
                "accounts. Retired: the manual macro picker."
            ),
            "outcome_supported": "Support handling time (−20 %) and first-response time.",
            "data_dependencies": (
                "Two years of resolved tickets, the product knowledge base and the macro library, refreshed nightly."
            ),
            "control_needed": (
                "Agent approval of every reply, confidence threshold 0.7, PII redaction before the "
                "model call, escalation to tier 2, weekly evaluation on a 500-ticket golden set."
            ),
            "reuse_plan": (
                "The triage prompt template, the classification evaluation set and the escalation "
                "playbook, for IT helpdesk and finance operations."
            ),
            "cost_per_1000_inferences": Decimal("3.80"),
            "expected_monthly_volume": 180_000,
        },
        steps=[
            Request(250),
            Decide(
                247,
                "sponsor",
                CHANGES,
                "Guardrails have no bounds: name the CSAT floor, the escalation ceiling "
                "and the error budget, so the scale-out decision has something to check against.",
            ),
            Edit({"guardrails": SUPPORT_GUARDRAILS}),
            Request(244),
            Decide(241, "sponsor", APPROVE, "Bounds are clear. Go ahead with the billing-queue cohort."),
            Request(214, SUPPORT_FOUNDATION),
            Decide(
                210,
                "risk",
                APPROVE,
                "PII redaction verified on 1,000 sampled tickets; EU region pinned; transcripts kept 30 days.",
            ),
            Decide(
                209, "data", APPROVE, "Ticket export and knowledge-base sync have owners and a nightly freshness SLA."
            ),
            AfterAction(
                146,
                work_removed=(
                    "Agents no longer read, tag and route every incoming ticket by hand, nor search the macro "
                    "library for a first reply: the assistant proposes both and the agent approves."
                ),
                work_replacing=(
                    "Tier-1 agents call back billing customers who wrote twice in a week, and two agents per shift "
                    "now write knowledge-base articles for the most frequent questions."
                ),
                result=(
                    "Handling time down from 12 to about 9.5 minutes (−21 %) and first response from 95 to about "
                    "60 minutes, with CSAT flat at 4.3 and escalations inside their bound; about 300 agent hours a "
                    "week reallocated."
                ),
                kpis=("handle-time", "first-response-time", "csat", "time-reallocated"),
            ),
            Request(142),
            Decide(138, "cto", APPROVE, "3.80 per 1,000 inferences holds at twice the volume with cached retrieval."),
            Decide(
                136,
                "sponsor",
                APPROVE,
                "Handling time down 21 % over six weeks, CSAT flat at 4.3. Scale to all tier-1 queues.",
            ),
            Assign(120, Role.SERVICE_OWNER, "owner"),
            Request(62),
            Decide(
                58,
                "owner",
                APPROVE,
                "I own the triage service: support rota, cost budget and quarterly model review are in place.",
            ),
            Decide(
                55,
                "enablement",
                APPROVE,
                "Playbook and training module published; the IT helpdesk team is booked for the reuse review.",
            ),
        ],
    ),
    Demo(
        slug="case-routing-classifier",
        title="Case routing classifier",
        business_unit="Customer Support",
        risk_tier="low",
        started_days_ago=236,
        roles={**CORE_ROLES, Role.SERVICE_OWNER: "owner"},
        charter={
            "problem_user": "Support team leads who dispatch incoming cases to specialist queues",
            "problem_task": (
                "Choose the right specialist queue for each new case at intake, instead of keyword rules "
                "and manual re-assignment."
            ),
            "expected_business_result": "Improve case routing accuracy by 15 % so fewer cases bounce between queues.",
            "constraints": (
                "Suggest, do not force: a lead can override every routing; only the case subject, body "
                "and product metadata are sent to the model."
            ),
            "outcome_statement": "First-time-right routing rises from 72 % to 87 % of cases within 90 days.",
            "owner": "pm",
            "target_users": "12 team leads and the 9 specialist queues they feed (about 60,000 cases a month).",
            "target_cohort_size": 12,
            "adoption_target": 80,
            "guardrails": (
                "Re-assignment rate at most 8 %; median time to first specialist touch stays under 3 "
                "hours; security incidents always go to the on-call queue."
            ),
            "expected_impact": (
                "About 1,900 lead hours a quarter no longer spent re-routing; faster resolution for "
                "the 28 % of cases that bounce today."
            ),
            "scope": (
                "In: inbound email and portal cases. Out: phone escalations and security incidents (fixed "
                "rule). Retired: 340 keyword routing rules."
            ),
            "outcome_supported": "Case routing accuracy (+15 %).",
            "data_dependencies": (
                "18 months of cases with their final resolving queue; the queue catalogue and "
                "product taxonomy from the CRM."
            ),
            "control_needed": (
                "Override with a reason, confidence threshold 0.6 (below it the triage lead decides), "
                "weekly drift report on the queue mix."
            ),
            "reuse_plan": (
                "The classification prompt, the labelled evaluation set and the routing-rule pattern, for "
                "HR and IT ticket routing."
            ),
            "cost_per_1000_inferences": Decimal("0.90"),
            "expected_monthly_volume": 60_000,
        },
        steps=[
            Request(222),
            Decide(219, "cto", APPROVE, "Clear outcome and a sensible override path."),
            Request(190, CASE_ROUTING_FOUNDATION),
            Decide(
                186, "risk", APPROVE, "Only case text and product metadata leave the CRM; no PII fields in the prompt."
            ),
            AfterAction(
                124,
                work_removed=(
                    "Team leads no longer read each new case to pick a queue, nor re-route the cases that bounce."
                ),
                work_replacing=(
                    "Leads coach specialists on the hardest case types and review the queue catalogue monthly with "
                    "product owners."
                ),
                result=(
                    "First-time-right routing up from 72 % to about 86 % and re-assignment down from 28 % to 7 %; "
                    "about 100 lead hours a week reallocated to coaching."
                ),
                kpis=("first-time-right", "reassignment-rate", "time-reallocated"),
            ),
            Request(120),
            Decide(
                116,
                "sponsor",
                APPROVE,
                "Routing accuracy at 86 % after five weeks and re-assignment down to 7 %. Approved for all queues.",
            ),
            Request(3),
        ],
    ),
    Demo(
        slug="quote-drafting-copilot",
        title="Quote drafting copilot",
        business_unit="Sales",
        risk_tier="medium",
        started_days_ago=205,
        roles={**CORE_ROLES, Role.SERVICE_OWNER: "owner"},
        charter={
            "problem_user": "Inside sales representatives and deal desk analysts",
            "problem_task": (
                "Assemble a customer quote: pick products and price tiers, apply the discount policy, "
                "write the scope summary and terms."
            ),
            "expected_business_result": "Shorten quote creation from two days to four hours.",
            "constraints": (
                "Prices and discounts come only from the pricing system, never from the model; discounts "
                "above 15 % still need deal desk approval; a person sends every quote."
            ),
            "outcome_statement": (
                "Median time from quote request to sent quote falls from 2 business days to 4 hours "
                "for standard deals within 90 days."
            ),
            "owner": "pm",
            "target_users": "45 inside sales reps and 6 deal desk analysts in the UK and DACH teams.",
            "target_cohort_size": 51,
            "adoption_target": 75,
            "guardrails": (
                "Pricing errors on sent quotes stay at zero; deal desk rework rate at most 10 %; win rate "
                "does not fall below 24 %."
            ),
            "expected_impact": (
                "About 1,100 rep hours a quarter back for selling; faster quotes expected to lift the "
                "win rate on competitive deals by 2 to 3 points."
            ),
            "scope": (
                "In: standard and renewal quotes up to 250k. Out: custom enterprise agreements and public "
                "tenders. Retired: the Word quote template."
            ),
            "outcome_supported": "Quote cycle time (two days to four hours).",
            "data_dependencies": (
                "Price book and discount policy (CPQ), product catalogue, past accepted quotes, "
                "the CRM opportunity record."
            ),
            "control_needed": (
                "Deterministic price lookup, deal desk approval above 15 % discount, an audit log of "
                "every generated quote."
            ),
            "reuse_plan": (
                "The quote-summary prompt template and the price-check validator, for renewals and partner quotes."
            ),
            "cost_per_1000_inferences": Decimal("6.50"),
            "expected_monthly_volume": 9_000,
        },
        steps=[
            Request(190),
            Decide(186, "sponsor", APPROVE, "Exactly the kind of cycle-time win we need this year."),
            Request(160),
            Decide(
                155,
                "risk",
                APPROVE,
                "Prices never come from the model; the validator blocks any line not in the price book.",
            ),
            Decide(
                152, "data", APPROVE, "CPQ and CRM feeds classified internal; owners and a 1-hour freshness SLA agreed."
            ),
            AfterAction(
                12,
                work_removed=(
                    "Reps no longer copy products, price tiers and discount rules from three systems into a "
                    "quote by hand."
                ),
                work_replacing="Reps spend the time on discovery calls; the deal desk reviews only non-standard terms.",
                result=(
                    "Quote cycle time down from 16 to about 5 business hours, but pricing errors rose over their "
                    "bound after the price-book change; time reallocated is about 38 of the 60 hours a week aimed for."
                ),
                kpis=("quote-cycle-time", "pricing-error-rate", "time-reallocated"),
            ),
            Request(9, QUOTE_SCALE_OUT),
            Decide(
                6,
                "sponsor",
                APPROVE,
                "Quote time down from two days to about five hours. I back the scale-out; the CTO should "
                "check the pricing-error trend since the price-book change first.",
            ),
        ],
    ),
    Demo(
        slug="underwriting-decision-support",
        title="Underwriting decision support",
        business_unit="Commercial Underwriting",
        risk_tier="high",
        started_days_ago=196,
        # No service owner: the "no scale owner" failure mode, in measure-impact.
        roles={**CORE_ROLES, Role.LEGAL_COMPLIANCE: "legal"},
        charter={
            "problem_user": "Commercial property underwriters",
            "problem_task": (
                "Review a broker submission: extract risk details from schedules and surveys, compare "
                "them with appetite and guidelines, and prepare the referral note."
            ),
            "expected_business_result": (
                "Decrease time-to-decision in underwriting so brokers get a quote or a decline faster."
            ),
            "constraints": (
                "The underwriter makes every decision; the model never declines or prices a risk; every "
                "extraction cites its submission page; regulated data stays in our tenancy."
            ),
            "outcome_statement": (
                "Median time-to-decision for mid-market property submissions falls from 6 to 3 "
                "business days within 90 days."
            ),
            "owner": "pm",
            "target_users": "32 underwriters and 8 underwriting assistants in the mid-market property team.",
            "guardrails": (
                "Loss ratio on AI-assisted policies within 1 point of the control group; extraction error "
                "rate on key fields at most 2 %; referral rate to senior underwriters at least 15 %."
            ),
            "expected_impact": (
                "Decision time halved; quote-to-bind conversion expected up 4 points as brokers get answers faster."
            ),
            "scope": (
                "In: new-business mid-market property submissions. Out: renewals, large corporate and "
                "specialty lines. Retired: the manual submission summary spreadsheet."
            ),
            "outcome_supported": "Underwriting time-to-decision.",
            "data_dependencies": (
                "Broker submissions (PDF schedules, surveys), underwriting guidelines, the appetite "
                "matrix and claims history from the policy administration system."
            ),
            "control_needed": (
                "A human decision on every submission, page-cited extractions, model-risk validation by "
                "the second line, a fairness review of referral patterns, a full audit trail."
            ),
            "reuse_plan": (
                "The document-extraction pipeline and the citation-checking evaluation set, for claims "
                "intake and marine cargo."
            ),
            "cost_per_1000_inferences": Decimal("24.00"),
            "expected_monthly_volume": 4_000,
        },
        steps=[
            Request(182),
            Decide(178, "sponsor", APPROVE, "Broker turnaround is our top complaint; sponsor sign-off given."),
            Decide(176, "cto", APPROVE, "Extraction with page citations fits the reference architecture."),
            Request(150),
            Decide(
                140, "risk", APPROVE, "Decision rights stay with underwriters; access limited to the property team."
            ),
            Decide(
                139,
                "data",
                APPROVE,
                "Submission store and claims history classified confidential, with owners and a daily refresh.",
            ),
            Decide(
                137,
                "legal",
                APPROVE,
                "Model-risk validation and the fairness review of referral patterns are on file with the second line.",
            ),
        ],
    ),
    Demo(
        slug="weekly-account-summaries",
        title="Weekly account summaries for forecast reviews",
        business_unit="Sales Operations",
        risk_tier="medium",
        started_days_ago=178,
        roles={k: v for k, v in CORE_ROLES.items() if k != Role.PLATFORM_ENGINEERING},
        charter={
            "problem_user": "Sales operations analysts",
            "problem_task": (
                "Summarize each key account's weekly activity (pipeline changes, meetings, emails, "
                "support cases) for the Monday forecast review."
            ),
            "expected_business_result": "Weekly forecast reviews prepared in under 30 minutes instead of half a day.",
            "constraints": (
                "No more than 2 % factual error rate; summaries only use CRM data the analyst is already "
                "allowed to see."
            ),
            "outcome_statement": (
                "Sales operations analysts prepare weekly forecast reviews in under 30 minutes with no "
                "more than 2 % factual error rate."
            ),
            "owner": "pm",
            "target_users": "14 sales operations analysts covering 600 key accounts.",
            "guardrails": (
                "Factual error rate at most 2 % on a weekly audit of 50 summaries; no summary cites data "
                "outside the analyst's CRM permissions."
            ),
            "expected_impact": (
                "Around 45 analyst hours a week returned; every region's forecast call starts from the same facts."
            ),
            "scope": (
                "In: the 600 named key accounts. Out: mid-market and partner accounts. Retired: the manual "
                "account-notes spreadsheet."
            ),
            "outcome_supported": "Forecast review preparation time (under 30 minutes).",
            "data_dependencies": (
                "CRM opportunities and activities, email and meeting metadata, support cases per account."
            ),
            "control_needed": (
                "Permission-aware retrieval, a CRM record cited for every fact, a weekly factual-accuracy audit."
            ),
            "reuse_plan": (
                "The account-summary prompt and the factual-accuracy evaluation set, for customer success QBR packs."
            ),
            "cost_per_1000_inferences": Decimal("2.10"),
            "expected_monthly_volume": 2_600,
        },
        steps=[
            Request(165),
            Decide(160, "sponsor", APPROVE, "The framework's own example; let's prove it."),
            Request(40, WEEKLY_FOUNDATION),
            Decide(
                36,
                "risk",
                HOLD,
                "The CRM moves to the new data platform next quarter and permission-aware "
                "retrieval cannot be tested until it lands. Hold until the migration completes; no foundation "
                "work is lost.",
            ),
        ],
    ),
    Demo(
        slug="it-helpdesk-triage",
        title="IT helpdesk triage (reuse of the support triage pattern)",
        business_unit="IT",
        risk_tier="low",
        started_days_ago=118,
        # No enablement lead yet: a gap the roles panel shows.
        roles={**{k: v for k, v in CORE_ROLES.items() if k != Role.ENABLEMENT}, Role.SERVICE_OWNER: "owner"},
        charter={
            "problem_user": "IT service desk analysts",
            "problem_task": (
                "Classify incoming IT tickets, suggest a fix from the knowledge base and route hardware, "
                "access and software requests to the right resolver group."
            ),
            "expected_business_result": (
                "Cut the time to resolve routine IT tickets by 30 % by reusing the support triage workflow."
            ),
            "constraints": (
                "Reuse the support triage service and prompt templates unchanged where possible; access "
                "requests still follow the identity workflow; nothing is closed automatically."
            ),
            "outcome_statement": (
                "Mean time to resolve P3/P4 IT tickets falls from 9 to 6.3 working hours within 90 days."
            ),
            "owner": "pm",
            "target_users": "22 service desk analysts serving 4,800 employees.",
            "guardrails": (
                "Ticket reopen rate at most 6 %; employee satisfaction with IT at or above 4.0 / 5; no "
                "access granted outside the identity workflow."
            ),
            "expected_impact": (
                "About 700 analyst hours a quarter, and the first reuse of a published pattern: "
                "weeks instead of months to build."
            ),
            "scope": "In: P3/P4 tickets from the portal and email. Out: P1/P2 incidents and security events.",
            "outcome_supported": "IT ticket resolution time (−30 %).",
            "data_dependencies": "Service desk ticket history, the IT knowledge base, the resolver-group catalogue.",
            "control_needed": (
                "The support triage controls as published (confidence threshold, human approval, "
                "escalation playbook), plus the identity workflow for access requests."
            ),
            "reuse_plan": (
                "Consumes the support triage prompt template and escalation playbook; contributes the IT "
                "resolver taxonomy back to the library."
            ),
            "cost_per_1000_inferences": Decimal("3.80"),
            "expected_monthly_volume": 25_000,
        },
        steps=[
            Request(108),
            Decide(106, "cto", APPROVE, "A straight reuse of a scaled pattern: approved."),
            Request(84, HELPDESK_FOUNDATION),
            Decide(80, "data", APPROVE, "Ticket export classified internal, owner named, nightly refresh."),
        ],
    ),
    Demo(
        slug="invoice-document-processing",
        title="Invoice and document processing",
        business_unit="Finance",
        risk_tier="medium",
        started_days_ago=230,
        roles={**CORE_ROLES, Role.SERVICE_OWNER: "owner"},
        charter={
            "problem_user": "Accounts payable clerks",
            "problem_task": (
                "Extract supplier, amounts, VAT and PO references from incoming invoices and match them "
                "to purchase orders before approval."
            ),
            "expected_business_result": "Cut the cost per processed invoice by 40 % and pay suppliers on time.",
            "constraints": (
                "Three-way match stays mandatory; any invoice above 10k or with a mismatch goes to a "
                "clerk; payment approval rights do not change."
            ),
            "outcome_statement": (
                "Touchless processing rises from 18 % to 60 % of invoices and cost per invoice falls "
                "from 4.10 to 2.45 within 90 days."
            ),
            "owner": "pm",
            "target_users": "18 AP clerks processing about 22,000 invoices a month for three entities.",
            "guardrails": (
                "Extraction error rate on amount and VAT fields at most 0.5 %; zero duplicate payments; "
                "late-payment penalties do not rise."
            ),
            "expected_impact": "Roughly 2,400 clerk hours a quarter and 36k a month in processing cost.",
            "scope": "In: PDF and e-invoices from EU suppliers. Out: paper invoices and expense receipts.",
            "outcome_supported": "Cost per processed invoice and on-time payment.",
            "data_dependencies": (
                "Invoice PDFs and e-invoices, supplier master data, open purchase orders from the ERP."
            ),
            "control_needed": (
                "Field-level confidence thresholds, mandatory three-way match, clerk review above 10k, "
                "duplicate detection."
            ),
            "reuse_plan": (
                "The document-extraction prompt set and field-level evaluation set, for expense receipts and contracts."
            ),
            "cost_per_1000_inferences": Decimal("8.40"),
            "expected_monthly_volume": 22_000,
        },
        steps=[
            Request(216),
            Decide(213, "leader", APPROVE, "Approved for the portfolio board: a clear cost case."),
            Request(185, INVOICE_FOUNDATION),
            Decide(180, "risk", APPROVE, "Payment rights unchanged; duplicate detection runs before posting."),
            Decide(178, "data", APPROVE, "ERP purchase-order feed has an owner and an hourly refresh."),
            Request(30, INVOICE_SCALE_OUT),
            Decide(
                26,
                "cto",
                RECYCLE,
                "Extraction errors on amount and VAT run at 1.7 %, over the 0.5 % guardrail, "
                "and supplier master data has no owner or freshness SLA. Back to secure foundation: fix the data "
                "contract, then measure again.",
                recycle_to=Stage.SECURE_FOUNDATION,
            ),
        ],
    ),
    Demo(
        slug="coding-assistant",
        title="Coding assistant for engineering",
        business_unit="Engineering",
        risk_tier="low",
        started_days_ago=262,
        created_by="platform",
        roles={
            Role.EXECUTIVE_SPONSOR: "cto",
            Role.CTO: "cto",
            Role.SECURITY_RISK: "risk",
            Role.DATA_PLATFORM: "data",
            Role.PLATFORM_ENGINEERING: "platform",
            Role.ENABLEMENT: "enablement",
        },
        charter={
            "problem_user": "Software engineers in product and platform teams",
            "problem_task": (
                "Write, test and review code with an IDE assistant that knows our internal libraries "
                "and coding standards."
            ),
            "expected_business_result": "Shorter lead time for changes without more production incidents.",
            "constraints": (
                "Approved model endpoint only (no consumer tools: this ends shadow AI); no secrets or "
                "customer data in prompts; generated code goes through normal review and CI."
            ),
            "outcome_statement": (
                "Lead time for changes falls from 4.2 to 3.2 days and 70 % of engineers use the "
                "assistant weekly within 90 days."
            ),
            "owner": "platform",
            "target_users": "260 engineers in 31 teams.",
            "target_cohort_size": 260,
            "adoption_target": 60,
            "guardrails": (
                "Change failure rate at or below 12 %; secret-scanning findings do not rise; zero copyleft "
                "snippets flagged by the licence scanner."
            ),
            "expected_impact": (
                "About 8 % more engineering capacity, roughly 20 engineers' worth, redirected to roadmap work."
            ),
            "scope": (
                "In: all product and platform repositories. Out: the payments enclave. Retired: unsanctioned "
                "browser-based assistants."
            ),
            "outcome_supported": "Engineering lead time for changes.",
            "data_dependencies": (
                "A read-only index of internal repositories, coding standards, internal library documentation."
            ),
            "control_needed": (
                "Enterprise endpoint with no training on our code, a secret filter before the model "
                "call, licence scanning in CI, usage logging."
            ),
            "reuse_plan": (
                "The repository indexing pipeline, the model routing rule (small model for completion, "
                "large for chat) and the enablement course."
            ),
            "cost_per_1000_inferences": Decimal("0.35"),
            "expected_monthly_volume": 1_500_000,
        },
        steps=[
            Request(250),
            Decide(247, "leader", APPROVE, "Ends the shadow use of consumer assistants. Approved."),
            Request(228),
            Decide(
                224,
                "risk",
                APPROVE,
                "Secret filter and licence scanning verified; enterprise terms exclude training on our code.",
            ),
            AfterAction(
                164,
                work_removed=(
                    "Engineers no longer write boilerplate, unit-test scaffolding and migration scripts by hand, "
                    "nor search the wiki for internal library usage."
                ),
                work_replacing=(
                    "The time goes to design reviews and to the reliability backlog: two teams cleared their "
                    "flaky-test list this quarter."
                ),
                result=(
                    "Lead time for changes down from 101 to about 82 hours (−19 %) with the change failure rate "
                    "flat at 11 %; about 400 engineering hours a week reallocated."
                ),
                kpis=("lead-time", "change-failure-rate", "time-reallocated"),
            ),
            Request(160),
            Decide(
                155, "cto", APPROVE, "Lead time down 19 %, change failure rate flat at 11 %. Roll out to all teams."
            ),
            Assign(150, Role.SERVICE_OWNER, "owner"),
            Request(70, CODING_REUSE),
            Decide(
                66,
                "enablement",
                APPROVE,
                "Course published and 212 engineers trained; reuse review with the data science teams is booked.",
            ),
        ],
    ),
    Demo(
        slug="policy-knowledge-retrieval",
        title="Internal policy knowledge retrieval",
        business_unit="Corporate Services",
        risk_tier="high",
        started_days_ago=150,
        roles={**{k: v for k, v in CORE_ROLES.items() if k != Role.PRODUCT_OPS}, Role.LEGAL_COMPLIANCE: "legal"},
        charter={
            "problem_user": (
                "Employees and managers looking up internal policy (travel, expenses, security, procurement)"
            ),
            "problem_task": (
                "Find the current, authoritative policy answer and its source instead of searching the "
                "intranet or emailing a policy owner."
            ),
            "expected_business_result": (
                "Fewer policy questions reaching policy owners and fewer out-of-policy expense claims."
            ),
            "constraints": (
                "Answers only from published, in-force policies; every answer cites its source "
                "paragraph; no HR case files or draft policies in the index."
            ),
            "outcome_statement": (
                "Policy questions emailed to policy owners fall by 40 % and out-of-policy expense "
                "claims by 25 % within 90 days."
            ),
            "owner": "pm",
            "target_users": "All 4,800 employees; pilot with 600 people in finance and procurement.",
            "guardrails": (
                "Answer accuracy at least 95 % on the policy evaluation set; zero answers from superseded "
                "policies; below the confidence threshold it says it does not know."
            ),
            "expected_impact": (
                "Around 1,200 policy-owner hours a year returned; fewer expense rejections and resubmissions."
            ),
            "scope": (
                "In: travel, expenses, security and procurement policies. Out: HR policies (see HR policy Q&A) "
                "and legal advice."
            ),
            "outcome_supported": "Policy enquiry volume and out-of-policy claims.",
            "data_dependencies": (
                "The policy library, policy metadata (owner, effective date, superseded-by), expense policy rules."
            ),
            "control_needed": (
                "An allow-list of in-force policies, mandatory citations, retention and logging rules "
                "agreed with legal, a human answer for sensitive topics."
            ),
            "reuse_plan": (
                "The retrieval-scope pattern, the citation checker and the content-allowed policy, for "
                "every later knowledge assistant."
            ),
            "cost_per_1000_inferences": Decimal("1.60"),
            "expected_monthly_volume": 40_000,
        },
        steps=[
            Request(136),
            Decide(133, "leader", APPROVE, "Approved for the portfolio board."),
            Decide(131, "cto", APPROVE, "Citation-first retrieval is the pattern we want to standardise."),
            Request(40, POLICY_FOUNDATION),
            Decide(
                35,
                "legal",
                CHANGES,
                "Retention of prompts and answers is not defined and the index still "
                "holds draft HR policies. Set a 90-day log retention and restrict the index to in-force "
                "policies, then request again.",
            ),
        ],
    ),
    Demo(
        slug="sales-call-summaries",
        title="Sales call summaries",
        business_unit="Sales",
        risk_tier="medium",
        started_days_ago=170,
        roles={k: v for k, v in CORE_ROLES.items() if k != Role.PLATFORM_ENGINEERING},
        charter={
            "problem_user": "Field account executives",
            "problem_task": "Write the CRM call note and next steps after each customer call.",
            "expected_business_result": "More selling time and complete CRM records for pipeline reviews.",
            "constraints": (
                "Recording consent captured before the call; summaries stored only in the CRM; reps edit before saving."
            ),
            "outcome_statement": (
                "CRM call-note completeness rises from 55 % to 90 % and reps save 20 minutes a day within 90 days."
            ),
            "owner": "pm",
            "target_users": "120 account executives in North America.",
            "target_cohort_size": 120,
            "adoption_target": 70,
            "guardrails": "Factual error rate in summaries at most 3 %; no call summarised without recorded consent.",
            "expected_impact": "About 10,000 rep hours a year and better forecast accuracy from complete notes.",
            "scope": "In: recorded video and phone calls with customers. Out: internal meetings.",
            "outcome_supported": "CRM note completeness and rep selling time.",
            "data_dependencies": (
                "Call recordings and transcripts from the telephony platform, CRM opportunity records."
            ),
            "control_needed": (
                "Consent check before transcription, rep approval of every summary, 30-day transcript retention."
            ),
            "reuse_plan": "The meeting-summary prompt template, for customer success calls.",
            "cost_per_1000_inferences": Decimal("5.20"),
            "expected_monthly_volume": 30_000,
        },
        steps=[
            Request(158),
            Decide(155, "sponsor", APPROVE, "Worth testing with the North America team."),
            Request(128),
            Decide(124, "risk", APPROVE, "Consent check verified in both telephony flows."),
            Decide(122, "data", APPROVE, "Transcripts classified confidential, 30-day retention enforced."),
            Request(24, SALES_SCALE_OUT),
            Decide(
                20,
                "sponsor",
                KILL,
                "Weekly active use stalled at 18 % of reps, and the CRM vendor now ships call "
                "summaries in the licence we already pay for. Stop the build, retire the pilot and move the "
                "pilot users to the vendor feature.",
            ),
        ],
    ),
    Demo(
        slug="hr-policy-qa",
        title="HR policy Q&A assistant",
        business_unit="People",
        risk_tier="medium",
        started_days_ago=72,
        roles={
            Role.EXECUTIVE_SPONSOR: "sponsor",
            Role.CTO: "cto",
            Role.SECURITY_RISK: "risk",
            Role.DATA_PLATFORM: "data",
            Role.ENABLEMENT: "enablement",
        },
        unaccepted=(Role.DATA_PLATFORM,),
        charter={
            "problem_user": "HR business partners and the HR shared-services team",
            "problem_task": (
                "Answer routine employee questions on leave, benefits and working time, with the policy "
                "reference, before a case is opened."
            ),
            "expected_business_result": (
                "Fewer routine HR cases, so HR business partners spend their time on complex employee relations."
            ),
            "constraints": (
                "No answers about an individual's case, pay or performance; answers follow the "
                "employee's country policy."
            ),
            "outcome_statement": (
                "Routine HR cases opened per month fall by 30 % (from 3,400 to 2,380) within 90 "
                "days, with employee satisfaction at or above 4.0."
            ),
            "owner": "pm",
            "target_users": "All employees.",
            "guardrails": "Answers must be accurate.",
            "expected_impact": "About 1,000 adviser hours a month; answers for employees outside office hours.",
            "scope": "In: leave, benefits and working-time policies. Out: pay, performance and any individual case.",
            "outcome_supported": "Routine HR case volume (−30 %).",
            "data_dependencies": "The HR policy library per country, benefits guides, the HR case taxonomy.",
            "control_needed": (
                "Citations to the policy paragraph, no personal data in prompts or logs, legal review "
                "of country policies."
            ),
            "reuse_plan": "Builds on the policy retrieval scope pattern; contributes a sensitive-topic routing rule.",
            "cost_per_1000_inferences": Decimal("1.40"),
            "expected_monthly_volume": 12_000,
        },
        steps=[
            Request(20),
            Decide(
                17,
                "sponsor",
                REJECT,
                "Not in this form: 'all employees' is no pilot cohort, and nothing routes "
                "grievance, health or discipline questions to a person. Narrow the cohort, add sensitive-topic "
                "routing, then resubmit.",
            ),
            Edit(
                {
                    "target_users": (
                        "Employees in the UK and Ireland (1,900 people) for the pilot; the 9 HR "
                        "shared-services advisers handle escalations."
                    ),
                    "constraints": (
                        "No answers about an individual's case, pay or performance; grievance, health and "
                        "discipline questions always go to an adviser; answers follow the employee's country "
                        "policy."
                    ),
                    "guardrails": (
                        "Answer accuracy at least 95 % on the HR evaluation set; 100 % of sensitive-topic "
                        "questions routed to an adviser; no personal data in prompts or logs."
                    ),
                    "control_needed": (
                        "A sensitive-topic classifier routing to an adviser, citations to the policy "
                        "paragraph, no personal data in prompts or logs, legal review of country policies."
                    ),
                }
            ),
            # Every charter criterion is met now, so no override reason: the request fails loudly if not.
            Request(2),
        ],
    ),
    Demo(
        slug="claims-intake-triage",
        title="Claims intake triage",
        business_unit="Claims",
        risk_tier="high",
        started_days_ago=26,
        draft=True,
        roles={Role.EXECUTIVE_SPONSOR: "sponsor"},
        unaccepted=(Role.EXECUTIVE_SPONSOR,),
        # A draft on purpose: the charter page shows what is still missing.
        charter={
            "problem_user": "First-notice-of-loss handlers in motor and home claims",
            "problem_task": (
                "Read the first notice of loss (web form, email, call notes), capture the claim details "
                "and decide fast-track, standard or specialist handling."
            ),
            "expected_business_result": "Faster first contact for straightforward claims.",
            "outcome_supported": "Claims cycle time for simple motor and home claims.",
            "data_dependencies": (
                "FNOL forms and attachments, policy and cover data, fraud indicators (to confirm with the fraud team)."
            ),
        },
    ),
]
