"""People read names and words, not identifiers (issue 15, item 6): a role by its label ("Security / risk",
never "security-risk"), a person by name ("Priya Nair", never "pm"), a control, a gate, a stage and a
status by theirs, on every page the demo's people open and in every email OpModel sends them. Slugs and
usernames stay where machines read them: URLs, attributes, the API and the CSV's own columns for them."""

import csv
import io
import re
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command

from governance.foundation import evidence
from governance.foundation import services as foundation
from governance.history import describe
from governance.models import (
    AuditEvent,
    Control,
    GateDecision,
    GatePolicy,
    GateReview,
    InitiativeControl,
    Notification,
)
from governance.tasks import email_notifications_task, notify_new_reviews_task, remind_overdue_reviews_task
from initiatives import services as initiative_services
from initiatives.models import Initiative, Role, Stage
from kpis.models import Scorecard
from kpis.recompute import recompute_scorecards
from kpis.tasks import notify_stale_kpis_task
from tests.lifecycle import give_role, pass_charter_signoff

# People's own words that the product shows as they wrote them: asset content and its diffs, quoted
# comments, the sample of a CSV upload, and tags (a tag is the word its author chose, slug-like or not).
OWN_WORDS = {"pre", "q", "textarea"}
OWN_WORDS_CLASSES = {"asset-content", "tag", "diff"}
NOT_SHOWN = {"script", "style", "template"}
VOID = {"br", "hr", "img", "input", "link", "meta"}
# An identifier that is also plain English, written so in people's own comments and reasons (and the
# framework's own "change-management lead", as in "the change-management KPI set").
ENGLISH = {"scale-out", "change-management"}
# Where a username would stand for a person: alone in a cell, in brackets, after "by" or "owner".
PERSON_CONTEXT = r"^{u}$|\({u}\)|\b(?:by|owner|Owner:) {u}\b"


class VisibleText(HTMLParser):
    """The text a person sees, node by node: no attribute, no script, none of people's own words."""

    def __init__(self):
        super().__init__()
        self.nodes: list[str] = []
        self.links: list[str] = []
        self._hidden: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        classes = set((attrs.get("class") or "").split())
        hides = tag in NOT_SHOWN | OWN_WORDS or classes & OWN_WORDS_CLASSES or attrs.get("name") == "tag"
        if (self._hidden or hides) and tag not in VOID:  # inside a hidden element, count its children's ends
            self._hidden.append(tag)

    def handle_endtag(self, tag):
        if self._hidden and self._hidden[-1] == tag:
            self._hidden.pop()

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.nodes.append(" ".join(data.split()))


def visible(html: str) -> VisibleText:
    parser = VisibleText()
    parser.feed(html)
    return parser


def identifiers() -> set[str]:
    """Every slug a person could be shown instead of its label: of roles, stages, gates, statuses, controls
    and criteria (the keys the gate policies name). A one-word value is an English word too ("training",
    "enablement"), so only those with a hyphen count, and "cto", which English writes "CTO"."""
    choices = [Role, Stage, GateReview.Status, GateDecision.Kind, Initiative.Status, InitiativeControl.Status]
    slugs = {value for kind in choices for value in kind.values}
    slugs |= {value for value, _ in GateReview._meta.get_field("gate").choices}
    slugs |= {"no-data"} | set(Control.objects.values_list("key", flat=True))
    slugs |= {key for keys in GatePolicy.objects.values_list("criteria", flat=True) for key in keys}
    return {slug for slug in slugs if "-" in slug} - ENGLISH | {Role.CTO.value}


class Leaks:
    """Finds identifiers in what people read; `found` lists each with the text it stood in."""

    def __init__(self, usernames):
        words = "|".join(map(re.escape, sorted(identifiers(), key=len, reverse=True)))
        self.slug = re.compile(rf"(?<![\w/.-])({words})(?![\w-])")
        people = "|".join(map(re.escape, usernames))
        self.person = re.compile(PERSON_CONTEXT.format(u=f"(?:{people})"))
        self.found: list[str] = []

    def check(self, where: str, nodes: list[str]) -> None:
        for node in nodes:
            node = re.sub(r"https?://\S+|\S+@\S+", "", node)  # links and addresses in emails
            if self.slug.search(node) or self.person.search(node):
                self.found.append(f"{where}: {node[:150]}")


