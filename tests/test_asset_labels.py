"""Labels point at versions; their moves are audited, and security requirements wait for a security/risk approval."""

import pytest
from django.contrib.admin.sites import site
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from governance.errors import TransitionError
from governance.library import services as library
from governance.models import AssetLabel, AuditEvent, LabelMoveRequest
from initiatives.models import Role
from tests.lifecycle import give_role

pytestmark = pytest.mark.django_db
PROMPT = "Classify {{ticket_text}}."
SECURITY = "# Customer data\n\nNo ticket text leaves the EU region.\n"


@pytest.fixture
def curator(dana, initiative, alice):
    give_role(initiative, Role.PLATFORM_ENGINEERING, dana, by=alice)
    return dana


@pytest.fixture
def security_holder(rita, initiative, alice):
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    return rita


def _with_versions(user, name, type, content, count=2):
    asset = library.create_asset(acting_user=user, name=name, type=type, content=content)
    for n in range(2, count + 1):
        library.publish_version(asset.pk, acting_user=user, content=f"{content}\nRevision {n}.", changelog=f"v{n}")
    return asset


@pytest.fixture
def prompt(curator):
    return _with_versions(curator, "Triage prompt", "prompt-template", PROMPT)


@pytest.fixture
def requirement(curator):
    return _with_versions(curator, "EU data residency", "security-requirement", SECURITY)


def _label(asset, name="recommended") -> int | None:
    label = AssetLabel.objects.filter(asset=asset, name=name).select_related("version").first()
    return label.version.number if label else None


class TestMoves:
    def test_each_move_is_audited_with_before_and_after(self, prompt, curator):
        library.move_label(prompt.pk, acting_user=curator, name="recommended", version_number=1)
        library.move_label(prompt.pk, acting_user=curator, name="Recommended", version_number=2)

        events = AuditEvent.objects.filter(action="asset.label_moved").order_by("id")
        assert [(e.actor_username, e.before, e.after) for e in events] == [
            ("dana", None, {"asset": "triage-prompt", "label": "recommended", "version": 1}),
            (
                "dana",
                {"label": "recommended", "version": 1},
                {"asset": "triage-prompt", "label": "recommended", "version": 2},
            ),
        ]
        assert _label(prompt) == 2 and AssetLabel.objects.count() == 1

    def test_labels_are_independent(self, prompt, curator):
        library.move_label(prompt.pk, acting_user=curator, name="recommended", version_number=2)
        library.move_label(prompt.pk, acting_user=curator, name="deprecated", version_number=1)

        assert (_label(prompt), _label(prompt, "deprecated")) == (2, 1)

    def test_non_curators_cannot_move_labels(self, prompt, alice, charlie):
        for user in (alice, charlie):
            with pytest.raises(PermissionDenied):
                library.move_label(prompt.pk, acting_user=user, name="recommended", version_number=1)
        assert not AssetLabel.objects.exists()


