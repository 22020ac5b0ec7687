"""The reuse-ready gate (standardize-reuse → scaled): the workflow is in the library as versioned
assets, an accepted AI service owner, a reuse review in the future. Each criterion passes or fails
with its reason, and once all pass the review is requested without an override."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from governance.errors import TransitionError
from governance.library import services as library
from governance.services import criteria_for, request_review
from initiatives import services as initiative_services
from initiatives.models import Initiative, Role, Stage
from tests.lifecycle import api_as, decide, give_role, pass_charter_signoff, pass_gate

pytestmark = pytest.mark.django_db
REUSE_READY = ["assets-published", "service-owner-accepted", "reuse-review-scheduled"]
WORKFLOW = {
    "prompt-template": "Classify {{ticket_text}} into {{queues}}.",
    "evaluation-set": "ticket,queue\nMy invoice is wrong,billing\nI cannot log in,access\n",
    "playbook": "# Escalation\n\nTier 2 takes over below 0.7 confidence.\n",
}


@pytest.fixture
def olivia(db):
    return User.objects.create_user("olivia", email="olivia@example.com", first_name="Olivia", last_name="Owner")


@pytest.fixture
def ed(db):
    return User.objects.create_user("ed", email="ed@example.com", first_name="Ed", last_name="Enablement")


@pytest.fixture
def reusing(initiative, alice, sam, rita, dana, lee, ed):
    """Past three gates (overridden where criteria are not tracked): now in standardize-reuse."""
    pass_charter_signoff(initiative, requester=alice, approver=sam)
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    give_role(initiative, Role.DATA_PLATFORM, dana, by=alice)
    pass_gate(initiative, requester=alice, approvers=[rita, dana])
    pass_gate(initiative, requester=alice, approvers=[sam, lee])
    give_role(initiative, Role.ENABLEMENT, ed, by=alice)
    assert initiative.stage == Stage.STANDARDIZE_REUSE
    return initiative


@pytest.fixture
def ready(reusing, alice, olivia):
    """Every reuse-ready criterion met."""
    library.publish_workflow(reusing.pk, acting_user=alice, contents=WORKFLOW, changelog="Published for reuse.")
    owner = give_role(reusing, Role.SERVICE_OWNER, olivia, by=alice)
    initiative_services.accept_role(owner.pk, acting_user=olivia)
    _review_in(reusing, days=14)
    return reusing


def _review_in(initiative, *, days: int):
    Initiative.objects.filter(pk=initiative.pk).update(reuse_review_on=timezone.localdate() + timedelta(days=days))


def results(initiative) -> dict[str, tuple[str, str]]:
    found = criteria_for(Initiative.objects.get(pk=initiative.pk))
    assert [r.key for r in found] == REUSE_READY
    return {r.key: (r.status, r.reason) for r in found}


def test_nothing_is_met_on_entering_the_stage(reusing):
    assert results(reusing) == {
        "assets-published": (
            "fail",
            "Not yet in the library: prompt template, evaluation set, playbook. "
            "Use “Publish as asset” on the initiative.",
        ),
        "service-owner-accepted": ("fail", "No AI service owner is assigned (the “no scale owner” failure mode)."),
        "reuse-review-scheduled": ("fail", "No reuse review date is set."),
    }


def test_every_criterion_passes_with_its_reason(ready):
    when = timezone.localdate() + timedelta(days=14)
    accepted = ready.role_assignments.get(role=Role.SERVICE_OWNER).accepted_at

    assert results(ready) == {
        "assets-published": ("pass", "Prompt template, evaluation set and playbook are published as versioned assets."),
        "service-owner-accepted": ("pass", f"Olivia Owner accepted on {accepted:%d %b %Y}."),
        "reuse-review-scheduled": ("pass", f"Reuse review on {when:%d %b %Y}."),
    }


class TestAssetsPublished:
    def test_a_partial_workflow_names_what_is_missing(self, reusing, alice):
        library.create_asset(
            acting_user=alice,
            name="Triage prompt",
            type="prompt-template",
            content=WORKFLOW["prompt-template"],
            source_initiative=reusing,
        )

        status, reason = results(reusing)["assets-published"]
        assert (status, reason.split(".")[0]) == ("fail", "Not yet in the library: evaluation set, playbook")

    def test_assets_not_published_from_this_initiative_do_not_count(self, reusing, lee, make_initiative):
        other = make_initiative("Invoice processing")
        library.publish_workflow(other.pk, acting_user=lee, contents=WORKFLOW, changelog="Theirs.")
        for kind, content in WORKFLOW.items():
            library.create_asset(acting_user=lee, name=f"Shared {kind}", type=kind, content=content)
        for asset in other.published_assets.all():
            library.adopt_version(reusing.pk, acting_user=lee, asset=asset)  # using is not publishing

        assert results(reusing)["assets-published"][0] == "fail"

    def test_publishing_the_workflow_pins_the_initiative_to_its_versions(self, reusing, alice):
        library.publish_workflow(reusing.pk, acting_user=alice, contents=WORKFLOW, changelog="Published.")

        pinned = {u.asset.type: u.version.number for u in reusing.asset_usages.select_related("asset", "version")}
        assert pinned == {"prompt-template": 1, "evaluation-set": 1, "playbook": 1}
        assert results(reusing)["assets-published"][0] == "pass"


class TestServiceOwner:
    def test_an_assigned_owner_must_accept(self, reusing, alice, olivia):
        owner = give_role(reusing, Role.SERVICE_OWNER, olivia, by=alice)

        assert results(reusing)["service-owner-accepted"] == (
            "fail",
            "Olivia Owner has not accepted the service-owner role yet.",
        )
        initiative_services.accept_role(owner.pk, acting_user=olivia)
        assert results(reusing)["service-owner-accepted"][0] == "pass"


class TestReuseReview:
    def test_a_past_date_fails_and_a_future_one_passes(self, reusing):
        _review_in(reusing, days=-1)
        past = timezone.localdate() - timedelta(days=1)
        assert results(reusing)["reuse-review-scheduled"] == (
            "fail",
            f"The reuse review date ({past:%d %b %Y}) has passed; schedule the next one.",
        )

        _review_in(reusing, days=30)
        assert results(reusing)["reuse-review-scheduled"][0] == "pass"

    def test_a_review_due_today_has_not_passed(self, reusing):
        _review_in(reusing, days=0)

        assert results(reusing)["reuse-review-scheduled"][0] == "pass"


class TestRequest:
    def test_it_needs_an_override_while_a_criterion_fails(self, ready, alice):
        _review_in(ready, days=-3)

        with pytest.raises(TransitionError, match="A reuse review is scheduled"):
            request_review(ready.pk, acting_user=alice)
        assert not ready.gate_reviews.filter(gate="reuse-ready").exists()

    def test_once_all_pass_it_is_requested_without_an_override_and_approved(self, ready, alice, olivia, ed):
        review = request_review(ready.pk, acting_user=alice)

        assert (review.gate, review.override_reason) == ("reuse-ready", "")
        assert [r["status"] for r in review.criteria_results] == ["pass"] * 3
        decide(review, olivia)
        decide(review, ed)
        ready.refresh_from_db()
        assert ready.stage == Stage.SCALED

    def test_the_api_requests_it_without_an_override_too(self, ready, alice):
        response = api_as(alice).post("/api/v1/gate-reviews/", {"initiative": ready.slug}, format="json")

        assert response.status_code == 201, response.content
        assert (response.json()["gate"], response.json()["override_reason"]) == ("reuse-ready", "")