def test_the_checker_finds_what_the_issue_saw(db):
    # The issue's examples, as pages showed them before: each is caught, and their words are not.
    user = get_user_model().objects.create_user("pm", first_name="Priya", last_name="Nair")
    leaks = Leaks([user.username])
    leaks.check("scorecard", visible("<p>Missing roles: cto, security-risk</p>").nodes)
    leaks.check("kpi", visible("<p>lagging · daily · owner pm</p>").nodes)
    leaks.check("control model", visible("<li><strong>rollback-plan</strong>: missing</li>").nodes)
    leaks.check("crumb", visible("<td>pm</td>").nodes)
    assert len(leaks.found) == 4
    words = "<p>Missing roles: CTO, Security / risk</p><p>owner Priya Nair</p><li>Rollback plan: Missing</li>"
    links = '<a href="/initiatives/x/control-model/#rollback-plan" title="security-risk">Control model</a>'
    leaks.check("labels", visible(words + links).nodes)
    assert len(leaks.found) == 4


def walk(client, leaks: Leaks, who: str, *, per_pattern: int) -> int:
    """Open every page reachable from the home page (admin, API and logout aside), at most
    `per_pattern` of each kind (/kpis/<key>/ is one kind), and check what each shows and exports."""
    queue, seen, kinds = deque(["/"]), set(), Counter()
    while queue:
        url = queue.popleft()
        response = client.get(url)
        assert response.status_code == 200, (who, url)
        kind = response["Content-Type"]
        if kind.startswith("text/html"):
            page = visible(response.content.decode())
            leaks.check(f"{who} {url}", page.nodes)
            for href in page.links:
                parts = urlsplit(href)
                target = parts.path + (f"?{parts.query}" if parts.query else "")
                pattern = re.sub(r"/[^/]*[\d.-][^/]*/", "/*/", parts.path) + re.sub(r"=[^&]*", "=", parts.query)
                if parts.netloc or not parts.path.startswith("/") or target in seen or _skipped(parts.path):
                    continue
                if kinds[pattern] < per_pattern:
                    kinds[pattern] += 1
                    seen.add(target)
                    queue.append(target)
        elif kind.startswith("text/csv"):
            lines = list(csv.reader(io.StringIO(response.getvalue().decode())))
            header, rows = lines[0], lines[1:]
            for_people = [n for n, column in enumerate(header) if column not in ("Owner username", "Slug", "URL")]
            leaks.check(f"{who} {url}", [row[n] for row in rows for n in for_people])
    return len(seen)


def _skipped(path: str) -> bool:
    return path.startswith(("/admin/", "/api/", "/accounts/logout/", "/static/")) or path.endswith(".json")


