"""/api/v1/ foundation endpoints: controls, data sources, risk tier, checklist and evidence."""

import pytest
from rest_framework.test import APIClient

from governance.foundation import services as foundation
from governance.foundation.evidence import gate_evidence
from governance.models import AuditEvent, ChecklistItem, DataSource, InitiativeControl
from initiatives.models import Role
from tests.lifecycle import api_as, assert_problem, decide, give_role, pass_charter_signoff, request

pytestmark = pytest.mark.django_db


def _url(initiative, suffix: str) -> str:
    return f"/api/v1/initiatives/{initiative.slug}/{suffix}"


@pytest.fixture
def rita_risk(alice, rita, initiative):
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    return rita


@pytest.fixture
def source(alice, initiative):
    return foundation.save_data_source(initiative.pk, acting_user=alice, name="Ticket history", system="Zendesk")


@pytest.fixture
def review(alice, sam, rita_risk, dana, initiative):
    pass_charter_signoff(initiative, requester=alice, approver=sam)
    give_role(initiative, Role.DATA_PLATFORM, dana, by=alice)
    return request(initiative, alice)


# Controls


def test_it_lists_every_control_by_layer(alice, initiative):
    response = api_as(alice).get(_url(initiative, "controls/"))

    assert response.status_code == 200
    body = response.json()
    assert [(layer["layer"], layer["owner_role"]) for layer in body] == [
        ("governance", "security-risk"),
        ("data", "data-platform"),
        ("architecture", "platform-engineering"),
        ("workflow", "product-ops"),
        ("adoption", "enablement"),
    ]
    control = body[3]["controls"][0]
    assert set(control) == {
        "key",
        "name",
        "description",
        "owner_role",
        "status",
        "evidence",
        "waiver_reason",
        "updated_by",
        "updated_at",
        "measured_by",
        "measure",
    }
    assert (control["key"], control["status"], control["updated_by"]) == ("human-review", "missing", None)


def test_it_records_a_control(rita_risk, initiative):
    response = api_as(rita_risk).put(
        _url(initiative, "controls/human-review/"), {"status": "in-place", "evidence": "Runbook RB-3"}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["key"], body["status"], body["evidence"], body["updated_by"]) == (
        "human-review",
        "in-place",
        "Runbook RB-3",
        "rita",
    )
    assert InitiativeControl.objects.get(initiative=initiative).status == "in-place"
    assert AuditEvent.objects.filter(action="control.updated", actor_username="rita").exists()


def test_it_waives_a_control_with_a_reason(lee, initiative):
    response = api_as(lee).put(
        _url(initiative, "controls/training/"), {"status": "waived", "waiver_reason": "Trained already"}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["waiver_reason"]) == ("waived", "Trained already")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "in-place"}, "evidence"),
        ({"status": "waived"}, "waiver_reason"),
        ({"status": "done"}, "status"),
        ({}, "status"),
    ],
)
def test_an_invalid_control_is_a_problem(lee, initiative, body, field):
    response = api_as(lee).put(_url(initiative, "controls/human-review/"), body, format="json")

    assert_problem(response, 400, field)
    assert not InitiativeControl.objects.exists()


def test_a_product_manager_cannot_record_a_control(alice, initiative):
    response = api_as(alice).put(
        _url(initiative, "controls/human-review/"), {"status": "in-place", "evidence": "x"}, format="json"
    )

    assert_problem(response, 403)
    assert not InitiativeControl.objects.exists()


def test_an_unknown_control_or_hidden_initiative_is_404(lee, charlie, initiative):
    body = {"status": "in-place", "evidence": "x"}
    assert_problem(api_as(lee).put(_url(initiative, "controls/nope/"), body, format="json"), 404)
    assert_problem(api_as(charlie).get(_url(initiative, "controls/")), 404)
    assert_problem(api_as(charlie).put(_url(initiative, "controls/human-review/"), body, format="json"), 404)


# Data sources


def test_it_lists_and_creates_data_sources(alice, dana, initiative):
    client = api_as(alice)
    response = client.post(
        _url(initiative, "data-sources/"),
        {"name": "CRM", "system": "Salesforce", "classification": "restricted", "owner": "dana"},
        format="json",
    )

    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["name"], created["classification"], created["owner"], created["gaps"]) == (
        "CRM",
        "restricted",
        "dana",
        ["freshness SLA"],
    )
    initiative.refresh_from_db()
    assert initiative.risk_tier == "high"
    listed = client.get(_url(initiative, "data-sources/")).json()
    assert [s["id"] for s in listed] == [created["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"system": "Zendesk"}, "name"),
        ({"name": "X", "system": "Zendesk", "classification": "secret"}, "classification"),
        ({"name": "X", "system": "Zendesk", "owner": "nobody"}, "owner"),
        ({"name": "X", "system": "Zendesk", "freshness_sla_hours": -1}, "freshness_sla_hours"),
        ({"name": "Ticket history", "system": "Zendesk"}, "name"),  # names are unique
    ],
)
def test_an_invalid_data_source_is_a_problem(alice, initiative, source, body, field):
    response = api_as(alice).post(_url(initiative, "data-sources/"), body, format="json")

    assert_problem(response, 400, field)
    assert DataSource.objects.count() == 1


