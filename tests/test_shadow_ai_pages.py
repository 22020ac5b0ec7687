"""The Shadow AI pages: the register with its filters, recording, editing and triage, and the CSV import.

The page, the API and the admin refuse the same input with the same message (one rule, every path).
"""

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from governance.models import AuditEvent, ShadowAiUse
from governance.models.shadow import NO_SANCTIONED_PATH
from governance.shadow import services as shadow
from governance.shadow.forms import ShadowAiForm, TriageForm
from governance.shadow.panels import shadow_ai_figures
from governance.shadow.serializers import ShadowAiUseInputSerializer
from governance.shadow.views import PAGE_SIZE
from initiatives.models import Role
from opmodel.api import writable_fields
from tests.lifecycle import api_as, give_role
from tests.test_field_parity import api_errors, assert_same_refusal, choice, page_errors, too_long
from tests.test_shadow_ai import CHATGPT

pytestmark = pytest.mark.django_db
LIST = "/shadow-ai/"
NEW = "/shadow-ai/new/"
IMPORT = "/shadow-ai/import/"


@pytest.fixture
def steward(initiative, alice, rita, client):
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    client.force_login(rita)
    return rita


def posted(values: dict) -> dict:
    return {name: "" if value is None else str(value) for name, value in values.items()}


def csv_file(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("export.csv", text.encode(), content_type="text/csv")


def test_the_empty_register_says_how_to_fill_it(client, steward):
    response = client.get(LIST)
    assert response.status_code == 200
    assert b"The register is empty." in response.content and IMPORT.encode() in response.content


def test_the_nav_links_the_register(client, steward):
    assert b'href="/shadow-ai/">Shadow AI</a>' in client.get("/").content


def test_a_steward_records_then_triages_an_item(client, steward, initiative):
    response = client.post(NEW, posted({**CHATGPT, "status": "untriaged"}))
    assert response.status_code == 302, response.context["form"].errors
    item = ShadowAiUse.objects.get()
    response = client.post(f"/shadow-ai/{item.pk}/triage/", {"status": "sanctioned", "initiative": initiative.pk})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.initiative) == ("sanctioned", initiative)
    page = client.get(LIST).content.decode()
    assert "Sanctioned path exists" in page and initiative.title in page
    mine = AuditEvent.objects.filter(object_type="governance.shadowaiuse", object_id=str(item.pk))
    actions = list(mine.order_by("id").values_list("action", flat=True))
    assert actions == ["shadow_ai.recorded", "shadow_ai.triaged"]


def test_the_edit_page_saves_the_details(client, steward):
    item = shadow.record_shadow_use(acting_user=steward, **CHATGPT)
    form = client.get(f"/shadow-ai/{item.pk}/").context["form"]
    assert form.initial["tool"] == "ChatGPT (personal accounts)"
    response = client.post(f"/shadow-ai/{item.pk}/", posted({**CHATGPT, "people": 21, "status": "needs-path"}))
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.people, item.status) == (21, "needs-path")


def test_a_sanctioned_path_without_a_link_comes_back_with_the_error_summary(client, steward):
    item = shadow.record_shadow_use(acting_user=steward, **CHATGPT)
    response = client.post(f"/shadow-ai/{item.pk}/triage/", {"status": "sanctioned"})
    assert response.status_code == 200
    assert b"error-summary" in response.content
    assert response.context["form"].errors == {"initiative": [NO_SANCTIONED_PATH]}
    item.refresh_from_db()
    assert item.status == "untriaged"


def test_filters_find_what_the_api_finds(client, steward):
    shadow.record_shadow_use(acting_user=steward, **CHATGPT)
    shadow.record_shadow_use(acting_user=steward, **{**CHATGPT, "tool": "Claude (personal)", "found_via": "survey"})
    api = api_as(steward)
    for params in ({"found_via": "survey"}, {"classification": "confidential"}, {"status": "untriaged"}):
        page = [i.tool for i in client.get(LIST, params).context["page"].object_list]
        assert page and page == [i["tool"] for i in api.get("/api/v1/shadow-ai/", params).json()["results"]]
    response = client.get(LIST, {"status": "blocked"})
    assert b"No item matches these filters." in response.content


def test_an_unknown_filter_value_is_reported_and_ignored(client, steward):
    shadow.record_shadow_use(acting_user=steward, **CHATGPT)
    response = client.get(LIST, {"status": "gone"})
    assert response.context["form"].errors["status"] == [choice("gone")]
    assert len(response.context["page"].object_list) == 1


