"""The library API: /api/v1/assets/ (versions, labels, used-by), /api/v1/label-requests/ and
/api/v1/initiatives/<slug>/assets/."""

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from governance.library import services as library
from governance.models import Asset, AssetLabel, AssetUsage, AssetVersion, AuditEvent, LabelMoveRequest, sha256_hex
from initiatives.models import Role
from tests.lifecycle import api_as, assert_problem, give_role

pytestmark = pytest.mark.django_db
URL = "/api/v1/assets/"
PROMPT = "Classify {{ticket_text}} into one of {{queues}}."
EVALUATION = "ticket,expected_queue\nMy invoice is wrong,billing\nI cannot log in,access\n"
PLAYBOOK = "# Escalation playbook\n\nHand the ticket to tier 2 when confidence is below 0.7.\n"
SECURITY = "# Customer data\n\nNo ticket text leaves the EU region.\n"
LIST_QUERY_BOUND = 7  # token lookup and last-used write, leader check (source visibility), count, page, tags, labels


@pytest.fixture
def curator(dana, initiative, alice):
    """Dana is in platform engineering (on Alice's initiative), so she curates the library."""
    give_role(initiative, Role.PLATFORM_ENGINEERING, dana, by=alice)
    return dana


def make_asset(user, name="Ticket triage prompt", type="prompt-template", content=PROMPT, **fields) -> Asset:
    return library.create_asset(acting_user=user, name=name, type=type, content=content, **fields)


@pytest.fixture
def prompt(curator):
    return make_asset(curator, description="Routes support tickets.", tags=["support", "triage"], owner_team="Support")


@pytest.fixture
def library_of_three(curator, lee):
    make_asset(curator, tags=["support"], owner_team="Support")
    make_asset(curator, "Triage evaluation set", "evaluation-set", EVALUATION, tags=["support", "evaluation"])
    playbook = make_asset(lee, "Escalation playbook", "playbook", PLAYBOOK, owner_team="Enablement")
    library.move_label(playbook.pk, acting_user=lee, name="recommended", version_number=1)


def _slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["slug"] for item in response.json()["results"]]


class TestList:
    def test_it_is_paginated_with_explicit_fields(self, alice, library_of_three):
        body = api_as(alice).get(URL, {"page_size": 2}).json()

        assert set(body) == {"count", "next", "previous", "results"}
        assert body["count"] == 3 and len(body["results"]) == 2 and body["previous"] is None
        assert "page=2" in body["next"]
        assert len(api_as(alice).get(body["next"]).json()["results"]) == 1
        first = body["results"][0]
        assert first == {
            "slug": "escalation-playbook",
            "name": "Escalation playbook",
            "type": "playbook",
            "description": "",
            "tags": [],
            "owner": "lee",
            "owner_team": "Enablement",
            "source_initiative": None,
            "latest_version": 1,
            "labels": [
                {"name": "recommended", "version": 1, "moved_by": "lee", "moved_at": first["labels"][0]["moved_at"]}
            ],
            "created_at": first["created_at"],
            "updated_at": first["updated_at"],
        }

    @pytest.mark.parametrize(
        "query, expected",
        [
            ({}, ["escalation-playbook", "ticket-triage-prompt", "triage-evaluation-set"]),
            ({"type": "evaluation-set"}, ["triage-evaluation-set"]),
            ({"tag": "support"}, ["ticket-triage-prompt", "triage-evaluation-set"]),
            ({"tag": "Evaluation"}, ["triage-evaluation-set"]),
            ({"owner": "lee"}, ["escalation-playbook"]),
            ({"owner": "dana"}, ["ticket-triage-prompt", "triage-evaluation-set"]),
            ({"owner": "support"}, ["ticket-triage-prompt"]),
            ({"label": "recommended"}, ["escalation-playbook"]),
            ({"label": "deprecated"}, []),
            ({"q": "escalation"}, ["escalation-playbook"]),
            ({"q": "triage", "type": "prompt-template"}, ["ticket-triage-prompt"]),
        ],
    )
    def test_it_filters(self, charlie, library_of_three, query, expected):
        # The library is shared: even Charlie, with no role anywhere, reads it.
        assert sorted(_slugs(api_as(charlie).get(URL, query))) == expected

    def test_an_unknown_type_is_a_400(self, alice, library_of_three):
        assert_problem(api_as(alice).get(URL, {"type": "spreadsheet"}), 400, "type")

    def test_it_needs_a_token(self, library_of_three):
        assert_problem(APIClient().get(URL), 401)

    def test_its_query_count_does_not_grow_with_rows(self, curator, alice, django_assert_max_num_queries):
        client = api_as(alice)
        for i in range(3):
            asset = make_asset(curator, f"Prompt {i:02}", tags=["a", f"t{i}"])
            library.move_label(asset.pk, acting_user=curator, name="recommended", version_number=1)
        with django_assert_max_num_queries(LIST_QUERY_BOUND):
            assert len(_slugs(client.get(URL))) == 3

        for i in range(3, 15):
            asset = make_asset(curator, f"Prompt {i:02}", tags=["a", f"t{i}"])
            library.move_label(asset.pk, acting_user=curator, name="recommended", version_number=1)
        with django_assert_max_num_queries(LIST_QUERY_BOUND):
            assert len(_slugs(client.get(URL))) == 15


