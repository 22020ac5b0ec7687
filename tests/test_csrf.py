"""CSRF protects every browser form; the API needs it for session callers only.

1. Walk the URL resolver (as tests/test_anonymous_access.py does). Every browser view that accepts
   POST, plus the admin's login and logout, is posted to with real objects by a user who may act,
   through `Client(enforce_csrf_checks=True)` holding the CSRF cookie but sending no token: 403
   and nothing in the database changed. The same request with the token then goes through and
   does change something, so the 403 was the missing token and nothing else. A POST view the walk
   cannot build fails the suite: add a probe to PROBES. Views that only read are posted to as well.
2. Every `<form method="post">` in our templates carries `{% csrf_token %}`; scripts and htmx
   attributes that send unsafe requests send the CSRF header.
3. The API: a token needs no CSRF token, a session does (DRF's SessionAuthentication).
"""

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core import mail, serializers
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from governance.library import services as library
from governance.models import (
    ApiToken,
    Asset,
    ChecklistItem,
    Gate,
    GateReview,
    LabelMoveRequest,
    Notification,
    ShadowAiUse,
)
from governance.shadow import services as shadow
from governance.tokens import issue_token
from initiatives.forms import InitiativeForm
from initiatives.models import Initiative, Role, RoleAssignment, Stage
from kpis import services as kpi_services
from kpis.catalogue import FRAMEWORK_SETS
from kpis.forms import KpiForm
from kpis.models import Driver, Kpi
from opmodel import ops
from tests.conftest import COMPLETE_CHARTER
from tests.lifecycle import answer_checklist, decide, give_role, request, support_tree
from tests.test_anonymous_access import _concrete
from tests.test_library_pages import EVALUATION, PLAYBOOK, PROMPT, SECURITY, make_asset

PASSWORD = "pw-for-tests-only"  # tests/conftest.py gives every persona this password
NEW_PASSWORD = "a-new-password-for-tests-0"
ADMIN_FORMS = {"admin:login", "admin:logout"}  # the rest of the admin is Django's own


@dataclass
class Probe:
    """One POST: who sends it (None: anonymous), where, what, and any session it needs first."""

    url: str
    data: dict = field(default_factory=dict)
    user: User | None = None
    prepare: Callable[[Client], None] | None = None


# 1. The walk


