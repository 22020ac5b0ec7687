"""Library search: by name, type, tag and description words, whole or their start, on whichever database is configured.

PostgreSQL runs a ranked full-text prefix query (name above type and tags above description); SQLite a
case-insensitive substring match of every word, names first.
"""

import pytest
from django.db import connection

from governance.library import services as library
from governance.models import Asset
from tests.lifecycle import api_as

pytestmark = pytest.mark.django_db
on_postgresql = connection.vendor == "postgresql"


@pytest.fixture
def shelf(lee):
    def make(name, type, content, **fields):
        return library.create_asset(acting_user=lee, name=name, type=type, content=content, **fields)

    make(
        "Escalation playbook",
        "playbook",
        "# Escalation\n\nTier 2 takes over.",
        description="When the triage model is unsure, a person takes the ticket.",
    )
    make("Triage prompt", "prompt-template", "Classify {{ticket}}.", description="Routes support tickets to queues.")
    make(
        "Invoice field extraction",
        "prompt-template",
        "Read {{document}}.",
        description="Pulls totals out of supplier documents.",
        tags=["finance", "invoices", "documents"],
    )
    make("Routing rule", "model-routing-rule", "default: small-model\n", description="Cheap model first.")


def _found(text: str) -> list[str]:
    return [asset.slug for asset in Asset.objects.search(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("playbook", {"escalation-playbook"}),  # a name word
        ("supplier", {"invoice-field-extraction"}),  # a description word
        ("invoices", {"invoice-field-extraction"}),  # a tag
        ("Triage", {"triage-prompt", "escalation-playbook"}),  # name of one, description of the other
        ("support tickets", {"triage-prompt"}),  # every word must match
        ("prompt", {"triage-prompt", "invoice-field-extraction"}),  # the type
        ("extract", {"invoice-field-extraction"}),  # the start of a name word
        ("suppl docu", {"invoice-field-extraction"}),  # the starts of a description word and a tag
        ("blockchain", set()),
    ],
)
def test_it_finds_by_name_description_and_tag_words(shelf, text, expected):
    found = _found(text)

    assert set(found) == expected
    assert len(found) == len(set(found)), "each asset is listed once, however many tags it has"


def test_blank_text_finds_everything(shelf):
    assert Asset.objects.search("   ").count() == 4


@pytest.mark.skipif(not on_postgresql, reason="ranking needs PostgreSQL full-text search")
def test_a_name_match_ranks_above_a_description_match(shelf):
    assert _found("triage")[:2] == ["triage-prompt", "escalation-playbook"]


def test_the_api_lists_each_match_once_best_first(shelf, charlie):
    # "documents" is both a tag and a description word of one asset that has three tags.
    body = api_as(charlie).get("/api/v1/assets/", {"q": "documents"}).json()

    assert (body["count"], [a["slug"] for a in body["results"]]) == (1, ["invoice-field-extraction"])
    slugs = [a["slug"] for a in api_as(charlie).get("/api/v1/assets/", {"q": "triage"}).json()["results"]]
    if on_postgresql:
        assert slugs == ["triage-prompt", "escalation-playbook"]
    else:
        assert sorted(slugs) == ["escalation-playbook", "triage-prompt"]


def test_the_api_combines_search_with_filters(shelf, charlie):
    response = api_as(charlie).get("/api/v1/assets/", {"q": "triage", "type": "playbook"})

    assert [a["slug"] for a in response.json()["results"]] == ["escalation-playbook"]


@pytest.fixture
def triage_shelf(lee):
    """The demo's case: the triage prompt template says neither "prompt" nor "triage prompt" in its text."""

    def make(name, type, content, description, tags):
        return library.create_asset(
            acting_user=lee, name=name, type=type, content=content, description=description, tags=tags
        )

    make(
        "Support ticket triage classifier",
        "prompt-template",
        "Classify {{ticket}}.",
        "Classifies a support ticket into the queue's categories with a confidence score.",
        ["support", "triage", "classification"],
    )
    make(
        "Support triage evaluation set",
        "evaluation-set",
        "input,expected\nPrinter jammed,hardware\n",
        "Golden tickets for the triage prompt, with the expected category of each.",
        ["support", "triage", "evaluation"],
    )
    make("Invoice field extraction", "prompt-template", "Read {{document}}.", "Pulls totals out of invoices.", [])


@pytest.mark.parametrize("text", ["triage prompt", "Triage Prompt", "triag promp", "tick classif"])
def test_words_and_their_starts_rank_the_triage_prompt_template_first(triage_shelf, text):
    assert _found(text)[0] == "support-ticket-triage-classifier"


def test_triage_prompt_finds_only_assets_with_both_words(triage_shelf):
    assert _found("triage prompt") == ["support-ticket-triage-classifier", "support-triage-evaluation-set"]


def test_the_library_page_lists_the_triage_prompt_template_first(triage_shelf, client, charlie):
    client.force_login(charlie)
    assets = client.get("/library/", {"q": "triage prompt"}).context["assets"]

    assert [asset.slug for asset in assets][:1] == ["support-ticket-triage-classifier"]


@pytest.mark.parametrize("text", ["a&b|c!", "it's", "back\\slash", "(triage", "triage:*", "'"])
def test_query_syntax_typed_into_the_box_is_searched_for_not_run(triage_shelf, text):
    Asset.objects.search(text).count()  # no database error
