"""Publishing shows what becomes public, and one rule reveals where an asset came from.

"Publish as asset" lists each asset under a name, description, owning team and tags that everyone
signed in reads, also people who cannot open the initiative. The form shows them prefilled and
editable and says so; what the publisher leaves there is what gets stored. The asset page and
the asset API name the source initiative under one rule (Asset.objects.with_source_for).
"""

import pytest
from django.test import Client

from governance.models import Asset, AuditEvent
from tests.lifecycle import api_as

pytestmark = pytest.mark.django_db

PROMPT = "Classify this ticket:\n{{ticket_text}}\nAnswer with one of {{categories}}.\n"
EVALUATION = "input,expected\nPrinter jammed,hardware\nCannot log in,access\n"
PLAYBOOK = "# Escalation playbook\n\nEscalate to tier 2 when confidence is below 0.7.\n"
KINDS = ("prompt_template", "evaluation_set", "playbook")
# What the publisher types instead of the proposal: nothing that names the initiative.
NEUTRAL = {
    "name": "Ticket triage {label}",
    "description": "Routes support tickets by category.",
    "owner_team": "Enablement",
    "tags": "triage, Ticket Routing",
}


def _url(initiative) -> str:
    return f"/initiatives/{initiative.slug}/publish/"


def _browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _as_posted(client, initiative, **changes) -> dict:
    """What the browser posts: the prefilled form with the workflow's content and these changes."""
    form = client.get(_url(initiative)).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    return {**data, "prompt_template": PROMPT, "evaluation_set": EVALUATION, "playbook": PLAYBOOK, **changes}


def _neutral_listing() -> dict:
    return {
        f"{kind}_{key}": value.format(label=kind.replace("_", " ")) for kind in KINDS for key, value in NEUTRAL.items()
    }


def test_the_form_shows_each_public_listing_prefilled_and_says_who_reads_it(alice, initiative):
    response = _browser(alice).get(_url(initiative))

    html = response.content.decode()
    assert "Everyone signed in can read what you publish" in html
    form = response.context["form"]
    for kind, label in (("prompt_template", "prompt template"), ("playbook", "playbook")):
        assert form[f"{kind}_name"].value() == f"Support triage assistant: {label}"
        assert form[f"{kind}_description"].value() == "Published from the Support triage assistant workflow."
        assert form[f"{kind}_owner_team"].value() == "Customer Support"
        assert form[f"{kind}_tags"].value() == "Customer Support"
    # Visible, labelled and editable: inputs a person can change, not hidden fields.
    assert 'value="Support triage assistant: evaluation set"' in html
    assert '<label for="id_playbook_owner_team">Playbook: owning team</label>' in html
    assert 'type="hidden" name="playbook_name"' not in html


def test_what_the_publisher_leaves_in_the_form_is_what_everyone_reads(alice, initiative):
    client = _browser(alice)

    response = client.post(_url(initiative), _as_posted(client, initiative, **_neutral_listing()))

    assert response.status_code == 302
    playbook = Asset.objects.get(source_initiative=initiative, type="playbook")
    assert (playbook.name, playbook.description, playbook.owner_team) == (
        "Ticket triage playbook",
        "Routes support tickets by category.",
        "Enablement",
    )
    assert sorted(playbook.tags.values_list("name", flat=True)) == ["ticket-routing", "triage"]
    assert not Asset.objects.filter(name__contains=initiative.title).exists()
    assert not Asset.objects.filter(tags__name="customer-support").exists()


def test_republishing_shows_the_current_listing_and_stores_edits_to_it(alice, initiative):
    client = _browser(alice)
    client.post(_url(initiative), _as_posted(client, initiative))
    playbook = Asset.objects.get(source_initiative=initiative, type="playbook")
    assert playbook.name == "Support triage assistant: playbook"  # the proposal, left as it was

    posted = _as_posted(client, initiative, playbook_name="Escalation playbook", playbook_tags="escalation")
    assert posted["prompt_template_name"] == "Support triage assistant: prompt template"  # shown as stored
    response = client.post(_url(initiative), posted)

    assert response.status_code == 302
    playbook.refresh_from_db()
    assert (playbook.name, playbook.slug) == ("Escalation playbook", "support-triage-assistant-playbook")
    assert list(playbook.tags.values_list("name", flat=True)) == ["escalation"]
    assert playbook.versions.count() == 1  # the content did not change
    event = AuditEvent.objects.get(action="asset.updated")
    assert event.after == {"name": "Escalation playbook", "tags": ["escalation"]}
    # The other two listings were left as they were: no update, no audit row for them.
    assert AuditEvent.objects.filter(action="asset.updated").count() == 1


def test_a_blank_public_name_is_refused_next_to_its_field_and_nothing_is_written(alice, initiative):
    client = _browser(alice)

    response = client.post(_url(initiative), _as_posted(client, initiative, evaluation_set_name="  "))

    assert response.status_code == 200
    assert "evaluation_set_name" in response.context["form"].errors
    assert not Asset.objects.exists()


@pytest.fixture
def published(alice, initiative) -> Asset:
    client = _browser(alice)
    client.post(_url(initiative), _as_posted(client, initiative, **_neutral_listing()))
    return Asset.objects.get(source_initiative=initiative, type="prompt-template")


@pytest.mark.parametrize(
    ("viewer", "sees"),
    [("alice", True), ("sam", True), ("lee", True), ("charlie", False), ("dana", False)],
)
def test_the_page_and_the_api_reveal_the_source_initiative_under_the_same_rule(
    request, published, initiative, viewer, sees
):
    user = request.getfixturevalue(viewer)

    page = _browser(user).get(published.get_absolute_url())
    api = api_as(user).get(f"/api/v1/assets/{published.slug}/")
    listed = api_as(user).get("/api/v1/assets/", {"q": "triage"})

    assert page.status_code == api.status_code == listed.status_code == 200
    html = page.content.decode()
    shown_on_page = initiative.get_absolute_url() in html
    assert shown_on_page == (initiative.title in html) == sees
    assert api.json()["source_initiative"] == (initiative.slug if sees else None)
    assert {a["source_initiative"] for a in listed.json()["results"]} == {initiative.slug if sees else None}
    if not sees:
        assert initiative.slug not in html and initiative.slug not in api.content.decode()
