from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from governance import leadership, policies
from governance.errors import TransitionError

# Autodiscovery imports only this module: importing the foundation's, the library's, the register's,
# single sign-on's and the webhooks' admins registers them.
from governance.foundation import admin as foundation_admin  # noqa: F401
from governance.library import admin as library_admin  # noqa: F401
from governance.models import (
    ApiToken,
    AuditEvent,
    GateDecision,
    GatePolicy,
    GateReview,
    Notification,
)
from governance.services import decide
from governance.shadow import admin as shadow_admin  # noqa: F401
from governance.sso import admin as sso_admin  # noqa: F401
from governance.webhooks import admin as webhooks_admin  # noqa: F401
from initiatives.models import LEADERSHIP_GROUP, leaders
from opmodel.admin import ExplainedRefusals, ReadOnlyAdmin


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


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["user", "message", "created_at", "read_at", "emailed_at"]
    list_select_related = ["user"]
    list_filter = ["read_at", "emailed_at"]
    search_fields = ["user__username", "message"]

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser  # clearing out noise is harmless; notifications are not audited


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    """Django's user admin, plus an audit event whenever it makes someone a portfolio leader or stops
    them being one, deleting a leader included: leaders see every initiative and approve as executive
    sponsor or CTO."""

    def save_model(self, request, obj, form, change):
        obj.led_before_save = change and leadership.leads(obj.pk)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # the groups are saved here
        user = form.instance
        leads = leadership.leads(user.pk)
        if leads != user.led_before_save:
            after = {
                "leader": leads,
                "superuser": user.is_superuser,
                "groups": sorted(g.name for g in user.groups.all()),
            }
            _record_leadership(request, user, after)

    def delete_model(self, request, obj):
        with transaction.atomic():
            if leadership.leads(obj.pk):
                _record_leadership(request, obj, {"leader": False, "deleted": True})
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():  # the "delete selected" action runs outside the admin's transaction
            for user in leaders(queryset):
                _record_leadership(request, user, {"leader": False, "deleted": True})
            super().delete_queryset(request, queryset)


def _record_leadership(request, user, after: dict) -> None:
    leadership.record_change(user, actor=request.user, after=after)


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
