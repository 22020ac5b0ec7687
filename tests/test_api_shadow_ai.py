"""GET/POST /api/v1/shadow-ai/ and GET/PATCH /api/v1/shadow-ai/<id>/: the register for its stewards."""

import pytest

from governance.models import AuditEvent, ShadowAiUse
from governance.models.shadow import NO_SANCTIONED_PATH
from governance.shadow import services as shadow
from initiatives.models import Role
from tests.lifecycle import api_as, assert_problem, give_role
from tests.test_shadow_ai import CHATGPT

pytestmark = pytest.mark.django_db
URL = "/api/v1/shadow-ai/"
BODY = {**CHATGPT, "found_via": "proxy-log"}


@pytest.fixture
def rita_api(initiative, alice, rita):
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    return api_as(rita)


def test_a_steward_records_an_item_and_reads_it_back(rita_api):
    response = rita_api.post(URL, BODY, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "untriaged" and body["recorded_by"] == "rita" and body["initiative"] is None
    assert rita_api.get(f"{URL}{body['id']}/").json() == body
    assert AuditEvent.objects.filter(action="shadow_ai.recorded", object_id=str(body["id"])).count() == 1


def test_triage_to_a_sanctioned_initiative(rita_api, initiative):
    item = rita_api.post(URL, BODY, format="json").json()
    response = rita_api.patch(
        f"{URL}{item['id']}/", {"status": "sanctioned", "initiative": initiative.slug}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["initiative_title"]) == ("sanctioned", initiative.title)
    assert AuditEvent.objects.filter(action="shadow_ai.triaged").count() == 1


def test_a_sanctioned_path_without_a_link_is_a_400_naming_the_field(rita_api):
    item = rita_api.post(URL, BODY, format="json").json()
    body = assert_problem(rita_api.patch(f"{URL}{item['id']}/", {"status": "sanctioned"}, format="json"), 400)
    assert body["errors"] == [{"field": "initiative", "message": NO_SANCTIONED_PATH}]
    assert ShadowAiUse.objects.get().status == "untriaged"


@pytest.mark.parametrize(
    ("values", "field"),
    [({"people": -3}, "people"), ({"classification": "secret"}, "classification"), ({"colour": "red"}, "colour")],
)
def test_bad_input_is_a_400_naming_the_field(rita_api, values, field):
    assert_problem(rita_api.post(URL, {**BODY, **values}, format="json"), 400, field)
    assert not ShadowAiUse.objects.exists()


def test_an_initiative_the_steward_cannot_see_is_refused_as_unknown(rita_api, make_initiative):
    hidden = make_initiative("Invoice matching")
    body = {**BODY, "status": "sanctioned", "initiative": hidden.slug}
    assert_problem(rita_api.post(URL, body, format="json"), 400, "initiative")
    assert not ShadowAiUse.objects.exists()


@pytest.mark.parametrize("who", ["alice", "charlie"])
def test_anyone_else_gets_a_403_on_every_operation(request, rita, rita_api, who):
    item = shadow.record_shadow_use(acting_user=rita, **CHATGPT)
    api = api_as(request.getfixturevalue(who))
    assert_problem(api.get(URL), 403)
    assert_problem(api.get(f"{URL}{item.pk}/"), 403)
    assert_problem(api.post(URL, BODY, format="json"), 403)
    assert_problem(api.patch(f"{URL}{item.pk}/", {"status": "blocked"}, format="json"), 403)
    assert ShadowAiUse.objects.get().status == "untriaged" and ShadowAiUse.objects.count() == 1


def test_the_list_filters_as_the_page_does(rita, rita_api, initiative):
    shadow.record_shadow_use(acting_user=rita, **CHATGPT)
    shadow.record_shadow_use(
        acting_user=rita,
        **{**CHATGPT, "tool": "Claude (personal)", "found_via": "survey", "classification": "internal"},
    )
    blocked = shadow.record_shadow_use(acting_user=rita, **{**CHATGPT, "tool": "Free PDF summariser"})
    shadow.triage_shadow_use(blocked.pk, acting_user=rita, status="blocked")

    def tools(**params):
        return sorted(i["tool"] for i in rita_api.get(URL, params).json()["results"])

    assert tools(found_via="survey") == ["Claude (personal)"]
    assert tools(classification="confidential") == ["ChatGPT (personal accounts)", "Free PDF summariser"]
    assert tools(status="blocked") == ["Free PDF summariser"]
    assert tools(open="true") == ["ChatGPT (personal accounts)", "Claude (personal)"]
    assert_problem(rita_api.get(URL, {"status": "gone"}), 400, "status")


@pytest.mark.parametrize("n", [3, 30])
def test_the_list_runs_a_bounded_number_of_queries(rita, rita_api, initiative, django_assert_max_num_queries, n):
    for i in range(n):
        item = shadow.record_shadow_use(acting_user=rita, **{**CHATGPT, "tool": f"Tool {i}"})
        shadow.triage_shadow_use(item.pk, acting_user=rita, status="sanctioned", initiative=initiative)
    # Six (the token with its user, its last use, the leadership and steward checks, the count, the page with
    # its joins) and one to spare: a query per row would exceed it even at n=3.
    with django_assert_max_num_queries(7):
        response = rita_api.get(URL)
    assert response.status_code == 200 and response.json()["count"] == n
