"""Object-level permissions on every route: an outsider neither reads nor changes another initiative's objects.

The URL resolver is walked (as in test_anonymous_access.py). Every route that names an object (slug,
pk, key, review id, asset, token...) must be listed in ROUTES with how to build it from the `world`
below, and every route without one in LISTS or NOT_LISTS: a new route fails the walk until it is.

Charlie holds no role on "Claims fraud screening" (Alice's, with Sam as sponsor and Rita as
security/risk); he is the product manager of his own "Charlie's sandbox". For each route:
- initiative objects ("scoped"): Charlie gets 404 for every method the route offers (405 for the
  others), and nothing in the database changes;
- the asset library, which every signed-in user reads ("public"): Charlie reads it, but may not
  change what he does not curate (403), and what he reads names no initiative he cannot see;
- API tokens ("own"): only their holder finds them;
- Charlie's own initiative (or asset) in the path with the other's child object: 404 too.
Lee (portfolio leadership) and Rita (a role holder) are the positive controls: their same requests
(rolled back afterwards) find the object, so a 404 means "not yours", never "wrong URL".
"""

import json
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from governance.foundation import services as foundation
from governance.library import services as library
from governance.models import ChecklistItem, DataSource
from governance.shadow import services as shadow
from governance.tokens import issue_token
from initiatives import services
from initiatives.models import Role
from kpis import services as kpi_services
from kpis.ingest import record_measurements
from kpis.models import AfterActionReview, Driver, Kpi
from kpis.recompute import recompute_scorecards
from opmodel.api import unrouted
from tests.lifecycle import give_role, request, support_tree

pytestmark = pytest.mark.django_db

TITLE = "Claims fraud screening"
KPI_KEY = "claims-fraud.handle-time"
PROMPT = "Score the claim {{claim_text}} for fraud signals."
SECURITY = "# Claims data\n\nNo claim text leaves the EU region.\n"
PLAYBOOK = "# Charlie's notes\n\nWhat we tried.\n"
METHODS = ("get", "post", "put", "patch", "delete")
# Browsers send only these; the other verbs are tried on the API.
PAGE_METHODS = ("get", "post")
# Rows the apps own: a refused request must leave every one of them as it was.
OWN_APPS = ("initiatives", "governance", "kpis")


@dataclass
class World:
    theirs: object  # Alice's initiative; Charlie holds no role on it
    mine: object  # Charlie's own initiative
    assignment: object  # Rita's security/risk role on theirs
    driver: object
    kpi: object
    source: object
    review: object
    item: object
    prompt: object  # a library asset published from theirs
    requirement: object  # a security requirement with a pending label move
    label_request: object
    token: object  # Alice's API token
    own_asset: object  # Charlie's own library asset
    shadow_use: object  # on the shadow-AI register, replaced by theirs; Rita (security/risk) keeps the register
    outsider: object
    leader: object
    holder: object
    owner: object

    @property
    def markers(self) -> list[str]:
        """What would give the other initiative away in a page or a JSON body."""
        return [self.theirs.slug, self.theirs.title, self.theirs.business_unit, self.kpi.key]


