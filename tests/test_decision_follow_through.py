"""Follow-through: whoever asked for a review, the PM and the sponsor hear of every decision, in the app
and by email, with the decision, who took it, the comment and a link built on SITE_URL. People are
named by their names in emails, the decision pack, the evidence and the control model.

Alice is the PM, Sam the sponsor, Lee (a leader) asks for the foundation review, Rita (security/risk)
and Dana (data platform) decide it.
"""

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail

from governance.foundation import services as foundation
from governance.models import GateDecision, Notification
from governance.tasks import email_notifications_task, notify_new_reviews_task
from initiatives.models import Role, Stage
from initiatives.people import person_name
from tests.lifecycle import decide, give_role, pass_charter_signoff, request

pytestmark = pytest.mark.django_db

SITE = "http://127.0.0.1:8765"  # anything but the default port 8000: links must follow SITE_URL


@pytest.fixture
def foundation_review(initiative, alice, sam, lee, rita, dana):
    """Lee asked for the foundation-ready review of Alice's initiative (Sam sponsors it)."""
    pass_charter_signoff(initiative, requester=alice, approver=sam)
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    give_role(initiative, Role.DATA_PLATFORM, dana, by=alice)
    review = request(initiative, lee)
    assert initiative.stage == Stage.SECURE_FOUNDATION
    return review


def _told(review) -> list[Notification]:
    return list(Notification.objects.filter(url=f"/approvals/{review.pk}/").select_related("user").order_by("user"))


def _links(text: str) -> list[str]:
    return re.findall(r"https?://\S+", text)


@pytest.mark.parametrize(
    ("kind", "told"),
    [
        ("approve", "Foundation ready of “Support triage assistant”: approved by Rita Risk as Security / risk"),
        ("request-changes", "Foundation ready of “Support triage assistant”: changes requested by Rita Risk."),
        ("reject", "Foundation ready of “Support triage assistant”: rejected by Rita Risk."),
        ("hold", "Foundation ready of “Support triage assistant”: put on hold by Rita Risk."),
        ("kill", "Foundation ready of “Support triage assistant”: killed by Rita Risk."),
        ("recycle", "Foundation ready of “Support triage assistant”: recycled to Define outcome by Rita Risk."),
    ],
)
def test_every_decision_tells_the_requester_the_pm_and_the_sponsor_once(foundation_review, rita, kind, told):
    decide(foundation_review, rita, kind, comment="Logging is not in place yet.\nSee OPS-12.")

    notes = _told(foundation_review)

    assert sorted(n.user.username for n in notes) == ["alice", "lee", "sam"]  # never Rita, who decided
    assert all(n.message.startswith(told) for n in notes), notes[0].message
    assert {n.detail for n in notes} == {"Comment: Logging is not in place yet.\nSee OPS-12."}


def test_an_approval_says_whether_the_gate_is_passed(foundation_review, rita, dana):
    decide(foundation_review, rita)
    first = {n.message for n in _told(foundation_review)}
    decide(foundation_review, dana, comment="Sources classified.")
    second = {n.message for n in _told(foundation_review)} - first

    assert first == {
        "Foundation ready of “Support triage assistant”: approved by Rita Risk as Security / risk; "
        "more approvals needed."
    }
    assert second == {
        "Foundation ready of “Support triage assistant”: approved by Dana Data as Data platform; "
        "the gate is passed, now Measure impact."
    }
    assert Notification.objects.filter(url=f"/approvals/{foundation_review.pk}/", detail="").count() == 3


def test_someone_in_two_of_the_parts_is_told_once_and_the_decider_never(initiative, alice, sam):
    review = request(initiative, alice)  # Alice requested it and is the PM; Sam, the sponsor, decides

    decide(review, sam, "request-changes", comment="Name the guardrail KPI.")

    assert [(n.user, n.message) for n in _told(review)] == [
        (alice, "Charter sign-off of “Support triage assistant”: changes requested by Sam Sponsor.")
    ]


def test_a_refused_decision_tells_nobody(foundation_review, rita):
    with pytest.raises(Exception, match="comment is required"):
        decide(foundation_review, rita, "reject", comment=" ")

    assert _told(foundation_review) == []
    assert not GateDecision.objects.filter(review=foundation_review).exists()


