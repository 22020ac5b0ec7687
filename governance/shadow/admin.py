"""The register's admin: items are recorded and changed through the services (audited), as on the page.

Imported by governance/admin.py, so admin autodiscovery (which imports only `<app>.admin`) registers it.
"""

from django.contrib import admin

from governance.models import ShadowAiUse
from governance.permissions import can_manage_shadow_ai
from governance.shadow import services as shadow
from initiatives.models import Initiative


@admin.register(ShadowAiUse)
class ShadowAiUseAdmin(admin.ModelAdmin):
    list_display = ["tool", "team", "people", "classification", "found_via", "status", "initiative", "updated_at"]
    list_select_related = ["initiative"]
    list_filter = ["status", "classification", "found_via"]
    search_fields = ["tool", "team", "data_touched"]
    fields = [*shadow.WRITABLE, "recorded_by", "created_at", "updated_at"]
    readonly_fields = ["recorded_by", "created_at", "updated_at"]

    # The register's stewards, as on the page and in the API; the admin's own model permissions come on top.
    def has_view_permission(self, request, obj=None):
        return can_manage_shadow_ai(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return can_manage_shadow_ai(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return can_manage_shadow_ai(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # an item is closed by its triage (blocked, or a sanctioned path), so its history stays

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "initiative":
            kwargs["queryset"] = Initiative.objects.visible_to(request.user)  # the service links no other
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in shadow.WRITABLE}
        if change:
            shadow.update_shadow_use(obj.pk, acting_user=request.user, **data)
        else:
            obj.pk = shadow.record_shadow_use(acting_user=request.user, **data).pk