@pytest.mark.django_db
def test_the_demo_shows_people_and_words_on_every_page_and_in_every_email(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
    call_command("seed_demo", stdout=io.StringIO())
    users = get_user_model().objects.in_bulk(field_name="username")
    leaks = Leaks(list(users))

    # A leader sees every initiative, review and KPI; each other demo person their own pages.
    client.force_login(users["leader"])
    assert walk(client, leaks, "leader", per_pattern=12) > 100
    for username in ("pm", "risk", "platform", "data", "owner"):
        client.force_login(users[username])
        walk(client, leaks, username, per_pattern=1)

    # As if no email had gone out yet, so each kind is sent again: new and overdue reviews, notifications.
    GateReview.objects.update(notified_at=None, reminded_at=None)
    Notification.objects.update(emailed_at=None)
    for task in (notify_new_reviews_task, remind_overdue_reviews_task, email_notifications_task):
        task.delay()
    notify_stale_kpis_task.delay()
    assert len(mail.outbox) > 5
    for message in mail.outbox:
        leaks.check(f"email “{message.subject}”", [message.subject, *message.body.splitlines()])

    assert leaks.found == []


@pytest.fixture
def story(initiative, alice, sam, rita, dana, lee):
    """Alice's initiative through its charter sign-off (Sam approves as executive sponsor), then Rita
    records a control, Dana a data source she owns, and Rita a higher risk tier from the details."""
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    review = pass_charter_signoff(initiative, requester=alice, approver=sam)
    foundation.set_control(
        initiative.pk, acting_user=rita, control_key="rollback-plan", status="in-place", evidence="Runbook RB-7"
    )
    foundation.save_data_source(
        initiative.pk, acting_user=alice, name="Ticket history", system="Zendesk", classification="internal", owner=dana
    )
    initiative_services.update_initiative(initiative.pk, acting_user=rita, risk_tier="high")
    recompute_scorecards(full=True)
    initiative.refresh_from_db()
    return review


def test_the_audit_trail_names_people_roles_controls_and_stages(client, story, alice):
    client.force_login(alice)
    html = client.get(story.initiative.get_absolute_url(), {"tab": "history"}).content.decode()
    trail = visible(html[html.index('id="audit"') :])
    text = " | ".join(trail.nodes)

    for said in ("Sam Sponsor", "Rita Risk", "Gate decision", "Stage changed", "Executive sponsor"):
        assert said in text
    for said in ("Control recorded", "Rollback plan", "In place", "Security / risk", "Dana Data", "Secure foundation"):
        assert said in text
    for identifier in ("gate.decided", "rollback-plan", "in-place", "security-risk", "secure-foundation", "sam"):
        assert not re.search(rf"(?<![\w-]){re.escape(identifier)}(?![\w-])", text), identifier


def test_describe_reads_a_page_of_events_in_a_few_queries(story, django_assert_max_num_queries):
    events = list(AuditEvent.objects.filter(initiative_id=story.initiative_id).order_by("-id"))
    with django_assert_max_num_queries(4):  # people, controls, assets or KPIs named, the criteria of requests
        described = describe(events)
    stage = next(e for e in described if e.action == "initiative.stage_changed")
    assert (stage.who, stage.what) == ("Sam Sponsor", "Stage changed")
    assert {"field": "Stage", "before": "Define outcome", "after": "Secure foundation"} in stage.lines


def test_the_evidence_keeps_api_values_and_adds_labels_for_people(client, story, alice):
    data = evidence.gate_evidence(story)

    review, [decision] = data["review"], data["decisions"]
    assert (review["gate"], review["gate_label"]) == ("charter-signoff", "Charter sign-off")
    assert (review["to_stage"], review["to_stage_label"]) == ("secure-foundation", "Secure foundation")
    assert (review["status"], review["status_label"]) == ("approved", "Approved")
    assert (decision["role"], decision["role_label"]) == ("executive-sponsor", "Executive sponsor")
    model = data["control_model"]
    assert (model["risk"]["tier"], model["risk"]["tier_label"]) == ("high", "High")
    rollback = model["escalation_and_rollback"]["rollback-plan"]
    assert (rollback["name"], rollback["status_label"]) == ("Rollback plan", "In place")
    assert [(a["gate_label"], a["role_label"]) for a in model["approvals"]] == [
        ("Charter sign-off", "Executive sponsor")
    ]

    client.force_login(alice)
    page = visible(client.get(f"/approvals/{story.pk}/evidence/").content.decode()).nodes
    control_model = visible(client.get(f"/initiatives/{story.initiative.slug}/control-model/").content.decode())
    leaks = Leaks(["alice", "sam", "rita", "dana"])
    leaks.check("evidence", page)
    leaks.check("control model", control_model.nodes)
    assert leaks.found == []


def test_the_portfolio_export_names_owners_and_keeps_their_usernames_apart(client, story, lee):
    Scorecard.objects.update(confidence="fresh")
    client.force_login(lee)
    header, row = list(csv.reader(io.StringIO(client.get("/portfolio/export.csv").getvalue().decode())))
    line = dict(zip(header, row, strict=True))

    assert (line["Owner"], line["Owner username"]) == ("Alice Product", "alice")
    assert (line["Risk tier"], line["Confidence"]) == ("High", "Fresh")
    assert (line["Slug"], line["URL"]) == (story.initiative.slug, story.initiative.get_absolute_url())


def test_people_pickers_list_names(client, initiative, alice, sam):
    client.force_login(alice)
    html = client.get(initiative.get_absolute_url()).content.decode()
    picker = html[html.index('name="user"') :].split("</select>")[0]
    assert ">Alice Product<" in picker and ">Sam Sponsor<" in picker
    assert "(alice)" not in picker
