"""`python manage.py seed_demo`: a demo portfolio built through the real services.

Every stage and status change goes through governance.services (request_review,
decide), so each initiative carries a genuine gate history and the audit chain
stays intact. Each outcome tree is built through kpis.services before the first
gate request, so the charter's KPI criterion is met on its own merits; then the
measurements are written through kpis.ingest, at each KPI's cadence, as the
story in TREES says. Timestamps of reviews, decisions, roles, stages and KPIs are
backdated afterwards with queryset updates; audit events are never touched.

Running it again changes nothing: users are matched by username and initiatives
by slug, and whatever already exists (with its tree and measurements) is skipped.
Measurement noise comes from a random generator seeded with the initiative's
slug, so every run on the same day writes the same values.
"""

import math
import random
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from governance import services as governance
from governance.models import GateDecision, GateReview
from governance.permissions import LEADERSHIP_GROUP
from initiatives import services as initiatives
from initiatives.models import Initiative, Role, RoleAssignment, Stage
from kpis import services as kpis
from kpis.catalogue import KpiSpec as K
from kpis.ingest import MAX_BATCH, record_measurements
from kpis.models import Driver, IngestBatch, Kpi, Measurement
from opmodel.middleware import current_request_id

DEMO_PASSWORD = "opmodel-demo"  # noqa: S105  (documented demo login, printed by the command)
IMPORTED = "Imported from the pre-OpModel pilot tracker: criteria recorded outside OpModel."


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    can_do: str


USERS = [
    DemoUser("admin", "Avery", "Admin", "Superuser: /admin/ (gate policies, users); counts as a portfolio leader."),
    DemoUser(
        "leader",
        "Helen",
        "Okafor",
        "Portfolio leadership: sees every initiative, acts as sponsor or CTO on all; "
        "/approvals/ has the HR policy Q&A charter and the quote copilot scale-out waiting.",
    ),
    DemoUser(
        "pm",
        "Priya",
        "Nair",
        "Product manager on most initiatives: edits charters, assigns roles, submits for "
        "approval (never approves her own requests).",
    ),
    DemoUser(
        "sponsor", "Daniel", "Brooks", "Executive sponsor: signs off charters, approves scale-out, holds or kills."
    ),
    DemoUser(
        "cto", "Grace", "Liu", "CTO role: charter sign-off and scale-out approval; can approve the quote copilot."
    ),
    DemoUser("risk", "Rafael", "Ortiz", "Security / risk: foundation-ready gate; scale-out on high-risk initiatives."),
    DemoUser("data", "Aisha", "Khan", "Data platform: foundation-ready gate (data sources, freshness, lineage)."),
    DemoUser("platform", "Tom", "Becker", "Platform engineering on most initiatives; PM of the coding assistant."),
    DemoUser("ops", "Lucia", "Romano", "Product / ops: human review and escalation in the live workflow."),
    DemoUser(
        "enablement", "Sam", "Whitfield", "Enablement lead: reuse-ready gate; case routing reuse review is waiting."
    ),
    DemoUser("legal", "Elena", "Petrova", "Legal / compliance: foundation-ready gate on high-risk initiatives."),
    DemoUser("owner", "Marcus", "Reid", "AI service owner: reuse-ready gate; case routing reuse review is waiting."),
]


@dataclass(frozen=True)
class Request:
    """The initiative's creator (or `by`) asks for the next gate."""

    days_ago: int
    reason: str = IMPORTED
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
            Request(214),
            Decide(
                210,
                "risk",
                APPROVE,
                "PII redaction verified on 1,000 sampled tickets; EU region pinned; transcripts kept 30 days.",
            ),
            Decide(
                209, "data", APPROVE, "Ticket export and knowledge-base sync have owners and a nightly freshness SLA."
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
            Request(190),
            Decide(
                186, "risk", APPROVE, "Only case text and product metadata leave the CRM; no PII fields in the prompt."
            ),
            Request(120),
            Decide(
                116,
                "sponsor",
                APPROVE,
                "Routing accuracy at 86 % after five weeks and re-assignment down to 7 %. Approved for all queues.",
            ),
            Request(
                3,
                "Prompt template v1.2, evaluation set v3 and the routing playbook are in the shared library; "
                "OpModel does not track asset versions yet.",
            ),
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
            Request(
                9,
                "Median quote time is down to 5.1 hours; OpModel does not compute the scale-out criteria "
                "yet, so the pilot scorecard in the sales BI workspace is the evidence.",
            ),
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
            Request(40),
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
            Request(84),
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
            Request(185),
            Decide(180, "risk", APPROVE, "Payment rights unchanged; duplicate detection runs before posting."),
            Decide(178, "data", APPROVE, "ERP purchase-order feed has an owner and an hourly refresh."),
            Request(30),
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
            Request(160),
            Decide(
                155, "cto", APPROVE, "Lead time down 19 %, change failure rate flat at 11 %. Roll out to all teams."
            ),
            Assign(150, Role.SERVICE_OWNER, "owner"),
            Request(70),
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
            Request(40),
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
            Request(24),
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
            Request(2, ""),
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


def _cto_plans(*, latency: float, cost: float, spend: float, spend_end: float, reuse: float, deploys: float) -> dict:
    """The CTO KPI set, scaled to one initiative's cost model (charter cost and volume)."""
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
    }