@pytest.fixture
def world(alice, sam, rita, dana, charlie, lee, make_initiative) -> World:
    theirs = make_initiative(TITLE)
    assignment = give_role(theirs, Role.SECURITY_RISK, rita, by=alice)
    support_tree(theirs, alice, prefix="claims-fraud")
    kpi = Kpi.objects.get(key=KPI_KEY)
    now = timezone.now()
    record_measurements(
        [{"kpi": KPI_KEY, "timestamp": (now - timedelta(days=d)).isoformat(), "value": 11 - d / 10} for d in range(3)],
        acting_user=alice,
    )
    source = foundation.save_data_source(
        theirs.pk,
        acting_user=alice,
        name="Claims ledger",
        system="Guidewire",
        classification=DataSource.Classification.INTERNAL,
        owner=dana,
        freshness_sla_hours=24,
    )
    foundation.set_control(
        theirs.pk, acting_user=rita, control_key="access-policy", status="in-place", evidence="https://wiki/access"
    )
    review = request(theirs, alice)
    item = ChecklistItem.objects.filter(gate=review.gate).order_by("pk").first()
    foundation.answer_checklist(review.pk, acting_user=sam, item_id=item.pk, answer="yes")
    prompt = library.create_asset(
        acting_user=alice, name="Fraud signal prompt", type="prompt-template", content=PROMPT, source_initiative=theirs
    )
    library.adopt_version(theirs.pk, acting_user=alice, asset=prompt)
    requirement = library.create_asset(
        acting_user=alice, name="EU residency rule", type="security-requirement", content=SECURITY
    )
    label_request = library.move_label(requirement.pk, acting_user=alice, name="recommended", version_number=1)
    token, _ = issue_token(acting_user=alice, user=alice, name="alice-pipeline")
    mine = services.create_initiative(acting_user=charlie, title="Charlie's sandbox", business_unit="Finance")
    own_asset = library.create_asset(acting_user=charlie, name="Sandbox notes", type="playbook", content=PLAYBOOK)
    shadow_use = shadow.record_shadow_use(
        acting_user=rita,
        tool="ChatGPT (personal accounts)",
        team="Claims",
        people=5,
        found_via="survey",
        status="sanctioned",
        initiative=theirs,
    )
    # Written directly: the service takes it only once launched, and theirs is not (its GET must find one).
    AfterActionReview.objects.create(
        initiative=theirs, held_on=now.date(), work_removed="a", work_replacing="b", result="c", recorded_by=alice
    ).kpis.set([kpi])
    recompute_scorecards(full=True)
    theirs.refresh_from_db()
    return World(
        theirs=theirs,
        mine=mine,
        assignment=assignment,
        driver=Driver.objects.get(objective__initiative=theirs),
        kpi=kpi,
        source=source,
        review=review,
        item=item,
        prompt=prompt,
        requirement=requirement,
        label_request=label_request,
        token=token,
        own_asset=own_asset,
        shadow_use=shadow_use,
        outsider=charlie,
        leader=lee,
        holder=rita,
        owner=alice,
    )


def _csv(w: World):
    body = f"kpi,timestamp,value\n{w.kpi.key},{timezone.now().isoformat()},7.5\n"
    return {"file": SimpleUploadedFile("points.csv", body.encode(), content_type="text/csv")}


@dataclass
class Route:
    kind: str  # "scoped", "public", "own" or "stewards" (the shadow-AI register's: 403 to anyone else)
    kwargs: object  # World -> URL kwargs naming the other initiative's (or Alice's) object
    body: object = None  # World -> a request body that would succeed for someone allowed
    mixed: object = None  # World -> Charlie's own parent with the other initiative's child
    positive: tuple = ("leader", "holder")
    holder_reads: bool = True  # False for forms only editors open: Rita gets 403 there, not 404


def _slug(w):
    return {"slug": w.theirs.slug}


def _review(key="pk"):
    return lambda w: {key: w.review.pk}


def _key(w):
    return {"key": w.kpi.key}


def _asset(w):
    return {"slug": w.prompt.slug}


def _shadow(w):
    return {"pk": w.shadow_use.pk}


REUSE_OUTCOME = {
    "reuse_review_held_on": "2026-01-05",
    "reuse_review_adopting": "Outsider's team",
    "reuse_review_changes": "None",
}


def _after_action(w, *, page: bool) -> dict:
    kpis = [str(w.kpi.pk)] if page else [w.kpi.key]
    return {"held_on": "2026-01-05", "work_removed": "x", "work_replacing": "y", "result": "z", "kpis": kpis}


SHADOW_FORM = {"tool": "ChatGPT (personal accounts)", "team": "Claims", "people": 5, "found_via": "survey"}

