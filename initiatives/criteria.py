"""Gate criteria and snapshot parts computed from the data this app owns.

Each criterion's SQL condition reads the recompute's facts (kpis/scorecard_sql.py).
"""

from governance.criteria import criterion
from governance.models import Gate
from governance.snapshots import snapshot_part
from initiatives.models import Role
from initiatives.people import person_name
from initiatives.services import charter_state


@criterion(
    "charter-complete",
    "Charter complete (problem statement, outcome, owner, target users, guardrails, expected impact)",
    gate=Gate.CHARTER_SIGNOFF,
    order=1,
    sql="f.charter_missing = 0",
)
def charter_complete(initiative) -> tuple[bool, str]:
    missing = initiative.charter.missing_fields()
    if missing:
        return False, "Missing: " + ", ".join(str(m) for m in missing) + "."
    return True, "Every charter field is filled in."


@criterion(
    "pilot-theater-answered",
    "The four pilot-theater questions answered",
    gate=Gate.CHARTER_SIGNOFF,
    order=2,
    sql="f.pilot_missing = 0",
)
def pilot_theater_answered(initiative) -> tuple[bool, str]:
    missing = initiative.charter.missing_pilot_theater_answers()
    if missing:
        return False, "Unanswered: " + " ".join(str(m) for m in missing)
    return True, "Outcome, data, control and reuse are all answered."


@criterion(
    "service-owner-accepted",
    "An AI service owner is assigned and has accepted",
    gate=Gate.REUSE_READY,
    order=2,
    sql="f.service_owner_accepted > 0",
)
def service_owner_accepted(initiative) -> tuple[bool, str]:
    # Python over .all(), so a scorecard run's prefetch answers it without a query.
    owner = next((a for a in initiative.role_assignments.all() if a.role == Role.SERVICE_OWNER), None)
    if owner is None:
        return False, "No AI service owner is assigned (the “no scale owner” failure mode)."
    if owner.accepted_at is None:
        return (
            False,
            f"{person_name(owner.user)} has not accepted the service-owner role yet.",
        )
    return True, f"{person_name(owner.user)} accepted on {owner.accepted_at:%d %b %Y}."


@snapshot_part("charter")
def charter_snapshot(initiative) -> dict:
    return charter_state(initiative.charter)
