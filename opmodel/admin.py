"""Admin base classes for rows only the application writes: the admin shows them and says why it refuses."""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied


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


class ReadOnlyInline(NoWrites, admin.TabularInline):
    extra = 0
