"""`python manage.py seed_demo`: a demo portfolio built through the services, safe to run twice."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from governance.audit import verify_chain
from governance.models import AuditEvent, GateDecision, GateReview
from governance.permissions import open_slots_for
from initiatives.management.commands.seed_demo import DEMO_PASSWORD, USERS
from initiatives.models import Initiative, RoleAssignment, Stage


def _counts() -> dict:
    return {
        "users": get_user_model().objects.count(),
        "initiatives": Initiative.objects.count(),
        "roles": RoleAssignment.objects.count(),
        "reviews": GateReview.objects.count(),
        "decisions": GateDecision.objects.count(),
        "audit events": AuditEvent.objects.count(),
    }


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
    first_output = _seed()
    return first_output, _counts()


def test_a_second_run_changes_nothing(seeded):
    _, first = seeded
    output = _seed()
    assert _counts() == first
    assert "0 initiative(s) created, 12 already present" in output


def test_it_spreads_initiatives_over_every_stage_and_status(seeded):
    assert set(Initiative.objects.values_list("stage", flat=True)) == set(Stage.values)
    statuses = set(Initiative.objects.values_list("status", flat=True))
    assert {Initiative.Status.ON_HOLD, Initiative.Status.KILLED} <= statuses
    assert set(GateDecision.objects.values_list("decision", flat=True)) == set(GateDecision.Kind.values)


def test_every_gate_decision_respects_segregation_of_duties(seeded):
    for decision in GateDecision.objects.select_related("review"):
        assert decision.decided_by_id != decision.review.requested_by_id


def test_the_leader_has_an_open_review_to_decide(seeded):
    leader = get_user_model().objects.get(username="leader")
    decidable = [
        review
        for review in GateReview.objects.filter(status=GateReview.Status.OPEN)
        if review.requested_by != leader and open_slots_for(leader, review)
    ]
    assert any(review.gate == "charter-signoff" for review in decidable)


def test_the_audit_chain_is_intact(seeded):
    report = verify_chain()
    assert report.ok, report.problem
    assert report.checked == AuditEvent.objects.count() > 0


def test_it_prints_the_demo_logins_and_the_password_works(seeded):
    output, _ = seeded
    assert DEMO_PASSWORD in output
    for spec in USERS:
        assert f"  {spec.username} " in output
        assert authenticate(username=spec.username, password=DEMO_PASSWORD) is not None
    assert get_user_model().objects.get(username="admin").is_superuser
