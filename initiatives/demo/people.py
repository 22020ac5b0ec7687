"""Demo accounts: one per role, a portfolio leader and an admin."""

from dataclasses import dataclass

DEMO_PASSWORD = "opmodel-demo"  # noqa: S105  (documented demo login, printed by the command)


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