class TestSecurityRequirements:
    @pytest.fixture
    def pending(self, requirement, curator, security_holder):
        library.move_label(requirement.pk, acting_user=curator, name="recommended", version_number=1)
        library.decide_label_request(
            LabelMoveRequest.objects.get().pk, acting_user=security_holder, approve=True, comment="v1 reviewed."
        )
        return library.move_label(requirement.pk, acting_user=curator, name="recommended", version_number=2)

    def test_a_move_waits_for_approval_and_is_audited_as_requested(self, requirement, curator):
        request = library.move_label(requirement.pk, acting_user=curator, name="recommended", version_number=2)

        assert isinstance(request, LabelMoveRequest) and request.status == LabelMoveRequest.Status.PENDING
        assert _label(requirement) is None
        event = AuditEvent.objects.get(action="asset.label_requested")
        assert event.after == {"asset": "eu-data-residency", "label": "recommended", "version": 2}

    def test_the_requester_cannot_approve_even_holding_security_risk(self, requirement, curator, initiative, alice):
        give_role(initiative, Role.SECURITY_RISK, curator, by=alice)
        request = library.move_label(requirement.pk, acting_user=curator, name="recommended", version_number=2)

        with pytest.raises(PermissionDenied, match="someone else must approve"):
            library.decide_label_request(request.pk, acting_user=curator, approve=True)
        request.refresh_from_db()
        assert request.status == LabelMoveRequest.Status.PENDING and _label(requirement) is None

    @pytest.mark.parametrize("who", ["alice", "lee", "charlie", "sam"])
    def test_only_security_risk_holders_may_decide(self, pending, who, request):
        user = request.getfixturevalue(who)

        with pytest.raises(PermissionDenied, match="security/risk role holder"):
            library.decide_label_request(pending.pk, acting_user=user, approve=True)
        assert _label(pending.asset) == 1

    def test_an_approval_moves_the_label_with_an_audit_row(self, pending, security_holder):
        decided = library.decide_label_request(pending.pk, acting_user=security_holder, approve=True, comment="OK.")

        assert (decided.status, decided.decided_by, decided.comment) == ("approved", security_holder, "OK.")
        assert _label(pending.asset) == 2
        moved = AuditEvent.objects.filter(action="asset.label_moved").latest("id")
        assert (moved.actor_username, moved.before["version"], moved.after["version"]) == ("rita", 1, 2)

    def test_a_rejection_leaves_the_label_where_it_was(self, pending, security_holder):
        moves = AuditEvent.objects.filter(action="asset.label_moved").count()

        decided = library.decide_label_request(pending.pk, acting_user=security_holder, approve=False, comment="No.")

        assert decided.status == LabelMoveRequest.Status.REJECTED
        assert _label(pending.asset) == 1
        assert AuditEvent.objects.filter(action="asset.label_moved").count() == moves
        assert AuditEvent.objects.filter(action="asset.label_request_decided").latest("id").after["status"] == (
            "rejected"
        )

    def test_a_decided_request_cannot_be_decided_again(self, pending, security_holder):
        library.decide_label_request(pending.pk, acting_user=security_holder, approve=False)

        with pytest.raises(TransitionError, match="already rejected"):
            library.decide_label_request(pending.pk, acting_user=security_holder, approve=True)
        assert _label(pending.asset) == 1


class TestAdmin:
    def _run(self, action, user, queryset):
        request = RequestFactory().post("/admin/")
        request.user = user
        request.session = {}
        request._messages = FallbackStorage(request)
        getattr(site._registry[LabelMoveRequest], action)(request, queryset)
        return [str(m) for m in request._messages]

    def test_admin_actions_decide_through_the_service(self, pending_pair, security_holder, curator):
        approve, reject = pending_pair

        refused = self._run("approve_selected", curator, LabelMoveRequest.objects.filter(pk=approve.pk))
        assert "someone else must approve" in refused[0]
        self._run("approve_selected", security_holder, LabelMoveRequest.objects.filter(pk=approve.pk))
        self._run("reject_selected", security_holder, LabelMoveRequest.objects.filter(pk=reject.pk))

        statuses = dict(LabelMoveRequest.objects.values_list("pk", "status"))
        assert (statuses[approve.pk], statuses[reject.pk]) == ("approved", "rejected")
        assert (_label(approve.asset), _label(approve.asset, "deprecated")) == (2, None)

    def test_labels_are_read_only_in_the_admin(self, security_holder):
        request = RequestFactory().get("/admin/")
        request.user = security_holder
        model_admin = site._registry[AssetLabel]

        assert not (model_admin.has_add_permission(request) or model_admin.has_change_permission(request))

    @pytest.fixture
    def pending_pair(self, requirement, curator):
        approve = library.move_label(requirement.pk, acting_user=curator, name="recommended", version_number=2)
        reject = library.move_label(requirement.pk, acting_user=curator, name="deprecated", version_number=1)
        return approve, reject