class TestCreate:
    def test_it_creates_the_asset_with_its_first_version(self, charlie):
        response = api_as(charlie).post(
            URL,
            {
                "name": "Refund policy checks",
                "type": "security-requirement",
                "description": "What a refund answer must never do.",
                "tags": ["Refunds", "support"],
                "owner_team": "Risk",
                "content": SECURITY,
                "changelog": "First cut.",
            },
            format="json",
        )

        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["slug"], body["owner"], body["tags"], body["latest_version"]) == (
            "refund-policy-checks",
            "charlie",
            ["refunds", "support"],
            1,
        )
        version = AssetVersion.objects.get(asset__slug="refund-policy-checks")
        assert (version.number, version.content, version.changelog, version.checksum) == (
            1,
            SECURITY,
            "First cut.",
            sha256_hex(SECURITY),
        )
        assert set(AuditEvent.objects.values_list("action", flat=True)) >= {"asset.created", "asset.version_published"}

    def test_content_invalid_for_its_type_is_a_400_naming_content(self, alice):
        response = api_as(alice).post(
            URL, {"name": "Broken prompt", "type": "prompt-template", "content": "Hello {{ name"}, format="json"
        )

        body = assert_problem(response, 400, "content")
        assert "Unbalanced variable braces" in body["detail"]
        assert not Asset.objects.exists()

    def test_missing_and_unknown_fields_are_named(self, alice):
        response = api_as(alice).post(URL, {"type": "spreadsheet", "tags": "not-a-list"}, format="json")

        assert_problem(response, 400, "name", "type", "content", "tags")

    def test_it_needs_a_token(self):
        assert_problem(APIClient().post(URL, {}, format="json"), 401)


class TestDetail:
    def test_it_shows_the_asset(self, alice, prompt):
        body = api_as(alice).get(f"{URL}{prompt.slug}/").json()

        assert (body["name"], body["tags"], body["owner"], body["latest_version"]) == (
            "Ticket triage prompt",
            ["support", "triage"],
            "dana",
            1,
        )

    def test_an_unknown_slug_is_a_404(self, alice):
        assert_problem(api_as(alice).get(f"{URL}no-such-asset/"), 404)

    def test_a_curator_edits_description_tags_and_team_with_an_audit_row(self, prompt, lee):
        response = api_as(lee).patch(
            f"{URL}{prompt.slug}/",
            {"description": "Routes tickets to queues.", "tags": ["Triage", "routing"]},
            format="json",
        )

        assert response.status_code == 200, response.content
        assert response.json()["tags"] == ["routing", "triage"]
        prompt.refresh_from_db()
        assert (prompt.name, prompt.description, prompt.owner_team) == (
            "Ticket triage prompt",
            "Routes tickets to queues.",
            "Support",
        )
        event = AuditEvent.objects.get(action="asset.updated")
        assert (event.actor_username, event.before, event.after) == (
            "lee",
            {"description": "Routes support tickets.", "tags": ["support", "triage"]},
            {"description": "Routes tickets to queues.", "tags": ["routing", "triage"]},
        )

    def test_a_name_in_the_body_is_refused_not_ignored(self, prompt, lee):
        body = {"description": "Routes tickets to queues.", "name": "Renamed"}

        assert_problem(api_as(lee).patch(f"{URL}{prompt.slug}/", body, format="json"), 400, "name")

        prompt.refresh_from_db()
        assert (prompt.name, prompt.description) == ("Ticket triage prompt", "Routes support tickets.")
        assert not AuditEvent.objects.filter(action="asset.updated").exists()

    def test_an_unchanged_patch_writes_no_audit_row(self, prompt, curator):
        response = api_as(curator).patch(f"{URL}{prompt.slug}/", {"owner_team": "Support"}, format="json")

        assert response.status_code == 200
        assert not AuditEvent.objects.filter(action="asset.updated").exists()

    def test_a_non_curator_cannot_edit(self, prompt, alice):
        response = api_as(alice).patch(f"{URL}{prompt.slug}/", {"description": "Mine now."}, format="json")

        assert_problem(response, 403)
        prompt.refresh_from_db()
        assert prompt.description == "Routes support tickets."

    def test_put_and_delete_do_not_exist(self, prompt, lee):
        client = api_as(lee)

        assert_problem(client.put(f"{URL}{prompt.slug}/", {"description": "x"}, format="json"), 405)
        assert_problem(client.delete(f"{URL}{prompt.slug}/"), 405)
        assert Asset.objects.filter(pk=prompt.pk).exists()