ROUTES = {
    # Initiative pages.
    "initiatives:detail": Route("scoped", _slug),
    "initiatives:edit": Route(
        "scoped",
        _slug,
        lambda w: {"title": "Taken over", "business_unit": "Claims", "risk_tier": "low", "started_on": "2026-01-05"},
        holder_reads=False,
    ),
    "initiatives:charter": Route(
        "scoped", _slug, lambda w: {"outcome_statement": "Rewritten by an outsider"}, holder_reads=False
    ),
    "initiatives:role_assign": Route("scoped", _slug, lambda w: {"role": Role.CTO, "user": w.outsider.pk}),
    "initiatives:role_remove": Route(
        "scoped",
        lambda w: {"slug": w.theirs.slug, "assignment_id": w.assignment.pk},
        mixed=lambda w: {"slug": w.mine.slug, "assignment_id": w.assignment.pk},
    ),
    "initiatives:role_accept": Route(
        "scoped",
        lambda w: {"slug": w.theirs.slug, "assignment_id": w.assignment.pk},
        mixed=lambda w: {"slug": w.mine.slug, "assignment_id": w.assignment.pk},
    ),
    "initiatives:review_request": Route("scoped", _slug, lambda w: {"override_reason": "Outsider says so"}),
    "initiatives:resume": Route("scoped", _slug, lambda w: {"comment": "Back to work"}),
    # Gate reviews: the decision pack, its checklist and evidence.
    "governance:approval_detail": Route("scoped", _review(), lambda w: {"decision": "approve", "comment": "Fine"}),
    "governance:checklist_answer": Route(
        "scoped", _review(), lambda w: {"item": w.item.pk, f"q{w.item.pk}-answer": "no", f"q{w.item.pk}-note": "x"}
    ),
    "governance:evidence_json": Route("scoped", _review()),
    "governance:evidence": Route("scoped", _review()),
    # Foundation.
    "governance:foundation": Route(
        "scoped",
        _slug,
        lambda w: {
            "action": "control",
            "control": "access-policy",
            "access-policy-status": "waived",
            "access-policy-waiver_reason": "Outsider",
        },
    ),
    "governance:control_model": Route("scoped", _slug),
    # The initiative's assets panel.
    "governance:workflow_publish": Route(
        "scoped",
        _slug,
        lambda w: {
            "prompt_template": PROMPT,
            "evaluation_set": "input,expected\na,b\n",
            "playbook": PLAYBOOK,
            "changelog": "Outsider",
        },
        holder_reads=False,
    ),
    "governance:asset_adopt": Route("scoped", _slug, lambda w: {"asset": w.own_asset.pk}),
    "governance:reuse_review": Route("scoped", _slug, lambda w: {"on": "2030-01-01"}),
    "governance:reuse_review_outcome": Route("scoped", _slug, lambda w: REUSE_OUTCOME),
    # The outcome tree and KPIs.
    "kpis:objective_set": Route("scoped", _slug, lambda w: {"statement": "Outsider's objective"}),
    "kpis:driver_add": Route("scoped", _slug, lambda w: {"name": "Outsider's driver"}),
    "kpis:driver_remove": Route(
        "scoped",
        lambda w: {"slug": w.theirs.slug, "driver_id": w.driver.pk},
        mixed=lambda w: {"slug": w.mine.slug, "driver_id": w.driver.pk},
    ),
    "kpis:template_apply": Route("scoped", _slug, lambda w: {"template": "cto-kpi-set"}),
    "kpis:create": Route(
        "scoped",
        _slug,
        lambda w: {
            "driver": w.driver.pk,
            "key": "claims-fraud.outsider",
            "name": "Outsider KPI",
            "unit": "%",
            "kind": "leading",
            "direction": "increase",
            "category": "outcome",
            "cadence": "weekly",
        },
    ),
    "kpis:upload": Route("scoped", _slug, _csv),
    "kpis:after_action_review": Route("scoped", _slug, lambda w: _after_action(w, page=True), holder_reads=False),
    "kpis:detail": Route("scoped", _key),
    "kpis:edit": Route("scoped", _key, lambda w: {"driver": w.driver.pk, "name": "Renamed by an outsider"}),
    "kpis:move": Route("scoped", _key, lambda w: {"direction": "down"}),
    "kpis:remove": Route("scoped", _key, lambda w: {"confirm": "yes"}),
    # Tokens belong to one person, leaders included.
    "governance:token_revoke": Route("own", lambda w: {"pk": w.token.pk}, positive=("owner",)),
    # The library: every signed-in user reads it; only curators change it.
    "governance:asset_detail": Route("public", _asset, lambda w: {"content": PROMPT + " v2", "changelog": "x"}),
    "governance:asset_diff": Route("public", _asset),
    "governance:label_move": Route("public", _asset, lambda w: {"name": "deprecated", "version": 1}),
    "governance:label_decide": Route(
        "public",
        lambda w: {"slug": w.requirement.slug, "pk": w.label_request.pk},
        lambda w: {"decision": "approve"},
        mixed=lambda w: {"slug": w.own_asset.slug, "pk": w.label_request.pk},
    ),
    # API: initiatives.
    "initiative-detail": Route("scoped", _slug, lambda w: {"title": "Taken over"}),
    "initiative-charter": Route("scoped", _slug, lambda w: {"outcome_statement": "Rewritten by an outsider"}),
    "initiative-roles": Route("scoped", _slug, lambda w: {"role": Role.CTO.value, "user": w.outsider.username}),
    "initiative-remove-role": Route(
        "scoped",
        lambda w: {"slug": w.theirs.slug, "assignment_id": w.assignment.pk},
        mixed=lambda w: {"slug": w.mine.slug, "assignment_id": w.assignment.pk},
    ),
    "initiative-scorecard": Route("scoped", _slug),
    "initiative-assets": Route("scoped", _slug, lambda w: {"asset": w.own_asset.slug}),
    "initiative-reuse-review": Route("scoped", _slug, lambda w: REUSE_OUTCOME),
    "after-action-review": Route("scoped", _slug, lambda w: _after_action(w, page=False)),
    # API: foundation.
    "initiative-controls": Route("scoped", _slug),
    "initiative-control": Route(
        "scoped",
        lambda w: {"slug": w.theirs.slug, "control_key": "access-policy"},
        lambda w: {"status": "waived", "waiver_reason": "Outsider"},
    ),
    "initiative-data-sources": Route(
        "scoped", _slug, lambda w: {"name": "Outsider feed", "system": "S3", "classification": "public"}
    ),
    "initiative-data-source": Route(
        "scoped",
        lambda w: {"slug": w.theirs.slug, "source_id": w.source.pk},
        lambda w: {"classification": "restricted"},
        mixed=lambda w: {"slug": w.mine.slug, "source_id": w.source.pk},
    ),
    "initiative-data-source-link": Route(
        "scoped",
        lambda w: {"slug": w.theirs.slug, "source_id": w.source.pk},
        mixed=lambda w: {"slug": w.mine.slug, "source_id": w.source.pk},
    ),
    "initiative-risk": Route("scoped", _slug, lambda w: {"tier": "high", "reason": "Outsider"}),
    # API: gate reviews.
    "gate-review-detail": Route("scoped", _review()),
    "gate-review-decisions": Route("scoped", _review(), lambda w: {"decision": "approve", "comment": "Fine"}),
    "gate-review-checklist": Route(
        "scoped", _review("id"), lambda w: {"item": w.item.pk, "answer": "no", "note": "Outsider"}
    ),
    "gate-review-evidence": Route("scoped", _review("id")),
    # API: KPIs.
    "kpi-detail": Route("scoped", _key, lambda w: {"name": "Renamed by an outsider"}),
    "kpi-measurements": Route("scoped", _key),
    # API: the library.
    "asset-detail": Route("public", _asset, lambda w: {"description": "Defaced"}),
    "asset-versions": Route("public", _asset, lambda w: {"content": PROMPT + " v2", "changelog": "x"}),
    "asset-version-detail": Route("public", lambda w: {"slug": w.prompt.slug, "number": 1}),
    "asset-labels": Route("public", _asset, lambda w: {"name": "deprecated", "version": 1}),
    "asset-used-by": Route("public", _asset),
    "label-request-detail": Route("public", lambda w: {"pk": w.label_request.pk}),
    "label-request-decision": Route("public", lambda w: {"pk": w.label_request.pk}, lambda w: {"approve": True}),
    # The shadow-AI register: its stewards (Rita holds security/risk; Lee leads) only.
    "governance:shadow_ai_edit": Route("stewards", _shadow, lambda w: {**SHADOW_FORM, "people": 6}),
    "governance:shadow_ai_triage": Route("stewards", _shadow, lambda w: {"status": "blocked"}),
    "shadow-ai-detail": Route("stewards", _shadow, lambda w: {"status": "blocked"}),
}
# Routes with a parameter that names nothing of an initiative.
NOT_OBJECT_ROUTES = {
    "password_reset_confirm": "Django's password reset link, for anonymous users; its token is not an object",
}
# Routes without a parameter that list objects: Charlie's copy names nothing of the other initiative,
# Lee's and Rita's do (`shown`), or every signed-in user sees the listed library objects.
LISTS = {
    "initiatives:home": ("marker",),
    "initiatives:portfolio": ("marker",),
    "initiatives:portfolio_export": ("marker",),
    "initiatives:list": ("marker",),
    "governance:approvals": ("marker",),
    "governance:library": ("asset",),
    "governance:notifications": (),
    "governance:tokens": ("token",),
    "initiative-list": ("marker",),
    "gate-review-list": ("marker",),
    "kpi-list": ("marker",),
    "asset-list": ("asset",),
    "label-request-list": ("asset",),
    "governance:shadow_ai": ("marker",),  # Charlie is told who keeps the register, and shown no item
}
# Lists in which Charlie finds his own initiative.
OWN_SHOWN = {"initiatives:home", "initiatives:portfolio", "initiatives:portfolio_export", "initiatives:list"}
OWN_SHOWN |= {"initiative-list"}
# Routes without a parameter that list nothing of an initiative; Charlie's GET is still checked for markers.
NOT_LISTS = {
    "initiatives:create": "the new-initiative form",
    "governance:asset_create": "the new-asset form",
    "governance:notifications_read": "marks the caller's own notifications read (POST)",
    "measurements-ingest": "POST a batch; KPIs named in it are checked in test_bodies_naming_*",
    "login": "auth",
    "logout": "auth",
    "password_change": "auth",
    "password_change_done": "auth",
    "password_reset": "auth",
    "password_reset_done": "auth",
    "password_reset_complete": "auth",
    "schema": "the OpenAPI description",
    "api-docs": "the interactive API docs",
    "healthz": "for orchestrators: the process answers",
    "readyz": "for orchestrators: the database, broker and migrations, by check",
    "metrics": "counts and durations, never a name: labels are channels, outcomes, gates and views",
}
# Single sign-on's routes answer 404 while it is off, as here; tests/test_sso.py covers them switched on.
SSO_ROUTES = {"oidc_authentication_init", "oidc_authentication_callback"}
# Routes without a parameter for the shadow-AI register's stewards only: 403 to Charlie, 200 to Lee and Rita.
STEWARDS_ONLY = {
    "governance:shadow_ai_create": "record an item",
    "governance:shadow_ai_import": "import a CSV of items",
    "shadow-ai-list": "the register in the API",
}
# Filters that name the other initiative must not reveal it either.
LIST_QUERIES = {
    "gate-review-list": "?initiative={slug}",
    "kpi-list": "?initiative={slug}",
    "initiative-list": "?business_unit=Customer%20Support",
    "initiatives:list": "?stage=define-outcome",
}


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern) and entry.callback is not unrouted:
            # The /api/ catch-all is a 404 to everyone (tests/test_api_problem_answers.py), not a route.
            yield prefix + str(entry.pattern), f"{namespace}{entry.name}" if entry.name else None


