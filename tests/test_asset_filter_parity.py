"""The library page and GET /api/v1/assets/ share one FilterSet: the same filter values find the same assets."""

import pytest

from governance.library import services as library
from governance.models import Asset
from tests.lifecycle import api_as

pytestmark = pytest.mark.django_db
PROMPT = "Classify this ticket:\n{{ticket_text}}\nAnswer with one of {{categories}}.\n"
EVALUATION = "input,expected\nPrinter jammed,hardware\nCannot log in,access\n"
PLAYBOOK = "# Escalation playbook\n\nEscalate to tier 2 when confidence is below 0.7.\n"


@pytest.fixture
def catalogue(alice, dana, lee):
    """Assets owned by a person, by a person and a team, and by a team another person maintains."""
    library.create_asset(
        acting_user=alice,
        name="Ticket triage prompt",
        type=Asset.Type.PROMPT_TEMPLATE,
        content=PROMPT,
        tags=["support", "triage"],
        owner_team="Customer Support",
        description="Ticket routing",
    )
    playbook = library.create_asset(
        acting_user=dana, name="Escalation playbook", type=Asset.Type.PLAYBOOK, content=PLAYBOOK, tags=["support"]
    )
    library.create_asset(
        acting_user=lee,
        name="Invoice extraction cases",
        type=Asset.Type.EVALUATION_SET,
        content=EVALUATION,
        tags=["finance", "triage"],
        owner_team="Finance Ops",
    )
    library.move_label(playbook.pk, acting_user=dana, name="recommended", version_number=1)


@pytest.fixture
def both(client, charlie):
    """Charlie, who holds no role anywhere, asks the page and the API the same question."""
    client.force_login(charlie)
    api = api_as(charlie)

    def ask(params: dict) -> tuple[list[str], list[str]]:
        page = client.get("/library/", params)
        assert page.status_code == 200 and not page.context["form"].errors, page.context["form"].errors
        response = api.get("/api/v1/assets/", params)
        assert response.status_code == 200, response.content
        return [a.name for a in page.context["assets"]], [a["name"] for a in response.json()["results"]]

    return ask


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"type": "playbook"},
        {"tag": "support"},
        {"tag": "triage", "type": "evaluation-set"},
        {"label": "recommended"},
        {"owner": "alice"},
        {"owner": "Customer Support"},
        {"owner": "Finance Ops", "tag": "triage"},
        {"q": "triage"},
        {"q": "escalation", "owner": "dana"},
        {"q": "support", "label": "recommended"},
    ],
)
def test_the_page_and_the_api_find_the_same_assets(catalogue, both, params):
    page, api = both(params)
    assert page and page == api  # each finds something, so agreeing on nothing cannot pass


def test_every_owner_the_page_offers_finds_the_same_assets_in_the_api(catalogue, client, both):
    choices = client.get("/library/").context["form"].fields["owner"].choices
    offered = [value for _, group in choices[1:] for value, _ in group]
    assert offered == ["Customer Support", "Finance Ops", "alice", "dana", "lee"]  # teams, then people
    for value in offered:
        page, api = both({"owner": value})
        assert page and page == api, value
