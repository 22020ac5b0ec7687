"""The foundation pages: controls by layer, data sources, risk tier, control model, checklist and evidence."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from governance.foundation import services as foundation
from governance.models import ChecklistAnswer, ChecklistItem, Control, DataSource, InitiativeControl, Layer
from initiatives.models import Role
from kpis import services as kpis
from kpis.catalogue import TEMPLATES
from kpis.models import Kpi, Measurement
from tests.lifecycle import api_as, give_role, pass_charter_signoff, request

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_foundation(initiative, alice, sam, rita, dana):
    """Past charter sign-off, with Rita on security/risk and Dana on the data platform."""
    pass_charter_signoff(initiative, requester=alice, approver=sam)
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    give_role(initiative, Role.DATA_PLATFORM, dana, by=alice)
    return initiative


@pytest.fixture
def review(in_foundation, alice):
    return request(in_foundation, alice)


def url(name, initiative):
    return reverse(f"governance:{name}", args=[initiative.slug])


def post_control(client, initiative, key, **fields):
    data = {"action": "control", "control": key, **{f"{key}-{name}": value for name, value in fields.items()}}
    return client.post(url("foundation", initiative), data)


def source_data(prefix, **fields):
    values = {
        "name": "Ticket history",
        "system": "Zendesk",
        "classification": "internal",
        "source_of_truth": "Zendesk production",
        "freshness_sla_hours": "24",
        "retrieval_scope": "Closed tickets of the last two years",
        "owner": "",
        **fields,
    }
    return {f"{prefix}-{name}": value for name, value in values.items() if value is not False}


class TestAccess:
    @pytest.mark.parametrize("name", ["foundation", "control_model"])
    def test_role_holders_see_the_page_and_outsiders_get_404(self, client, in_foundation, rita, alice, charlie, name):
        for user in (rita, alice):
            client.force_login(user)
            assert client.get(url(name, in_foundation)).status_code == 200
        client.force_login(charlie)
        assert client.get(url(name, in_foundation)).status_code == 404

    def test_evidence_pages_are_404_for_outsiders(self, client, review, rita, charlie):
        for name in ("evidence", "evidence_json", "approval_detail"):
            path = reverse(f"governance:{name}", args=[review.pk])
            client.force_login(rita)
            assert client.get(path).status_code == 200
            client.force_login(charlie)
            assert client.get(path).status_code == 404

    def test_the_initiative_page_shows_the_foundation_card(self, client, in_foundation, alice):
        client.force_login(alice)
        page = client.get(in_foundation.get_absolute_url(), {"tab": "foundation"}).content.decode()
        assert 'id="foundation"' in page
        assert url("foundation", in_foundation) in page and url("control_model", in_foundation) in page
        assert "0 data sources" in page


class TestControls:
    def test_in_place_needs_evidence(self, client, in_foundation, rita):
        client.force_login(rita)
        response = post_control(client, in_foundation, "access-policy", status="in-place", evidence=" ")
        assert response.status_code == 200
        assert "Give the evidence that it is in place" in response.content.decode()
        assert not InitiativeControl.objects.filter(initiative=in_foundation).exists()

    def test_waiving_needs_a_reason(self, client, in_foundation, rita):
        client.force_login(rita)
        response = post_control(client, in_foundation, "training", status="waived", waiver_reason="")
        assert "Say why the control is waived" in response.content.decode()
        assert not InitiativeControl.objects.filter(initiative=in_foundation).exists()

    def test_in_place_with_evidence_and_waived_with_reason_are_saved(self, client, in_foundation, rita):
        client.force_login(rita)
        post_control(client, in_foundation, "access-policy", status="in-place", evidence="https://wiki/access")
        response = post_control(client, in_foundation, "training", status="waived", waiver_reason="Agents trained")
        assert response.status_code == 302
        saved = {c.control.key: (c.status, c.updated_by) for c in in_foundation.controls.all()}
        assert saved == {"access-policy": ("in-place", rita), "training": ("waived", rita)}
        page = client.get(url("foundation", in_foundation)).content.decode()
        assert "https://wiki/access" in page and "Agents trained" in page

    def test_someone_without_the_owner_role_gets_a_message(self, client, in_foundation, sam):
        client.force_login(sam)
        response = post_control(client, in_foundation, "access-policy", status="in-place", evidence="x")
        assert response.status_code == 302
        assert "Only the Security / risk role" in client.get(response.url).content.decode()
        assert not InitiativeControl.objects.exists()


GOVERNANCE = ["access-policy", "review-workflow", "model-usage-boundaries", "retention-and-logging"]


def set_in_place(initiative, user, *keys):
    for key in keys:
        foundation.set_control(initiative.pk, acting_user=user, control_key=key, status="in-place", evidence="wiki")


def layer_tag(html: str, layer: str) -> str:
    return re.search(rf'<details class="card layer" id="layer-{layer}"[^>]*>', html).group(0)


def shown_controls(html: str) -> list[str]:
    return re.findall(r'<article class="control [^"]*" id="control-([\w-]+)"', html)


class TestControlLayers:
    def test_a_layer_with_nothing_missing_is_folded_and_one_with_missing_controls_open(
        self, client, in_foundation, rita
    ):
        set_in_place(in_foundation, rita, *GOVERNANCE)
        client.force_login(rita)
        html = client.get(url("foundation", in_foundation)).content.decode()
        assert " open" not in layer_tag(html, "governance")
        assert layer_tag(html, "data").endswith(" open>")

    def test_each_layer_and_the_whole_show_their_progress_in_words_too(self, client, in_foundation, rita):
        set_in_place(in_foundation, rita, *GOVERNANCE[:3])
        foundation.set_control(
            in_foundation.pk, acting_user=rita, control_key=GOVERNANCE[3], status="waived", waiver_reason="n/a"
        )
        client.force_login(rita)
        html = client.get(url("foundation", in_foundation)).content.decode()
        governance = html[html.index('id="layer-governance"') : html.index('id="layer-data"')]
        assert '<progress max="4" value="3" aria-label="Governance: 3 of 4 controls in place">' in governance
        assert "3 of 4 in place · 1 waived</span>" in governance
        controls = html[html.index('id="controls"') : html.index('id="layer-governance"')]
        assert '<progress max="19" value="3"' in controls
        assert '3 of 19 in place · 1 waived · <strong class="missing">15 missing</strong>' in controls

    def test_missing_only_lists_the_missing_controls_and_says_how_many(self, client, in_foundation, rita):
        set_in_place(in_foundation, rita, *GOVERNANCE[:3])
        client.force_login(rita)
        everything = client.get(url("foundation", in_foundation)).content.decode()
        assert len(shown_controls(everything)) == 19
        assert "?missing=1#controls" in everything and "Missing only (16)" in everything

        html = client.get(url("foundation", in_foundation), {"missing": "1"}).content.decode()
        shown = shown_controls(html)
        assert len(shown) == 16 and GOVERNANCE[3] in shown and not set(GOVERNANCE[:3]) & set(shown)
        assert "3 of 4 in place · " in html, "the progress still counts every control"

    def test_a_layer_with_nothing_missing_says_so_under_the_filter(self, client, in_foundation, rita):
        set_in_place(in_foundation, rita, *GOVERNANCE)
        client.force_login(rita)
        html = client.get(url("foundation", in_foundation), {"missing": "1"}).content.decode()
        governance = html[html.index('id="layer-governance"') : html.index('id="layer-data"')]
        assert "No missing control in this layer." in governance

    def test_only_the_forms_of_missing_controls_are_unfolded(self, client, in_foundation, rita):
        set_in_place(in_foundation, rita, "access-policy")
        client.force_login(rita)
        html = client.get(url("foundation", in_foundation)).content.decode()
        forms = dict(re.findall(r'id="control-([\w-]+)".*?<details class="control-edit"( open)?>', html, re.S))
        assert forms["access-policy"] == "" and forms["review-workflow"] == " open"

    def test_a_form_that_comes_back_with_errors_is_open_in_its_open_layer(self, client, in_foundation, rita):
        set_in_place(in_foundation, rita, *GOVERNANCE)
        client.force_login(rita)
        response = post_control(client, in_foundation, "access-policy", status="in-place", evidence=" ")
        html = response.content.decode()
        assert response.status_code == 200 and layer_tag(html, "governance").endswith(" open>")
        assert re.search(r'id="control-access-policy".*?<details class="control-edit" open>', html, re.S)

    def test_a_saved_control_brings_back_the_filter_at_the_control(self, client, in_foundation, rita):
        client.force_login(rita)
        path = url("foundation", in_foundation)
        data = {"action": "control", "control": "access-policy", "access-policy-status": "in-place"}
        response = client.post(path + "?missing=1", {**data, "access-policy-evidence": "wiki/access"})
        assert response["Location"] == path + "?missing=1#control-access-policy"
        response = client.post(path, {**data, "access-policy-evidence": "wiki/access-v2"})
        assert response["Location"] == path + "#control-access-policy"


class TestDataSources:
    def test_add_edit_and_share(self, client, in_foundation, make_initiative, alice, dana):
        client.force_login(dana)
        add = {"action": "add-source", **source_data("new", owner=str(dana.pk))}
        assert client.post(url("foundation", in_foundation), add).status_code == 302
        source = DataSource.objects.get()
        assert list(source.initiatives.all()) == [in_foundation] and source.owner == dana

        edit = {"action": "edit-source", "source": source.pk}
        edit |= source_data(f"source-{source.pk}", classification="confidential", owner=str(dana.pk))
        assert client.post(url("foundation", in_foundation), edit).status_code == 302
        source.refresh_from_db()
        assert source.classification == "confidential"

        other = make_initiative("IT helpdesk assistant")
        client.force_login(alice)
        response = client.post(url("foundation", other), {"action": "link-source", "source": source.pk})
        assert response.status_code == 302
        assert set(source.initiatives.all()) == {in_foundation, other}
        assert "Ticket history" in client.get(url("foundation", other)).content.decode()

    def test_a_duplicate_name_is_reported_next_to_the_field(self, client, in_foundation, dana):
        DataSource.objects.create(name="Ticket history", system="Zendesk")
        client.force_login(dana)
        response = client.post(url("foundation", in_foundation), {"action": "add-source", **source_data("new")})
        assert response.status_code == 200
        assert "Data source with this Name already exists." in response.content.decode()
        assert DataSource.objects.count() == 1


class TestRiskTier:
    def test_rita_raises_the_tier_and_legal_joins_the_next_gate(self, client, in_foundation, rita):
        client.force_login(rita)
        before = client.get(url("foundation", in_foundation)).content.decode()
        assert "Legal / compliance" not in before
        response = client.post(
            url("foundation", in_foundation),
            {"action": "raise-tier", "risk_tier": "high", "reason": "Answers reach customers in regulated markets"},
        )
        assert response.status_code == 302
        in_foundation.refresh_from_db()
        assert in_foundation.risk_tier == "high"
        assert "regulated markets" in in_foundation.risk_reason
        after = client.get(url("foundation", in_foundation)).content.decode()
        approvers = after.split('id="next-gate-approvers"')[1].split("</ul>")[0]
        assert "Legal / compliance" in approvers

    def test_a_reason_is_required(self, client, in_foundation, rita):
        client.force_login(rita)
        response = client.post(url("foundation", in_foundation), {"action": "raise-tier", "risk_tier": "high"})
        assert response.status_code == 200
        in_foundation.refresh_from_db()
        assert in_foundation.risk_tier == "medium"

    def test_the_pm_cannot_raise_it(self, client, in_foundation, alice):
        client.force_login(alice)
        response = client.post(
            url("foundation", in_foundation), {"action": "raise-tier", "risk_tier": "high", "reason": "Why not"}
        )
        assert response.status_code == 302
        assert "Only a security/risk role holder" in client.get(response.url).content.decode()
        in_foundation.refresh_from_db()
        assert in_foundation.risk_tier == "medium"


class TestChecklistAndEvidence:
    def test_an_approver_answers_and_it_shows_in_the_pack_and_the_evidence(self, client, review, rita):
        item = ChecklistItem.objects.get(gate="foundation-ready", question="Can we roll back safely?")
        client.force_login(rita)
        response = client.post(
            reverse("governance:checklist_answer", args=[review.pk]),
            {"item": item.pk, f"q{item.pk}-answer": "yes", f"q{item.pk}-note": "Feature flag, tested"},
        )
        assert response.status_code == 302
        assert ChecklistAnswer.objects.get(review=review, item=item).answered_by == rita
        pack = client.get(reverse("governance:approval_detail", args=[review.pk])).content.decode()
        assert "Feature flag, tested" in pack and "Evidence (JSON)" in pack and "Evidence (printable)" in pack

        response = client.get(reverse("governance:evidence_json", args=[review.pk]))
        assert response["Content-Type"] == "application/json"
        assert "attachment" in response["Content-Disposition"]
        body = json.loads(response.content)
        rows = {row["question"]: row for row in body["checklist"]}
        assert rows["Can we roll back safely?"]["answer"] == "yes"
        assert rows["Can we roll back safely?"]["references"] == {
            "eu_ai_act": "Art. 15",
            "nist_ai_rmf": "MANAGE 2.4",
            "iso_iec_42001": "A.6.2.6",
        }
        assert "Feature flag, tested" in client.get(reverse("governance:evidence", args=[review.pk])).content.decode()

    def test_no_without_a_note_is_refused_next_to_the_field(self, client, review, rita):
        item = ChecklistItem.objects.filter(gate="foundation-ready").first()
        client.force_login(rita)
        response = client.post(
            reverse("governance:checklist_answer", args=[review.pk]), {"item": item.pk, f"q{item.pk}-answer": "no"}
        )
        assert response.status_code == 200
        assert "Say what is missing" in response.content.decode()
        assert not review.checklist_answers.exists()

    def test_the_requester_cannot_answer(self, client, review, alice):
        item = ChecklistItem.objects.filter(gate="foundation-ready").first()
        client.force_login(alice)
        response = client.post(
            reverse("governance:checklist_answer", args=[review.pk]), {"item": item.pk, f"q{item.pk}-answer": "yes"}
        )
        assert response.status_code == 302
        assert "segregation of duties" in client.get(response.url).content.decode()
        assert not review.checklist_answers.exists()


def test_the_control_model_shows_every_layer(client, in_foundation, rita):
    foundation.set_control(
        in_foundation.pk, acting_user=rita, control_key="rollback-plan", status="in-place", evidence="Kill switch"
    )
    client.force_login(rita)
    page = client.get(url("control_model", in_foundation)).content.decode()
    for layer in Layer:
        assert f">{layer.label}<" in page
    assert "Kill switch" in page and "window.print()" in page and "@media print" in page


@pytest.mark.parametrize("name", ["initiative", "foundation", "control_model"])
def test_pages_read_who_updated_each_control_in_one_query(
    client, in_foundation, rita, django_assert_max_num_queries, name
):
    def record(controls):
        for control in controls:
            foundation.set_control(
                in_foundation.pk, acting_user=rita, control_key=control.key, status="in-place", evidence="Checked."
            )

    path = in_foundation.get_absolute_url() if name == "initiative" else url(name, in_foundation)
    controls = list(Control.objects.filter(is_active=True))
    record(controls[:1])
    client.force_login(rita)
    with CaptureQueriesContext(connection) as one:
        assert client.get(path).status_code == 200

    record(controls[1:])
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(path).status_code == 200


def control_html(page: str, key: str, until: str | None = None) -> str:
    """The foundation page's HTML of one control: up to the control `until`, else its next 3,000 characters."""
    start = page.index(f'id="control-{key}"')
    return page[start : page.index(f'id="control-{until}"')] if until else page[start:][:3000]


