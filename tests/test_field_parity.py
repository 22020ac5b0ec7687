"""One rule on every path: the page, the API and the admin refuse the same input with the same message.

Each editable model declares its editable fields once (`EDITABLE_FIELDS`) and its rules once (its
`clean()` or its service). Every violation in the tables below goes through the real page (a form
POST) and through the API, and where the admin edits the model, through the admin form; each path
must name the same field with the same message and store nothing.
"""

from datetime import date
from decimal import Decimal
from inspect import signature

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape

from governance.foundation import services as foundation
from governance.foundation.forms import ControlForm, DataSourceForm
from governance.foundation.serializers import ControlInputSerializer, DataSourceInputSerializer
from governance.library import services as library
from governance.library.forms import AssetForm, PublishVersionForm
from governance.library.serializers import AssetCreateSerializer, AssetUpdateSerializer, AssetVersionCreateSerializer
from governance.models import (
    Asset,
    AssetVersion,
    AuditEvent,
    ChecklistItem,
    Control,
    DataSource,
    GateReview,
    InitiativeControl,
)
from initiatives import services as initiative_services
from initiatives.admin import CharterInline, InitiativeAdmin
from initiatives.forms import NOT_AN_ACTIVE_USER, CharterForm, InitiativeForm, RoleAssignmentForm
from initiatives.models import Charter, Initiative, Role, RoleAssignment
from initiatives.serializers import (
    CharterSerializer,
    InitiativeSerializer,
    InitiativeUpdateSerializer,
    RoleAssignmentSerializer,
)
from kpis import services as kpi_services
from kpis.forms import KpiForm
from kpis.models import Kpi
from kpis.serializers import KpiSerializer, KpiUpdateSerializer
from opmodel.api import StrictModelSerializer, writable_fields
from opmodel.fields import LimitedTextField
from tests.lifecycle import api_as, assert_problem, give_role, request

pytestmark = pytest.mark.django_db

PLAN_ORDER = "The 90-day plan dates must run in order: day 1, day 30, day 60, day 90."
REQUIRED = "This field is required."
AT_LEAST_ZERO = "Ensure this value is greater than or equal to 0."
INACTIVE = "@inactive"  # stands for a deactivated user: a pk in a page's form, a username in the API


def choice(value: str) -> str:
    return f"Select a valid choice. {value} is not one of the available choices."


def too_long(limit: int) -> str:
    return f"Ensure this value has at most {limit} characters (it has {limit + 1})."


@pytest.fixture
def gone(db):
    return User.objects.create_user("gone", first_name="Gone", last_name="Away", is_active=False)


# ---- how each path is driven and read -------------------------------------------------------------