class TestVersions:
    def test_a_curator_publishes_a_new_version(self, prompt, curator):
        content = "Classify {{ticket_text}} into {{queues}}; answer with the queue name only."
        response = api_as(curator).post(
            f"{URL}{prompt.slug}/versions/", {"content": content, "changelog": "Shorter answers."}, format="json"
        )

        assert response.status_code == 201, response.content
        assert response.json() == {
            "number": 2,
            "content": content,
            "changelog": "Shorter answers.",
            "checksum": sha256_hex(content),
            "author": "dana",
            "created_at": response.json()["created_at"],
        }

    def test_its_creator_publishes_though_someone_else_owns_it(self, charlie, dana):
        # Charlie holds no library role anywhere: having created the asset is what lets him keep it up to date.
        asset = make_asset(charlie, owner=dana)

        response = api_as(charlie).post(
            f"{URL}{asset.slug}/versions/", {"content": PROMPT + " Be brief.", "changelog": "Brief."}, format="json"
        )

        assert response.status_code == 201, response.content
        assert asset.versions.count() == 2

    def test_an_editor_of_the_initiative_it_came_from_publishes(self, initiative, alice, sam):
        # Sam sponsors the initiative the asset was published from; he holds no library role.
        asset = make_asset(alice, source_initiative=initiative)

        response = api_as(sam).post(
            f"{URL}{asset.slug}/versions/", {"content": PROMPT + " Be brief.", "changelog": "Brief."}, format="json"
        )

        assert response.status_code == 201, response.content

    def test_versions_are_listed_newest_first_and_paginated(self, prompt, curator, charlie):
        library.publish_version(prompt.pk, acting_user=curator, content=PROMPT + " Be brief.", changelog="Brief.")

        body = api_as(charlie).get(f"{URL}{prompt.slug}/versions/").json()

        assert set(body) == {"count", "next", "previous", "results"}
        assert [v["number"] for v in body["results"]] == [2, 1]
        assert api_as(charlie).get(f"{URL}{prompt.slug}/versions/1/").json()["content"] == PROMPT

    def test_an_unknown_version_is_a_404(self, prompt, alice):
        assert_problem(api_as(alice).get(f"{URL}{prompt.slug}/versions/9/"), 404)

    def test_a_non_curator_cannot_publish(self, prompt, alice):
        response = api_as(alice).post(
            f"{URL}{prompt.slug}/versions/", {"content": PROMPT + "!", "changelog": "Mine."}, format="json"
        )

        assert_problem(response, 403)
        assert prompt.versions.count() == 1

    @pytest.mark.parametrize(
        "payload, field, message",
        [
            ({"content": "No variables at all.", "changelog": "x"}, "content", "none found"),
            ({"content": PROMPT, "changelog": "Again."}, "content", "Identical to v1; nothing to publish."),
            ({"content": PROMPT + " Be brief."}, "changelog", "Say what changed"),
            ({"changelog": "No content."}, "content", "required"),
        ],
    )
    def test_invalid_versions_are_a_400_naming_the_field(self, prompt, curator, payload, field, message):
        body = assert_problem(api_as(curator).post(f"{URL}{prompt.slug}/versions/", payload, format="json"), 400, field)

        assert message in body["errors"][0]["message"]
        assert prompt.versions.count() == 1

    def test_publishing_to_an_unknown_asset_is_a_404(self, curator):
        response = api_as(curator).post(f"{URL}nope/versions/", {"content": PROMPT, "changelog": "x"}, format="json")

        assert_problem(response, 404)


