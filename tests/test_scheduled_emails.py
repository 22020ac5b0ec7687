"""Scheduled emails: approvers hear of a new review once, of an overdue one at most daily, and KPI
owners of their stale KPIs once a day. Each task is run as beat would, twice where a rerun matters."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from governance.models import GatePolicy, GateReview
from governance.tasks import notify_new_reviews_task, remind_overdue_reviews_task
from initiatives.models import Role, Stage
from kpis import services as kpi_services
from kpis.ingest import record_measurements
from kpis.models import Driver, JobLease, Kpi
from kpis.tasks import notify_stale_kpis_task
from tests.lifecycle import decide, give_role, pass_charter_signoff, pass_gate, request

pytestmark = pytest.mark.django_db


def recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def backdate(review, **ago):
    GateReview.objects.filter(pk=review.pk).update(requested_at=timezone.now() - timedelta(**ago))


class TestNewReviews:
    def test_each_approver_is_emailed_once_but_never_the_requester(self, initiative, alice, sam, lee):
        review = request(initiative, alice)

        assert notify_new_reviews_task.delay().get() == 2

        assert recipients() == ["lee@example.com", "sam@example.com"]  # the sponsor and the leadership group
        message = mail.outbox[0]
        assert message.subject == "Decision needed: Charter sign-off for Support triage assistant"
        assert f"/approvals/{review.pk}/" in message.body
        review.refresh_from_db()
        assert review.notified_at is not None

    def test_a_superuser_is_emailed_like_the_leadership_group(self, initiative, alice, sam, bea):
        # A superuser is a portfolio leader (is_leader): the review waits in their inbox too.
        request(initiative, alice)

        notify_new_reviews_task.delay()

        assert recipients() == ["bea@example.com", "sam@example.com"]

    def test_a_second_run_sends_nothing(self, initiative, alice, sam, lee):
        request(initiative, alice)
        notify_new_reviews_task.delay()
        mail.outbox.clear()

        assert notify_new_reviews_task.delay().get() == 0
        assert mail.outbox == []

    def test_a_review_no_approver_can_be_mailed_is_claimed_with_nothing_sent(
        self, settings, initiative, alice, sam, lee
    ):
        # The console and file backends (the default, and `make run`'s) return None, not 0, for no message.
        settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
        get_user_model().objects.filter(pk__in=[sam.pk, lee.pk]).update(email="")
        review = request(initiative, alice)

        assert notify_new_reviews_task.delay().get() == 0

        review.refresh_from_db()
        assert review.notified_at is not None

    @pytest.mark.parametrize("requester", ["sam", "lee"])
    def test_an_approver_who_requested_is_left_out(self, initiative, alice, sam, lee, requester):
        who = {"sam": sam, "lee": lee}[requester]
        request(initiative, who)

        notify_new_reviews_task.delay()

        assert f"{requester}@example.com" not in recipients()
        assert len(recipients()) == 1

    def test_only_the_required_roles_of_the_gate(self, initiative, alice, sam, lee, rita, dana, charlie):
        pass_charter_signoff(initiative, requester=alice, approver=sam)
        give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
        give_role(initiative, Role.DATA_PLATFORM, dana, by=alice)
        give_role(initiative, Role.PRODUCT_OPS, charlie, by=alice)
        notify_new_reviews_task.delay()  # the charter review, approved before this run: nobody to tell
        assert mail.outbox == []

        request(initiative, alice)
        notify_new_reviews_task.delay()

        assert recipients() == ["dana@example.com", "rita@example.com"]
        assert mail.outbox[0].subject.startswith("Decision needed: Foundation ready")

    def test_once_per_review(self, make_initiative, alice, sam, lee):
        first, second = make_initiative("Support triage"), make_initiative("Quote creation")
        request(first, alice)
        notify_new_reviews_task.delay()
        request(second, alice)

        assert notify_new_reviews_task.delay().get() == 2

        assert len(mail.outbox) == 4
        subjects = sorted({m.subject for m in mail.outbox})
        assert subjects == [
            "Decision needed: Charter sign-off for Quote creation",
            "Decision needed: Charter sign-off for Support triage",
        ]


class TestOverdueReminders:
    def test_nothing_before_the_due_date(self, initiative, alice, sam, lee):
        review = request(initiative, alice)
        backdate(review, days=review.policy.review_due_days - 1)

        assert remind_overdue_reviews_task.delay().get() == 0
        assert mail.outbox == []

    def test_approvers_are_reminded_once_past_due(self, initiative, alice, sam, lee):
        review = request(initiative, alice)
        backdate(review, days=review.policy.review_due_days, hours=1)

        assert remind_overdue_reviews_task.delay().get() == 2

        assert recipients() == ["lee@example.com", "sam@example.com"]
        assert mail.outbox[0].subject == "Overdue decision: Charter sign-off for Support triage assistant"
        review.refresh_from_db()
        assert review.reminded_at is not None

    def test_at_most_once_a_day(self, initiative, alice, sam, lee):
        review = request(initiative, alice)
        backdate(review, days=10)
        remind_overdue_reviews_task.delay()
        mail.outbox.clear()

        assert remind_overdue_reviews_task.delay().get() == 0

        GateReview.objects.filter(pk=review.pk).update(reminded_at=timezone.now() - timedelta(hours=23))
        assert remind_overdue_reviews_task.delay().get() == 0

        GateReview.objects.filter(pk=review.pk).update(reminded_at=timezone.now() - timedelta(hours=25))
        assert remind_overdue_reviews_task.delay().get() == 2
        assert recipients() == ["lee@example.com", "sam@example.com"]

    def test_a_closed_review_is_never_reminded(self, initiative, alice, sam):
        review = pass_charter_signoff(initiative, requester=alice, approver=sam)
        backdate(review, days=30)

        assert remind_overdue_reviews_task.delay().get() == 0

    def test_the_due_date_follows_the_policy_version_the_review_ran_under(self, initiative, alice, sam, lee):
        current = GatePolicy.objects.current("charter-signoff", initiative.risk_tier)
        GatePolicy.objects.create(
            gate=current.gate,
            risk_tier=current.risk_tier,
            version=current.version + 1,
            criteria=current.criteria,
            approver_slots=current.approver_slots,
            review_due_days=10,
            published_at=timezone.now(),
        )
        review = request(initiative, alice)
        assert review.policy.review_due_days == 10

        backdate(review, days=7)
        assert remind_overdue_reviews_task.delay().get() == 0

        backdate(review, days=11)
        assert remind_overdue_reviews_task.delay().get() == 2


def launch(initiative, *, alice, sam, rita, dana):
    pass_charter_signoff(initiative, requester=alice, approver=sam)
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    give_role(initiative, Role.DATA_PLATFORM, dana, by=alice)
    pass_gate(initiative, requester=alice, approvers=[rita, dana])
    assert initiative.stage == Stage.MEASURE_IMPACT


def owned_kpi(initiative, acting_user, suffix, owner, *, cadence="weekly", days_ago=None) -> Kpi:
    driver = Driver.objects.filter(objective__initiative=initiative).first() or kpi_services.add_driver(
        initiative.pk, acting_user=acting_user, name="Faster handling"
    )
    kpi = kpi_services.add_kpi(
        initiative.pk,
        acting_user=acting_user,
        driver=driver,
        key=f"{initiative.slug}.{suffix}",
        name=suffix.replace("-", " ").capitalize(),
        unit="minutes",
        kind=Kpi.Kind.LAGGING,
        direction=Kpi.Direction.DECREASE,
        cadence=cadence,
        owner=owner,
    )
    if days_ago is not None:
        at = timezone.now() - timedelta(days=days_ago)
        record_measurements([{"kpi": kpi.key, "timestamp": at.isoformat(), "value": 10.0}], acting_user=acting_user)
    return kpi


@pytest.fixture
def portfolio(make_initiative, alice, sam, rita, dana, lee):
    """Stale and fresh KPIs on a launched initiative, and stale ones where nobody should be told."""
    live = make_initiative("Support triage")
    launch(live, alice=alice, sam=sam, rita=rita, dana=dana)
    owned_kpi(live, alice, "handle-time", alice, days_ago=15)  # weekly, 15 days: stale
    owned_kpi(live, alice, "csat", alice)  # never measured: stale
    owned_kpi(live, alice, "assisted-share", rita, cadence="daily", days_ago=1)  # fresh
    owned_kpi(live, alice, "first-contact", dana, cadence="monthly", days_ago=70)  # stale
    owned_kpi(live, alice, "escalations", alice, days_ago=13)  # weekly, 13 days: not yet stale

    not_launched = make_initiative("Quote creation")
    owned_kpi(not_launched, alice, "cycle-time", alice, days_ago=60)

    on_hold = make_initiative("Underwriting")
    launch(on_hold, alice=alice, sam=sam, rita=rita, dana=dana)
    owned_kpi(on_hold, alice, "time-to-decision", alice, days_ago=60)
    decide(request(on_hold, alice), sam, "hold", comment="Budget freeze until Q3.")
    on_hold.refresh_from_db()
    assert on_hold.status == "on-hold"
    return live


class TestStaleKpis:
    def test_each_owner_gets_their_stale_kpis_on_launched_active_initiatives(self, portfolio, alice, dana, rita):
        mail.outbox.clear()

        assert notify_stale_kpis_task.delay().get() == 2

        by_owner = {m.to[0]: m for m in mail.outbox}
        assert sorted(by_owner) == ["alice@example.com", "dana@example.com"]
        to_alice = by_owner["alice@example.com"]
        assert to_alice.subject == "2 KPI(s) you own have no recent data"
        assert "- Handle time (Support triage): http://" in to_alice.body
        assert "/kpis/support-triage.handle-time/" in to_alice.body
        assert "Csat (Support triage)" in to_alice.body
        for elsewhere in ("Escalations", "Cycle time", "Time to decision"):
            assert elsewhere not in to_alice.body
        assert by_owner["dana@example.com"].subject == "1 KPI(s) you own have no recent data"
        assert "First contact (Support triage)" in by_owner["dana@example.com"].body

    def test_once_a_day_through_the_lease(self, portfolio):
        notify_stale_kpis_task.delay()
        mail.outbox.clear()

        assert notify_stale_kpis_task.delay().get() == 0
        assert mail.outbox == []

        JobLease.objects.filter(name="stale-kpi-emails").update(expires_at=timezone.now() - timedelta(seconds=1))
        assert notify_stale_kpis_task.delay().get() == 2

    def test_an_owner_without_a_role_opens_the_link(self, portfolio, alice, charlie, client):
        owned_kpi(portfolio, alice, "backlog", charlie, days_ago=30)
        mail.outbox.clear()
        notify_stale_kpis_task.delay()

        (to_charlie,) = [m for m in mail.outbox if m.to == ["charlie@example.com"]]
        link = re.search(r"http://\S+(/kpis/\S+/)", to_charlie.body).group(1)
        client.force_login(charlie)
        page = client.get(link)

        assert page.status_code == 200
        assert "Backlog" in page.content.decode()

    def test_owners_who_left_are_not_emailed(self, portfolio, dana):
        dana.is_active = False
        dana.save()
        mail.outbox.clear()

        assert notify_stale_kpis_task.delay().get() == 1
        assert recipients() == ["alice@example.com"]