def _routes() -> dict[str, bool]:
    """{route name: takes a parameter} for every page and API route but the admin and format-suffix twins."""
    routes = {}
    for pattern, name in _walk(get_resolver().url_patterns):
        if pattern.startswith("admin/") or "(?P<format>" in pattern:
            continue  # the admin is staff-only (test_admin_segregation.py); twins share their plain route's view
        assert name, f"unnamed route {pattern}: name it so this walk can know it"
        routes[name] = "<" in pattern or "(?P<" in pattern
    return routes


def test_every_route_is_known():
    routes = _routes()
    with_object = {name for name, takes in routes.items() if takes}
    without = {name for name, takes in routes.items() if not takes}
    unknown = with_object - set(ROUTES) - set(NOT_OBJECT_ROUTES)
    assert not unknown, f"New object routes: add them to ROUTES with how to build them: {sorted(unknown)}"
    unknown = without - set(LISTS) - set(NOT_LISTS) - set(STEWARDS_ONLY) - SSO_ROUTES
    assert not unknown, f"New routes: add them to LISTS (and check them) or NOT_LISTS: {sorted(unknown)}"
    without_known = set(LISTS) | set(NOT_LISTS) | set(STEWARDS_ONLY)
    gone = (set(ROUTES) | set(NOT_OBJECT_ROUTES)) - with_object | without_known - without
    assert not gone, f"Routes that no longer exist: {sorted(gone)}"
    assert len(ROUTES) >= 55


