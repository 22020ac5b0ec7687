"""The scorecard API keeps its contract: every demo initiative's scorecard validates against the schema
that /api/schema/ publishes, with every nested list typed field by field and nothing undocumented."""

from io import StringIO

import jsonschema
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from initiatives.models import Initiative
from kpis.recompute import recompute_scorecards
from tests.lifecycle import api_as

# The scorecard's own components: each must list every field it sends.
STRICT = ("Scorecard", "ScorecardKpi", "ScorecardFlag", "ScorecardCriterion", "ScorecardCohort")


def _as_json_schema(node):
    """OpenAPI 3.0's `nullable: true` in JSON Schema's words (anyOf the type and null), all the way down."""
    if isinstance(node, list):
        return [_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _as_json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


@pytest.fixture
def scorecard_validator(client):
    components = client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    for name in STRICT:
        components[name] = {**components[name], "additionalProperties": False}
    schema = {"$ref": "#/components/schemas/Scorecard", "components": {"schemas": _as_json_schema(components)}}
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.fixture
def demo(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
    call_command("seed_demo", stdout=StringIO())
    recompute_scorecards(full=True)


def test_every_demo_scorecard_matches_the_schema(demo, scorecard_validator):
    client = api_as(get_user_model().objects.get(username="leader"))
    seen = {"kpis": 0, "flags": 0, "criteria": 0, "missing_roles": 0, "cohort_mix": 0}
    for slug in Initiative.objects.values_list("slug", flat=True):
        response = client.get(f"/api/v1/initiatives/{slug}/scorecard/")
        assert response.status_code == 200, slug
        body = response.json()
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in scorecard_validator.iter_errors(body)]
        assert errors == [], (slug, errors)
        for field in seen:
            assert isinstance(body[field], list), (slug, field)  # JSON arrays, never a string holding a repr
            seen[field] += len(body[field])
    # The demo exercises every list, so the check above covered their items too.
    assert all(seen.values()), seen


def test_a_flag_is_an_object_with_its_figures(demo):
    client = api_as(get_user_model().objects.get(username="leader"))
    flags = [
        flag
        for slug in Initiative.objects.values_list("slug", flat=True)
        for flag in client.get(f"/api/v1/initiatives/{slug}/scorecard/").json()["flags"]
    ]
    assert flags, "the demo shows at least one failure mode"
    for flag in flags:
        assert {"code", "label", "reason"} <= set(flag), flag
        assert flag["reason"] and not flag["reason"].startswith("["), flag
        if flag["code"] == "stale-data":
            assert flag["kpis"] and all(isinstance(pk, int) for pk in flag["kpis"]), flag


def test_the_validator_refuses_a_repr_string(scorecard_validator):
    # The check above can fail: a scorecard whose flags are a string holding a Python repr is refused.
    body = {
        "initiative": "x",
        "computed_at": "2026-12-01T00:00:00Z",
        "stage": "measure-impact",
        "status": "active",
        "health": "green",
        "confidence": "fresh",
        "next_gate": "scale-out",
        "readiness_met": 0,
        "readiness_total": 0,
        "missing_roles": [],
        "flags": "[{'code': 'stale-data'}]",
        "time_saved_hours": None,
        "time_reallocated_hours": None,
        "modelled_value": None,
        "realised_value": None,
        "cost_per_transaction": None,
        "monthly_cost": None,
        "monthly_cost_at_2x": None,
        "kpis": [],
        "criteria": [],
        "cohort_mix": [],
        "cost_source": "",
        "diagnosis": "not-enough-data",
        "diagnosis_label": "Not enough data to diagnose",
        "diagnosis_reasons": [],
        "telemetry": None,
    }
    assert scorecard_validator.is_valid({**body, "flags": []})
    assert not scorecard_validator.is_valid(body)
    assert not scorecard_validator.is_valid({**body, "flags": [], "surprise": 1})