def test_the_email_names_the_decider_and_carries_the_comment_and_a_site_url_link(
    settings, foundation_review, rita, lee
):
    settings.SITE_URL = SITE
    Notification.objects.update(emailed_at="2026-01-01T00:00:00Z")  # the charter sign-off's, mailed long ago
    decide(foundation_review, rita, "request-changes", comment="Logging is not in place yet.\nSee OPS-12.")

    assert email_notifications_task.delay().get() == 3

    by_address = {message.to[0]: message for message in mail.outbox}
    assert sorted(by_address) == ["alice@example.com", "lee@example.com", "sam@example.com"]
    message = by_address["lee@example.com"]
    assert message.subject == "Foundation ready of “Support triage assistant”: changes requested by Rita Risk."
    assert message.body == (
        "Hello Lee Leader,\n\n"
        "- Foundation ready of “Support triage assistant”: changes requested by Rita Risk.\n"
        "  Comment: Logging is not in place yet.\n"
        "  See OPS-12.\n"
        f"  {SITE}/approvals/{foundation_review.pk}/\n"
    )
    assert "rita" not in message.body
    assert all(_links(m.body) == [f"{SITE}/approvals/{foundation_review.pk}/"] for m in mail.outbox)
    assert email_notifications_task.delay().get() == 0  # never twice


def test_approvers_are_emailed_the_requesters_name_and_a_site_url_link(settings, foundation_review):
    settings.SITE_URL = SITE

    notify_new_reviews_task.delay()

    assert mail.outbox
    for message in mail.outbox:
        assert message.body.startswith("Lee Leader asked for the Foundation ready gate"), message.body
        assert _links(message.body) == [f"{SITE}/approvals/{foundation_review.pk}/"]


class TestNames:
    def test_a_person_is_their_full_name_else_their_username(self, alice):
        nameless = User.objects.create_user("ops-bot")

        assert (person_name(alice), person_name(nameless), person_name(None)) == ("Alice Product", "ops-bot", "—")

    def test_the_decision_pack_names_the_charter_owner(self, client, foundation_review, alice):
        client.force_login(alice)

        page = client.get(f"/approvals/{foundation_review.pk}/").content.decode()

        assert "<dt>Owner</dt><dd>Alice Product</dd>" in page
        assert "requested by Lee Leader" in page

    def test_the_evidence_names_people(self, client, foundation_review, alice, rita):
        foundation.answer_checklist(
            foundation_review.pk, acting_user=rita, item_id=_item(foundation_review).pk, answer="yes"
        )
        decide(foundation_review, rita, "hold", comment="Wait for the logging ticket.")
        client.force_login(alice)

        page = client.get(f"/approvals/{foundation_review.pk}/evidence/").content.decode()
        data = client.get(f"/approvals/{foundation_review.pk}/evidence.json").json()

        assert "requested by Lee Leader" in page and "by Rita Risk" in page
        assert data["review"]["requested_by"] == "Lee Leader"
        assert [d["by"] for d in data["decisions"]] == ["Rita Risk"]
        assert [q["answered_by"] for q in data["checklist"] if q["answer"]] == ["Rita Risk"]
        assert data["control_model"]["approvals"][0]["by"] == "Sam Sponsor"
        for username in ("lee", "rita", "sam"):
            assert f'"{username}"' not in str(data).replace("'", '"')

    def test_the_control_model_names_people(self, client, foundation_review, alice, dana):
        foundation.save_data_source(
            foundation_review.initiative_id,
            acting_user=alice,
            name="Ticket history",
            system="Zendesk",
            classification="internal",
            freshness_sla_hours=24,
            owner=dana,
        )
        client.force_login(alice)

        page = client.get(f"/initiatives/{foundation_review.initiative.slug}/control-model/").content.decode()

        assert "<td>Dana Data</td>" in page
        assert "Charter sign-off: Sam Sponsor as Executive sponsor" in page
        assert "<td>dana</td>" not in page and "charter-signoff" not in page


def _item(review):
    from governance.models import ChecklistItem

    return ChecklistItem.objects.filter(gate=review.gate).first()
