from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from governance import audit, policies
from governance.errors import TransitionError
from governance.library.services import decide_label_request, update_asset
from governance.models import (
    ApiToken,
    Asset,
    AssetLabel,
    AssetTag,
    AssetUsage,
    AssetVersion,
    AuditEvent,
    ChecklistAnswer,
    ChecklistItem,
    Control,
    DataSource,
    GateDecision,
    GatePolicy,
    GateReview,
    InitiativeControl,
    LabelMoveRequest,
    Notification,
)
from governance.services import decide
from initiatives.models import LEADERSHIP_GROUP, leaders


class ExplainedRefusals:
    """An admin that refuses an add, change or delete says why and where it is done instead.

    Django's own refusal is a bare 403; the 403 page shows `refusal`.
    """

    refusal = "Only the application writes these rows: it checks who may change them and audits every change."

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied(self.refusal)
        return super().add_view(request, form_url, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            obj = self.get_object(request, unquote(object_id))
            if obj is not None and not self.has_change_permission(request, obj):
                raise PermissionDenied(self.refusal)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and not self.has_delete_permission(request, obj):
            raise PermissionDenied(self.refusal)
        return super().delete_view(request, object_id, extra_context)


class NoWrites:
    """Neither add, change nor delete: the admin only shows these rows."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(NoWrites, ExplainedRefusals, admin.ModelAdmin):
    """Rows written only by a service (checked and audited there): the admin shows them, never changes them."""


@admin.register(GatePolicy)
class GatePolicyAdmin(ExplainedRefusals, admin.ModelAdmin):
    refusal = (
        "A published gate policy never changes and is never deleted (reviews ran under it): copy it to a new "
        "draft version, edit the draft and publish that."
    )
    list_display = ["gate", "risk_tier", "version", "published_at", "review_due_days"]
    list_filter = ["gate", "risk_tier"]
    actions = ["publish", "copy_to_draft"]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.is_published)

    def get_readonly_fields(self, request, obj=None):
        if obj and obj.is_published:
            return [f.name for f in obj._meta.fields]
        return ["published_at", "created_at"]

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.is_published

    def save_model(self, request, obj, form, change):
        fields = {name: getattr(obj, name) for name in policies.POLICY_FIELDS}
        obj.pk = policies.save_policy_draft(obj.pk if change else None, acting_user=request.user, **fields).pk

    def delete_model(self, request, obj):
        policies.delete_policy_draft(obj.pk, acting_user=request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():  # the "delete selected" action runs outside the admin's transaction
            for policy in queryset:
                policies.delete_policy_draft(policy.pk, acting_user=request.user)

    @admin.action(description="Publish selected drafts (they become immutable)")
    def publish(self, request, queryset):
        for policy in queryset.order_by("version"):
            if policy.is_published:
                self.message_user(request, f"{policy}: already published.", level=messages.WARNING)
                continue
            try:
                policies.publish_policy(policy.pk, acting_user=request.user)
            except (TransitionError, ValidationError) as exc:
                self.message_user(request, f"{policy}: {' '.join(_messages(exc))}", level=messages.ERROR)
            else:
                self.message_user(request, f"{policy}: published; new reviews of this gate run under it.")

    @admin.action(description="Copy to a new draft version")
    def copy_to_draft(self, request, queryset):
        for policy in queryset:
            draft = policies.copy_policy_to_draft(policy.pk, acting_user=request.user)
            self.message_user(request, f"{draft}: draft created from v{policy.version}; edit it, then publish.")


def _messages(exc) -> list[str]:
    return exc.messages if isinstance(exc, ValidationError) else [str(exc)]


class GateDecisionInline(admin.TabularInline):
    model = GateDecision
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in GateDecision._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(GateReview)
class GateReviewAdmin(ReadOnlyAdmin):
    """Reviews are decided through the same service as the browser and the API (segregation of duties)."""

    refusal = (
        "Gate reviews and their decisions change only through decisions: in the decision pack, over the API "
        "or with the “Approve as me” action, where segregation of duties applies. The admin never adds, "
        "edits or deletes them."
    )
    list_display = ["initiative", "gate", "status", "requested_by", "requested_at", "closed_at"]
    list_filter = ["gate", "status"]
    search_fields = ["initiative__title", "initiative__slug"]
    inlines = [GateDecisionInline]
    actions = ["approve_selected"]

    @admin.action(description="Approve as me (segregation of duties applies)")
    def approve_selected(self, request, queryset):
        for review in queryset:
            try:
                decide(review.pk, acting_user=request.user, decision="approve", comment="Approved in admin.")
            except (PermissionDenied, TransitionError, ValidationError) as exc:
                self.message_user(request, f"{review}: {exc}", level=messages.ERROR)
            else:
                self.message_user(request, f"{review}: approval recorded.")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    refusal = "Audit events are append-only: nobody adds, edits or deletes them, in the admin or anywhere else."
    list_display = ["id", "occurred_at", "actor_username", "action", "object_type", "object_id", "request_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_username", "object_id", "request_id"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Keys are shown once: issued on the tokens page or by create_api_token, revoked there, audited both ways."""

    refusal = (
        "Tokens are issued on the API tokens page or with create_api_token, and their holders revoke them "
        "there, where each is audited; the admin neither issues, edits nor deletes them."
    )
    list_display = ["name", "user", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "prefix"]


class ReadOnlyInline(NoWrites, admin.TabularInline):
    extra = 0


class AssetVersionInline(ReadOnlyInline):
    model = AssetVersion
    fields = ["number", "changelog", "checksum", "author", "created_at"]
    readonly_fields = fields
    show_change_link = True


class AssetLabelInline(ReadOnlyInline):
    model = AssetLabel
    fields = ["name", "version", "moved_by", "moved_at"]
    readonly_fields = fields


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    """Description, tags and owning team change through update_asset (audited); versions are publish-only."""

    list_display = ["name", "slug", "type", "owner", "owner_team", "updated_at"]
    list_filter = ["type", "tags"]
    search_fields = ["name", "slug", "description"]
    fields = [
        "slug",
        "name",
        "type",
        "description",
        "tags",
        "owner_team",
        "owner",
        "source_initiative",
        "created_by",
        "created_at",
        "updated_at",
    ]
    readonly_fields = [name for name in fields if name not in Asset.EDITABLE_FIELDS]
    filter_horizontal = ["tags"]
    inlines = [AssetVersionInline, AssetLabelInline]

    def has_add_permission(self, request):
        return False  # an asset starts with its first version: the API or publishing from an initiative

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        pass  # written by update_asset in save_related, with its audit row

    def save_related(self, request, form, formsets, change):
        changes = {name: form.cleaned_data[name] for name in Asset.EDITABLE_FIELDS}
        changes["tags"] = [tag.name for tag in changes["tags"]]
        update_asset(form.instance.pk, acting_user=request.user, **changes)
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)  # read-only inlines: writes nothing