def _is_api(url: str) -> bool:
    return url.startswith("/api/v1/")


class _Undo(Exception):
    def __init__(self, response):
        self.response = response


def _rolled_back(*request):
    """The response to a request (as for `_send`) whose writes are undone: positive controls change nothing."""
    try:
        with transaction.atomic():
            raise _Undo(_send(*request))
    except _Undo as undo:
        return undo.response


def _client(user, api: bool):
    if api:
        client = APIClient()
        client.force_authenticate(user)
        return client
    client = Client()
    client.force_login(user)
    return client


def _send(client, method: str, url: str, body, api: bool):
    if method == "get":
        return client.get(url)
    if api:
        return client.generic(method.upper(), url, json.dumps(body or {}), content_type="application/json")
    return client.post(url, body or {})  # browsers send only GET and POST


def _fingerprint() -> dict:
    """Every row of the project's own tables, so a refused request can be shown to have written nothing."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for app in OWN_APPS
        for model in apps.get_app_config(app).get_models()
    }


def _assert_hides(response, w: World, what: str):
    text = response.getvalue().decode(errors="replace")  # getvalue: the CSV export streams
    leaked = [m for m in w.markers if m in text]
    assert not leaked, f"{what} shows {leaked} of an initiative Charlie cannot see"


def _status_ok(route: Route, method: str, status: int, *, mixed: bool) -> bool:
    if status == 405:
        return True  # the route does not offer this method, for anyone
    if route.kind == "stewards":
        return status == 403
    if route.kind == "public" and not mixed:
        if method == "get":
            return status == 200
        return status == 403 or (status == 200 and route.body is None)  # a read-only page ignores a POST
    return status == 404


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_an_outsider_neither_reads_nor_changes_another_initiatives_objects(world, name):
    route = ROUTES[name]
    api = _is_api(reverse(name, kwargs=route.kwargs(world)))
    methods = METHODS if api else PAGE_METHODS
    variants = [route.kwargs] + ([route.mixed] if route.mixed else [])
    users = {"leader": world.leader, "holder": world.holder, "owner": world.owner}
    tried = 0
    for build in variants:
        mixed = build is route.mixed
        url = reverse(name, kwargs=build(world))
        for method in methods:
            before = _fingerprint()
            outsider = _send(_client(world.outsider, api), method, url, route.body and route.body(world), api)
            assert _status_ok(route, method, outsider.status_code, mixed=mixed), (method, url, outsider.status_code)
            assert _fingerprint() == before, f"{method.upper()} {url} by an outsider changed the database"
            if outsider.status_code == 405:
                continue
            tried += 1
            if outsider.status_code == 200:
                _assert_hides(outsider, world, f"{method.upper()} {url}")
            if mixed:
                continue  # Charlie's own parent: the positive controls are the plain URL's
            for who in route.positive:
                allowed = _rolled_back(_client(users[who], api), method, url, route.body and route.body(world), api)
                assert allowed.status_code not in (404, 405), (who, method, url, allowed.status_code)
                if method == "get" and (who != "holder" or route.holder_reads):
                    assert allowed.status_code == 200, (who, url, allowed.status_code)
            assert _fingerprint() == before, "a positive control's request was not rolled back"
    assert tried, f"{name}: every method was 405, so the route was not tested"


def _list_urls(name: str, w: World) -> list[str]:
    url = reverse(name)
    query = LIST_QUERIES.get(name)
    return [url] + ([url + query.format(slug=w.theirs.slug)] if query else [])


@pytest.mark.parametrize("name", sorted(LISTS))
def test_lists_show_an_outsider_nothing_of_another_initiative(world, name):
    api = _is_api(reverse(name))
    expected = {
        "marker": world.markers,
        "asset": [world.prompt.slug, world.requirement.slug],
        "token": [world.token.name],
    }
    for url in _list_urls(name, world):
        outsider = _client(world.outsider, api).get(url)
        assert outsider.status_code == 200, (url, outsider.status_code)
        _assert_hides(outsider, world, url)
        if "asset" in LISTS[name]:  # the library is everyone's: Charlie sees its assets, not where they came from
            text = outsider.getvalue().decode()
            assert world.prompt.slug in text or world.requirement.slug in text, url
    # Positive controls: the same list does show the initiative to a leader and to a role holder,
    # and Charlie's own initiative to Charlie.
    for shown in LISTS[name]:
        who = {"marker": (world.leader, world.holder), "asset": (world.leader, world.holder), "token": (world.owner,)}
        for user in who[shown]:
            text = _client(user, api).get(reverse(name)).getvalue().decode()
            assert any(marker in text for marker in expected[shown]), (user.username, name)
    if name in OWN_SHOWN:
        own = _client(world.outsider, api).get(reverse(name)).getvalue().decode()
        assert world.mine.slug in own, name


@pytest.mark.parametrize("name", sorted(STEWARDS_ONLY))
def test_the_shadow_ai_register_is_for_its_stewards(world, name):
    api = _is_api(reverse(name))
    before = _fingerprint()
    for method in ("get", "post"):
        assert _send(_client(world.outsider, api), method, reverse(name), {}, api).status_code == 403, method
    assert _fingerprint() == before
    for user in (world.leader, world.holder):
        assert _client(user, api).get(reverse(name)).status_code == 200, user.username


@pytest.mark.parametrize("name", sorted(NOT_LISTS))
def test_other_pages_show_an_outsider_nothing_of_another_initiative(world, name):
    response = _client(world.outsider, _is_api(reverse(name))).get(reverse(name))
    assert response.status_code in (200, 405), (name, response.status_code)
    if response.status_code == 200:
        _assert_hides(response, world, name)


class TestBodiesNamingAnotherInitiativesObjects:
    """Routes of Charlie's own, or with no object, that take the other initiative's objects in the body."""

    def test_a_kpi_cannot_be_added_to_it(self, world):
        before = _fingerprint()
        body = {"initiative": world.theirs.slug, "key": "claims-fraud.x", "driver": "Faster handling", "name": "x"}
        body |= {"unit": "%", "kind": "leading", "direction": "increase", "category": "outcome", "cadence": "weekly"}
        client = _client(world.outsider, True)
        response = client.post("/api/v1/kpis/", body, format="json")
        assert response.status_code == 400 and "initiative" in {e["field"] for e in response.json()["errors"]}
        assert _fingerprint() == before
        # The same answer as for an initiative that does not exist: the slug's existence does not leak.
        unknown = client.post("/api/v1/kpis/", body | {"initiative": "no-such-initiative"}, format="json")
        assert unknown.json()["errors"] == [
            {**e, "message": e["message"].replace(world.theirs.slug, "no-such-initiative")}
            for e in response.json()["errors"]
        ]

    def test_a_gate_review_cannot_be_requested_for_it(self, world):
        before = _fingerprint()
        body = {"initiative": world.theirs.slug, "override_reason": "Outsider"}
        response = _client(world.outsider, True).post("/api/v1/gate-reviews/", body, format="json")
        assert response.status_code == 400 and "initiative" in {e["field"] for e in response.json()["errors"]}
        assert _fingerprint() == before

    def test_its_kpis_take_no_measurements_from_an_outsider(self, world):
        before = _fingerprint()
        item = {"kpi": world.kpi.key, "timestamp": timezone.now().isoformat(), "value": 1.0}
        response = _client(world.outsider, True).post("/api/v1/measurements/", {"measurements": [item]}, format="json")
        # The same answer as for a key that does not exist: the outsider cannot see the KPI.
        assert response.status_code == 400
        assert response.json()["errors"][0]["message"] == f"Unknown KPI “{world.kpi.key}”."
        client = _client(world.outsider, False)
        page = client.post(reverse("kpis:upload", kwargs={"slug": world.mine.slug}), _csv(world))
        assert page.status_code == 200 and f"Unknown KPI “{world.kpi.key}”" in page.content.decode()
        assert _fingerprint() == before

    def test_its_driver_cannot_hold_an_outsiders_kpi(self, world):
        own_driver = kpi_services.add_driver(world.mine.pk, acting_user=world.outsider, name="Mine")
        before = _fingerprint()
        body = ROUTES["kpis:create"].body(world) | {"key": "charlies-sandbox.x"}
        response = _client(world.outsider, False).post(reverse("kpis:create", kwargs={"slug": world.mine.slug}), body)
        assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
        assert _fingerprint() == before
        assert not own_driver.kpis.exists()

    def test_its_data_sources_are_not_shared_with_an_outsider(self, world):
        """Sharing a source is for those who can see it: Charlie cannot link (and then rewrite) Alice's."""
        before = _fingerprint()
        client = _client(world.outsider, True)
        url = f"/api/v1/initiatives/{world.mine.slug}/data-sources/{world.source.pk}/link/"
        assert client.post(url).status_code == 404
        page_url = reverse("governance:foundation", kwargs={"slug": world.mine.slug})
        pages = _client(world.outsider, False)
        assert world.source.name not in pages.get(page_url).content.decode()
        response = pages.post(page_url, {"action": "link-source", "source": world.source.pk})
        assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
        assert _fingerprint() == before
        # Positive control: Alice shares it with another initiative of hers.
        other = services.create_initiative(acting_user=world.owner, title="Claims intake", business_unit="Claims")
        link = f"/api/v1/initiatives/{other.slug}/data-sources/{world.source.pk}/link/"
        assert _client(world.owner, True).post(link).status_code == 200

    def test_a_shared_source_changes_only_with_a_say_in_every_initiative_using_it(self, world, dana):
        """Rewriting a shared source re-derives every user's risk tier and foundation criteria."""
        give_role(world.theirs, Role.PRODUCT_OPS, world.outsider, by=world.owner)  # sees it, may not manage its data
        client = _client(world.outsider, True)
        url = f"/api/v1/initiatives/{world.mine.slug}/data-sources/{world.source.pk}/"
        assert client.post(url + "link/").status_code == 200
        before = _fingerprint()
        response = client.patch(url, {"classification": "restricted", "owner": "charlie"}, format="json")
        assert response.status_code == 403, response.content
        assert "shared with initiatives you may not manage" in response.json()["detail"]
        prefix = f"source-{world.source.pk}"
        page = _client(world.outsider, False).post(
            reverse("governance:foundation", kwargs={"slug": world.mine.slug}),
            {"action": "edit-source", "source": world.source.pk, f"{prefix}-name": "Renamed", f"{prefix}-system": "S3"}
            | {f"{prefix}-classification": "restricted"},
        )
        assert page.status_code == 302
        assert _fingerprint() == before
        # Its owner (through the initiative she serves as data platform) and leaders still may.
        give_role(world.theirs, Role.DATA_PLATFORM, dana, by=world.owner)
        for user in (dana, world.leader):
            body = {"classification": "confidential" if user == dana else "restricted"}
            response = _client(user, True).patch(
                f"/api/v1/initiatives/{world.theirs.slug}/data-sources/{world.source.pk}/", body, format="json"
            )
            assert response.status_code == 200, (user.username, response.content)