def test_it_changes_a_data_source(alice, initiative, source):
    response = api_as(alice).patch(
        _url(initiative, f"data-sources/{source.pk}/"), {"personal_data": True, "freshness_sla_hours": 6}, format="json"
    )

    assert response.status_code == 200, response.content
    assert (response.json()["personal_data"], response.json()["freshness_sla_hours"]) == (True, 6)
    source.refresh_from_db()
    assert (source.name, source.personal_data) == ("Ticket history", True)
    assert AuditEvent.objects.filter(action="data_source.saved").count() == 2


def test_changing_a_source_of_another_initiative_is_404(alice, make_initiative, initiative, source):
    other = make_initiative("Refunds")

    response = api_as(alice).patch(_url(other, f"data-sources/{source.pk}/"), {"personal_data": True}, format="json")

    assert_problem(response, 404)


def test_outsiders_cannot_see_or_record_sources(alice, charlie, dana, initiative, source):
    give_role(initiative, Role.ENABLEMENT, dana, by=alice)  # a role holder sees, but does not edit
    body = {"name": "CRM", "system": "Salesforce"}
    assert_problem(api_as(charlie).get(_url(initiative, "data-sources/")), 404)
    assert_problem(api_as(charlie).post(_url(initiative, "data-sources/"), body, format="json"), 404)
    assert api_as(dana).get(_url(initiative, "data-sources/")).status_code == 200
    assert_problem(api_as(dana).post(_url(initiative, "data-sources/"), body, format="json"), 403)
    assert_problem(api_as(dana).patch(_url(initiative, f"data-sources/{source.pk}/"), body, format="json"), 403)


def test_it_links_and_unlinks_a_shared_source(alice, make_initiative, initiative):
    source = foundation.save_data_source(
        initiative.pk, acting_user=alice, name="CRM", system="Salesforce", classification="restricted"
    )
    other = make_initiative("Refunds")
    client = api_as(alice)

    response = client.post(_url(other, f"data-sources/{source.pk}/link/"))
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "CRM"
    other.refresh_from_db()
    assert other.risk_tier == "high"
    assert [s["name"] for s in client.get(_url(other, "data-sources/")).json()] == ["CRM"]

    response = client.delete(_url(other, f"data-sources/{source.pk}/link/"))
    assert response.status_code == 204
    assert list(other.data_sources.all()) == []
    assert list(source.initiatives.all()) == [initiative]
    assert AuditEvent.objects.filter(action="data_source.unlinked", initiative_id=other.pk).exists()


def test_linking_errors(alice, charlie, initiative, source):
    client = api_as(alice)
    assert_problem(client.post(_url(initiative, "data-sources/9999/link/")), 404)
    client.delete(_url(initiative, f"data-sources/{source.pk}/link/"))
    assert_problem(client.delete(_url(initiative, f"data-sources/{source.pk}/link/")), 404)  # not linked any more
    assert_problem(api_as(charlie).post(_url(initiative, f"data-sources/{source.pk}/link/")), 404)


# Risk


def test_it_shows_the_risk(alice, initiative, source):
    response = api_as(alice).get(_url(initiative, "risk/"))

    assert response.status_code == 200
    assert response.json() == {
        "tier": "medium",
        "reason": "set by a risk owner: declared when the initiative was created",
        "computed_tier": "low",
        "computed_reasons": ["internal use, no personal, confidential or restricted data"],
        "floor": "medium",
        "floor_reason": "declared when the initiative was created",
    }


def test_a_risk_owner_raises_the_tier(rita_risk, initiative):
    response = api_as(rita_risk).post(
        _url(initiative, "risk/"), {"tier": "high", "reason": "Used by the regulator"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert (response.json()["tier"], response.json()["floor_reason"]) == ("high", "Used by the regulator")
    initiative.refresh_from_db()
    assert initiative.risk_tier == "high"
    assert AuditEvent.objects.filter(action="initiative.risk_tier_changed", actor_username="rita").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"tier": "high", "reason": " "}, "reason"),
        ({"tier": "high"}, "reason"),
        ({"tier": "extreme", "reason": "x"}, "tier"),
        ({"tier": "low", "reason": "Less risky now"}, "tier"),  # raising only
        ({"tier": "medium", "reason": "Same"}, "tier"),
    ],
)
def test_an_invalid_raise_is_a_problem(rita_risk, initiative, body, field):
    response = api_as(rita_risk).post(_url(initiative, "risk/"), body, format="json")

    assert_problem(response, 400, field)
    initiative.refresh_from_db()
    assert initiative.risk_tier == "medium"


def test_only_risk_owners_and_leaders_raise_the_tier(alice, charlie, initiative):
    body = {"tier": "high", "reason": "Feels risky"}
    assert_problem(api_as(alice).post(_url(initiative, "risk/"), body, format="json"), 403)
    assert_problem(api_as(charlie).post(_url(initiative, "risk/"), body, format="json"), 404)
    assert_problem(api_as(charlie).get(_url(initiative, "risk/")), 404)
    initiative.refresh_from_db()
    assert initiative.risk_tier == "medium"


