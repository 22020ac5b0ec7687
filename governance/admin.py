from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max
from django.utils import timezone

from governance.models import ApiToken, AuditEvent, GateDecision, GatePolicy, GateReview
from governance.services import TransitionError, decide


@admin.register(GatePolicy)
class GatePolicyAdmin(admin.ModelAdmin):
    list_display = ["gate", "risk_tier", "version", "published_at", "review_due_days"]
    list_filter = ["gate", "risk_tier"]
    actions = ["publish", "copy_to_draft"]

    def get_readonly_fields(self, request, obj=None):
        if obj and obj.is_published:
            return [f.name for f in obj._meta.fields]
        return ["published_at", "created_at"]

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.is_published

    @admin.action(description="Publish selected drafts (they become immutable)")
    def publish(self, request, queryset):
        count = queryset.filter(published_at__isnull=True).update(published_at=timezone.now())
        self.message_user(request, f"Published {count} policy version(s).")

    @admin.action(description="Copy to a new draft version")
    def copy_to_draft(self, request, queryset):
        for policy in queryset:
            latest = GatePolicy.objects.filter(gate=policy.gate, risk_tier=policy.risk_tier).aggregate(
                v=Max("version")
            )["v"]
            GatePolicy.objects.create(
                gate=policy.gate,
                risk_tier=policy.risk_tier,
                version=latest + 1,
                criteria=policy.criteria,
                approver_slots=policy.approver_slots,
                review_due_days=policy.review_due_days,
                notes=f"Copied from v{policy.version}.",
            )
        self.message_user(request, "Draft version(s) created; edit, then publish.")


class GateDecisionInline(admin.TabularInline):
    model = GateDecision
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in GateDecision._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(GateReview)
class GateReviewAdmin(admin.ModelAdmin):
    """Reviews are decided through the same service as the browser and the API (segregation of duties)."""

    list_display = ["initiative", "gate", "status", "requested_by", "requested_at", "closed_at"]
    list_filter = ["gate", "status"]
    search_fields = ["initiative__title", "initiative__slug"]
    inlines = [GateDecisionInline]
    actions = ["approve_selected"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in GateReview._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

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
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["id", "occurred_at", "actor_username", "action", "object_type", "object_id", "request_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_username", "object_id", "request_id"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "prefix"]
    readonly_fields = ["user", "name", "prefix", "key_hash", "created_at", "expires_at", "revoked_at", "last_used_at"]

    def has_add_permission(self, request):
        return False  # keys are shown once; issue them from the tokens page or create_api_token