def _routes(patterns, prefix: str = "", namespace: str = ""):
    """(route, name, view) of every URL pattern; names carry their namespace, e.g. kpis:edit."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(n for n in (namespace, entry.namespace) if n)
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern), inner)
        else:
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield prefix + str(entry.pattern), name, entry.callback


def _browser_routes() -> list[tuple[str, str, Callable]]:
    # /healthz, /readyz and /metrics are for orchestrators, answered before CsrfViewMiddleware, and refuse
    # every method but GET and HEAD (tests/test_health_and_metrics.py).
    return [
        (route, name, view)
        for route, name, view in _routes(get_resolver().url_patterns)
        if (not route.startswith(("api/", "admin/")) or name in ADMIN_FORMS) and route not in ops.ENDPOINTS
    ]


def _accepts_post(name: str, view) -> bool:
    """Class-based views with a post(); function views whose code (decorators included) names POST."""
    if name in ADMIN_FORMS:
        return True
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return hasattr(view_class, "post")
    return "POST" in inspect.getsource(view)


POST_VIEWS = sorted(name for _, name, view in _browser_routes() if _accepts_post(name, view))
READ_ONLY_URLS = sorted(
    url for route, name, view in _browser_routes() if not _accepts_post(name, view) and (url := _concrete(route))
)


@dataclass
class World:
    """Alice is product manager of `initiative`, Sam its sponsor and Rita its security/risk holder."""

    alice: User
    sam: User
    rita: User
    admin: User
    initiative: Initiative
    on_hold: Initiative
    review: GateReview  # an open charter sign-off of another of Alice's initiatives, Sam to decide
    checklist_item: ChecklistItem
    sponsor_role: RoleAssignment  # Sam's, not accepted yet
    rita_role: RoleAssignment
    driver: Driver
    empty_driver: Driver
    kpi: Kpi
    asset: Asset
    secured: Asset  # a security requirement, with a label move waiting for security/risk
    label_request: LabelMoveRequest
    token: ApiToken
    shadow_use: ShadowAiUse  # on the register Rita keeps


@pytest.fixture
def world(make_initiative, alice, sam, rita):
    admin = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    initiative = make_initiative("CSRF probe")
    support_tree(initiative, alice, prefix="probe")
    driver = initiative.objective.drivers.get()
    on_hold = make_initiative("Paused")
    decide(request(on_hold, alice), sam, "hold", comment="Budget freeze")
    secured = make_asset(alice, name="Retrieval scope", type=Asset.Type.SECURITY_REQUIREMENT, content=SECURITY)
    Notification.objects.create(user=alice, message="Something happened")
    review = request(make_initiative("Under review"), alice)
    answer_checklist(review, sam)  # so that the forged approval would count
    return World(
        alice=alice,
        sam=sam,
        rita=rita,
        admin=admin,
        initiative=initiative,
        on_hold=on_hold,
        review=review,
        checklist_item=ChecklistItem.objects.filter(gate=Gate.CHARTER_SIGNOFF).first(),
        sponsor_role=initiative.role_assignments.get(role=Role.EXECUTIVE_SPONSOR),
        rita_role=give_role(initiative, Role.SECURITY_RISK, rita, by=alice),
        driver=driver,
        empty_driver=kpi_services.add_driver(initiative.pk, acting_user=alice, name="Nothing under it yet"),
        kpi=driver.kpis.order_by("position").last(),
        asset=make_asset(alice),
        secured=secured,
        label_request=library.move_label(secured.pk, acting_user=alice, name="approved", version_number=1),
        token=issue_token(acting_user=alice, user=alice, name="browser probe")[0],
        # After rita_role: the register is kept by security/risk holders.
        shadow_use=shadow.record_shadow_use(
            acting_user=rita, tool="ChatGPT (personal accounts)", team="Support", people=3, found_via="survey"
        ),
    )


def _kpi_form_data(kpi, **changes) -> dict:
    values = {**model_to_dict(kpi, fields=KpiForm.Meta.fields), **changes}
    return {k: v for k, v in values.items() if v is not None}


def _csv() -> SimpleUploadedFile:
    when = (timezone.now() - timedelta(days=1)).isoformat()
    return SimpleUploadedFile("points.csv", f"kpi,timestamp,value\nprobe.handle-time,{when},9.5\n".encode())


def _reset_confirm(w: World) -> Probe:
    # The link in the email stores its token in the session, then the form posts to .../set-password/.
    token = default_token_generator.make_token(w.alice)

    def prepare(client):
        session = client.session
        session[auth_views.INTERNAL_RESET_SESSION_TOKEN] = token
        session.save()

    uid = urlsafe_base64_encode(force_bytes(w.alice.pk))
    url = reverse("password_reset_confirm", args=[uid, auth_views.PasswordResetConfirmView.reset_url_token])
    return Probe(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, prepare=prepare)


def _launched(w: World) -> World:
    """The after-action review is written once launched: the probe's initiative is moved into measure-impact."""
    Initiative.objects.filter(pk=w.initiative.pk).update(stage=Stage.MEASURE_IMPACT)
    return w


def _slug(name: str) -> Callable[[World], str]:
    return lambda w: reverse(name, args=[w.initiative.slug])