def form_data(form) -> dict:
    """What the browser posts for this form as it is shown (its current values), keyed by input name."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field, forms.BooleanField):
            if value:
                data[form.add_prefix(name)] = "on"
            continue
        if isinstance(value, (list, tuple)):
            data[form.add_prefix(name)] = [str(v) for v in value]
            continue
        data[form.add_prefix(name)] = "" if value is None else str(value)
    return data


def for_page(values: dict, gone: User, prefix: str = "") -> dict:
    out = {}
    for name, value in values.items():
        key = f"{prefix}-{name}" if prefix else name
        if value is INACTIVE:
            value = gone.pk
        if value is True:
            value = "on"
        if value is False or value is None:
            value = ""
        out[key] = str(value)
    return out


def for_api(values: dict, gone: User) -> dict:
    return {name: gone.username if value is INACTIVE else value for name, value in values.items()}


def page_errors(response, form) -> dict[str, list[str]]:
    """The errors of the form the page shows again, after checking each message is on the page."""
    assert response.status_code == 200, response.status_code  # shown again, not saved and redirected
    errors = {name: [str(m) for m in messages] for name, messages in form.errors.items()}
    for messages in errors.values():
        for message in messages:
            assert escape(message) in response.content.decode()
    return errors


def api_errors(response) -> dict[str, list[str]]:
    body = assert_problem(response, 400)
    errors: dict[str, list[str]] = {}
    for error in body["errors"]:
        errors.setdefault(error["field"], []).append(error["message"])
    return errors


def assert_same_refusal(field: str, message: str, **paths: dict[str, list[str]]) -> None:
    for path, errors in paths.items():
        assert message in errors.get(field, []), f"{path} said {errors}, not “{message}” on {field}"


# ---- the charter -----------------------------------------------------------------------------------

CHARTER_VIOLATIONS = [
    ({"plan_start_on": "2026-06-01", "launch_due_on": "2026-05-01"}, "launch_due_on", PLAN_ORDER),
    ({"plan_start_on": "2026-05-01", "scorecard_due_on": "2026-04-30"}, "scorecard_due_on", PLAN_ORDER),
    (
        {"scorecard_due_on": "2026-06-01", "foundation_due_on": "2026-07-01", "launch_due_on": "2026-06-15"},
        "launch_due_on",
        PLAN_ORDER,
    ),
    ({"cost_per_1000_inferences": "-0.50"}, "cost_per_1000_inferences", AT_LEAST_ZERO),
    ({"expected_monthly_volume": -1}, "expected_monthly_volume", AT_LEAST_ZERO),
    ({"target_cohort_size": -1}, "target_cohort_size", AT_LEAST_ZERO),
    ({"adoption_target": 101}, "adoption_target", "Ensure this value is less than or equal to 100."),
    ({"adoption_target": -5}, "adoption_target", AT_LEAST_ZERO),
    ({"owner": INACTIVE}, "owner", NOT_AN_ACTIVE_USER),
    ({"problem_user": "x" * 301}, "problem_user", too_long(300)),
    ({"outcome_statement": "x" * 1001}, "outcome_statement", too_long(1000)),
    ({"reuse_plan": "x" * 1001}, "reuse_plan", too_long(1000)),
]


@pytest.mark.parametrize(("values", "field", "message"), CHARTER_VIOLATIONS)
def test_the_charter_page_and_api_refuse_alike(client, initiative, alice, gone, values, field, message):
    before = initiative_services.charter_state(initiative.charter)
    rest = api_as(alice)
    events = AuditEvent.objects.count()
    client.force_login(alice)
    url = reverse("initiatives:charter", args=[initiative.slug])

    page = client.post(url, {**form_data(CharterForm(instance=initiative.charter)), **for_page(values, gone)})
    api = rest.patch(f"/api/v1/initiatives/{initiative.slug}/charter/", for_api(values, gone), format="json")

    assert_same_refusal(field, message, page=page_errors(page, page.context["form"]), api=api_errors(api))
    initiative.charter.refresh_from_db()
    assert initiative_services.charter_state(initiative.charter) == before
    assert AuditEvent.objects.count() == events


def test_the_charter_risk_answers_are_written_by_the_api_and_raise_the_risk_tier(initiative, alice):
    response = api_as(alice).patch(
        f"/api/v1/initiatives/{initiative.slug}/charter/",
        {"customer_facing": True, "automated_decisions": True},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert (response.json()["customer_facing"], response.json()["automated_decisions"]) == (True, True)
    initiative.refresh_from_db()
    assert (initiative.charter.customer_facing, initiative.charter.automated_decisions) == (True, True)
    assert initiative.risk_tier == Initiative.RiskTier.HIGH
    assert "decisions take effect without human review" in initiative.risk_reason
    event = AuditEvent.objects.get(action="initiative.risk_tier_changed")
    assert event.after["because"] == "the charter's risk answers changed"


def test_a_plan_in_order_and_a_cost_are_stored_by_both_paths(client, initiative, alice):
    client.force_login(alice)
    url = reverse("initiatives:charter", args=[initiative.slug])
    data = {**form_data(CharterForm(instance=initiative.charter)), "plan_start_on": "2026-05-01"}
    data.update(launch_due_on="2026-07-30", cost_per_1000_inferences="0")

    assert client.post(url, data).status_code == 302
    response = api_as(alice).patch(
        f"/api/v1/initiatives/{initiative.slug}/charter/", {"cost_per_1000_inferences": "1.25"}, format="json"
    )

    assert response.status_code == 200, response.content
    initiative.charter.refresh_from_db()
    assert (initiative.charter.plan_start_on, initiative.charter.launch_due_on) == (date(2026, 5, 1), date(2026, 7, 30))
    assert initiative.charter.cost_per_1000_inferences == Decimal("1.25")


# ---- the initiative --------------------------------------------------------------------------------

INITIATIVE_VIOLATIONS = [
    ({"title": ""}, "title", REQUIRED),
    ({"title": "x" * 201}, "title", too_long(200)),
    ({"business_unit": ""}, "business_unit", REQUIRED),
    ({"risk_tier": "extreme"}, "risk_tier", choice("extreme")),
    (
        {"risk_tier": "low"},
        "risk_tier",
        "The charter and data sources call for high risk: decisions take effect without human review.",
    ),
]


@pytest.mark.parametrize(("values", "field", "message"), INITIATIVE_VIOLATIONS)
def test_the_initiative_page_and_api_refuse_alike(client, make_initiative, lee, gone, values, field, message):
    initiative = make_initiative(automated_decisions=True)  # the data calls for high risk
    before = initiative_services._initiative_state(initiative)
    client.force_login(lee)  # a portfolio leader may set the risk tier, so only the rule refuses it
    url = reverse("initiatives:edit", args=[initiative.slug])

    page = client.post(url, {**form_data(InitiativeForm(instance=initiative)), **for_page(values, gone)})
    api = api_as(lee).patch(f"/api/v1/initiatives/{initiative.slug}/", for_api(values, gone), format="json")

    assert_same_refusal(field, message, page=page_errors(page, page.context["form"]), api=api_errors(api))
    initiative.refresh_from_db()
    assert initiative_services._initiative_state(initiative) == before


# ---- KPIs of the outcome tree ----------------------------------------------------------------------

NEW_KPI = {
    "key": "support-triage.first-response",
    "name": "First response time",
    "unit": "minutes",
    "kind": "lagging",
    "direction": "decrease",
    "category": "outcome",
    "cadence": "weekly",
}
KPI_VIOLATIONS = [
    ({"kind": "guardrail"}, "guardrail_bound", "A guardrail needs a bound: the worst value it may reach."),
    (
        {"baseline_value": 10, "target_value": 12},
        "target_value",
        "This KPI should decrease, so its target must be below its baseline.",
    ),
    (
        {"direction": "increase", "baseline_value": 10, "target_value": 5},
        "target_value",
        "This KPI should increase, so its target must be above its baseline.",
    ),
    (
        {"baseline_date": "2026-06-01", "target_date": "2026-05-01"},
        "target_date",
        "The target date must come after the baseline date.",
    ),
    ({"key": "Support Triage"}, "key", Kpi._meta.get_field("key").validators[0].message),
    ({"key": "support-triage.handle-time"}, "key", "KPI with this Key already exists."),
    ({"name": ""}, "name", REQUIRED),
    ({"unit": "x" * 41}, "unit", too_long(40)),
    ({"cadence": "hourly"}, "cadence", choice("hourly")),
    ({"owner": INACTIVE}, "owner", NOT_AN_ACTIVE_USER),
    ({"cohort": "champions"}, "cohort", choice("champions")),
    ({"cohort": "power"}, "unit", "A cohort KPI counts a share of the target cohort: its unit is %."),
]


@pytest.mark.parametrize(("values", "field", "message"), KPI_VIOLATIONS)
def test_a_new_kpi_is_refused_alike_by_the_page_and_the_api(client, kpi, alice, gone, values, field, message):
    initiative = kpi.initiative
    client.force_login(alice)
    new = {**NEW_KPI, **values}
    url = reverse("kpis:create", args=[initiative.slug])

    page = client.post(url, {**for_page(new, gone), "driver": str(kpi.driver_id)})
    api = api_as(alice).post(
        "/api/v1/kpis/",
        {**for_api(new, gone), "initiative": initiative.slug, "driver": kpi.driver.name},
        format="json",
    )

    assert_same_refusal(field, message, page=page_errors(page, page.context["form"]), api=api_errors(api))
    assert list(Kpi.objects.values_list("key", flat=True)) == [kpi.key]


KPI_EDIT_VIOLATIONS = [
    ({"kind": "guardrail"}, "guardrail_bound", "A guardrail needs a bound: the worst value it may reach."),
    (
        {"baseline_value": 10, "target_value": 12},
        "target_value",
        "This KPI should decrease, so its target must be below its baseline.",
    ),
    (
        {"baseline_date": "2026-06-01", "target_date": "2026-06-01"},
        "target_date",
        "The target date must come after the baseline date.",
    ),
    ({"direction": "sideways"}, "direction", choice("sideways")),
    ({"cohort": "occasional"}, "unit", "A cohort KPI counts a share of the target cohort: its unit is %."),
    (
        {"cohort": "power", "unit": "%"},
        "cohort",
        "This initiative counts its power users already, in Power users in target cohort (support-triage.power-users).",
    ),
]


@pytest.mark.parametrize(("values", "field", "message"), KPI_EDIT_VIOLATIONS)
def test_a_kpi_edit_is_refused_alike_by_the_page_and_the_api(client, kpi, alice, gone, values, field, message):
    kpi_services.add_kpi(  # the cohort a second KPI may not count again
        kpi.initiative_id,
        acting_user=alice,
        driver=kpi.driver,
        key="support-triage.power-users",
        name="Power users in target cohort",
        unit="%",
        kind=Kpi.Kind.LEADING,
        direction=Kpi.Direction.INCREASE,
        cohort=Kpi.Cohort.POWER,
    )
    before = kpi_services.kpi_state(kpi)
    client.force_login(alice)
    shown = KpiForm(instance=kpi, initiative=kpi.initiative)

    page = client.post(reverse("kpis:edit", args=[kpi.key]), {**form_data(shown), **for_page(values, gone)})
    api = api_as(alice).patch(f"/api/v1/kpis/{kpi.key}/", for_api(values, gone), format="json")

    assert_same_refusal(field, message, page=page_errors(page, page.context["form"]), api=api_errors(api))
    kpi.refresh_from_db()
    assert kpi_services.kpi_state(kpi) == before


# ---- the foundation: data sources and controls -----------------------------------------------------

SOURCE_VIOLATIONS = [
    ({"name": ""}, "name", REQUIRED),
    ({"name": "Ticket history"}, "name", "Data source with this Name already exists."),
    ({"system": ""}, "system", REQUIRED),
    ({"freshness_sla_hours": -1}, "freshness_sla_hours", AT_LEAST_ZERO),
    ({"classification": "secret"}, "classification", choice("secret")),
    ({"owner": INACTIVE}, "owner", NOT_AN_ACTIVE_USER),
    ({"name": "x" * 151}, "name", too_long(150)),
    ({"retrieval_scope": "x" * 1001}, "retrieval_scope", too_long(1000)),
]


@pytest.mark.parametrize(("values", "field", "message"), SOURCE_VIOLATIONS)
def test_a_data_source_is_refused_alike_by_the_page_and_the_api(
    client, initiative, alice, gone, values, field, message
):
    foundation.save_data_source(initiative.pk, acting_user=alice, name="Ticket history", system="Zendesk")
    new = {"name": "CRM exports", "system": "Salesforce", **values}
    client.force_login(alice)

    page = client.post(
        reverse("governance:foundation", args=[initiative.slug]),
        {"action": "add-source", **for_page(new, gone, prefix="new")},
    )
    api = api_as(alice).post(f"/api/v1/initiatives/{initiative.slug}/data-sources/", for_api(new, gone), format="json")

    assert_same_refusal(field, message, page=page_errors(page, page.context["source_form"]), api=api_errors(api))
    assert list(DataSource.objects.values_list("name", flat=True)) == ["Ticket history"]


CONTROL_VIOLATIONS = [
    (
        {"status": "in-place", "evidence": "  "},
        "evidence",
        "Give the evidence that it is in place: a link or a short description.",
    ),
    ({"status": "waived"}, "waiver_reason", "Say why the control is waived; approvers read it."),
    ({"status": "done"}, "status", choice("done")),
    ({"status": "in-place", "evidence": "x" * 1001}, "evidence", too_long(1000)),
]


@pytest.mark.parametrize(("values", "field", "message"), CONTROL_VIOLATIONS)
def test_a_control_status_is_refused_alike_by_the_page_and_the_api(
    client, initiative, lee, gone, values, field, message
):
    control = Control.objects.filter(is_active=True).first()
    client.force_login(lee)

    page = client.post(
        reverse("governance:foundation", args=[initiative.slug]),
        {"action": "control", "control": control.key, **for_page(values, gone, prefix=control.key)},
    )
    api = api_as(lee).put(
        f"/api/v1/initiatives/{initiative.slug}/controls/{control.key}/", for_api(values, gone), format="json"
    )

    shown = next(
        row["form"] for layer in page.context["layers"] for row in layer["rows"] if row["row"].control == control
    )
    assert_same_refusal(field, message, page=page_errors(page, shown), api=api_errors(api))
    assert not InitiativeControl.objects.exists()


# ---- roles -----------------------------------------------------------------------------------------

ROLE_VIOLATIONS = [
    ({"role": "wizard", "user": "@dana"}, "role", choice("wizard")),
    ({"role": Role.DATA_PLATFORM.value, "user": INACTIVE}, "user", NOT_AN_ACTIVE_USER),
]


@pytest.mark.parametrize(("values", "field", "message"), ROLE_VIOLATIONS)
def test_a_role_assignment_is_refused_alike_by_the_page_and_the_api(
    client, initiative, alice, dana, gone, values, field, message
):
    assigned = RoleAssignment.objects.count()
    client.force_login(alice)
    page_values = {k: dana.pk if v == "@dana" else v for k, v in values.items()}
    api_values = {k: dana.username if v == "@dana" else v for k, v in values.items()}

    page = client.post(reverse("initiatives:role_assign", args=[initiative.slug]), for_page(page_values, gone))
    api = api_as(alice).post(f"/api/v1/initiatives/{initiative.slug}/roles/", for_api(api_values, gone), format="json")

    # The role picker is a panel of the initiative page: a refused pick comes back on a page of its own.
    assert_same_refusal(field, message, page=page_errors(page, page.context["form"]), api=api_errors(api))
    assert RoleAssignment.objects.count() == assigned


# ---- the library: assets, versions, and the admin's asset form -------------------------------------

PROMPT = "Route the ticket {{ticket_text}} to a queue."
NEW_ASSET = {"name": "Ticket triage prompt", "type": "prompt-template", "content": PROMPT, "changelog": "First."}
ASSET_VIOLATIONS = [
    ({"name": ""}, "name", REQUIRED),
    ({"type": "poem"}, "type", choice("poem")),
    ({"content": "   \r\n  "}, "content", "The content is empty."),
    (
        {"content": "Route the ticket to a queue."},
        "content",
        "A prompt template names its inputs as variables, e.g. {{ticket_text}}; none found.",
    ),
    ({"owner_team": "x" * 101}, "owner_team", too_long(100)),
    ({"changelog": ""}, "changelog", REQUIRED),
    ({"description": "x" * 5001}, "description", too_long(5000)),
    ({"changelog": "x" * 5001}, "changelog", too_long(5000)),
]


@pytest.mark.parametrize(("values", "field", "message"), ASSET_VIOLATIONS)
def test_a_new_asset_is_refused_alike_by_the_page_and_the_api(client, dana, gone, values, field, message):
    new = {**NEW_ASSET, **values}
    client.force_login(dana)

    page = client.post(reverse("governance:asset_create"), for_page(new, gone))
    api = api_as(dana).post("/api/v1/assets/", for_api(new, gone), format="json")

    assert_same_refusal(field, message, page=page_errors(page, page.context["form"]), api=api_errors(api))
    assert not Asset.objects.exists()


@pytest.fixture
def prompt(dana):
    return library.create_asset(acting_user=dana, name="Ticket triage prompt", type="prompt-template", content=PROMPT)


VERSION_VIOLATIONS = [
    ({"content": PROMPT + "\nCite the policy.", "changelog": " "}, "changelog", library.CHANGELOG_NEEDED),
    # The service makes line ends LF on every path, so CRLF is no change.
    ({"content": PROMPT.replace(" ", "\r\n"), "changelog": "Same."}, "content", "Identical to v2; nothing to publish."),
    ({"content": "", "changelog": "Emptied."}, "content", REQUIRED),
    (
        {"content": "No variables.", "changelog": "Broke."},
        "content",
        "A prompt template names its inputs as variables, e.g. {{ticket_text}}; none found.",
    ),
    ({"content": PROMPT + "\nCite the policy.", "changelog": "x" * 5001}, "changelog", too_long(5000)),
]


@pytest.mark.parametrize(("values", "field", "message"), VERSION_VIOLATIONS)
def test_a_new_version_is_refused_alike_by_the_page_and_the_api(client, prompt, dana, gone, values, field, message):
    library.publish_version(prompt.pk, acting_user=dana, content=PROMPT.replace(" ", "\n"), changelog="One per line.")
    versions = list(AssetVersion.objects.values_list("pk", flat=True))
    client.force_login(dana)

    page = client.post(reverse("governance:asset_detail", args=[prompt.slug]), for_page(values, gone))
    api = api_as(dana).post(f"/api/v1/assets/{prompt.slug}/versions/", for_api(values, gone), format="json")

    assert_same_refusal(field, message, page=page_errors(page, page.context["publish_form"]), api=api_errors(api))
    assert list(AssetVersion.objects.values_list("pk", flat=True)) == versions


def test_asset_content_is_stored_with_lf_line_ends_whichever_path_sent_it(client, dana):
    client.force_login(dana)
    crlf = "# Escalation\r\n\r\nCall tier 2.\r\n"
    page_asset = {**NEW_ASSET, "name": "Escalation (page)", "type": "playbook", "content": crlf}
    api_asset = {**NEW_ASSET, "name": "Escalation (API)", "type": "playbook", "content": crlf}

    assert client.post(reverse("governance:asset_create"), page_asset).status_code == 302
    assert api_as(dana).post("/api/v1/assets/", api_asset, format="json").status_code == 201

    stored = list(AssetVersion.objects.order_by("asset__name").values_list("content", "checksum"))
    assert stored[0] == stored[1]
    assert stored[0][0] == "# Escalation\n\nCall tier 2.\n"


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", "root@example.com", "pw-for-tests-only")


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"owner_team": "x" * 101}, "owner_team", too_long(100)),
        ({"description": "x" * 5001}, "description", too_long(5000)),
    ],
)
def test_the_admin_and_the_api_refuse_an_asset_change_alike(client, prompt, root, values, field, message):
    version = prompt.versions.get()
    client.force_login(root)
    data = {
        "description": "Routes tickets.",
        "owner_team": "",
        **values,
        "tags": [],
        "versions-TOTAL_FORMS": "1",
        "versions-INITIAL_FORMS": "1",
        "versions-0-id": str(version.pk),
        "versions-0-asset": str(prompt.pk),
        "labels-TOTAL_FORMS": "0",
        "labels-INITIAL_FORMS": "0",
    }

    page = client.post(f"/admin/governance/asset/{prompt.pk}/change/", data)
    api = api_as(root).patch(f"/api/v1/assets/{prompt.slug}/", values, format="json")

    shown = page.context["adminform"].form
    assert_same_refusal(field, message, admin=page_errors(page, shown), api=api_errors(api))
    prompt.refresh_from_db()
    assert (prompt.description, prompt.owner_team) == ("", "")
    assert not AuditEvent.objects.filter(action="asset.updated").exists()


# ---- the texts a decision, a request, a risk reason and a checklist answer carry ---------------------

LONG = "x" * 5001


@pytest.fixture
def review(initiative, alice):
    return request(initiative, alice)


def test_a_decision_comment_over_its_limit_is_refused_alike(client, review, sam):
    client.force_login(sam)
    values = {"decision": "request-changes", "comment": LONG}

    page = client.post(reverse("governance:approval_detail", args=[review.pk]), values)
    api = api_as(sam).post(f"/api/v1/gate-reviews/{review.pk}/decisions/", values, format="json")

    assert_same_refusal("comment", too_long(5000), page=page_errors(page, page.context["form"]), api=api_errors(api))
    assert not review.decisions.exists()


def test_an_override_reason_over_its_limit_is_refused_alike(client, initiative, alice):
    client.force_login(alice)

    page = client.post(reverse("initiatives:review_request", args=[initiative.slug]), {"override_reason": LONG})
    api = api_as(alice).post(
        "/api/v1/gate-reviews/", {"initiative": initiative.slug, "override_reason": LONG}, format="json"
    )

    errors = {"page": page_errors(page, page.context["form"]), "api": api_errors(api)}
    assert_same_refusal("override_reason", too_long(5000), **errors)
    assert not GateReview.objects.exists()


def test_a_risk_reason_over_its_limit_is_refused_alike(client, initiative, lee):
    before = (initiative.risk_tier, initiative.risk_floor_reason)
    client.force_login(lee)

    page = client.post(
        reverse("governance:foundation", args=[initiative.slug]),
        {"action": "raise-tier", "risk_tier": "high", "reason": LONG},
    )
    api = api_as(lee).post(
        f"/api/v1/initiatives/{initiative.slug}/risk/", {"tier": "high", "reason": LONG}, format="json"
    )

    assert_same_refusal(
        "reason", too_long(5000), page=page_errors(page, page.context["tier_form"]), api=api_errors(api)
    )
    initiative.refresh_from_db()
    assert (initiative.risk_tier, initiative.risk_floor_reason) == before


def test_a_checklist_note_over_its_limit_is_refused_alike(client, review, sam):
    item = ChecklistItem.objects.filter(gate=review.gate).first()
    client.force_login(sam)

    page = client.post(
        reverse("governance:checklist_answer", args=[review.pk]),
        {"item": item.pk, f"q{item.pk}-answer": "no", f"q{item.pk}-note": LONG},
    )
    api = api_as(sam).post(
        f"/api/v1/gate-reviews/{review.pk}/checklist/", {"item": item.pk, "answer": "no", "note": LONG}, format="json"
    )

    shown = next(row["form"] for row in page.context["checklist"] if row["item"] == item)
    assert_same_refusal("note", too_long(5000), page=page_errors(page, shown), api=api_errors(api))
    assert not review.checklist_answers.exists()


# ---- fields a client may not set ---------------------------------------------------------------------


@pytest.fixture
def targets(initiative, kpi, alice, dana, lee, prompt):
    source = foundation.save_data_source(initiative.pk, acting_user=alice, name="Ticket history", system="Zendesk")
    give_role(initiative, Role.PLATFORM_ENGINEERING, dana, by=alice)
    slug = initiative.slug
    control = Control.objects.filter(is_active=True).first().key
    return {
        "charter": ("patch", f"/api/v1/initiatives/{slug}/charter/", {"scope": "EMEA"}),
        "initiative": ("patch", f"/api/v1/initiatives/{slug}/", {"title": "Triage copilot"}),
        "new initiative": ("post", "/api/v1/initiatives/", {"title": "Contract copilot", "business_unit": "Legal"}),
        "kpi": ("patch", f"/api/v1/kpis/{kpi.key}/", {"name": "Handling time"}),
        "role": ("post", f"/api/v1/initiatives/{slug}/roles/", {"role": "enablement", "user": "dana"}),
        "data source": ("patch", f"/api/v1/initiatives/{slug}/data-sources/{source.pk}/", {"system": "Jira"}),
        "control": ("put", f"/api/v1/initiatives/{slug}/controls/{control}/", {"status": "missing"}),
        "asset": ("patch", f"/api/v1/assets/{prompt.slug}/", {"description": "Routes tickets."}),
        "version": ("post", f"/api/v1/assets/{prompt.slug}/versions/", {"content": PROMPT + " v2", "changelog": "x"}),
    }


REFUSED_KEYS = [
    ("charter", "ownr", "Unknown field"),
    ("charter", "updated_at", "Read-only field"),
    ("charter", "is_complete", "Read-only field"),
    ("charter", "initiative", "Read-only field"),
    ("initiative", "stage", "Read-only field"),
    ("initiative", "status", "Read-only field"),
    ("initiative", "slug", "Read-only field"),
    ("initiative", "customer_facing", "Unknown field"),
    ("new initiative", "stage", "Read-only field"),
    ("new initiative", "risk", "Unknown field"),
    ("kpi", "key", "Read-only field"),
    ("kpi", "initiative", "Read-only field"),
    ("kpi", "target", "Unknown field"),
    ("role", "assigned_by", "Read-only field"),
    ("role", "accepted_at", "Read-only field"),
    ("data source", "initiatives", "Read-only field"),
    ("data source", "classfication", "Unknown field"),
    ("control", "updated_by", "Read-only field"),
    ("control", "waiver", "Unknown field"),
    ("asset", "name", "Read-only field"),
    ("asset", "owner", "Read-only field"),
    ("version", "checksum", "Read-only field"),
    ("version", "number", "Read-only field"),
]


@pytest.mark.parametrize(("target", "key", "message"), REFUSED_KEYS)
def test_a_body_naming_a_field_the_api_does_not_write_is_a_400_naming_it(targets, lee, target, key, message):
    method, url, valid = targets[target]
    client = api_as(lee)
    events = AuditEvent.objects.count()

    response = getattr(client, method)(url, {**valid, key: "x"}, format="json")

    body = assert_problem(response, 400, key)
    assert [e["message"].startswith(message) for e in body["errors"] if e["field"] == key] == [True]
    assert AuditEvent.objects.count() == events  # nothing of the body was written
    assert getattr(client, method)(url, valid, format="json").status_code in (200, 201)


def test_an_unknown_field_names_what_the_request_accepts(initiative, alice):
    response = api_as(alice).patch(f"/api/v1/initiatives/{initiative.slug}/", {"titel": "x"}, format="json")

    body = assert_problem(response, 400, "titel")
    assert body["errors"] == [
        {
            "field": "titel",
            "message": "Unknown field; this request accepts: title, business_unit, risk_tier, started_on.",
        }
    ]


def test_the_schema_says_request_bodies_take_no_other_fields(client, alice):
    client.force_login(alice)
    schemas = client.get("/api/schema/?format=json").json()["components"]["schemas"]

    for name in ("PatchedCharterRequest", "PatchedInitiativeUpdateRequest", "KpiRequest", "DataSourceInputRequest"):
        assert schemas[name]["additionalProperties"] is False, name
    assert set(schemas["PatchedCharterRequest"]["properties"]) == set(Charter.EDITABLE_FIELDS)


# ---- one list per model: form, serializer, service and admin ----------------------------------------


def admin_editable(model_admin, request) -> set[str]:
    fields = set(model_admin.get_fields(request))
    return fields - set(model_admin.get_readonly_fields(request))


def test_each_path_edits_exactly_the_model_s_declared_fields(rf, kpi, root):
    request = rf.get("/")
    request.user = root
    initiative = kpi.initiative

    assert tuple(InitiativeForm().fields) == Initiative.EDITABLE_FIELDS
    assert writable_fields(InitiativeUpdateSerializer()) == list(Initiative.EDITABLE_FIELDS)
    assert writable_fields(InitiativeSerializer()) == ["slug", *Initiative.EDITABLE_FIELDS]  # a slug at creation

    assert tuple(CharterForm().fields) == Charter.EDITABLE_FIELDS
    assert writable_fields(CharterSerializer()) == list(Charter.EDITABLE_FIELDS)

    assert set(KpiForm(initiative=initiative).fields) == {*Kpi.CREATE_ONLY_FIELDS, *Kpi.EDITABLE_FIELDS}
    assert writable_fields(KpiSerializer()) == [*Kpi.CREATE_ONLY_FIELDS, "initiative", *Kpi.EDITABLE_FIELDS]
    assert writable_fields(KpiUpdateSerializer()) == list(Kpi.EDITABLE_FIELDS)

    assert tuple(RoleAssignmentForm().fields) == RoleAssignment.EDITABLE_FIELDS
    assert writable_fields(RoleAssignmentSerializer()) == list(RoleAssignment.EDITABLE_FIELDS)

    assert tuple(DataSourceForm().fields) == DataSource.EDITABLE_FIELDS
    assert writable_fields(DataSourceInputSerializer()) == list(DataSource.EDITABLE_FIELDS)

    assert tuple(ControlForm().fields) == InitiativeControl.EDITABLE_FIELDS
    assert writable_fields(ControlInputSerializer()) == list(InitiativeControl.EDITABLE_FIELDS)

    assert writable_fields(AssetUpdateSerializer()) == list(Asset.EDITABLE_FIELDS)
    assert admin_editable(admin.site._registry[Asset], request) == set(Asset.EDITABLE_FIELDS)
    assert set(AssetForm().fields) == set(AssetCreateSerializer().fields)
    assert tuple(PublishVersionForm().fields) == AssetVersion.EDITABLE_FIELDS
    assert writable_fields(AssetVersionCreateSerializer()) == list(AssetVersion.EDITABLE_FIELDS)

    # The admin shows initiatives and charters without editing them: the pages and the API do, audited.
    initiative_admin = admin.site._registry[Initiative]
    assert isinstance(initiative_admin, InitiativeAdmin)
    assert not initiative_admin.has_change_permission(request, initiative)
    charter_inline = CharterInline(Initiative, admin.site)
    assert tuple(charter_inline.fields) == tuple(charter_inline.readonly_fields) == Charter.EDITABLE_FIELDS
    assert not charter_inline.has_change_permission(request, initiative)


@pytest.mark.parametrize(
    ("write", "field"),
    [
        (lambda i, k, u: initiative_services.update_charter(i.pk, acting_user=u, updated_at=None), "updated_at"),
        (lambda i, k, u: initiative_services.update_initiative(i.pk, acting_user=u, stage="scaled"), "stage"),
        (lambda i, k, u: kpi_services.update_kpi(k.pk, acting_user=u, key="other.key"), "key"),
        (lambda i, k, u: kpi_services.add_kpi(i.pk, acting_user=u, driver=k.driver, position=3), "position"),
        (lambda i, k, u: foundation.save_data_source(i.pk, acting_user=u, name="X", system="Y", id=9), "id"),
    ],
)
def test_the_services_write_only_the_declared_fields(kpi, alice, write, field):
    with pytest.raises(ValidationError) as refused:
        write(kpi.initiative, kpi, alice)

    assert list(refused.value.message_dict) == [field]


def test_the_library_services_take_exactly_the_declared_fields():
    assert set(Asset.EDITABLE_FIELDS) <= set(signature(library.update_asset).parameters)
    assert set(AssetVersion.EDITABLE_FIELDS) <= set(signature(library.publish_version).parameters)


def refusal(check, value) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        check(value)
    return refused.value.messages


def limited_texts() -> list:
    return [
        pytest.param(model, field.name, id=f"{model.__name__}.{field.name}")
        for model in apps.get_models()
        for field in model._meta.fields
        if isinstance(field, LimitedTextField)
    ]


@pytest.mark.parametrize(("model", "name"), limited_texts())
def test_every_limited_text_is_refused_alike_by_the_model_its_form_field_and_its_serializer(model, name):
    """The limit lives on the model field: full_clean, the form field it makes (ModelForms: the pages and the
    admin) and a ModelSerializer (the API) refuse one character more in the same words, and the page's
    textarea carries the limit for its counter."""
    model_field = model._meta.get_field(name)
    too_much = "x" * (model_field.max_length + 1)
    form_field = model_field.formfield()
    serializer = type("Input", (StrictModelSerializer,), {"Meta": type("Meta", (), {"model": model, "fields": [name]})})
    api = serializer(data={name: too_much})
    api.is_valid()

    said = {
        "model": refusal(lambda text: model_field.clean(text, model()), too_much),
        "form": refusal(form_field.clean, too_much),
        "api": [str(m) for m in api.errors.get(name, [])],
    }
    assert said == dict.fromkeys(("model", "form", "api"), [too_long(model_field.max_length)])
    assert form_field.widget.attrs["maxlength"] == str(model_field.max_length)