def test_the_register_pages(client, steward):
    for i in range(PAGE_SIZE + 2):
        shadow.record_shadow_use(acting_user=steward, **{**CHATGPT, "tool": f"Tool {i}"})
    first, second = client.get(LIST), client.get(LIST, {"page": 2})
    assert len(first.context["page"].object_list) == PAGE_SIZE and len(second.context["page"].object_list) == 2
    assert b'rel="next"' in first.content


@pytest.mark.parametrize("n", [3, 30])
def test_the_list_page_runs_a_bounded_number_of_queries(client, steward, initiative, django_assert_max_num_queries, n):
    for i in range(n):
        item = shadow.record_shadow_use(acting_user=steward, **{**CHATGPT, "tool": f"Tool {i}"})
        shadow.triage_shadow_use(item.pk, acting_user=steward, status="sanctioned", initiative=initiative)
    # Seven (session, user, leadership check, steward check, count, the page with its joins, the nav's
    # notifications) and one to spare: a query per row would exceed it even at n=3.
    with django_assert_max_num_queries(8):
        response = client.get(LIST)
    assert response.status_code == 200 and str(n) in response.content.decode()


@pytest.mark.parametrize("who", ["alice", "charlie"])
def test_the_pages_are_for_stewards_only(client, request, rita, initiative, who):
    give_role(initiative, Role.SECURITY_RISK, rita, by=request.getfixturevalue("alice"))
    item = shadow.record_shadow_use(acting_user=rita, **CHATGPT)
    client.force_login(request.getfixturevalue(who))
    for url in (NEW, IMPORT, f"/shadow-ai/{item.pk}/", f"/shadow-ai/{item.pk}/triage/"):
        assert client.get(url).status_code == 403, url
    register = client.get(LIST)  # linked from the top bar for everyone: it says who keeps it, and shows no item
    assert register.status_code == 200 and b"The register is kept by security/risk" in register.content
    assert b"ChatGPT" not in register.content and b"Record use" not in register.content
    assert client.post(f"/shadow-ai/{item.pk}/triage/", {"status": "blocked"}).status_code == 403
    item.refresh_from_db()
    assert item.status == "untriaged"


# ---- the CSV import --------------------------------------------------------------------------------

GOOD_CSV = (
    "tool,team,people,data,classification,found_via\n"
    "ChatGPT (personal accounts),Customer Support,14,Customer emails,Confidential,proxy-log\n"
    "Claude (personal),Finance,3,Invoices,internal,Survey\n"
)


def test_an_import_adds_every_row_untriaged_and_audits_each(client, steward):
    response = client.post(IMPORT, {"file": csv_file(GOOD_CSV)})
    assert response.status_code == 302
    items = ShadowAiUse.objects.order_by("tool")
    assert [(i.tool, i.classification, i.found_via, i.status) for i in items] == [
        ("ChatGPT (personal accounts)", "confidential", "proxy-log", "untriaged"),
        ("Claude (personal)", "internal", "survey", "untriaged"),
    ]
    assert AuditEvent.objects.filter(action="shadow_ai.recorded").count() == 2


def test_one_bad_row_imports_nothing_and_every_bad_row_is_named(client, steward):
    text = (
        "tool,team,people,data,classification,found_via\n"
        "ChatGPT (personal accounts),Customer Support,14,Customer emails,confidential,proxy-log\n"
        ",Finance,-2,Invoices,secret,survey\n"
        "Gemini,Sales,5,Leads,internal,rumour\n"
    )
    response = client.post(IMPORT, {"file": csv_file(text)})
    assert response.status_code == 200
    errors = [(e["line"], e["field"]) for e in response.context["line_errors"]]
    assert errors == [(3, "tool"), (3, "people"), (3, "classification"), (4, "found_via")]
    assert response.context["form"].errors["file"] == ["4 errors in 2 rows, listed below; nothing was imported."]
    assert "“rumour” is not one of: self-reported, survey, expense-report, proxy-log." in response.content.decode()
    assert not ShadowAiUse.objects.exists() and not AuditEvent.objects.filter(action="shadow_ai.recorded").exists()


