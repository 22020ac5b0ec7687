"""The decision pack offers only what the person can still do: once they have approved (in any role),
no Approve button, and the pack says when and in which role they approved."""

import pytest
from django.urls import reverse

from governance.reviews import approval_inbox
from initiatives.models import Role
from tests.lifecycle import decide, give_role, request

pytestmark = pytest.mark.django_db


@pytest.fixture
def half_approved(make_initiative, alice, lee):
    # High risk: the charter needs the sponsor and the CTO separately. Lee, a leader, could fill
    # either; he approves once, as CTO (Sam is the named sponsor).
    initiative = make_initiative(risk_tier="high")
    review = request(initiative, alice)
    approval = decide(review, lee)
    assert approval.role == "cto" and review.is_open
    return review


def _pack(client, user, review) -> str:
    client.force_login(user)
    response = client.get(reverse("governance:approval_detail", kwargs={"pk": review.pk}))
    assert response.status_code == 200
    return response.content.decode()


def test_no_approve_button_after_approving_in_one_role(client, half_approved, lee):
    html = _pack(client, lee, half_approved)

    assert 'value="approve"' not in html
    assert "You approved this review on" in html and "as <strong>CTO</strong>" in html
    assert 'value="request-changes"' in html  # what is still theirs to do


def test_the_other_approver_still_sees_approve(client, half_approved, sam):
    html = _pack(client, sam, half_approved)

    assert 'value="approve"' in html
    assert "Your approval counts as <strong>Executive sponsor</strong>" in html


def test_the_inbox_no_longer_lists_a_review_one_has_approved(half_approved, lee, sam):
    assert half_approved.pk not in approval_inbox(lee).awaiting
    assert half_approved.pk in approval_inbox(sam).awaiting


def test_the_inbox_lists_a_review_only_to_those_who_hold_a_role_it_needs(initiative, alice, sam, rita):
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)  # she sees the initiative, but fills no charter slot
    review = request(initiative, alice)

    assert review.pk in approval_inbox(sam).awaiting
    assert review.pk not in approval_inbox(rita).awaiting


def test_pages_name_roles_as_people_say_them(client, initiative, alice):
    from kpis.recompute import recompute_scorecards

    recompute_scorecards(full=True)
    client.force_login(alice)
    html = client.get(reverse("initiatives:detail", kwargs={"slug": initiative.slug})).content.decode()

    missing = html.split("Missing roles:", 1)[1].split("</p>", 1)[0]
    assert "AI service owner" in missing and "service-owner" not in missing