PROBES: dict[str, Callable[[World], Probe]] = {
    "initiatives:create": lambda w: Probe(
        reverse("initiatives:create"),
        {"title": "Forged", "business_unit": "Ops", "risk_tier": "low", "started_on": timezone.localdate()},
        w.alice,
    ),
    "initiatives:edit": lambda w: Probe(
        _slug("initiatives:edit")(w),
        {**model_to_dict(w.initiative, fields=InitiativeForm.Meta.fields), "title": "Forged title"},
        w.alice,
    ),
    "initiatives:charter": lambda w: Probe(
        _slug("initiatives:charter")(w),
        {**COMPLETE_CHARTER, "owner": w.alice.pk, "outcome_statement": "Forged outcome"},
        w.alice,
    ),
    "initiatives:role_assign": lambda w: Probe(
        _slug("initiatives:role_assign")(w), {"role": Role.CTO, "user": w.rita.pk}, w.alice
    ),
    "initiatives:role_remove": lambda w: Probe(
        reverse("initiatives:role_remove", args=[w.initiative.slug, w.rita_role.pk]), {}, w.alice
    ),
    "initiatives:role_accept": lambda w: Probe(
        reverse("initiatives:role_accept", args=[w.initiative.slug, w.sponsor_role.pk]), {}, w.sam
    ),
    "initiatives:review_request": lambda w: Probe(
        _slug("initiatives:review_request")(w), {"override_reason": "Forged override"}, w.alice
    ),
    "initiatives:resume": lambda w: Probe(
        reverse("initiatives:resume", args=[w.on_hold.slug]), {"comment": "Forged resume"}, w.sam
    ),
    "governance:approval_detail": lambda w: Probe(
        reverse("governance:approval_detail", args=[w.review.pk]),
        {"decision": "approve", "comment": "Forged approval"},
        w.sam,
    ),
    "governance:checklist_answer": lambda w: Probe(
        reverse("governance:checklist_answer", args=[w.review.pk]),
        {"item": w.checklist_item.pk, f"q{w.checklist_item.pk}-answer": "yes"},
        w.sam,
    ),
    "governance:foundation": lambda w: Probe(
        _slug("governance:foundation")(w),
        {
            "action": "add-source",
            "new-name": "Forged source",
            "new-system": "Zendesk",
            "new-classification": "internal",
            "new-source_of_truth": "Zendesk production",
            "new-freshness_sla_hours": "24",
            "new-retrieval_scope": "Closed tickets",
        },
        w.alice,
    ),
    "governance:tokens": lambda w: Probe(reverse("governance:tokens"), {"name": "Forged token"}, w.alice),
    "kpis:after_action_review": lambda w: Probe(
        _slug("kpis:after_action_review")(_launched(w)),
        {
            "held_on": timezone.localdate(),
            "work_removed": "Forged",
            "work_replacing": "Forged",
            "result": "Forged",
            "kpis": [w.initiative.kpis.first().pk],
        },
        w.alice,
    ),
    "governance:reuse_review_outcome": lambda w: Probe(
        _slug("governance:reuse_review_outcome")(w),
        {
            "reuse_review_held_on": timezone.localdate(),
            "reuse_review_adopting": "Forged",
            "reuse_review_changes": "None",
        },
        w.alice,
    ),
    "governance:token_revoke": lambda w: Probe(reverse("governance:token_revoke", args=[w.token.pk]), {}, w.alice),
    "governance:asset_create": lambda w: Probe(
        reverse("governance:asset_create"),
        {"name": "Forged playbook", "type": "playbook", "content": PLAYBOOK, "changelog": "Initial version."},
        w.alice,
    ),
    "governance:asset_detail": lambda w: Probe(
        reverse("governance:asset_detail", args=[w.asset.slug]),
        {"content": PROMPT + "Forged line.\n", "changelog": "Forged"},
        w.alice,
    ),
    "governance:label_move": lambda w: Probe(
        reverse("governance:label_move", args=[w.asset.slug]), {"name": "recommended", "version": 1}, w.alice
    ),
    "governance:label_decide": lambda w: Probe(
        reverse("governance:label_decide", args=[w.secured.slug, w.label_request.pk]),
        {"decision": "approve"},
        w.rita,
    ),
    "governance:notifications_read": lambda w: Probe(reverse("governance:notifications_read"), {}, w.alice),
    "governance:workflow_publish": lambda w: Probe(
        _slug("governance:workflow_publish")(w),
        {
            "prompt_template": PROMPT,
            "evaluation_set": EVALUATION,
            "playbook": PLAYBOOK,
            "changelog": "Forged",
            **{f"{kind}_name": f"Forged {kind}" for kind in ("prompt_template", "evaluation_set", "playbook")},
        },
        w.alice,
    ),
    "governance:asset_adopt": lambda w: Probe(_slug("governance:asset_adopt")(w), {"asset": w.asset.pk}, w.alice),
    "governance:reuse_review": lambda w: Probe(
        _slug("governance:reuse_review")(w), {"on": (timezone.localdate() + timedelta(days=7)).isoformat()}, w.alice
    ),
    "governance:shadow_ai_create": lambda w: Probe(
        reverse("governance:shadow_ai_create"),
        {"tool": "Forged tool", "team": "Ops", "people": 1, "found_via": "survey", "status": "untriaged"},
        w.rita,
    ),
    "governance:shadow_ai_edit": lambda w: Probe(
        reverse("governance:shadow_ai_edit", args=[w.shadow_use.pk]),
        {"tool": "Forged tool", "team": "Ops", "people": 1, "found_via": "survey", "status": "untriaged"},
        w.rita,
    ),
    "governance:shadow_ai_triage": lambda w: Probe(
        reverse("governance:shadow_ai_triage", args=[w.shadow_use.pk]), {"status": "blocked"}, w.rita
    ),
    "governance:shadow_ai_import": lambda w: Probe(
        reverse("governance:shadow_ai_import"),
        {"file": SimpleUploadedFile("found.csv", b"tool,team,people,found_via\nForged tool,Ops,1,survey\n")},
        w.rita,
    ),
    "kpis:objective_set": lambda w: Probe(_slug("kpis:objective_set")(w), {"statement": "Forged objective"}, w.alice),
    "kpis:driver_add": lambda w: Probe(_slug("kpis:driver_add")(w), {"name": "Forged driver"}, w.alice),
    "kpis:driver_remove": lambda w: Probe(
        reverse("kpis:driver_remove", args=[w.initiative.slug, w.empty_driver.pk]), {}, w.alice
    ),
    "kpis:template_apply": lambda w: Probe(
        _slug("kpis:template_apply")(w), {"template": FRAMEWORK_SETS[0].slug}, w.alice
    ),
    "kpis:create": lambda w: Probe(
        _slug("kpis:create")(w),
        _kpi_form_data(w.kpi, key="probe.forged", name="Forged KPI", driver=w.driver.pk),
        w.alice,
    ),
    "kpis:upload": lambda w: Probe(_slug("kpis:upload")(w), {"file": _csv()}, w.alice),
    "kpis:edit": lambda w: Probe(
        reverse("kpis:edit", args=[w.kpi.key]), _kpi_form_data(w.kpi, name="Forged name"), w.alice
    ),
    "kpis:move": lambda w: Probe(reverse("kpis:move", args=[w.kpi.key]), {"direction": "up"}, w.alice),
    "kpis:remove": lambda w: Probe(reverse("kpis:remove", args=[w.kpi.key]), {"confirm": "yes"}, w.alice),
    "login": lambda w: Probe(reverse("login"), {"username": "alice", "password": PASSWORD}),
    "logout": lambda w: Probe(reverse("logout"), {}, w.alice),
    "password_change": lambda w: Probe(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        w.alice,
    ),
    "password_reset": lambda w: Probe(reverse("password_reset"), {"email": w.alice.email}),
    "password_reset_confirm": _reset_confirm,
    "admin:login": lambda w: Probe(
        reverse("admin:login"), {"username": "root", "password": PASSWORD, "next": "/admin/"}
    ),
    "admin:logout": lambda w: Probe(reverse("admin:logout"), {}, w.admin),
}


