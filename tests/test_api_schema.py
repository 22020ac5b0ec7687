"""The OpenAPI 3 schema at /api/schema/ and the docs at /api/docs/, served without any CDN."""

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_the_schema_is_openapi_3_with_every_path(client):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "OpModel API"
    assert set(schema["paths"]) >= {
        "/api/v1/initiatives/",
        "/api/v1/initiatives/{slug}/",
        "/api/v1/initiatives/{slug}/charter/",
        "/api/v1/initiatives/{slug}/roles/",
        "/api/v1/initiatives/{slug}/roles/{assignment_id}/",
        "/api/v1/gate-reviews/",
        "/api/v1/gate-reviews/{id}/",
        "/api/v1/gate-reviews/{id}/decisions/",
    }
    assert set(schema["paths"]["/api/v1/initiatives/{slug}/"]) >= {"get", "patch"}
    assert "put" not in schema["paths"]["/api/v1/initiatives/{slug}/"]


def test_the_schema_documents_the_token_header(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    token = schema["components"]["securitySchemes"]["tokenAuth"]
    assert (token["type"], token["in"], token["name"]) == ("apiKey", "header", "Authorization")
    assert {"tokenAuth": []} in schema["paths"]["/api/v1/gate-reviews/"]["post"]["security"]


def test_the_schema_marks_the_stage_read_only(client):
    components = client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]

    assert components["Initiative"]["properties"]["stage"]["readOnly"] is True
    assert "stage" not in components["PatchedInitiativeUpdateRequest"]["properties"]


def test_the_docs_load_their_scripts_and_styles_locally(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assets = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', html)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for url in assets:
        assert url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")), f"{url} is not a local static file"
    assert not re.search(r"https?://", html), "the docs page references a remote URL"


RESOURCES = [
    "initiatives",
    "roles",
    "controls",
    "data-sources",
    "risk",
    "after-action-review",
    "reuse-review",
    "gate-reviews",
    "kpis",
    "measurements",
    "assets",
    "label-requests",
    "shadow-ai",
]


def _operations(schema: dict):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", path, operation


def test_every_operation_has_a_summary_of_its_own(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    summaries = {where: operation.get("summary", "").strip() for where, _, operation in _operations(schema)}
    assert not [where for where, summary in summaries.items() if not summary], "operations without a summary"
    assert len(set(summaries.values())) == len(summaries), "two operations share a summary"


def test_every_operation_has_one_tag_the_resource_named_in_its_path(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    for where, path, operation in _operations(schema):
        segments = [s for s in path.split("/") if s and not s.startswith("{")]
        assert len(operation["tags"]) == 1 and operation["tags"][0] in segments, f"{where}: {operation['tags']}"
    used = {operation["tags"][0] for _, _, operation in _operations(schema)}
    assert used == set(RESOURCES)
    # Each tag described once, in this order: the docs' sections.
    assert [tag["name"] for tag in schema["tags"]] == RESOURCES
    assert all(tag["description"] for tag in schema["tags"])
