"""Consumers of an older asset version hear of a new one in the app, then by email once; reuse reviews
due within a week are announced once per date. Tasks run as beat would, twice where a rerun matters."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from governance.library import services as library
from governance.models import Notification
from governance.tasks import email_notifications_task, remind_reuse_reviews_task
from initiatives import services as initiative_services
from initiatives.models import Initiative, Role
from tests.lifecycle import give_role

pytestmark = pytest.mark.django_db
PROMPT = "Classify {{ticket_text}}."
WORKFLOW = {
    "prompt-template": PROMPT,
    "evaluation-set": "ticket,queue\nMy invoice is wrong,billing\n",
    "playbook": "# Escalation\n\nTier 2 takes over below 0.7 confidence.\n",
}


def _user(username: str) -> User:
    return User.objects.create_user(username, email=f"{username}@example.com", first_name=username.title())


@pytest.fixture
def paula(db):
    return _user("paula")


@pytest.fixture
def olivia(db):
    return _user("olivia")


@pytest.fixture
def ed(db):
    return _user("ed")


@pytest.fixture
def invoices(paula, olivia, ed):
    """Paula's initiative, with Olivia as its AI service owner and Ed in enablement."""
    initiative = initiative_services.create_initiative(
        acting_user=paula, title="Invoice processing", business_unit="Finance", risk_tier="medium"
    )
    give_role(initiative, Role.SERVICE_OWNER, olivia, by=paula)
    give_role(initiative, Role.ENABLEMENT, ed, by=paula)
    return initiative


@pytest.fixture
def prompt(lee):
    return library.create_asset(acting_user=lee, name="Triage prompt", type="prompt-template", content=PROMPT)


def told() -> dict[str, int]:
    """Username -> number of notifications."""
    counts: dict[str, int] = {}
    for username in Notification.objects.values_list("user__username", flat=True):
        counts[username] = counts.get(username, 0) + 1
    return counts


def publish(asset, user, n: int):
    return library.publish_version(asset.pk, acting_user=user, content=f"{PROMPT} Revision {n}.", changelog=f"Rev {n}.")


class TestNewVersions:
    def test_consumers_of_an_older_version_are_told_once_each(self, prompt, lee, initiative, invoices, alice, paula):
        library.adopt_version(initiative.pk, acting_user=alice, asset=prompt)
        library.adopt_version(invoices.pk, acting_user=paula, asset=prompt)
        bystander = initiative_services.create_initiative(
            acting_user=_user("nora"), title="Sales summaries", business_unit="Sales"
        )

        publish(prompt, lee, 2)

        # PMs (who adopted), the service owner; not the sponsor, enablement, the publisher or a non-consumer.
        assert told() == {"alice": 1, "paula": 1, "olivia": 1}
        note = Notification.objects.get(user=alice)
        assert note.message == "A newer version of Triage prompt (v2) is available: Rev 2."
        assert note.url == f"/library/{prompt.slug}/" and note.emailed_at is None and note.read_at is None
        assert bystander.pk  # created, never told

    def test_someone_on_two_outdated_initiatives_is_told_once(self, prompt, lee, invoices, paula):
        second = initiative_services.create_initiative(
            acting_user=paula, title="Receipt matching", business_unit="Finance"
        )
        library.adopt_version(invoices.pk, acting_user=paula, asset=prompt)
        library.adopt_version(second.pk, acting_user=paula, asset=prompt)

        publish(prompt, lee, 2)

        assert told()["paula"] == 1

    def test_the_publisher_is_not_told_of_their_own_version(self, prompt, initiative, alice, dana):
        give_role(initiative, Role.PLATFORM_ENGINEERING, dana, by=alice)
        library.adopt_version(initiative.pk, acting_user=alice, asset=prompt)

        publish(prompt, dana, 2)  # Dana curates, and holds platform engineering on a consumer

        assert told() == {"alice": 1}

    def test_those_already_on_the_new_version_are_not_told(self, initiative, invoices, alice, paula):
        # Alice publishes her workflow and Paula adopts its prompt; a republish pins Alice's initiative to v2.
        library.publish_workflow(initiative.pk, acting_user=alice, contents=WORKFLOW, changelog="First.")
        prompt = initiative.published_assets.get(type="prompt-template")
        library.adopt_version(invoices.pk, acting_user=paula, asset=prompt)
        give_role(initiative, Role.SERVICE_OWNER, _user("sol"), by=alice)

        changed = {**WORKFLOW, "prompt-template": PROMPT + " Be brief."}
        library.publish_workflow(initiative.pk, acting_user=alice, contents=changed, changelog="Brief.")

        assert initiative.asset_usages.get(asset=prompt).version.number == 2
        # Paula's initiative is on v1; Alice's (her, and Sol its service owner) is on v2 already.
        assert told() == {"paula": 1, "olivia": 1}

    def test_nobody_is_told_when_nobody_uses_the_asset(self, prompt, lee):
        publish(prompt, lee, 2)

        assert told() == {}


