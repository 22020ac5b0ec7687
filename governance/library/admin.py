"""The library's admin: assets and their versions, labels, label moves, adoptions and tags.

Imported by governance/admin.py, so admin autodiscovery (which imports only `<app>.admin`) registers them.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from governance.errors import TransitionError
from governance.library.services import decide_label_request, update_asset
from governance.models import Asset, AssetLabel, AssetTag, AssetUsage, AssetVersion, LabelMoveRequest
from opmodel.admin import ReadOnlyAdmin, ReadOnlyInline


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
    fields = [*Asset.SHOWN_FIELDS, "created_by"]
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


@admin.register(AssetTag)
class AssetTagAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