class TestLabels:
    def test_a_curator_moves_a_label_and_gets_it_back(self, prompt, curator):
        library.publish_version(prompt.pk, acting_user=curator, content=PROMPT + " Be brief.", changelog="Brief.")

        response = api_as(curator).post(
            f"{URL}{prompt.slug}/labels/", {"name": "recommended", "version": 2}, format="json"
        )

        assert response.status_code == 200, response.content
        assert {k: response.json()[k] for k in ("name", "version", "moved_by")} == {
            "name": "recommended",
            "version": 2,
            "moved_by": "dana",
        }
        assert AssetLabel.objects.get(asset=prompt, name="recommended").version.number == 2

    def test_a_security_requirement_label_waits_with_a_202(self, curator):
        requirement = make_asset(curator, "EU data residency", "security-requirement", SECURITY)

        response = api_as(curator).post(
            f"{URL}{requirement.slug}/labels/", {"name": "recommended", "version": 1}, format="json"
        )

        assert response.status_code == 202, response.content
        body = response.json()
        assert (body["asset"], body["name"], body["version"], body["status"], body["requested_by"]) == (
            "eu-data-residency",
            "recommended",
            1,
            "pending",
            "dana",
        )
        assert not AssetLabel.objects.exists()

    def test_an_unknown_version_is_a_400(self, prompt, curator):
        response = api_as(curator).post(
            f"{URL}{prompt.slug}/labels/", {"name": "recommended", "version": 4}, format="json"
        )

        assert_problem(response, 400, "version")

    def test_a_missing_name_is_a_400(self, prompt, curator):
        assert_problem(api_as(curator).post(f"{URL}{prompt.slug}/labels/", {"version": 1}, format="json"), 400, "name")

    def test_a_non_curator_cannot_move_labels(self, prompt, alice):
        response = api_as(alice).post(
            f"{URL}{prompt.slug}/labels/", {"name": "deprecated", "version": 1}, format="json"
        )

        assert_problem(response, 403)
        assert not AssetLabel.objects.exists()


class TestLabelRequests:
    @pytest.fixture
    def pending(self, curator, rita, initiative, alice):
        give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
        requirement = make_asset(curator, "EU data residency", "security-requirement", SECURITY)
        return library.move_label(requirement.pk, acting_user=curator, name="recommended", version_number=1)

    def _decide(self, user, pending, payload):
        return api_as(user).post(f"/api/v1/label-requests/{pending.pk}/decision/", payload, format="json")

    def test_they_are_listed_and_filtered_by_status(self, pending, charlie):
        body = api_as(charlie).get("/api/v1/label-requests/", {"status": "pending"}).json()

        assert [r["id"] for r in body["results"]] == [pending.pk]
        assert api_as(charlie).get("/api/v1/label-requests/", {"status": "approved"}).json()["count"] == 0

    def test_a_security_holder_approves_and_the_label_moves(self, pending, rita):
        response = self._decide(rita, pending, {"approve": True, "comment": "Checked."})

        assert response.status_code == 200, response.content
        assert (response.json()["status"], response.json()["decided_by"]) == ("approved", "rita")
        assert AssetLabel.objects.get(name="recommended").version_id == pending.version_id

    def test_the_requester_and_others_get_a_403(self, pending, curator, charlie, lee):
        for user in (curator, charlie, lee):
            assert_problem(self._decide(user, pending, {"approve": True}), 403)

        pending.refresh_from_db()
        assert pending.status == LabelMoveRequest.Status.PENDING

    def test_a_decided_request_is_a_409(self, pending, rita):
        self._decide(rita, pending, {"approve": False, "comment": "Not yet."})

        body = assert_problem(self._decide(rita, pending, {"approve": True}), 409)
        assert "already rejected" in body["detail"]
        assert not AssetLabel.objects.exists()

    def test_approve_is_required(self, pending, rita):
        assert_problem(self._decide(rita, pending, {"comment": "?"}), 400, "approve")

    def test_an_unknown_request_is_a_404(self, rita):
        assert_problem(api_as(rita).post("/api/v1/label-requests/999/decision/", {"approve": True}, format="json"), 404)


