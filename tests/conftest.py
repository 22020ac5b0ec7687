"""Personas and builders shared by the suite.

Alice is a product manager who owns her initiative; Sam is its executive
sponsor; Lee is in the portfolio-leadership group; Rita holds security/risk;
Charlie holds no role anywhere and should have no access; Bea is a superuser.
"""

import pytest
from django.contrib.auth.models import Group, User

from initiatives import services
from initiatives.models import LEADERSHIP_GROUP, Initiative, Role
from kpis import services as kpi_services
from kpis.models import Kpi
from opmodel.celery import app as celery_app

# Unit tests run tasks in-process; tests marked e2e start a real worker and beat instead.
# (The Django settings namespace wins over Celery's own key, hence the CELERY_ spelling.)
celery_app.conf.CELERY_TASK_ALWAYS_EAGER = True

COMPLETE_CHARTER = {
    "problem_user": "Tier-1 support agents",
    "problem_task": "Triage and answer incoming customer tickets",
    "expected_business_result": "Reduce customer support handling time by 20 %",
    "constraints": "No customer data leaves the EU; answers reviewed when confidence is low",
    "outcome_statement": "Average handling time falls from 12 to 9.6 minutes within 90 days",
    "target_users": "The 40 agents of the EMEA support desk",
    "guardrails": "CSAT stays at or above 4.2; escalation rate does not rise",
    "expected_impact": "About 1,600 agent hours a quarter returned to complex cases",
    "outcome_supported": "Support handling time",
    "data_dependencies": "Ticket history and the product knowledge base",
    "control_needed": "Human review below 0.7 confidence; escalation to tier 2",
    "reuse_plan": "The triage prompt and its evaluation set, for IT helpdesk",
}


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    # The suite speaks plain HTTP to the test client and the live server, and
    # serves static files from the source tree instead of a collectstatic manifest.
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Each test's audit checkpoints in its own folder, never in var/.
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "audit-checkpoints"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def _user(username: str, first: str, last: str) -> User:
    return User.objects.create_user(
        username, email=f"{username}@example.com", password="pw-for-tests-only", first_name=first, last_name=last
    )


@pytest.fixture
def bea(db):
    """Bea is a superuser, working in the admin."""
    return User.objects.create_superuser(
        "bea", "bea@example.com", "pw-for-tests-only", first_name="Bea", last_name="Boss"
    )


@pytest.fixture
def admin_client(client, bea):
    client.force_login(bea)
    return client


@pytest.fixture
def alice(db):
    return _user("alice", "Alice", "Product")


@pytest.fixture
def sam(db):
    return _user("sam", "Sam", "Sponsor")


@pytest.fixture
def rita(db):
    return _user("rita", "Rita", "Risk")


@pytest.fixture
def dana(db):
    return _user("dana", "Dana", "Data")


@pytest.fixture
def charlie(db):
    return _user("charlie", "Charlie", "Outsider")


@pytest.fixture
def lee(db):
    user = _user("lee", "Lee", "Leader")
    user.groups.add(Group.objects.get_or_create(name=LEADERSHIP_GROUP)[0])
    return user


@pytest.fixture
def make_initiative(alice, sam):
    """An initiative Alice created (she is its PM) with Sam as executive sponsor."""

    def make(title="Support triage assistant", *, complete=True, risk_tier="medium", **charter) -> Initiative:
        initiative = services.create_initiative(
            acting_user=alice, title=title, business_unit="Customer Support", risk_tier=risk_tier
        )
        services.assign_role(initiative.pk, acting_user=alice, role=Role.EXECUTIVE_SPONSOR, user=sam)
        fields = {**(COMPLETE_CHARTER if complete else {}), **charter}
        if complete:
            fields.setdefault("owner", alice)
        if fields:
            services.update_charter(initiative.pk, acting_user=alice, **fields)
        initiative.refresh_from_db()
        return initiative

    return make


@pytest.fixture
def initiative(make_initiative):
    return make_initiative()


@pytest.fixture
def kpi(initiative, alice):
    """A lagging KPI on Alice's initiative (modules that need another shape define their own `kpi`)."""
    driver = kpi_services.add_driver(initiative.pk, acting_user=alice, name="Faster handling")
    return kpi_services.add_kpi(
        initiative.pk,
        acting_user=alice,
        driver=driver,
        key="support-triage.handle-time",
        name="Average handling time",
        unit="minutes",
        kind=Kpi.Kind.LAGGING,
        direction=Kpi.Direction.DECREASE,
    )