@admin.register(AssetVersion)
class AssetVersionAdmin(ReadOnlyAdmin):
    list_display = ["asset", "number", "checksum", "author", "created_at"]
    list_select_related = ["asset", "author"]
    search_fields = ["asset__name", "asset__slug", "checksum"]


@admin.register(AssetLabel)
class AssetLabelAdmin(ReadOnlyAdmin):
    """Labels move through move_label (security requirements wait for approval), never here."""

    list_display = ["asset", "name", "version", "moved_by", "moved_at"]
    list_select_related = ["asset", "version", "moved_by"]
    list_filter = ["name"]


@admin.register(LabelMoveRequest)
class LabelMoveRequestAdmin(ReadOnlyAdmin):
    """Decided through the same service as the API: the requester cannot approve, only security/risk can."""

    refusal = (
        "Label moves are decided with the “Approve as me” and “Reject as me” actions, by a security/risk "
        "role holder who is someone other than the requester (segregation of duties)."
    )
    list_display = ["asset", "name", "version", "status", "requested_by", "requested_at", "decided_by"]
    list_select_related = ["asset", "version", "requested_by", "decided_by"]
    list_filter = ["status"]
    actions = ["approve_selected", "reject_selected"]

    @admin.action(description="Approve as me (security/risk role holders only)")
    def approve_selected(self, request, queryset):
        self._decide(request, queryset, approve=True)

    @admin.action(description="Reject as me (security/risk role holders only)")
    def reject_selected(self, request, queryset):
        self._decide(request, queryset, approve=False)

    def _decide(self, request, queryset, *, approve: bool):
        verb = "approved" if approve else "rejected"
        for label_request in queryset:
            try:
                decide_label_request(
                    label_request.pk, acting_user=request.user, approve=approve, comment=f"{verb.title()} in admin."
                )
            except (PermissionDenied, TransitionError) as exc:
                self.message_user(request, f"{label_request}: {exc}", level=messages.ERROR)
            else:
                self.message_user(request, f"{label_request}: {verb}.")


