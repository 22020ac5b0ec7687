"""Single sign-on identities in the admin: how an administrator links an existing account to a provider subject."""

from django.contrib import admin
from django.db import transaction

from governance import audit
from governance.models import SsoIdentity
from opmodel.admin import ExplainedRefusals


@admin.register(SsoIdentity)
class SsoIdentityAdmin(ExplainedRefusals, admin.ModelAdmin):
    """Who each user is at the single sign-on provider. Signing in creates these; adding one by hand links an
    existing account to a provider subject (the way to hand over an account whose email a first sign-in
    collided with: README, "Single sign-on"). A link is added or removed, never edited; both are audited."""

    refusal = "A single sign-on identity is never edited: delete it and add the right one, each audited."
    list_display = ["user", "issuer", "subject", "created_at", "last_login_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email", "subject"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at", "last_login_at"]

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            _record_link("sso.linked", request, obj)

    def delete_model(self, request, obj):
        with transaction.atomic():
            _record_link("sso.unlinked", request, obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for identity in queryset.select_related("user"):
                _record_link("sso.unlinked", request, identity)
            super().delete_queryset(request, queryset)


def _record_link(action: str, request, identity) -> None:
    audit.record(
        action, identity.user, actor=request.user, after={"issuer": identity.issuer, "subject": identity.subject}
    )
