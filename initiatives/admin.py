from django.contrib import admin

from initiatives.models import Charter, Initiative, RoleAssignment
from opmodel.admin import ExplainedRefusals, ReadOnlyAdmin

REFUSAL = (
    "Change initiatives, their charters and roles on the initiative page, where each change is checked "
    "(segregation of duties included) and audited, and approvals bound to the old charter go stale; only gate "
    "decisions move the stage and status."
)


class CharterInline(admin.StackedInline):
    """Shown, not edited: the charter page and the API edit Charter.EDITABLE_FIELDS through update_charter."""

    model = Charter
    can_delete = False
    fields = Charter.EDITABLE_FIELDS
    readonly_fields = Charter.EDITABLE_FIELDS

    def has_change_permission(self, request, obj=None):
        return False


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    fk_name = "initiative"
    autocomplete_fields = ["user"]
    readonly_fields = ["assigned_by", "assigned_at", "accepted_at"]

    def has_add_permission(self, request, obj=None):
        return False  # assign roles on the initiative page, so the change is audited


@admin.register(Initiative)
class InitiativeAdmin(ExplainedRefusals, admin.ModelAdmin):
    """Stage and status are read-only: only gate decisions move them."""

    refusal = REFUSAL
    list_display = ["title", "business_unit", "risk_tier", "stage", "status", "started_on"]
    list_filter = ["stage", "status", "risk_tier", "business_unit"]
    search_fields = ["title", "slug", "business_unit"]
    readonly_fields = [
        "slug",
        "title",
        "business_unit",
        "risk_tier",
        "stage",
        "status",
        "stage_entered_at",
        "started_on",
        "reuse_review_on",
        *Initiative.REUSE_REVIEW_OUTCOME_FIELDS,
        "created_by",
        "created_at",
        "updated_at",
    ]
    inlines = [CharterInline, RoleAssignmentInline]

    def has_add_permission(self, request):
        return False  # create initiatives in the app, where the creator becomes PM and the event is audited

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and obj is None

    def has_delete_permission(self, request, obj=None):
        return False  # it would take the gate reviews and decisions with it


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ReadOnlyAdmin):
    refusal = REFUSAL
    list_display = ["initiative", "role", "user", "assigned_by", "assigned_at", "accepted_at"]
    list_filter = ["role"]
    search_fields = ["initiative__title", "user__username"]
