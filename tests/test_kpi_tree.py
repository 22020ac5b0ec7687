"""Outcome trees: validation a PM understands, templates, edits that are audited and make approvals stale."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from governance import services as governance
from governance.models import AuditEvent
from governance.snapshots import build_snapshot
from kpis import services
from kpis.catalogue import CTO_SET, PM_SET, TEMPLATES
from kpis.models import Kpi, Measurement
from tests.lifecycle import answer_checklist

HANDLE_TIME = {
    "key": "support-triage.handle-time",
    "name": "Average handling time",
    "unit": "minutes",
    "kind": "lagging",
    "direction": "decrease",
    "baseline_value": 12.0,
    "baseline_date": date(2026, 9, 1),
    "target_value": 9.6,
    "target_date": date(2026, 12, 1),
}
ASSISTED = {"unit": "%", "direction": "increase", "baseline_value": 0.0, "target_value": 60.0}
NO_BASELINE = dict.fromkeys(["baseline_value", "baseline_date", "target_value", "target_date"])


@pytest.fixture
def driver(initiative, alice):
    return services.add_driver(initiative.pk, acting_user=alice, name="Faster handling")


def add(initiative, user, driver, **overrides):
    return services.add_kpi(initiative.pk, acting_user=user, driver=driver, **{**HANDLE_TIME, **overrides})


def test_the_first_driver_creates_the_objective_from_the_outcome_statement(initiative, driver):
    assert initiative.objective.statement.startswith("Average handling time falls")
    assert AuditEvent.objects.filter(action="kpi_tree.driver_added", initiative_id=initiative.pk).exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"target_value": 14.0}, "target_value", "must be below its baseline"),
        ({"direction": "increase"}, "target_value", "must be above its baseline"),
        ({"kind": "guardrail"}, "guardrail_bound", "needs a bound"),
        ({"target_date": date(2026, 8, 1)}, "target_date", "after the baseline date"),
        ({"key": "Support Triage/Handle"}, "key", "lowercase letters"),
        ({"unit": ""}, "unit", "cannot be blank"),
    ],
)
def test_kpi_validation_names_the_field(initiative, alice, driver, overrides, field, message):
    with pytest.raises(ValidationError) as caught:
        add(initiative, alice, driver, **overrides)
    assert message in " ".join(caught.value.message_dict[field])
    assert not Kpi.objects.exists()


def test_keys_are_globally_unique(initiative, make_initiative, alice, driver):
    add(initiative, alice, driver)
    other = make_initiative("Other")
    other_driver = services.add_driver(other.pk, acting_user=alice, name="Drivers")
    with pytest.raises(ValidationError) as caught:
        add(other, alice, other_driver)
    assert "key" in caught.value.message_dict


def test_only_role_holders_edit_the_tree(initiative, charlie, rita, alice):
    with pytest.raises(PermissionDenied):
        services.add_driver(initiative.pk, acting_user=charlie, name="x")
    from initiatives.services import assign_role

    assign_role(initiative.pk, acting_user=alice, role="security-risk", user=rita)
    assert services.add_driver(initiative.pk, acting_user=rita, name="Risk signals").pk


def test_templates_carry_the_framework_kpi_sets():
    names = {k.name for kpis in CTO_SET.values() for k in kpis}
    assert {
        "Average inference latency",
        "Failure rate",
        "Guardrail trigger rate",
        "Prompt reuse percentage",
        "Compliance exception count",
        "Deployment frequency of AI-enabled features",
        "Rollback rate",
        "Audit-log completeness",
    } <= names
    assert {
        "Task completion time",
        "Share of tasks assisted by AI",
        "User satisfaction",
        "Human override rate",
        "Error correction time",
    } <= {k.name for kpis in PM_SET.values() for k in kpis}
    for template in TEMPLATES.values():
        for kpis in template.drivers.values():
            for spec in kpis:
                assert spec.kind != "guardrail" or spec.guardrail_bound is not None, spec


def test_applying_a_template_builds_the_tree_once(initiative, alice):
    created = services.apply_template(initiative.pk, acting_user=alice, template="support-triage")
    keys = {k.key for k in created}
    assert f"{initiative.slug}.handle-time" in keys and f"{initiative.slug}.time-reallocated" in keys
    assert initiative.objective.drivers.count() == 3
    assert services.apply_template(initiative.pk, acting_user=alice, template="support-triage") == []
    assert Kpi.objects.filter(initiative=initiative).count() == len(keys)


def test_an_unknown_template_is_a_validation_error(initiative, alice):
    with pytest.raises(ValidationError):
        services.apply_template(initiative.pk, acting_user=alice, template="nope")


def test_the_charter_gate_needs_a_leading_and_a_lagging_kpi_with_baseline_and_target(initiative, alice, driver):
    def verdict():
        return next(r for r in governance.criteria_for(initiative) if r.key == "kpis-leading-lagging")

    assert verdict().status == "fail"
    add(initiative, alice, driver)
    assert "leading" in verdict().reason
    add(
        initiative,
        alice,
        driver,
        key="support-triage.assisted",
        name="Assisted tickets",
        unit="%",
        kind="leading",
        direction="increase",
        baseline_value=0.0,
        target_value=60.0,
    )
    assert verdict().status == "pass"


def test_the_charter_gate_names_the_first_three_kpis_of_the_missing_kind_that_need_a_baseline(
    initiative, alice, driver
):
    add(initiative, alice, driver, key="support-triage.assisted", name="Assisted", kind="leading", **ASSISTED)
    add(initiative, alice, driver, key="support-triage.drafted", name="Drafted", kind="leading", **NO_BASELINE)
    for name in ("Wait", "Reopen", "Escalation", "Backlog"):
        add(initiative, alice, driver, key=f"support-triage.{name.lower()}", name=name, **NO_BASELINE)

    verdict = next(r for r in governance.criteria_for(initiative) if r.key == "kpis-leading-lagging")

    # The leading side is met, so the leading KPI without a baseline is not named.
    assert verdict.reason == (
        "Needs a lagging KPI with baseline and target (Wait, Reopen, Escalation still need a baseline and target)."
    )


def test_the_kpi_tree_snapshot_holds_the_objective_and_each_kpi(initiative, alice, driver):
    add(initiative, alice, driver)

    tree = build_snapshot(initiative)[0]["kpi_tree"]

    assert tree["objective"] == initiative.objective.statement != ""
    assert [(k["key"], k["driver"], k["baseline_value"]) for k in tree["kpis"]] == [
        ("support-triage.handle-time", "Faster handling", 12.0)
    ]


def test_the_kpi_tree_snapshot_of_an_initiative_without_a_tree_is_empty(initiative):
    assert build_snapshot(initiative)[0]["kpi_tree"] == {"objective": "", "kpis": []}


def test_a_tree_edit_after_approval_marks_it_stale(initiative, alice, sam, driver):
    kpi = add(initiative, alice, driver)
    review = governance.request_review(initiative.pk, acting_user=alice, override_reason="no leading KPI yet")
    answer_checklist(review, sam)
    approval = governance.decide(review.pk, acting_user=sam, decision="approve")
    services.update_kpi(kpi.pk, acting_user=alice, target_value=9.0)
    approval.refresh_from_db()
    assert approval.is_stale
    event = AuditEvent.objects.filter(action="kpi_tree.kpi_updated").latest("id")
    assert (event.before, event.after) == ({"target_value": 9.6}, {"target_value": 9.0})


def test_removing_a_kpi_with_data_must_be_confirmed(initiative, alice, driver):
    kpi = add(initiative, alice, driver)
    Measurement.objects.create(kpi=kpi, timestamp="2026-10-01T00:00:00Z", value=11)
    with pytest.raises(services.NeedsConfirmation):
        services.remove_kpi(kpi.pk, acting_user=alice)
    assert Kpi.objects.filter(pk=kpi.pk).exists()
    services.remove_kpi(kpi.pk, acting_user=alice, confirmed=True)
    assert not Kpi.objects.exists() and not Measurement.objects.exists()
    assert AuditEvent.objects.get(action="kpi_tree.kpi_removed").before["measurements"] == 1


def test_moving_a_kpi_reorders_its_driver(initiative, alice, driver):
    first = add(initiative, alice, driver)
    second = add(initiative, alice, driver, key="support-triage.first-response", name="First response")
    services.move_kpi(second.pk, acting_user=alice, offset=-1)
    assert list(driver.kpis.order_by("position").values_list("pk", flat=True)) == [second.pk, first.pk]


def test_tree_pages_add_edit_and_confirm_removal(client, initiative, alice, driver):
    client.force_login(alice)
    response = client.post(
        reverse("kpis:create", args=[initiative.slug]),
        {**HANDLE_TIME, "driver": driver.pk, "category": "outcome", "cadence": "weekly", "target_value": 15},
    )
    assert "must be below its baseline" in response.content.decode()
    client.post(
        reverse("kpis:create", args=[initiative.slug]),
        {**HANDLE_TIME, "driver": driver.pk, "category": "outcome", "cadence": "weekly"},
    )
    kpi = Kpi.objects.get()
    page = client.get(initiative.get_absolute_url(), {"tab": "tree"}).content.decode()
    assert "Average handling time" in page and 'id="outcome-tree"' in page
    Measurement.objects.create(kpi=kpi, timestamp="2026-10-01T00:00:00Z", value=11)
    ask = client.get(reverse("kpis:remove", args=[kpi.key])).content.decode()
    assert "has <strong>1</strong> measurements" in ask
    client.post(reverse("kpis:remove", args=[kpi.key]))  # no confirmation: asks again
    assert Kpi.objects.exists()
    client.post(reverse("kpis:remove", args=[kpi.key]), {"confirm": "yes"})
    assert not Kpi.objects.exists()


def test_kpi_page_draws_the_trend_from_local_plotly(client, initiative, alice, driver):
    kpi = add(initiative, alice, driver, kind="guardrail", guardrail_bound=14.0)
    Measurement.objects.create(kpi=kpi, timestamp="2026-10-01T00:00:00Z", value=11, source="api")
    Measurement.objects.create(kpi=kpi, timestamp="2026-10-02T00:00:00Z", value=10, source="csv")
    client.force_login(alice)
    response = client.get(kpi.get_absolute_url())
    html = response.content.decode()
    assert "/static/vendor/plotly-cartesian.min.js" in html and "cdn" not in html.lower()
    names = [trace["name"] for trace in response.context["figure"]["data"]]
    assert names == ["api", "csv", "Baseline", "Target path", "Guardrail bound"]


def test_outsiders_cannot_see_kpi_pages(client, initiative, alice, charlie, driver):
    kpi = add(initiative, alice, driver)
    client.force_login(charlie)
    assert client.get(kpi.get_absolute_url()).status_code == 404