def _database() -> dict[str, str]:
    """Every row of every table but the sessions, to prove a refused request changed nothing."""
    return {
        model._meta.label: serializers.serialize("json", model._default_manager.order_by("pk"))
        for model in apps.get_models()
        if model._meta.label != "sessions.Session"
    }


def _changed(before: dict[str, str]) -> list[str]:
    after = _database()
    return [label for label in before if after[label] != before[label]]


def _logged_in(client: Client) -> bool:
    return client.get(reverse("initiatives:home")).status_code == 200


def _csrf_client(user: User | None) -> tuple[Client, str]:
    """A browser that holds the CSRF cookie, as a victim's browser would; returns it and the token."""
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    client.get(reverse("login"))
    return client, client.cookies[settings.CSRF_COOKIE_NAME].value


def _refused_for_csrf(response, caplog) -> bool:
    """A 403 from CsrfViewMiddleware (it logs why), not from a permission check."""
    refused = response.status_code == 403 and any(r.name == "django.security.csrf" for r in caplog.records)
    caplog.clear()
    return refused


def _probe(world: World, name: str) -> Probe:
    # Built afresh for every request: an uploaded file is read once.
    return PROBES[name](world)


@pytest.mark.parametrize("name", POST_VIEWS)
def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(world, name, caplog):
    if name not in PROBES:
        pytest.fail(f"{name} accepts POST but tests/test_csrf.py cannot build it: add it to PROBES.")
    probe = _probe(world, name)
    client, token = _csrf_client(probe.user)
    if probe.prepare:
        probe.prepare(client)
    before = _database()

    response = client.post(probe.url, probe.data)

    assert _refused_for_csrf(response, caplog), (response.status_code, response.content[:300])
    assert _changed(before) == []
    assert mail.outbox == []
    assert _logged_in(client) is (probe.user is not None)

    probe = _probe(world, name)
    response = client.post(probe.url, probe.data, HTTP_X_CSRFTOKEN=token)

    assert not _refused_for_csrf(response, caplog)
    had_effect = bool(_changed(before)) or bool(mail.outbox) or _logged_in(client) is (probe.user is None)
    form = (response.context or {}).get("form")
    assert had_effect, (
        f"{name}: with the token the POST changed nothing ({response.status_code}, {form and form.errors})"
    )