def test_an_import_without_the_columns_says_which_are_missing(client, steward):
    response = client.post(IMPORT, {"file": csv_file("tool,team\nChatGPT,Support\n")})
    assert response.status_code == 200
    assert "missing: people, found_via" in response.context["form"].errors["file"][0]
    assert not ShadowAiUse.objects.exists()


# ---- one rule, every path --------------------------------------------------------------------------

VIOLATIONS = [
    ({"status": "sanctioned"}, "initiative", NO_SANCTIONED_PATH),
    ({"people": -1}, "people", "Ensure this value is greater than or equal to 0."),
    ({"found_via": "rumour"}, "found_via", choice("rumour")),
    ({"data_touched": "x" * 1001}, "data_touched", too_long(1000)),
    ({"notes": "x" * 5001}, "notes", too_long(5000)),
]


@pytest.mark.parametrize(("values", "field", "message"), VIOLATIONS)
def test_the_page_the_api_and_the_admin_refuse_alike(client, steward, bea, values, field, message):
    new = {**CHATGPT, **values}
    page = client.post(NEW, posted({"status": "untriaged", **new}))
    api = api_as(steward).post("/api/v1/shadow-ai/", new, format="json")
    client.force_login(bea)
    in_admin = client.post(reverse("admin:governance_shadowaiuse_add"), posted({"status": "untriaged", **new}))

    assert_same_refusal(
        field,
        message,
        page=page_errors(page, page.context["form"]),
        api=api_errors(api),
        admin=dict(in_admin.context["adminform"].form.errors),
    )
    assert not ShadowAiUse.objects.exists()


def test_the_admin_records_through_the_service(client, bea, initiative):
    client.force_login(bea)
    data = posted({**CHATGPT, "status": "sanctioned", "initiative": initiative.pk})
    assert client.post(reverse("admin:governance_shadowaiuse_add"), data).status_code == 302
    item = ShadowAiUse.objects.get()
    assert item.recorded_by == bea and item.status == "sanctioned"
    assert AuditEvent.objects.filter(action="shadow_ai.recorded", object_id=str(item.pk)).count() == 1


def test_each_path_edits_exactly_the_declared_fields(steward):
    declared = [*ShadowAiUse.EDITABLE_FIELDS, *ShadowAiUse.TRIAGE_FIELDS]
    assert list(ShadowAiForm(user=steward).fields) == declared
    assert list(TriageForm(user=steward).fields) == list(ShadowAiUse.TRIAGE_FIELDS)
    assert writable_fields(ShadowAiUseInputSerializer()) == declared
    assert list(shadow.WRITABLE) == declared
    assert set(admin.site._registry[ShadowAiUse].fields) - {"recorded_by", "created_at", "updated_at"} == set(declared)


# ---- the portfolio's card --------------------------------------------------------------------------


def test_the_portfolio_card_counts_open_items_the_sanctioned_share_and_its_people(
    client, steward, initiative, charlie, django_assert_num_queries
):
    def add(tool, people, status, **link):
        item = shadow.record_shadow_use(acting_user=steward, **{**CHATGPT, "tool": tool, "people": people})
        shadow.triage_shadow_use(item.pk, acting_user=steward, status=status, **link)

    add("ChatGPT (personal accounts)", 10, "sanctioned", initiative=initiative)
    add("Claude (personal)", 14, "untriaged")
    add("Gemini (personal)", 3, "needs-path")
    add("Free PDF summariser", 2, "blocked")
    with django_assert_num_queries(1):
        figures = shadow_ai_figures()
    assert (figures.items, figures.open, figures.sanctioned, figures.people, figures.people_sanctioned) == (
        4,
        2,
        1,
        29,
        10,
    )
    client.force_login(charlie)  # the card's figures are the register's totals, shown with the portfolio
    card = client.get("/portfolio/").content.decode().split('id="shadow-ai"')[1].split("</section>")[0]
    assert "<dt>Open items</dt><dd>2</dd>" in card
    assert "<dt>With a sanctioned path</dt><dd>25 %</dd>" in card
    assert "<dt>People with a sanctioned path</dt><dd>10 of 29</dd>" in card


def test_an_empty_register_shows_no_share(client, charlie):
    client.force_login(charlie)
    card = client.get("/portfolio/").content.decode().split('id="shadow-ai"')[1].split("</section>")[0]
    assert "<dt>With a sanctioned path</dt><dd>—</dd>" in card and "<dd>0 of 0</dd>" in card