TREES = {
    # On track: handling time past its 9.6-minute target, CSAT steady, adoption at 78 %.
    "support-triage-assistant": Tree(
        templates=("support-triage",),
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
        },
    ),
    # A custom tree: routing is the whole outcome, so the support-triage template would be mostly noise.
    "case-routing-classifier": Tree(
        templates=("value-realisation",),
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
            "time-saved": Plan(0, 146, end=150),
            "time-reallocated": Plan(0, 100, end=95, owner="ops"),
        },
    ),
    # Quote time nearly at target, but the pricing-error guardrail broke its bound after a price-book change.
    "quote-drafting-copilot": Tree(
        templates=("quote-creation", "cto-kpi-set"),
        launched_days_ago=152,
        plans={
            "quote-cycle-time": Plan(16, 4, end=5.1, owner="ops", unit="business hours", cadence=DAILY, sources=BOTH),
            "quotes-drafted-by-ai": Plan(0, 75, end=71, owner="enablement", cadence=DAILY, sources=BOTH),
            "pricing-error-rate": Plan(0.4, end=0.35, owner="ops", cadence=DAILY, noise=0.1, jump=(21, 1.7)),
            "time-saved": Plan(0, 85, end=80),
            "time-reallocated": Plan(0, 60, end=38, owner="ops"),
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
        templates=("coding-assistant", "cto-kpi-set"),
        launched_days_ago=224,
        plans={
            "lead-time": Plan(101, 77, end=75, cadence=DAILY, sources=BOTH, tau=45, noise=0.05),
            "suggestion-acceptance": Plan(
                22, 32, end=34, owner="enablement", cadence=DAILY, sources=BOTH, from_launch=True
            ),
            "change-failure-rate": Plan(11.0, end=10.6, bound=12, noise=0.05),
            "time-saved": Plan(0, 600, end=640, owner="enablement"),
            "time-reallocated": Plan(0, 400, end=410, owner="owner"),
            **_cto_plans(latency=650, cost=0.35, spend=525, spend_end=470, reuse=55, deploys=3),
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
        templates=("pm-kpi-set", "value-realisation"),
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
            for source in plan.sources:
                value = _clamp(level * (1 + rng.gauss(0, plan.noise)), kpi.unit)
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


def _clamp(value: float, unit: str) -> float:
    if unit == "%":
        value = min(value, 100.0)
    elif unit.startswith("score"):
        value = min(value, 5.0)
    elif unit == "count":
        value = round(value)
    return round(max(value, 0.0), 2)


class Command(BaseCommand):
    help = "Load the demo portfolio (users, initiatives, gate histories) through the real services. Idempotent."

    def handle(self, *args, **options):
        now = timezone.now()
        # Tag every audit event of this run, as a web request would.
        token = current_request_id.set("seed-demo")
        try:
            users = self._users()
            created = [demo for demo in DEMOS if self._seed(demo, users, now)]
        finally:
            current_request_id.reset(token)
        self._report(created)

    @transaction.atomic
    def _users(self) -> dict:
        User = get_user_model()
        users = {}
        # One hash for every demo account: the password is published anyway, and twelve
        # PBKDF2 runs at Django's default cost would take most of the command's time.
        password = ""
        for spec in USERS:
            user = User.objects.filter(username=spec.username).first()
            if user is None:
                password = password or make_password(DEMO_PASSWORD)
                user = User(
                    username=spec.username,
                    first_name=spec.first_name,
                    last_name=spec.last_name,
                    email=f"{spec.first_name}.{spec.last_name}@example.com".lower(),
                    is_staff=spec.username == "admin",
                    is_superuser=spec.username == "admin",
                    password=password,
                )
                user.save()
            users[spec.username] = user
        users["leader"].groups.add(Group.objects.get_or_create(name=LEADERSHIP_GROUP)[0])
        return users

    def _seed(self, demo: Demo, users: dict, now: datetime) -> bool:
        if Initiative.objects.filter(slug=demo.slug).exists():
            return False
        with transaction.atomic():
            _Replay(demo, users, now).run()
        return True

    def _report(self, created: list) -> None:
        self.stdout.write(
            f"Demo portfolio: {len(created)} initiative(s) created, {len(DEMOS) - len(created)} already present."
        )
        stages = Stage.ordered()
        demos = Initiative.objects.filter(slug__in=[d.slug for d in DEMOS])
        kpi_counts = dict(Kpi.objects.values_list("initiative").annotate(n=Count("id")))
        point_counts = dict(Measurement.objects.values_list("kpi__initiative").annotate(n=Count("id")))
        for initiative in sorted(demos, key=lambda i: (stages.index(i.stage), i.status, i.title)):
            self.stdout.write(
                f"  {initiative.title:<58} {initiative.get_stage_display():<20} {initiative.get_status_display():<8}"
                f" {kpi_counts.get(initiative.pk, 0):>3} KPIs {point_counts.get(initiative.pk, 0):>6,} points"
            )
        self.stdout.write("")
        self.stdout.write(
            f"Demo logins at {settings.SITE_URL}/accounts/login/ "
            f"(accounts that existed before keep their own password):"
        )
        rows = [("username", "password", "name", "what they can do")]
        rows += [(u.username, DEMO_PASSWORD, f"{u.first_name} {u.last_name}", u.can_do) for u in USERS]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for i, row in enumerate(rows):
            self.stdout.write(
                "  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[3]
            )
            if i == 0:
                self.stdout.write("  " + "  ".join("-" * w for w in widths) + "  " + "-" * 16)


class _Replay:
    """Plays one initiative's history through the services, then backdates what it wrote."""

    def __init__(self, demo: Demo, users: dict, now: datetime):
        self.demo, self.users, self.now = demo, users, now
        self.creator = users[demo.created_by]
        self.tick = 0
        self.initiative = None
        self.review = None

    def at(self, days_ago: int) -> datetime:
        # Office hours, a little later for each step, so same-day steps keep their order.
        self.tick += 1
        day = self.now - timedelta(days=days_ago)
        return day.replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(minutes=23 * self.tick)

    def run(self) -> None:
        demo = self.demo
        started_at = self.at(demo.started_days_ago)
        self.initiative = initiatives.create_initiative(
            acting_user=self.creator,
            title=demo.title,
            business_unit=demo.business_unit,
            risk_tier=demo.risk_tier,
            started_on=started_at.date(),
            slug=demo.slug,
        )
        Initiative.objects.filter(pk=self.initiative.pk).update(created_at=started_at, stage_entered_at=started_at)
        RoleAssignment.objects.filter(initiative=self.initiative).update(assigned_at=started_at, accepted_at=started_at)
        for role, username in demo.roles.items():
            self.assign(role, username, demo.started_days_ago - 1, accept=role not in demo.unaccepted)
        initiatives.update_charter(
            self.initiative.pk, acting_user=self.creator, **self.charter_fields(started_at.date())
        )
        self.build_tree(started_at)
        for step in demo.steps:
            if isinstance(step, Request):
                self.request(step)
            elif isinstance(step, Decide):
                self.decide(step)
            elif isinstance(step, Edit):
                initiatives.update_charter(self.initiative.pk, acting_user=self.creator, **step.changes)
            else:
                self.assign(step.role, step.username, step.days_ago, accept=True)
        self.record_points()

    def build_tree(self, started_at: datetime) -> None:
        """1. apply the templates; 2. add the custom drivers and KPIs; 3. set each plan's baseline, target, owner."""
        tree, pk, user = TREES[self.demo.slug], self.initiative.pk, self.creator
        for template in tree.templates:
            kpis.apply_template(pk, acting_user=user, template=template)
        for driver_name, specs in tree.custom.items():
            driver = Driver.objects.filter(objective__initiative_id=pk, name=driver_name).first()
            driver = driver or kpis.add_driver(pk, acting_user=user, name=driver_name)
            for spec in specs:
                fields = {name: value for name, value in asdict(spec).items() if name != "suffix"}
                kpis.add_kpi(pk, acting_user=user, driver=driver, key=f"{self.demo.slug}.{spec.suffix}", **fields)
        for kpi in Kpi.objects.filter(initiative_id=pk):
            plan = tree.plans.get(kpi.key.removeprefix(f"{self.demo.slug}."))
            if plan is not None:
                kpis.update_kpi(kpi.pk, acting_user=user, **self.kpi_changes(plan))
        Kpi.objects.filter(initiative_id=pk).update(created_at=started_at, updated_at=started_at)

    def kpi_changes(self, plan: Plan) -> dict:
        tree, started = TREES[self.demo.slug], self.demo.started_days_ago
        # The baseline closes two weeks before launch (or two weeks into an unlaunched initiative);
        # the target falls about 90 days after the start, as the charter's plan says.
        baseline_days_ago = tree.launched_days_ago + 14 if tree.launched_days_ago else started - 14
        changes = {"owner": self.users[plan.owner or self.demo.created_by] if plan.owner is not None else None}
        if plan.baseline is not None:
            changes.update(baseline_value=plan.baseline, baseline_date=self.day(baseline_days_ago))
        if plan.target is not None:
            changes.update(target_value=plan.target, target_date=self.day(started - 90))
        for name in ("name", "unit", "cadence"):
            if getattr(plan, name):
                changes[name] = getattr(plan, name)
        if plan.bound is not None:
            changes["guardrail_bound"] = plan.bound
        return changes

    def day(self, days_ago: int) -> date:
        return (self.now - timedelta(days=days_ago)).date()

    def record_points(self) -> None:
        items = series(TREES[self.demo.slug], self.demo, self.now)
        for start in range(0, len(items), MAX_BATCH):
            record_measurements(
                items[start : start + MAX_BATCH], acting_user=self.creator, channel=IngestBatch.Channel.SEED
            )

    def charter_fields(self, started_on: date) -> dict:
        fields = dict(self.demo.charter, plan_start_on=started_on)
        if "owner" in fields:
            fields["owner"] = self.users[fields["owner"]]
        if not self.demo.draft:
            fields.update(
                scorecard_due_on=started_on + timedelta(days=30),
                foundation_due_on=started_on + timedelta(days=60),
                launch_due_on=started_on + timedelta(days=90),
            )
        return fields

    def assign(self, role: str, username: str, days_ago: int, *, accept: bool) -> None:
        user = self.users[username]
        assignment = initiatives.assign_role(self.initiative.pk, acting_user=self.creator, role=role, user=user)
        assigned_at = self.at(days_ago)
        RoleAssignment.objects.filter(pk=assignment.pk).update(assigned_at=assigned_at)
        if accept:
            initiatives.accept_role(assignment.pk, acting_user=user)
            RoleAssignment.objects.filter(pk=assignment.pk).update(accepted_at=assigned_at + timedelta(hours=2))

    def request(self, step: Request) -> None:
        requester = self.users[step.by or self.demo.created_by]
        self.review = governance.request_review(self.initiative.pk, acting_user=requester, override_reason=step.reason)
        GateReview.objects.filter(pk=self.review.pk).update(requested_at=self.at(step.days_ago))

    def decide(self, step: Decide) -> None:
        when = self.at(step.days_ago)
        stage_before = Initiative.objects.values_list("stage", flat=True).get(pk=self.initiative.pk)
        decision = governance.decide(
            self.review.pk,
            acting_user=self.users[step.by],
            decision=step.decision,
            comment=step.comment,
            recycle_to=step.recycle_to,
        )
        GateDecision.objects.filter(pk=decision.pk).update(decided_at=when)
        GateReview.objects.filter(pk=self.review.pk, closed_at__isnull=False).update(closed_at=when)
        Initiative.objects.filter(pk=self.initiative.pk).exclude(stage=stage_before).update(stage_entered_at=when)