@admin.register(AssetUsage)
class AssetUsageAdmin(ReadOnlyAdmin):
    """Adoption goes through adopt_version (audited, and it marks the scorecard dirty)."""

    list_display = ["initiative", "asset", "version", "adopted_by", "adopted_at"]
    list_select_related = ["initiative", "asset", "version", "adopted_by"]
    search_fields = ["initiative__title", "asset__name"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["user", "message", "created_at", "read_at", "emailed_at"]
    list_select_related = ["user"]
    list_filter = ["read_at", "emailed_at"]
    search_fields = ["user__username", "message"]

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser  # clearing out noise is harmless; notifications are not audited


@admin.register(AssetTag)
class AssetTagAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(Control)
class ControlAdmin(admin.ModelAdmin):
    """The control catalogue. Retire a control by unticking "active": recorded statuses keep pointing at it."""

    list_display = ["name", "key", "layer", "owner_role", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["layer", "owner_role", "is_active"]
    search_fields = ["key", "name", "description"]

    def get_readonly_fields(self, request, obj=None):
        return ["key"] if obj else []  # the gate criteria name some controls by key

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # The list's editable columns save through here too, so every catalogue change is audited.
        fields = {name: getattr(obj, name) for name in policies.CONTROL_FIELDS}
        obj.pk = policies.save_control(obj.pk if change else None, acting_user=request.user, **fields).pk


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    """Saved through policies.save_checklist_item (audited): a question changes what its gate requires."""

    list_display = ["question", "gate", "audience", "eu_ai_act", "nist_ai_rmf", "iso_42001", "position"]
    list_filter = ["gate", "audience"]
    search_fields = ["question"]

    def has_delete_permission(self, request, obj=None):
        return False  # answers given to a question stay with their decisions

    def save_model(self, request, obj, form, change):
        fields = {name: getattr(obj, name) for name in policies.CHECKLIST_FIELDS}
        obj.pk = policies.save_checklist_item(obj.pk if change else None, acting_user=request.user, **fields).pk


@admin.register(InitiativeControl)
class InitiativeControlAdmin(ReadOnlyAdmin):
    """Recorded through set_control (owner role checked, audited), never here."""

    list_display = ["initiative", "control", "status", "updated_by", "updated_at"]
    list_select_related = ["initiative", "control", "updated_by"]
    list_filter = ["status", "control__layer"]
    search_fields = ["initiative__title", "control__name"]


@admin.register(DataSource)
class DataSourceAdmin(ReadOnlyAdmin):
    """Changed through save_data_source, which re-derives the risk tier of every initiative using it."""

    list_display = ["name", "system", "classification", "personal_data", "owner", "freshness_sla_hours"]
    list_select_related = ["owner"]
    list_filter = ["classification", "personal_data"]
    search_fields = ["name", "system"]


@admin.register(ChecklistAnswer)
class ChecklistAnswerAdmin(ReadOnlyAdmin):
    """Answered by approvers through answer_checklist (audited)."""

    list_display = ["review", "item", "answer", "answered_by", "answered_at"]
    list_select_related = ["review__initiative", "item", "answered_by"]
    list_filter = ["answer"]


def _leads(user_id) -> bool:
    """Whether the stored user is a portfolio leader (superuser or in the leadership group)."""
    return leaders().filter(pk=user_id).exists()


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    """Django's user admin, plus an audit event whenever it makes someone a portfolio leader or stops
    them being one, deleting a leader included: leaders see every initiative and approve as executive
    sponsor or CTO."""

    def save_model(self, request, obj, form, change):
        obj.led_before_save = change and _leads(obj.pk)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # the groups are saved here
        user = form.instance
        leads = _leads(user.pk)
        if leads != user.led_before_save:
            after = {
                "leader": leads,
                "superuser": user.is_superuser,
                "groups": sorted(g.name for g in user.groups.all()),
            }
            _record_leadership(request, user, after)

    def delete_model(self, request, obj):
        with transaction.atomic():
            if _leads(obj.pk):
                _record_leadership(request, obj, {"leader": False, "deleted": True})
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():  # the "delete selected" action runs outside the admin's transaction
            for user in leaders(queryset):
                _record_leadership(request, user, {"leader": False, "deleted": True})
            super().delete_queryset(request, queryset)


def _record_leadership(request, user, after: dict) -> None:
    audit.record(
        "leadership.granted" if after["leader"] else "leadership.revoked",
        user,
        actor=request.user,
        before={"leader": not after["leader"]},
        after=after,
    )


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(ExplainedRefusals, auth_admin.GroupAdmin):
    """The leadership group's name is what makes its members leaders: it is neither renamed nor deleted."""

    refusal = (
        f"The “{LEADERSHIP_GROUP}” group makes its members portfolio leaders, so it is neither renamed nor "
        "deleted; add or remove leaders on each user's page, where the change is audited."
    )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.name == LEADERSHIP_GROUP)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.name == LEADERSHIP_GROUP)
