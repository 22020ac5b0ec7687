"""Admin pages for webhook subscriptions, chat channels, the outbox and the delivery log (with "Redeliver").

Imported by governance/admin.py, so admin autodiscovery (which imports only `<app>.admin`) registers it.
"""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from governance.models import (
    ChatChannel,
    EventType,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookSubscription,
)
from governance.models.webhooks import new_secret
from governance.webhooks.outbox import queue_kick
from opmodel.admin import ReadOnlyAdmin, ReadOnlyInline


class EndpointForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=500, assume_scheme="https")
    # Not required here: the model's clean() says what is missing, in one place.
    event_types = forms.MultipleChoiceField(
        label="Events", choices=EventType.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    business_units = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only events of initiatives in these business units, one per line; leave empty for every event "
        "(events about library assets belong to no business unit).",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "kind", "url", "event_types", "business_units", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["business_units"] = "\n".join(self.instance.business_units)

    def clean_business_units(self) -> list[str]:
        return sorted({line.strip() for line in self.cleaned_data["business_units"].splitlines() if line.strip()})


class ChatChannelForm(EndpointForm):
    kind = forms.ChoiceField(
        label="Chat", choices=[(k.value, k.label) for k in WebhookEndpoint.Kind if k != WebhookEndpoint.Kind.WEBHOOK]
    )


class EndpointAdmin(admin.ModelAdmin):
    kinds: tuple[str, ...] = ()
    list_display = ["name", "url", "events", "is_active", "consecutive_failures", "disabled_reason"]
    list_filter = ["is_active"]
    search_fields = ["name", "url"]
    readonly_fields = ["consecutive_failures", "disabled_at", "disabled_reason", "created_at"]

    @admin.display(description="Events")
    def events(self, endpoint) -> str:
        return ", ".join(endpoint.event_type_labels())

    def get_queryset(self, request):
        return super().get_queryset(request).filter(kind__in=self.kinds)

    def changelist_view(self, request, extra_context=None):
        # The notice of an automatic disabling, where the admin who can fix it looks.
        for endpoint in self.get_queryset(request).filter(is_active=False, disabled_at__isnull=False):
            messages.warning(request, f"“{endpoint.name}” is disabled: {endpoint.disabled_reason}")
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        if obj.is_active and obj.disabled_at:
            # Turned back on: a new run of failures starts, and the deliveries that waited go out.
            obj.consecutive_failures, obj.disabled_at, obj.disabled_reason = 0, None, ""
            queue_kick()
        super().save_model(request, obj, form, change)


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(EndpointAdmin):
    form = EndpointForm
    kinds = (WebhookEndpoint.Kind.WEBHOOK,)
    fields = ["name", "url", "event_types", "business_units", "is_active", "secret", *EndpointAdmin.readonly_fields]
    readonly_fields = ["secret", *EndpointAdmin.readonly_fields]

    actions = ["rotate_secret"]

    def save_model(self, request, obj, form, change):
        obj.kind = WebhookEndpoint.Kind.WEBHOOK
        super().save_model(request, obj, form, change)

    @admin.action(description="Give the selected subscriptions a new secret (the receivers need it)")
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            endpoint.secret = new_secret()
            endpoint.save(update_fields=["secret"])
        messages.success(request, f"New secret for {len(queryset)} subscription(s): give each receiver its new one.")


@admin.register(ChatChannel)
class ChatChannelAdmin(EndpointAdmin):
    form = ChatChannelForm
    kinds = (WebhookEndpoint.Kind.SLACK, WebhookEndpoint.Kind.TEAMS)
    list_display = ["name", "kind", "business_unit_list", *EndpointAdmin.list_display[2:]]
    list_filter = ["kind", "is_active"]
    fields = ["name", "kind", "url", "event_types", "business_units", "is_active", *EndpointAdmin.readonly_fields]

    @admin.display(description="Business units")
    def business_unit_list(self, endpoint) -> str:
        return ", ".join(endpoint.business_units) or "All"


class DeliveryInline(ReadOnlyInline):
    model = WebhookDelivery
    fields = ["endpoint", "status", "attempts", "last_status_code", "last_error", "response_ms", "delivered_at"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "event_type", "occurred_at", "business_unit", "fanned_out_at"]
    list_filter = ["event_type"]
    fields = ["event_type", "occurred_at", "initiative_id", "business_unit", "data", "fanned_out_at"]
    inlines = [DeliveryInline]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "response_ms",
        "next_attempt_at",
        "delivered_at",
    ]
    list_select_related = ["event", "endpoint"]
    list_filter = ["status", "endpoint", "event__event_type"]
    search_fields = ["message_id", "last_error"]
    actions = ["redeliver"]

    @admin.display(description="Event")
    def event_type(self, delivery) -> str:
        return delivery.event.get_event_type_display()

    @admin.action(description="Redeliver the selected deliveries (same webhook-id)", permissions=["redeliver"])
    def redeliver(self, request, queryset):
        stopped = queryset.filter(endpoint__is_active=False).count()
        # Again with the same webhook-id, for a full round of attempts.
        count = queryset.update(status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now())
        queue_kick()
        messages.success(request, f"{count} delivery(ies) queued to be sent again.")
        if stopped:
            messages.warning(request, f"{stopped} of them go to a disabled endpoint: turn it back on to send them.")

    def has_redeliver_permission(self, request) -> bool:
        return request.user.is_superuser