# Checklist and evidence


def _checklist_url(review, suffix: str = "checklist/") -> str:
    return f"/api/v1/gate-reviews/{review.pk}/{suffix}"


def test_it_lists_the_checklist_with_references(alice, review):
    response = api_as(alice).get(_checklist_url(review))

    assert response.status_code == 200
    body = response.json()
    assert len(body) == ChecklistItem.objects.filter(gate="foundation-ready").count()
    logs = next(q for q in body if q["question"].startswith("Are logs sufficient"))
    assert logs["references"] == {"eu_ai_act": "Art. 12", "nist_ai_rmf": "MEASURE 2.8", "iso_iec_42001": "A.6.2.8"}
    assert (logs["answer"], logs["note"], logs["answered_by"], logs["answered_at"]) == (None, "", None, None)


def test_an_approver_answers_the_checklist(rita, review):
    item = ChecklistItem.objects.get(question="Can we roll back safely?")

    response = api_as(rita).post(
        _checklist_url(review), {"item": item.pk, "answer": "no", "note": "No runbook yet"}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["item"], body["answer"], body["note"], body["answered_by"]) == (
        item.pk,
        "no",
        "No runbook yet",
        "rita",
    )
    assert body["answered_at"]
    assert AuditEvent.objects.filter(action="checklist.answered", actor_username="rita").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"answer": "yes"}, "item"),
        ({"item": "own", "answer": "no"}, "note"),
        ({"item": "own", "answer": "maybe"}, "answer"),
        ({"item": "other", "answer": "yes"}, "item"),
    ],
)
def test_an_invalid_answer_is_a_problem(rita, review, body, field):
    items = {
        "own": ChecklistItem.objects.get(question="Can we roll back safely?").pk,
        "other": ChecklistItem.objects.filter(gate="charter-signoff").first().pk,
    }
    if "item" in body:
        body = {**body, "item": items[body["item"]]}

    assert_problem(api_as(rita).post(_checklist_url(review), body, format="json"), 400, field)


def test_the_requester_and_outsiders_cannot_answer(alice, charlie, review):
    body = {"item": ChecklistItem.objects.get(question="Can we roll back safely?").pk, "answer": "yes"}

    assert_problem(api_as(alice).post(_checklist_url(review), body, format="json"), 403)
    assert_problem(api_as(charlie).post(_checklist_url(review), body, format="json"), 404)
    assert_problem(api_as(charlie).get(_checklist_url(review)), 404)
    assert_problem(api_as(alice).get("/api/v1/gate-reviews/9999/checklist/"), 404)


def test_a_closed_review_takes_no_more_answers(rita, dana, review):
    decide(review, rita)
    decide(review, dana)
    body = {"item": ChecklistItem.objects.get(question="Can we roll back safely?").pk, "answer": "yes"}

    assert_problem(api_as(rita).post(_checklist_url(review), body, format="json"), 409)


def test_it_exports_the_evidence(alice, rita, charlie, review):
    decide(review, rita, comment="Fine")

    response = api_as(alice).get(_checklist_url(review, "evidence/"))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == set(gate_evidence(review))  # the parts test_checklists_and_evidence.py names
    assert body["review"]["id"] == review.pk
    assert [(d["by"], d["decision"]) for d in body["decisions"]] == [("Rita Risk", "approve")]
    assert len(body["control_model"]["layers"]) == 5
    assert_problem(api_as(charlie).get(_checklist_url(review, "evidence/")), 404)


# Authentication and schema


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", "controls/"),
        ("put", "controls/human-review/"),
        ("get", "data-sources/"),
        ("post", "data-sources/"),
        ("patch", "data-sources/1/"),
        ("post", "data-sources/1/link/"),
        ("delete", "data-sources/1/link/"),
        ("get", "risk/"),
        ("post", "risk/"),
    ],
)
def test_every_initiative_endpoint_needs_a_token(initiative, method, suffix):
    assert_problem(getattr(APIClient(), method)(_url(initiative, suffix), {}, format="json"), 401)


@pytest.mark.parametrize(("method", "suffix"), [("get", "checklist/"), ("post", "checklist/"), ("get", "evidence/")])
def test_every_review_endpoint_needs_a_token(review, method, suffix):
    assert_problem(getattr(APIClient(), method)(_checklist_url(review, suffix), {}, format="json"), 401)


def test_the_schema_documents_the_foundation_endpoints(client):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]

    expected = {
        "/api/v1/initiatives/{slug}/controls/": {"get"},
        "/api/v1/initiatives/{slug}/controls/{control_key}/": {"put"},
        "/api/v1/initiatives/{slug}/data-sources/": {"get", "post"},
        "/api/v1/initiatives/{slug}/data-sources/{source_id}/": {"patch"},
        "/api/v1/initiatives/{slug}/data-sources/{source_id}/link/": {"post", "delete"},
        "/api/v1/initiatives/{slug}/risk/": {"get", "post"},
        "/api/v1/gate-reviews/{id}/checklist/": {"get", "post"},
        "/api/v1/gate-reviews/{id}/evidence/": {"get"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) >= methods, path
