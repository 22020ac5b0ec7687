"""The browser pages: who sees what, forms that validate next to the field, and the gate flow."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from governance import services as governance
from governance.models import AuditEvent, ChecklistItem, GateReview
from initiatives.models import Initiative, Stage


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


@pytest.mark.parametrize(
    "url",
    ["/", "/initiatives/", "/initiatives/new/", "/approvals/", "/accounts/tokens/"],
)
def test_pages_ask_anonymous_users_to_log_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_page_renders(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"Log in to OpModel" in response.content


def test_home_lists_my_initiatives_and_reviews_waiting_for_me(login, initiative, alice, sam):
    governance.request_review(initiative.pk, acting_user=alice, override_reason="KPIs tracked elsewhere for now")
    page = login(sam).get("/")
    assert page.status_code == 200
    assert initiative.title in page.content.decode()
    assert "Open decision pack" in page.content.decode()
    assert "Open decision pack" not in login(alice).get("/").content.decode()


def test_home_pages_my_initiatives_in_constant_queries(login, make_initiative, alice, django_assert_max_num_queries):
    make_initiative("Initiative 00")
    client = login(alice)
    with CaptureQueriesContext(connection) as one:
        client.get("/")
    for n in range(1, 30):
        make_initiative(f"Initiative {n:02d}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get("/?reviews_page=1").content.decode()
    assert "My initiatives <span" in page and "(30)" in page and "Initiative 24" in page and "Initiative 25" not in page
    assert 'href="?reviews_page=1&amp;initiatives_page=2#initiatives" rel="next"' in page
    assert "Initiative 25" in client.get("/?initiatives_page=2").content.decode()


def test_create_initiative_shows_errors_next_to_fields(login, alice):
    response = login(alice).post("/initiatives/new/", {"title": "", "business_unit": "Sales", "risk_tier": "nope"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "This field is required." in html
    assert "Select a valid choice." in html
    assert not Initiative.objects.exists()


def test_create_initiative_makes_the_creator_its_product_manager(login, alice):
    response = login(alice).post(
        "/initiatives/new/",
        {"title": "Quote creation", "business_unit": "Sales", "risk_tier": "low", "started_on": "2026-11-01"},
    )
    initiative = Initiative.objects.get()
    assert response["Location"] == reverse("initiatives:charter", args=[initiative.slug])
    assert initiative.role_assignments.get().user == alice
    assert AuditEvent.objects.filter(action="initiative.created", initiative_id=initiative.pk).exists()


def test_detail_shows_stage_track_roles_criteria_and_submit_button(login, initiative, alice):
    client = login(alice)
    html = client.get(initiative.get_absolute_url()).content.decode()
    for text in (
        "Define outcome",
        "Executive sponsor",
        "Missing",
        "Charter complete",
        "Needs a leading and a lagging KPI",
        "Submit for approval",
    ):
        assert text in html
    history = client.get(initiative.get_absolute_url(), {"tab": "history"}).content.decode()
    assert "Audit trail" in history and "Charter edited" in history


def test_outsider_gets_404_and_cannot_post(login, initiative, charlie):
    client = login(charlie)
    assert client.get(initiative.get_absolute_url()).status_code == 404
    assert client.post(reverse("initiatives:review_request", args=[initiative.slug])).status_code == 404
    assert not GateReview.objects.exists()


def test_draft_charter_saves_incomplete_and_lists_what_is_missing(login, make_initiative, alice):
    initiative = make_initiative(complete=False)
    response = login(alice).post(
        reverse("initiatives:charter", args=[initiative.slug]), {"problem_user": "Underwriters"}, follow=True
    )
    assert "Draft saved. Still to fill before sign-off" in response.content.decode()
    initiative.charter.refresh_from_db()
    assert initiative.charter.problem_user == "Underwriters"


def test_charter_rejects_plan_dates_out_of_order(login, initiative, alice):
    response = login(alice).post(
        reverse("initiatives:charter", args=[initiative.slug]),
        {"plan_start_on": "2026-12-01", "launch_due_on": "2026-11-01"},
    )
    assert response.status_code == 200
    assert "must run in order" in response.content.decode()


def test_submit_without_override_explains_unmet_criteria(login, initiative, alice):
    response = login(alice).post(reverse("initiatives:review_request", args=[initiative.slug]), follow=True)
    assert "Gate criteria not met" in response.content.decode()
    assert not GateReview.objects.exists()


def test_pm_submits_and_sponsor_approves_in_the_browser(login, initiative, alice, sam):
    response = login(alice).post(
        reverse("initiatives:review_request", args=[initiative.slug]),
        {"override_reason": "KPI tree is kept in the BI tool until OpModel tracks it"},
    )
    review = GateReview.objects.get()
    assert response["Location"] == reverse("governance:approval_detail", args=[review.pk])
    pack = login(sam).get(response["Location"]).content.decode()
    for label in ("Approve", "Request changes", "Reject", "Hold", "Kill", "KPI tree is kept in the BI tool"):
        assert label in pack
    refused = login(sam).post(response["Location"], {"decision": "approve", "comment": "Clear outcome"}, follow=True)
    initiative.refresh_from_db()
    assert initiative.stage == Stage.DEFINE_OUTCOME
    assert "Answer the executive checklist before approving" in refused.content.decode()
    for item in ChecklistItem.objects.filter(gate=review.gate):
        assert item.question in refused.content.decode()
        login(sam).post(
            reverse("governance:checklist_answer", args=[review.pk]), {"item": item.pk, f"q{item.pk}-answer": "yes"}
        )
    login(sam).post(response["Location"], {"decision": "approve", "comment": "Clear outcome"})
    initiative.refresh_from_db()
    assert initiative.stage == Stage.SECURE_FOUNDATION
    history = login(alice).get(initiative.get_absolute_url(), {"tab": "history"}).content.decode()
    assert "Stage changed" in history


def test_requester_sees_why_they_cannot_decide(login, initiative, alice):
    review = governance.request_review(initiative.pk, acting_user=alice, override_reason="pending KPIs")
    html = login(alice).get(reverse("governance:approval_detail", args=[review.pk])).content.decode()
    assert "segregation of duties" in html
    response = login(alice).post(reverse("governance:approval_detail", args=[review.pk]), {"decision": "approve"})
    assert response.status_code == 403


def test_non_approve_decision_needs_a_comment(login, initiative, alice, sam):
    review = governance.request_review(initiative.pk, acting_user=alice, override_reason="pending KPIs")
    response = login(sam).post(reverse("governance:approval_detail", args=[review.pk]), {"decision": "reject"})
    assert response.status_code == 200
    assert "a comment is required" in response.content.decode()
    review.refresh_from_db()
    assert review.is_open


def test_tokens_page_creates_shows_once_and_revokes(login, alice):
    client = login(alice)
    response = client.post("/accounts/tokens/", {"name": "BI nightly job", "expires_in_days": "30"})
    # Redirect-after-POST: a refresh of the page that shows the key cannot issue a second token.
    assert (response.status_code, response["Location"]) == (302, "/accounts/tokens/")
    shown = client.get("/accounts/tokens/")
    key = shown.context["new_token"]["key"]
    html = shown.content.decode()
    assert key and f'<code class="key" id="new-key-value" data-testid="new-key">{key}</code>' in html
    assert "Your new key for “BI nightly job”" in html
    assert '<button type="button" class="small" data-copy="new-key-value" hidden>' in html, "shown by its script"
    assert "no-store" in shown["Cache-Control"], "no copy of the key in the browser's cache"
    token = alice.api_tokens.get()
    assert key.startswith(token.prefix) and key not in token.key_hash
    assert key not in client.get("/accounts/tokens/").content.decode(), "shown once"
    assert "new-key" not in client.get("/accounts/tokens/").content.decode()
    client.post(reverse("governance:token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_tokens_page_keeps_no_key_in_the_session_once_shown(login, alice):
    client = login(alice)
    client.post("/accounts/tokens/", {"name": "BI nightly job"})
    assert client.session.get("governance:new-token")
    client.get("/accounts/tokens/")
    assert "governance:new-token" not in client.session


def test_tokens_page_validates_expiry(login, alice):
    response = login(alice).post("/accounts/tokens/", {"name": "x", "expires_in_days": "0"})
    assert "Ensure this value is greater than or equal to 1." in response.content.decode()
    assert not alice.api_tokens.exists()


def test_initiative_list_filters_and_paginates_with_constant_queries(
    login, make_initiative, lee, django_assert_max_num_queries
):
    for n in range(30):
        make_initiative(f"Initiative {n:02d}")
    client = login(lee)
    with django_assert_max_num_queries(8):
        page = client.get("/initiatives/?stage=define-outcome")
    assert "Page 1 of 2" in page.content.decode()
    assert "No initiative matches" in client.get("/initiatives/?stage=scaled").content.decode()
