"""The demo's shadow-AI register: unsanctioned AI use found over the year, and its triage.

Its story: support agents pasted customer emails into personal ChatGPT accounts until the support
triage assistant gave them a faster sanctioned path; engineers expensed personal Copilot licences until
the coding assistant replaced them; a contract summariser is blocked; recent finds wait for triage.
The security / risk owner records; enablement, which owns the sanctioned paths, triages.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    days_ago: int
    tool: str
    team: str
    people: int
    data_touched: str
    classification: str
    found_via: str
    notes: str = ""
    recorded_by: str = "risk"


@dataclass(frozen=True)
class Triage:
    days_ago: int
    tool: str
    status: str
    initiative: str | None = None  # slug
    asset: str | None = None  # slug
    by: str = "enablement"


FINDINGS = [
    Finding(
        150,
        "ChatGPT (personal accounts)",
        "Customer Support",
        23,
        "Customer emails and ticket text pasted in to draft replies.",
        "confidential",
        "proxy-log",
        "Found in the quarterly proxy-log review: daily traffic from the EMEA support desk.",
    ),
    Finding(
        120,
        "GitHub Copilot (personal licences)",
        "Engineering",
        12,
        "Source code of internal services.",
        "internal",
        "expense-report",
        "Twelve personal subscriptions claimed on expenses.",
    ),
    Finding(
        45,
        "Free PDF summariser (browser extension)",
        "Legal",
        4,
        "Counterparty contracts, with their commercial terms.",
        "restricted",
        "survey",
        "Sends whole documents to a third party with no data processing agreement.",
    ),
    Finding(
        12,
        "Claude (personal accounts)",
        "Sales",
        9,
        "Call notes and account names, for follow-up emails.",
        "confidential",
        "survey",
        "The sales call summaries initiative would cover most of it.",
    ),
    Finding(
        4,
        "Gemini (personal accounts)",
        "Finance Ops",
        6,
        "Invoice line items, to reconcile against purchase orders.",
        "internal",
        "self-reported",
    ),
]

TRIAGES = [
    Triage(148, "ChatGPT (personal accounts)", "needs-path"),
    Triage(40, "Free PDF summariser (browser extension)", "blocked", by="risk"),
    Triage(110, "GitHub Copilot (personal licences)", "sanctioned", initiative="coding-assistant"),
    Triage(10, "Claude (personal accounts)", "needs-path"),
    # Once the support triage assistant was live and faster than the workaround.
    Triage(
        60,
        "ChatGPT (personal accounts)",
        "sanctioned",
        initiative="support-triage-assistant",
        asset="escalation-and-human-review-playbook",
    ),
]