def test_every_probe_is_for_a_view_that_accepts_post():
    assert set(PROBES) - set(POST_VIEWS) == set()


def test_the_walk_finds_the_forms():
    assert len(POST_VIEWS) >= 35
    assert {"initiatives:create", "kpis:remove", "login", "logout", "password_change"} <= set(POST_VIEWS)
    assert {"/", "/portfolio/", "/kpis/some.kpi/", "/accounts/reset/done/"} <= set(READ_ONLY_URLS)


@pytest.mark.parametrize("url", READ_ONLY_URLS)
def test_a_post_to_a_read_only_page_without_the_token_is_refused(alice, url, caplog):
    client, _ = _csrf_client(alice)

    assert _refused_for_csrf(client.post(url), caplog)


# 2. The templates

FORM = re.compile(r"<form\b(?P<attrs>[^>]*)>(?P<body>.*?)</form>", re.IGNORECASE | re.DOTALL)
POST = re.compile(r"""\bmethod\s*=\s*["']?post\b|\bformmethod\s*=\s*["']?post\b""", re.IGNORECASE)
CSRF_TOKEN = re.compile(r"{%\s*csrf_token\s*%}")
HTMX_UNSAFE = re.compile(r"\bhx-(post|put|patch|delete)\b", re.IGNORECASE)
SCRIPT_UNSAFE = re.compile(r"""\b(fetch|XMLHttpRequest|htmx\.ajax)\b.*?\b(POST|PUT|PATCH|DELETE)\b""", re.DOTALL)


def _our_templates() -> list[Path]:
    dirs = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]
    dirs += [
        Path(app.path) / "templates"
        for app in apps.get_app_configs()
        if Path(app.path).is_relative_to(settings.BASE_DIR) and ".venv" not in Path(app.path).parts
    ]
    return sorted(path for d in dirs if d.is_dir() for path in d.rglob("*.html"))


def _our_scripts() -> list[Path]:
    return sorted(
        path for d in settings.STATICFILES_DIRS for path in Path(d).rglob("*.js") if "vendor" not in path.parts
    )


def test_every_post_form_in_our_templates_carries_the_csrf_token():
    post_forms, missing = 0, []
    for path in _our_templates():
        text = path.read_text()
        assert text.lower().count("<form") == len(FORM.findall(text)), f"{path}: a <form> without </form>"
        for form in FORM.finditer(text):
            if POST.search(form["attrs"]) or POST.search(form["body"]):
                post_forms += 1
                if not CSRF_TOKEN.search(form["body"]):
                    missing.append(f"{path.relative_to(settings.BASE_DIR)}: <form{form['attrs']}>")
    assert missing == []
    assert post_forms >= 30  # the scan saw the forms, so an empty result means something


def test_scripts_and_htmx_that_send_unsafe_requests_send_the_csrf_header():
    base = (settings.BASE_DIR / "templates" / "base.html").read_text()
    if any(HTMX_UNSAFE.search(path.read_text()) for path in _our_templates()):
        assert re.search(r"hx-headers=.*X-CSRFToken.*csrf_token", base), "base.html must set hx-headers"
    for path in _our_scripts():
        text = path.read_text()
        if SCRIPT_UNSAFE.search(text):
            assert "X-CSRFToken" in text, f"{path} sends unsafe requests without the CSRF header"


# 3. The API

API_URL = "/api/v1/initiatives/"
API_BODY = {"title": "Through the API", "business_unit": "Ops"}


def test_a_session_caller_of_the_api_needs_the_csrf_token(alice):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get(reverse("login"))

    response = client.post(API_URL, API_BODY, format="json")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "CSRF" in response.json()["detail"]
    assert not Initiative.objects.filter(title="Through the API").exists()
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    assert client.post(API_URL, API_BODY, format="json", HTTP_X_CSRFTOKEN=token).status_code == 201


def test_a_token_caller_of_the_api_needs_no_csrf_token(alice):
    _, key = issue_token(acting_user=alice, user=alice, name="ci")
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert client.post(API_URL, API_BODY, format="json").status_code == 201