def api_controls(initiative, user) -> dict:
    """The controls API's controls of `initiative`, by key."""
    body = api_as(user).get(f"/api/v1/initiatives/{initiative.slug}/controls/").json()
    return {c["key"]: c for layer in body for c in layer["controls"]}


class TestMeasuredControls:
    """The adoption layer's controls show the KPI that proves them (Control.measured_by), from the
    change-management KPI set, with its newest point."""

    def _training_kpi(self, initiative, alice):
        kpis.apply_template(initiative.pk, acting_user=alice, template="enablement-kpi-set")
        return Kpi.objects.get(key=f"{initiative.slug}.training-completion")

    def test_the_migrations_link_every_adoption_control_to_the_set(self):
        suffixes = {k.suffix for specs in TEMPLATES["enablement-kpi-set"].drivers.values() for k in specs}
        linked = dict(Control.objects.exclude(measured_by="").values_list("key", "measured_by"))
        assert linked == {
            "training": "training-completion",
            "support-channel": "support-channel-use",
            "change-management": "training-completion",
            "usage": "weekly-active-users",
        }
        assert set(linked.values()) <= suffixes

    def test_the_adoption_layer_is_training_change_management_and_usage(self):
        """The framework's row: "Training, change management, usage", owned by enablement, in that order
        after the support channel."""
        adoption = Control.objects.filter(layer=Layer.ADOPTION, is_active=True)
        assert list(adoption.values_list("key", "name", "owner_role")) == [
            ("training", "Training", "enablement"),
            ("support-channel", "Support channel", "enablement"),
            ("change-management", "Change management", "enablement"),
            ("usage", "Usage tracked", "enablement"),
        ]

    def test_the_page_says_when_the_initiative_does_not_track_it(self, client, in_foundation, alice):
        client.force_login(alice)
        page = client.get(url("foundation", in_foundation)).content.decode()
        training = control_html(page, "training")
        assert "not tracked: add the change-management KPI set" in training

    def test_the_page_shows_the_newest_point_beside_the_control(self, client, in_foundation, alice):
        kpi = self._training_kpi(in_foundation, alice)
        client.force_login(alice)
        page = client.get(url("foundation", in_foundation)).content.decode()
        assert "no data yet" in control_html(page, "training")

        Measurement.objects.create(kpi=kpi, timestamp="2026-10-01T00:00:00Z", value=40)
        Measurement.objects.create(kpi=kpi, timestamp="2026-10-08T00:00:00Z", value=72.5)
        page = client.get(url("foundation", in_foundation)).content.decode()
        training = control_html(page, "training")
        assert f'href="{reverse("kpis:detail", args=[kpi.key])}"' in training
        assert "72.5 %" in training and "8 Oct 2026" in training
        support = control_html(page, "support-channel", until="change-management")
        assert "no data yet" in support and "72.5" not in support
        change = control_html(page, "change-management", until="usage")
        assert "72.5 %" in change, "change management reads the same training completion"

    def test_the_api_gives_the_same_measure(self, in_foundation, alice):
        kpi = self._training_kpi(in_foundation, alice)
        Measurement.objects.create(kpi=kpi, timestamp="2026-10-08T00:00:00Z", value=72.5)
        controls = api_controls(in_foundation, alice)
        assert controls["training"]["measured_by"] == "training-completion"
        assert controls["training"]["measure"] == {
            "kpi": kpi.key,
            "name": kpi.name,
            "unit": "%",
            "latest_value": 72.5,
            "latest_at": "2026-10-08T00:00:00Z",
        }
        assert controls["change-management"]["measure"] == controls["training"]["measure"]
        assert controls["rollback-plan"]["measured_by"] == "" and controls["rollback-plan"]["measure"] is None

    def test_usage_shows_weekly_active_users_on_the_page_and_in_the_api(self, client, in_foundation, alice):
        kpis.apply_template(in_foundation.pk, acting_user=alice, template="enablement-kpi-set")
        kpi = Kpi.objects.get(key=f"{in_foundation.slug}.weekly-active-users")
        client.force_login(alice)
        page = client.get(url("foundation", in_foundation)).content.decode()
        assert "no data yet" in control_html(page, "usage")

        Measurement.objects.create(kpi=kpi, timestamp="2026-10-01T00:00:00Z", value=31)
        Measurement.objects.create(kpi=kpi, timestamp="2026-10-08T00:00:00Z", value=64.5)
        page = client.get(url("foundation", in_foundation)).content.decode()
        usage = control_html(page, "usage")
        assert f'href="{reverse("kpis:detail", args=[kpi.key])}"' in usage
        assert "64.5 %" in usage and "8 Oct 2026" in usage
        change = control_html(page, "change-management", until="usage")
        assert "no data yet" in change and "64.5" not in change

        controls = api_controls(in_foundation, alice)
        assert controls["usage"]["measured_by"] == "weekly-active-users"
        assert controls["usage"]["measure"] == {
            "kpi": kpi.key,
            "name": "Weekly active users in target cohort",
            "unit": "%",
            "latest_value": 64.5,
            "latest_at": "2026-10-08T00:00:00Z",
        }
        assert controls["change-management"]["measure"]["kpi"] == f"{in_foundation.slug}.training-completion"
        assert controls["change-management"]["measure"]["latest_value"] is None

    def test_measures_cost_one_query_however_many_controls_are_measured(
        self, client, in_foundation, alice, django_assert_max_num_queries
    ):
        client.force_login(alice)
        Control.objects.filter(measured_by="").update(measured_by="unknown-kpi")
        with CaptureQueriesContext(connection) as all_measured:
            assert client.get(url("foundation", in_foundation)).status_code == 200
        Control.objects.update(measured_by="")
        with CaptureQueriesContext(connection) as none_measured:
            assert client.get(url("foundation", in_foundation)).status_code == 200
        assert len(all_measured.captured_queries) == len(none_measured.captured_queries) + 1
