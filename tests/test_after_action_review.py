"""The after-action review: what work AI removed, what replaced it, what result followed, and the KPIs that
show it (framework step three). The scale-out gate asks for it; the page, the API and the admin share its
fields; the decision pack and the evidence export show it; every write is audited."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from governance.criteria import evaluate, evaluated_as_of
from governance.errors import TransitionError
from governance.foundation.evidence import gate_evidence
from governance.models import AuditEvent, Gate
from initiatives.models import Initiative, Stage
from kpis import services as kpi_services
from kpis.admin import AfterActionReviewAdmin
from kpis.forms import AfterActionReviewForm
from kpis.models import AfterActionReview, Kpi
from kpis.serializers import AfterActionReviewSerializer
from opmodel.api import writable_fields
from tests.lifecycle import actions, api_as, assert_problem, last_event_id, request
from tests.scorecards import assert_sql_matches_python, compute_many
from tests.test_field_parity import REQUIRED, api_errors, assert_same_refusal, page_errors, too_long

pytestmark = pytest.mark.django_db

ANSWERS = {
    "work_removed": "Agents no longer tag and route every ticket by hand.",
    "work_replacing": "They call back customers who wrote twice in a week.",
    "result": "Handling time down from 12 to 9.5 minutes.",
}


def launch(initiative) -> Initiative:
    """Measure-impact (the gates that lead there have tests of their own)."""
    Initiative.objects.filter(pk=initiative.pk).update(stage=Stage.MEASURE_IMPACT)
    initiative.refresh_from_db()
    return initiative


@pytest.fixture
def launched(initiative, kpi):
    return launch(initiative)


def write(initiative, user, **changes):
    fields = {"held_on": timezone.localdate(), **ANSWERS, "kpis": list(initiative.kpis.all()), **changes}
    return kpi_services.save_after_action_review(initiative.pk, acting_user=user, **fields)


def page_data(initiative, **changes) -> dict:
    data = {"held_on": timezone.localdate().isoformat(), **ANSWERS, "kpis": [str(k.pk) for k in initiative.kpis.all()]}
    return {**data, **changes}


def api_data(initiative, **changes) -> dict:
    data = {"held_on": timezone.localdate().isoformat(), **ANSWERS, "kpis": [k.key for k in initiative.kpis.all()]}
    return {**data, **changes}


def url(initiative) -> str:
    return f"/api/v1/initiatives/{initiative.slug}/after-action-review/"


# ---- the service -------------------------------------------------------------------------------------


def test_writing_it_is_audited_and_a_rewrite_records_what_changed(launched, alice, kpi):
    since = last_event_id()

    review = write(launched, alice)
    write(launched, alice, result="Handling time down from 12 to 9 minutes.")
    write(launched, alice, result="Handling time down from 12 to 9 minutes.")  # the same again: nothing

    assert actions(launched, since) == ["after_action_review.saved", "after_action_review.saved"]
    first, second = AuditEvent.objects.filter(action="after_action_review.saved").order_by("id")
    assert first.before is None and first.after["kpis"] == [kpi.key] and first.after["work_removed"]
    assert second.before == {"result": ANSWERS["result"]}
    assert second.after == {"result": "Handling time down from 12 to 9 minutes."}
    review.refresh_from_db()
    assert (review.recorded_by, list(review.kpis.all())) == (alice, [kpi])
    assert Initiative.objects.get(pk=launched.pk).scorecard_dirty_at is not None


def test_it_looks_back_on_a_launched_initiative_only(initiative, kpi, alice):
    with pytest.raises(TransitionError, match="looks back on a launched initiative"):
        write(initiative, alice)

    assert not AfterActionReview.objects.exists()


def test_it_is_written_by_the_initiative_s_editors_only(launched, charlie, sam):
    with pytest.raises(PermissionDenied, match="Only the initiative's product manager"):
        write(launched, charlie)
    write(launched, sam)  # the executive sponsor edits it too


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"kpis": []}, "kpis", "Link at least one KPI that shows the result."),
        ({"held_on": timezone.localdate() + timedelta(days=1)}, "held_on", "Record the review once held"),
        ({"work_replacing": ""}, "work_replacing", "This field cannot be blank."),
        ({"unknown": "x"}, "unknown", "This field cannot be set here."),
    ],
)
def test_the_service_refuses_by_field(launched, alice, changes, field, message):
    with pytest.raises(ValidationError) as refused:
        write(launched, alice, **changes)

    assert message in " ".join(refused.value.message_dict[field])
    assert not AfterActionReview.objects.exists()


def test_a_kpi_of_another_initiative_is_refused(launched, alice, make_initiative):
    other = make_initiative("Invoice processing")
    driver = kpi_services.add_driver(other.pk, acting_user=alice, name="Speed")
    foreign = kpi_services.add_kpi(
        other.pk, acting_user=alice, driver=driver, key="invoices.cycle-time", name="Cycle time",
        unit="hours", kind="lagging", direction="decrease",
    )  # fmt: skip

    with pytest.raises(ValidationError) as refused:
        write(launched, alice, kpis=[foreign])

    assert refused.value.message_dict["kpis"] == ["Not a KPI of this initiative: invoices.cycle-time."]


# ---- the scale-out criterion, in Python and in SQL -----------------------------------------------------


def verdict(initiative) -> tuple[str, str]:
    [result] = evaluate(Initiative.objects.get(pk=initiative.pk), ["after-action-review"])
    return result.status, result.reason


def sql_status(initiative) -> str:
    [card] = assert_sql_matches_python(Initiative.objects.filter(pk=initiative.pk), timezone.now())
    return {c["key"]: c["status"] for c in card.criteria}["after-action-review"]


def test_the_criterion_names_three_of_the_kpis_that_show_the_result(launched, alice, kpi):
    for n in range(3):
        Kpi.objects.create(
            initiative=launched,
            driver=kpi.driver,
            key=f"{launched.slug}.extra-{n}",
            name=f"Extra KPI {n}",
            unit="x",
            kind=Kpi.Kind.LEADING,
            direction=kpi.direction,
            category=kpi.category,
            position=10 + n,
        )
    write(launched, alice)

    status, reason = verdict(launched)

    assert status == "pass"
    assert len(reason.split("the result is shown by ")[1].rstrip(".").split(", ")) == 3  # of the four linked


def test_the_scale_out_criterion_passes_on_a_complete_review_in_python_and_sql(launched, alice, kpi):
    assert verdict(launched) == (
        "fail",
        "No after-action review yet: what work did AI remove, what higher-value work replaced it, and what "
        "measurable result followed?",
    )
    assert sql_status(launched) == "fail"

    write(launched, alice)

    status, reason = verdict(launched)
    assert status == "pass" and reason.endswith("the result is shown by Average handling time.")
    assert sql_status(launched) == "pass"


def test_the_criterion_fails_alike_when_its_kpi_goes_blank_answers_or_a_later_date(launched, alice, kpi):
    review = write(launched, alice)

    AfterActionReview.objects.filter(pk=review.pk).update(result=" \n ")  # only a bug or the database could
    assert verdict(launched)[0] == sql_status(launched) == "fail"
    assert "unanswered: What measurable result followed?" in verdict(launched)[1]

    AfterActionReview.objects.filter(pk=review.pk).update(result="Better.")
    kpi.delete()  # the KPI that showed the result is gone
    assert verdict(launched) == (
        "fail",
        "The after-action review links no KPI of this initiative that shows the result.",
    )
    assert sql_status(launched) == "fail"


def test_a_review_counts_from_the_day_it_was_held(launched, alice):
    write(launched, alice, held_on=timezone.localdate() - timedelta(days=3))
    with evaluated_as_of(timezone.now() - timedelta(days=5)):
        status, reason = verdict(launched)

    assert status == "fail" and "not held yet" in reason
    assert verdict(launched)[0] == "pass"


def test_the_scale_out_policy_names_it_so_the_scorecard_counts_it(launched, alice):
    [card] = compute_many(Initiative.objects.filter(pk=launched.pk))
    assert card.next_gate == Gate.SCALE_OUT
    assert {"key": "after-action-review", "status": "fail"} in card.criteria

    write(launched, alice)

    [card] = compute_many(Initiative.objects.filter(pk=launched.pk))
    assert {"key": "after-action-review", "status": "pass"} in card.criteria


# ---- the page --------------------------------------------------------------------------------------


def test_a_pm_writes_it_on_its_page_and_reads_it_on_the_tree_tab(client, launched, alice, kpi):
    client.force_login(alice)
    page = reverse("kpis:after_action_review", args=[launched.slug])

    assert "What work did AI remove?" in client.get(page).content.decode()
    response = client.post(page, page_data(launched))

    assert response.status_code == 302 and response["Location"].endswith("?tab=tree#after-action-review")
    tab = client.get(f"{launched.get_absolute_url()}?tab=tree").content.decode()
    panel = tab.split('id="after-action-review"')[1].split("</section>")[0]
    assert ANSWERS["work_replacing"] in panel and "Edit after-action review" in panel
    assert f'href="{kpi.get_absolute_url()}"' in panel


def test_before_launch_the_page_says_why_and_offers_no_form(client, initiative, alice):
    client.force_login(alice)

    html = client.get(reverse("kpis:after_action_review", args=[initiative.slug])).content.decode()

    assert "looks back on a launched initiative" in html and "Save after-action review" not in html


def test_someone_who_may_not_edit_gets_a_403_and_an_outsider_a_404(client, launched, charlie, rita, alice):
    from tests.lifecycle import give_role

    give_role(launched, "security-risk", rita, by=alice)
    page = reverse("kpis:after_action_review", args=[launched.slug])
    client.force_login(rita)
    assert client.get(page).status_code == 403
    client.force_login(charlie)
    assert client.get(page).status_code == 404


# ---- the API ---------------------------------------------------------------------------------------


def test_the_api_reads_404_then_writes_with_put_and_reads_it_back(launched, alice, kpi):
    rest = api_as(alice)
    assert_problem(rest.get(url(launched)), 404)

    written = rest.put(url(launched), api_data(launched), format="json")

    assert written.status_code == 200, written.content
    body = rest.get(url(launched)).json()
    assert body == written.json()
    assert (body["kpis"], body["recorded_by"], body["result"]) == ([kpi.key], "alice", ANSWERS["result"])


def test_the_api_answers_409_before_launch_and_403_to_a_role_holder_who_may_not_edit(initiative, kpi, alice, rita):
    from tests.lifecycle import give_role

    assert_problem(api_as(alice).put(url(initiative), api_data(initiative), format="json"), 409)
    launch(initiative)
    give_role(initiative, "security-risk", rita, by=alice)
    assert_problem(api_as(rita).put(url(initiative), api_data(initiative), format="json"), 403)
    assert not AfterActionReview.objects.exists()


NOT_YET = "Record the review once held: choose today or an earlier day."
VIOLATIONS = [
    ({"work_removed": ""}, "work_removed", REQUIRED),
    ({"result": "x" * 1001}, "result", too_long(1000)),
    ({"held_on": (timezone.localdate() + timedelta(days=2)).isoformat()}, "held_on", NOT_YET),
    ({"kpis": []}, "kpis", "Link at least one KPI that shows the result."),
]


@pytest.mark.parametrize(("values", "field", "message"), VIOLATIONS)
def test_the_page_and_the_api_refuse_alike(client, launched, alice, values, field, message):
    client.force_login(alice)

    page = client.post(reverse("kpis:after_action_review", args=[launched.slug]), page_data(launched, **values))
    api = api_as(alice).put(url(launched), api_data(launched, **values), format="json")

    assert_same_refusal(field, message, page=page_errors(page, page.context["form"]), api=api_errors(api))
    assert not AfterActionReview.objects.exists()
    assert not AuditEvent.objects.filter(action="after_action_review.saved").exists()


def test_a_kpi_the_initiative_does_not_have_is_named_on_both_paths(client, launched, alice):
    client.force_login(alice)

    page = client.post(reverse("kpis:after_action_review", args=[launched.slug]), page_data(launched, kpis=["999"]))
    api = api_as(alice).put(url(launched), api_data(launched, kpis=["nobody.else"]), format="json")

    assert page_errors(page, page.context["form"])["kpis"] == ["Not a KPI of this initiative: 999."]
    assert api_errors(api)["kpis"] == ["Not a KPI of this initiative: nobody.else."]


def test_form_serializer_and_admin_share_one_field_list(rf, launched, bea):
    request = rf.get("/")
    request.user = bea

    assert tuple(AfterActionReviewForm(initiative=launched).fields) == AfterActionReview.EDITABLE_FIELDS
    assert writable_fields(AfterActionReviewSerializer()) == list(AfterActionReview.EDITABLE_FIELDS)
    model_admin = admin.site._registry[AfterActionReview]
    assert isinstance(model_admin, AfterActionReviewAdmin)
    assert set(AfterActionReview.EDITABLE_FIELDS) <= set(model_admin.get_fields(request))
    assert set(model_admin.get_fields(request)) == set(model_admin.get_readonly_fields(request))
    assert not model_admin.has_change_permission(request)


def test_the_schema_documents_get_and_put(client, alice):
    client.force_login(alice)
    schema = client.get("/api/schema/?format=json").json()

    operations = schema["paths"]["/api/v1/initiatives/{slug}/after-action-review/"]
    assert set(operations) >= {"get", "put"}
    assert schema["components"]["schemas"]["AfterActionReviewRequest"]["additionalProperties"] is False


# ---- the decision pack and the evidence ---------------------------------------------------------------


def test_the_scale_out_decision_pack_and_evidence_show_it(client, launched, alice, sam, kpi):
    write(launched, alice)
    review = request(launched, alice)
    assert review.gate == Gate.SCALE_OUT
    client.force_login(sam)

    pack = client.get(reverse("governance:approval_detail", args=[review.pk])).content.decode()
    section = pack.split('id="after-action-review"')[1].split("</section>")[0]
    evidence = gate_evidence(review)
    exported = client.get(reverse("governance:evidence_json", args=[review.pk])).json()

    assert ANSWERS["work_removed"] in section and kpi.name in section
    assert evidence["after_action_review"]["work_replacing"] == ANSWERS["work_replacing"]
    assert [k["key"] for k in exported["after_action_review"]["kpis"]] == [kpi.key]
    page = client.get(reverse("governance:evidence", args=[review.pk])).content.decode()
    assert ANSWERS["result"] in page


def test_the_pack_says_when_there_is_none(client, launched, alice, sam):
    review = request(launched, alice)
    client.force_login(sam)

    pack = client.get(reverse("governance:approval_detail", args=[review.pk])).content.decode()

    assert "No after-action review yet" in pack.split('id="after-action-review"')[1]


def test_the_history_tab_names_the_event(client, launched, alice):
    write(launched, alice)
    client.force_login(alice)

    html = client.get(f"{launched.get_absolute_url()}?tab=history&kind=after_action_review").content.decode()

    assert "After-action review written" in html and "Initiative created" not in html
    assert Kpi.objects.count() == 1