class TestEmails:
    @pytest.fixture
    def told_of_v3(self, prompt, lee, initiative, invoices, alice, paula):
        library.adopt_version(initiative.pk, acting_user=alice, asset=prompt)
        library.adopt_version(invoices.pk, acting_user=paula, asset=prompt)
        publish(prompt, lee, 2)
        publish(prompt, lee, 3)

    def test_each_user_gets_one_email_listing_their_notifications(self, told_of_v3, settings):
        assert email_notifications_task.delay().get() == 3

        by_recipient = {message.to[0]: message for message in mail.outbox}
        assert sorted(by_recipient) == ["alice@example.com", "olivia@example.com", "paula@example.com"]
        alice = by_recipient["alice@example.com"]
        assert alice.subject == "2 updates in OpModel"
        assert "Triage prompt (v2)" in alice.body and "Triage prompt (v3)" in alice.body
        assert f"{settings.SITE_URL}/library/triage-prompt/" in alice.body
        assert not Notification.objects.filter(emailed_at__isnull=True).exists()

    def test_a_second_run_sends_nothing(self, told_of_v3):
        email_notifications_task.delay()
        mail.outbox.clear()

        assert email_notifications_task.delay().get() == 0
        assert mail.outbox == []

    def test_a_notification_claimed_elsewhere_is_not_mailed_again(self, told_of_v3, alice):
        # Another worker claimed Alice's older notification a moment ago.
        Notification.objects.filter(user=alice, message__contains="(v2)").update(emailed_at=timezone.now())

        email_notifications_task.delay()

        alice_mail = next(m for m in mail.outbox if m.to == ["alice@example.com"])
        assert alice_mail.subject.startswith("A newer version of Triage prompt (v3)")
        assert "(v2)" not in alice_mail.body

    def test_a_changelog_over_several_lines_still_makes_a_one_line_subject(self, prompt, lee, invoices, paula):
        library.adopt_version(invoices.pk, acting_user=paula, asset=prompt)
        library.publish_version(prompt.pk, acting_user=lee, content=PROMPT + " Short.", changelog="Shorter.\nFaster.")

        email_notifications_task.delay()

        assert {m.subject for m in mail.outbox} == {
            "A newer version of Triage prompt (v2) is available: Shorter. Faster."
        }

    def test_users_without_an_address_are_skipped(self, told_of_v3, paula):
        User.objects.filter(pk=paula.pk).update(email="")

        email_notifications_task.delay()

        assert "paula@example.com" not in [m.to[0] for m in mail.outbox]
        assert Notification.objects.filter(user=paula, emailed_at__isnull=True).count() == 2


class TestReuseReviewReminders:
    def _schedule(self, initiative, days: int):
        Initiative.objects.filter(pk=initiative.pk).update(reuse_review_on=timezone.localdate() + timedelta(days=days))

    def test_owner_and_enablement_are_told_once_per_date(self, invoices):
        self._schedule(invoices, 3)

        assert remind_reuse_reviews_task.delay().get() == 2
        assert remind_reuse_reviews_task.delay().get() == 0

        assert told() == {"olivia": 1, "ed": 1}
        note = Notification.objects.get(user__username="olivia")
        when = timezone.localdate() + timedelta(days=3)
        assert note.message.startswith(f"Reuse review of Invoice processing on {when:%d %b %Y}")
        assert note.url == f"/initiatives/{invoices.slug}/"
        invoices.refresh_from_db()
        assert invoices.reuse_review_reminded_for == when

    def test_a_new_date_is_announced_again(self, invoices):
        self._schedule(invoices, 3)
        remind_reuse_reviews_task.delay()
        self._schedule(invoices, 6)

        assert remind_reuse_reviews_task.delay().get() == 2
        assert told() == {"olivia": 2, "ed": 2}

    @pytest.mark.parametrize("days", [8, 30, -1])
    def test_dates_more_than_a_week_away_or_past_are_left_alone(self, invoices, days):
        self._schedule(invoices, days)

        assert remind_reuse_reviews_task.delay().get() == 0
        invoices.refresh_from_db()
        assert invoices.reuse_review_reminded_for is None

    def test_today_and_a_week_from_now_count(self, invoices, initiative, alice, olivia):
        give_role(initiative, Role.SERVICE_OWNER, olivia, by=alice)
        self._schedule(invoices, 0)
        self._schedule(initiative, 7)

        assert remind_reuse_reviews_task.delay().get() == 3

    def test_the_reminders_are_emailed_by_the_notifications_task(self, invoices):
        self._schedule(invoices, 2)
        remind_reuse_reviews_task.delay()

        email_notifications_task.delay()

        assert sorted(m.to[0] for m in mail.outbox) == ["ed@example.com", "olivia@example.com"]
        assert all("Reuse review of Invoice processing" in m.subject for m in mail.outbox)
