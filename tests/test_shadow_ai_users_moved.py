"""Users moved: how many of the register's people the sanctioned initiative's adoption KPI shows moved.

Defined once (governance.shadow.panels.with_users_moved) and read by the register's page, its API and the
portfolio card; and the item endpoint takes PUT (the whole item) beside PATCH."""

from datetime import timedelta

import pytest
from django.utils import timezone

from governance.models import AuditEvent, ShadowAiUse
from governance.shadow import services as shadow
from governance.shadow.panels import shadow_ai_figures, with_users_moved
from initiatives.models import Role
from kpis import services as kpi_services
from kpis.ingest import record_measurements
from tests.lifecycle import api_as, assert_problem, give_role
from tests.test_shadow_ai import CHATGPT

pytestmark = pytest.mark.django_db


@pytest.fixture
def steward(initiative, alice, rita):
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    return rita


def adoption_kpi(initiative, user, *, unit="%", suffix="weekly-active-users"):
    driver = kpi_services.add_driver(initiative.pk, acting_user=user, name="Adoption")
    return kpi_services.add_kpi(
        initiative.pk, acting_user=user, driver=driver, key=f"{initiative.slug}.{suffix}",
        name="Weekly active users in target cohort", unit=unit, kind="leading", direction="increase",
        category="adoption",
    )  # fmt: skip


def push(kpi, user, value, days_ago=1):
    at = (timezone.now() - timedelta(days=days_ago)).isoformat()
    record_measurements([{"kpi": kpi.key, "timestamp": at, "value": value}], acting_user=user)


def sanctioned(steward, initiative, **fields):
    item = shadow.record_shadow_use(acting_user=steward, **{**CHATGPT, **fields})  # 14 people
    return shadow.triage_shadow_use(item.pk, acting_user=steward, status="sanctioned", initiative=initiative)


def moved(item) -> int | None:
    return with_users_moved(ShadowAiUse.objects.filter(pk=item.pk)).get().users_moved


def test_a_share_of_the_cohort_moves_that_share_of_the_register_s_people_rounded_down(steward, initiative, alice):
    wau = adoption_kpi(initiative, alice)
    item = sanctioned(steward, initiative)
    assert moved(item) is None  # no point yet: not measured

    push(wau, alice, 40.0, days_ago=3)
    push(wau, alice, 75.0, days_ago=1)  # the newest point counts

    assert moved(item) == 10  # 14 × 75 % = 10.5, rounded down


@pytest.mark.parametrize(("value", "expected"), [(-5.0, 0), (140.0, 14), (100.0, 14), (0.0, 0)])
def test_a_share_is_held_between_none_and_everyone(steward, initiative, alice, value, expected):
    push(adoption_kpi(initiative, alice), alice, value)

    assert moved(sanctioned(steward, initiative)) == expected


@pytest.mark.parametrize(("value", "expected"), [(9.0, 9), (9.9, 9), (40.0, 14)])
def test_a_count_of_users_moves_that_many_at_most_the_register_s_people(steward, initiative, alice, value, expected):
    push(adoption_kpi(initiative, alice, unit="users"), alice, value)

    assert moved(sanctioned(steward, initiative)) == expected


def test_nothing_moves_without_a_sanctioned_initiative_or_with_another_adoption_kpi(steward, initiative, alice):
    push(adoption_kpi(initiative, alice, suffix="assisted-share"), alice, 80.0)  # not the adoption KPI
    open_item = shadow.record_shadow_use(acting_user=steward, **CHATGPT)
    item = sanctioned(steward, initiative, tool="Claude")

    assert moved(open_item) is None and moved(item) is None


def test_the_card_the_page_and_the_api_show_it(client, steward, initiative, alice, charlie):
    push(adoption_kpi(initiative, alice), alice, 50.0)
    item = sanctioned(steward, initiative)  # 14 × 50 % = 7
    sanctioned(steward, initiative, tool="Gemini", people=5)  # 2
    shadow.record_shadow_use(acting_user=steward, **{**CHATGPT, "tool": "Free PDF summariser"})

    figures = shadow_ai_figures()
    assert (figures.users_moved, figures.moved_measured, figures.people_sanctioned) == (9, 2, 19)
    client.force_login(charlie)
    card = client.get("/portfolio/").content.decode().split('id="shadow-ai"')[1].split("</section>")[0]
    assert "<dt>Users moved</dt><dd>9 of 19</dd>" in card
    client.force_login(steward)
    page = client.get("/shadow-ai/").content.decode()
    assert "7 of 14" in page and "2 of 5" in page
    body = api_as(steward).get(f"/api/v1/shadow-ai/{item.pk}/").json()
    assert body["users_moved"] == 7


def test_the_register_page_and_api_list_stay_bounded_in_queries(
    steward, initiative, alice, client, django_assert_max_num_queries
):
    wau = adoption_kpi(initiative, alice)
    push(wau, alice, 50.0)
    for i in range(8):
        sanctioned(steward, initiative, tool=f"Tool {i}")
    client.force_login(steward)
    rest = api_as(steward)

    with django_assert_max_num_queries(12):
        assert client.get("/shadow-ai/").status_code == 200
    with django_assert_max_num_queries(12):
        assert [i["users_moved"] for i in rest.get("/api/v1/shadow-ai/").json()["results"]] == [7] * 8


# ---- PUT on the item endpoint ---------------------------------------------------------------------------


def test_put_replaces_the_whole_item_and_patch_still_changes_part(steward, initiative):
    item = sanctioned(steward, initiative)
    rest = api_as(steward)
    url = f"/api/v1/shadow-ai/{item.pk}/"
    body = {"tool": "ChatGPT Team", "team": "Customer Support", "people": 20, "found_via": "survey"}

    replaced = rest.put(url, body, format="json")

    assert replaced.status_code == 200, replaced.content
    item.refresh_from_db()
    assert (item.tool, item.people, item.found_via) == ("ChatGPT Team", 20, "survey")
    # What PUT was not given takes its default, as on a new item.
    assert (item.status, item.initiative, item.classification, item.data_touched) == ("untriaged", None, "", "")
    assert rest.patch(url, {"people": 21}, format="json").json()["people"] == 21
    assert AuditEvent.objects.filter(action__startswith="shadow_ai.", object_id=str(item.pk)).count() == 4


def test_put_needs_the_required_fields_and_names_each_missing_one(steward, initiative):
    item = sanctioned(steward, initiative)

    response = api_as(steward).put(f"/api/v1/shadow-ai/{item.pk}/", {"tool": "ChatGPT"}, format="json")

    assert_problem(response, 400, "team", "people", "found_via")
    item.refresh_from_db()
    assert item.tool == CHATGPT["tool"]


def test_put_is_refused_to_anyone_but_a_steward(steward, initiative, charlie):
    item = sanctioned(steward, initiative)
    body = {"tool": "X", "team": "Y", "people": 1, "found_via": "survey"}

    assert_problem(api_as(charlie).put(f"/api/v1/shadow-ai/{item.pk}/", body, format="json"), 403)