class TestUsedByAndAdopt:
    def _adopt(self, user, initiative, payload):
        return api_as(user).post(f"/api/v1/initiatives/{initiative.slug}/assets/", payload, format="json")

    def test_the_pm_adopts_the_latest_version_by_default(self, prompt, curator, initiative, alice):
        library.publish_version(prompt.pk, acting_user=curator, content=PROMPT + " Be brief.", changelog="Brief.")

        response = self._adopt(alice, initiative, {"asset": prompt.slug})

        assert response.status_code == 201, response.content
        assert {k: response.json()[k] for k in ("initiative", "asset", "version", "adopted_by")} == {
            "initiative": initiative.slug,
            "asset": prompt.slug,
            "version": 2,
            "adopted_by": "alice",
        }
        assert AuditEvent.objects.filter(action="asset.adopted", initiative_id=initiative.pk).count() == 1

    def test_a_named_version_is_pinned_and_listed_on_the_initiative(self, prompt, curator, initiative, alice):
        library.publish_version(prompt.pk, acting_user=curator, content=PROMPT + " Be brief.", changelog="Brief.")

        assert self._adopt(alice, initiative, {"asset": prompt.slug, "version": 1}).status_code == 201

        listed = api_as(alice).get(f"/api/v1/initiatives/{initiative.slug}/assets/").json()
        assert [(u["asset"], u["version"]) for u in listed] == [(prompt.slug, 1)]

    @pytest.mark.parametrize("payload, field", [({"asset": "nope"}, "asset"), ({"version": 1}, "asset")])
    def test_an_unknown_or_missing_asset_is_a_400(self, prompt, initiative, alice, payload, field):
        assert_problem(self._adopt(alice, initiative, payload), 400, field)

    def test_an_unknown_version_is_a_400(self, prompt, initiative, alice):
        assert_problem(self._adopt(alice, initiative, {"asset": prompt.slug, "version": 7}), 400, "version")

    def test_who_may_adopt(self, prompt, initiative, alice, rita, charlie):
        give_role(initiative, Role.SECURITY_RISK, rita, by=alice)

        assert_problem(self._adopt(rita, initiative, {"asset": prompt.slug}), 403)  # sees it, may not edit it
        assert_problem(self._adopt(charlie, initiative, {"asset": prompt.slug}), 404)  # cannot see it
        assert_problem(
            api_as(alice).post("/api/v1/initiatives/nope/assets/", {"asset": prompt.slug}, format="json"), 404
        )
        assert not AssetUsage.objects.exists()

    def test_they_need_a_token(self, prompt, initiative):
        assert_problem(APIClient().get(f"{URL}{prompt.slug}/used-by/"), 401)
        assert_problem(APIClient().post(f"/api/v1/initiatives/{initiative.slug}/assets/", {}, format="json"), 401)

    def test_used_by_shows_only_initiatives_the_caller_can_see(
        self, prompt, curator, initiative, make_initiative, alice, charlie, lee
    ):
        other = make_initiative("Invoice document processing")
        library.adopt_version(initiative.pk, acting_user=alice, asset=prompt)
        library.publish_version(prompt.pk, acting_user=curator, content=PROMPT + " Be brief.", changelog="Brief.")
        library.adopt_version(other.pk, acting_user=alice, asset=prompt)
        helper = User.objects.create_user("helper")
        give_role(other, Role.PRODUCT_OPS, helper, by=alice)
        url = f"{URL}{prompt.slug}/used-by/"

        body = api_as(lee).get(url).json()
        assert set(body) == {"count", "next", "previous", "results"}
        assert [(u["initiative"], u["version"]) for u in body["results"]] == [
            ("invoice-document-processing", 2),
            ("support-triage-assistant", 1),
        ]
        assert [u["initiative"] for u in api_as(helper).get(url).json()["results"]] == ["invoice-document-processing"]
        assert api_as(charlie).get(url).json()["count"] == 0
        assert_problem(api_as(lee).get(f"{URL}nope/used-by/"), 404)


def test_the_schema_documents_every_asset_route(client):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]

    assert set(paths["/api/v1/assets/"]) >= {"get", "post"}
    assert set(paths["/api/v1/assets/{slug}/"]) >= {"get", "patch"}
    assert "put" not in paths["/api/v1/assets/{slug}/"] and "delete" not in paths["/api/v1/assets/{slug}/"]
    assert set(paths["/api/v1/assets/{slug}/versions/"]) >= {"get", "post"}
    assert set(paths["/api/v1/assets/{slug}/versions/{number}/"]) == {"get"}
    assert set(paths["/api/v1/assets/{slug}/labels/"]) == {"post"}
    assert set(paths["/api/v1/assets/{slug}/labels/"]["post"]["responses"]) >= {"200", "202"}
    assert set(paths["/api/v1/assets/{slug}/used-by/"]) == {"get"}
    assert set(paths["/api/v1/label-requests/{id}/decision/"]) == {"post"}
    assert set(paths["/api/v1/initiatives/{slug}/assets/"]) >= {"get", "post"}
