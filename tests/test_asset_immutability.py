"""A published asset version never changes: not through the model, SQL, the API or the admin."""

import hashlib

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from governance.library import services as library
from governance.models import AssetVersion, AuditEvent
from tests.lifecycle import api_as, assert_problem

pytestmark = pytest.mark.django_db
PROMPT = "Summarise {{ticket_text}} for a tier-2 agent."
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the refusing trigger (migration 0006) exists on PostgreSQL only"
)


@pytest.fixture
def version(lee):
    asset = library.create_asset(acting_user=lee, name="Ticket summary prompt", type="prompt-template", content=PROMPT)
    return asset.versions.get()


def _stored(version) -> tuple:
    return AssetVersion.objects.filter(pk=version.pk).values_list("content", "changelog", "checksum").get()


class TestModel:
    def test_saving_an_existing_version_raises_and_changes_nothing(self, version):
        version.content = "Rewritten {{history}}"

        with pytest.raises(ValueError, match="immutable; publish a new version"):
            version.save()
        assert _stored(version)[0] == PROMPT

    def test_deleting_a_version_raises(self, version):
        with pytest.raises(ValueError, match="never deleted"):
            version.delete()
        assert AssetVersion.objects.filter(pk=version.pk).exists()

    def test_the_checksum_is_the_sha256_of_the_content(self, version):
        assert version.checksum == hashlib.sha256(PROMPT.encode("utf-8")).hexdigest()

    def test_publishing_identical_content_is_refused_with_a_clear_message(self, version, lee):
        with pytest.raises(ValidationError) as refused:
            library.publish_version(version.asset_id, acting_user=lee, content=PROMPT, changelog="Same again.")

        assert refused.value.message_dict == {"content": ["Identical to v1; nothing to publish."]}
        assert AssetVersion.objects.filter(asset_id=version.asset_id).count() == 1

    def test_a_new_version_leaves_the_old_one_as_it_was(self, version, lee):
        before = _stored(version)

        library.publish_version(version.asset_id, acting_user=lee, content=PROMPT + " Be brief.", changelog="Brief.")

        assert _stored(version) == before


@on_postgresql
class TestDatabase:
    @pytest.mark.parametrize(
        "sql",
        [
            "UPDATE governance_assetversion SET content = 'Rewritten' WHERE id = %s",
            "UPDATE governance_assetversion SET checksum = 'forged' WHERE id = %s",
            "DELETE FROM governance_assetversion WHERE id = %s",
        ],
    )
    def test_raw_sql_is_refused_by_the_trigger(self, version, sql):
        refused = pytest.raises(DatabaseError, match="governance_assetversion is immutable")
        with refused, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [version.pk])

        assert _stored(version) == (PROMPT, "Initial version.", version.checksum)

    def test_queryset_update_and_delete_are_refused_too(self, version):
        # QuerySet.update() and .delete() skip the model's save() and delete(); the trigger still stops them.
        with pytest.raises(DatabaseError), transaction.atomic():
            AssetVersion.objects.filter(pk=version.pk).update(content="Rewritten")
        with pytest.raises(DatabaseError), transaction.atomic():
            AssetVersion.objects.filter(pk=version.pk).delete()

        assert _stored(version)[0] == PROMPT


class TestApi:
    @pytest.mark.parametrize("method", ["put", "patch", "delete"])
    def test_no_route_updates_or_deletes_a_version(self, version, lee, method):
        client = api_as(lee)
        base = f"/api/v1/assets/{version.asset.slug}/versions/"

        for url in (f"{base}1/", base):
            response = getattr(client, method)(url, {"content": "Rewritten {{x}}"}, format="json")
            assert_problem(response, 405)
        assert _stored(version)[0] == PROMPT


class TestAdmin:
    @pytest.fixture
    def admin_user(self, django_user_model):
        return django_user_model.objects.create_superuser("root", "root@example.com", "pw-for-tests-only")

    def test_the_version_admin_allows_no_add_change_or_delete(self, version, admin_user):
        request = RequestFactory().get("/admin/")
        request.user = admin_user
        model_admin = site._registry[AssetVersion]

        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request, version)
        assert not model_admin.has_delete_permission(request, version)

    def test_the_change_form_is_read_only_and_refuses_a_post(self, version, admin_user, client):
        client.force_login(admin_user)
        url = f"/admin/governance/assetversion/{version.pk}/change/"

        page = client.get(url)
        assert page.status_code == 200
        assert b'name="_save"' not in page.content and PROMPT.encode() in page.content
        assert client.post(url, {"content": "Rewritten {{x}}", "changelog": "x"}).status_code == 403
        assert client.post(f"/admin/governance/assetversion/{version.pk}/delete/", {"post": "yes"}).status_code == 403
        assert _stored(version)[0] == PROMPT

    def test_the_asset_page_shows_versions_read_only(self, version, admin_user, client):
        client.force_login(admin_user)

        page = client.get(f"/admin/governance/asset/{version.asset_id}/change/")

        assert page.status_code == 200
        assert version.checksum.encode() in page.content
        assert b'name="versions-0-changelog"' not in page.content  # shown as text, not an input

    def test_editing_the_asset_goes_through_the_audited_service_and_leaves_versions_alone(
        self, version, admin_user, client
    ):
        client.force_login(admin_user)
        asset = version.asset
        data = {
            "description": "Summaries for tier 2.",
            "owner_team": "Platform",
            "tags": [],
            "versions-TOTAL_FORMS": "1",
            "versions-INITIAL_FORMS": "1",
            "versions-0-id": str(version.pk),
            "versions-0-asset": str(asset.pk),
            "versions-0-changelog": "Forged changelog.",
            "labels-TOTAL_FORMS": "0",
            "labels-INITIAL_FORMS": "0",
        }

        response = client.post(f"/admin/governance/asset/{asset.pk}/change/", data)

        assert response.status_code == 302, response.content
        asset.refresh_from_db()
        assert (asset.description, asset.owner_team) == ("Summaries for tier 2.", "Platform")
        event = AuditEvent.objects.get(action="asset.updated")
        assert (event.actor_username, event.after) == (
            "root",
            {"description": "Summaries for tier 2.", "owner_team": "Platform"},
        )
        assert _stored(version) == (PROMPT, "Initial version.", version.checksum)
