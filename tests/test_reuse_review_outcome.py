"""The reuse review, once held, records its outcome: the day, the adjacent teams adopting, the changes needed.

One rule (governance.library.services.record_reuse_review_outcome) for the Assets tab's form and the API's
PUT; audited; shown in the evidence export."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from governance.foundation.evidence import gate_evidence
from governance.library import services as library
from governance.library.forms import ReuseReviewOutcomeForm
from governance.library.serializers import ReuseReviewSerializer
from governance.models import AuditEvent
from initiatives.models import Initiative, Role
from opmodel.api import writable_fields
from tests.lifecycle import api_as, assert_problem, give_role, request
from tests.test_field_parity import api_errors, assert_same_refusal, page_errors, too_long

pytestmark = pytest.mark.django_db

OUTCOME = {
    "reuse_review_adopting": "IT helpdesk (40 agents) adopts the triage prompt and playbook next quarter.",
    "reuse_review_changes": "A German-language evaluation set; routing to ServiceNow queues.",
}


def held(days_ago=0) -> str:
    return (timezone.localdate() - timedelta(days=days_ago)).isoformat()


def record(initiative, user, **changes):
    fields = {"reuse_review_held_on": timezone.localdate(), **OUTCOME, **changes}
    return library.record_reuse_review_outcome(initiative.pk, acting_user=user, **fields)


def test_recording_the_outcome_is_audited_and_a_repeat_records_nothing(initiative, alice):
    record(initiative, alice)
    record(initiative, alice, reuse_review_changes="None: it serves as it is.")
    record(initiative, alice, reuse_review_changes="None: it serves as it is.")

    first, second = AuditEvent.objects.filter(action="initiative.reuse_review_held").order_by("id")
    assert first.before is None and first.after["reuse_review_adopting"] == OUTCOME["reuse_review_adopting"]
    assert second.before == {"reuse_review_changes": OUTCOME["reuse_review_changes"]}
    assert second.after == {"reuse_review_changes": "None: it serves as it is."}
    initiative.refresh_from_db()
    assert initiative.reuse_review_held_on == timezone.localdate()


def test_enablement_may_record_it_and_an_unrelated_role_holder_may_not(initiative, alice, dana, rita):
    give_role(initiative, Role.ENABLEMENT, dana, by=alice)
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)

    record(initiative, dana)
    with pytest.raises(PermissionDenied, match="enablement lead, service owner"):
        record(initiative, rita, reuse_review_adopting="Nobody.")


HELD, ADOPTING, CHANGES = "reuse_review_held_on", "reuse_review_adopting", "reuse_review_changes"
VIOLATIONS = [
    ({HELD: ""}, HELD, "Give the day the reuse review was held."),
    ({HELD: held(-1)}, HELD, "Record the outcome once the review is held: today or earlier."),
    ({ADOPTING: "  "}, ADOPTING, "Name the adjacent teams adopting it, or write “none yet” and why."),
    ({CHANGES: ""}, CHANGES, "Say what they need changed, or write “none”."),
    ({CHANGES: "x" * 1001}, CHANGES, too_long(1000)),
]


@pytest.mark.parametrize(("values", "field", "message"), VIOLATIONS)
def test_the_assets_tab_and_the_api_refuse_alike(client, initiative, alice, values, field, message):
    client.force_login(alice)
    data = {"reuse_review_held_on": held(), **OUTCOME, **values}
    body = {**data, "reuse_review_held_on": data["reuse_review_held_on"] or None}

    page = client.post(reverse("governance:reuse_review_outcome", args=[initiative.slug]), data)
    api = api_as(alice).put(f"/api/v1/initiatives/{initiative.slug}/reuse-review/", body, format="json")

    assert_same_refusal(field, message, page=page_errors(page, page.context["form"]), api=api_errors(api))
    assert Initiative.objects.get(pk=initiative.pk).reuse_review_held_on is None
    assert not AuditEvent.objects.filter(action="initiative.reuse_review_held").exists()


def test_the_page_records_it_and_the_assets_tab_shows_it(client, initiative, alice):
    client.force_login(alice)

    response = client.post(
        reverse("governance:reuse_review_outcome", args=[initiative.slug]), {"reuse_review_held_on": held(2), **OUTCOME}
    )

    assert response.status_code == 302
    tab = client.get(f"{initiative.get_absolute_url()}?tab=assets").content.decode()
    section = tab.split('id="reuse-review"')[1].split("</section>")[0]
    assert OUTCOME["reuse_review_adopting"] in section and "Changes needed" in section


def test_the_api_reads_and_writes_it(initiative, alice, charlie):
    rest = api_as(alice)
    url = f"/api/v1/initiatives/{initiative.slug}/reuse-review/"
    assert rest.get(url).json() == {
        "reuse_review_on": None,
        "reuse_review_held_on": None,
        "reuse_review_adopting": "",
        "reuse_review_changes": "",
    }

    written = rest.put(url, {"reuse_review_held_on": held(), **OUTCOME}, format="json")

    assert written.status_code == 200, written.content
    assert rest.get(url).json()["reuse_review_adopting"] == OUTCOME["reuse_review_adopting"]
    assert_problem(api_as(charlie).get(url), 404)
    assert_problem(rest.put(url, {"reuse_review_on": held()}, format="json"), 400, "reuse_review_on")


def test_form_serializer_and_service_share_one_field_list():
    assert tuple(ReuseReviewOutcomeForm().fields) == Initiative.REUSE_REVIEW_OUTCOME_FIELDS
    assert writable_fields(ReuseReviewSerializer()) == list(Initiative.REUSE_REVIEW_OUTCOME_FIELDS)


def test_the_evidence_export_carries_the_outcome(initiative, alice):
    record(initiative, alice)
    review = request(initiative, alice)

    reuse = gate_evidence(review)["reuse_review"]

    assert reuse["held_on"] == timezone.localdate()
    assert reuse["adjacent_teams_adopting"] == OUTCOME["reuse_review_adopting"]
    assert reuse["changes_needed"] == OUTCOME["reuse_review_changes"]
