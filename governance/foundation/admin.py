"""The foundation in the admin: the control catalogue and checklist questions (audited saves), and the
rows its services write (initiatives' controls, data sources, checklist answers), shown read-only.

Registered when governance/admin.py imports this module.
"""

from django.contrib import admin

from governance import policies
from governance.models import ChecklistAnswer, ChecklistItem, Control, DataSource, InitiativeControl
from opmodel.admin import ReadOnlyAdmin


@admin.register(Control)
class ControlAdmin(admin.ModelAdmin):
    """The control catalogue. Retire a control by unticking "active": recorded statuses keep pointing at it."""

    list_display = ["name", "key", "layer", "owner_role", "measured_by", "position", "is_active"]
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
