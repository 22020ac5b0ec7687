from django.contrib import admin

from kpis.models import AfterActionReview, Driver, IngestBatch, Kpi, Measurement, Objective
from opmodel.admin import ReadOnlyAdmin, ReadOnlyInline

# Gate decisions bind to the outcome tree they approved: only the audited tree edits mark them stale.
TREE_REFUSAL = (
    "Edit the outcome tree on the initiative page, where every edit is audited and approvals bound to the "
    "old tree go stale; the admin shows it read-only."
)


class DriverInline(ReadOnlyInline):
    model = Driver
    fields = ["name", "position"]
    readonly_fields = fields


@admin.register(Objective)
class ObjectiveAdmin(ReadOnlyAdmin):
    refusal = TREE_REFUSAL
    list_display = ["statement", "initiative"]
    search_fields = ["statement", "initiative__title"]
    inlines = [DriverInline]


@admin.register(Kpi)
class KpiAdmin(ReadOnlyAdmin):
    """Read-only: edit the tree on the initiative page, where edits are audited and approvals go stale."""

    refusal = TREE_REFUSAL
    list_display = ["key", "name", "initiative", "kind", "direction", "category", "cadence", "owner"]
    list_filter = ["kind", "category", "cadence", "cohort"]
    search_fields = ["key", "name", "initiative__title"]


# A KPI's history feeds its scorecard and the gate decisions taken on it: it only grows through ingest.
INGEST_REFUSAL = (
    "Measurements are written by ingest (the API or a CSV upload on the initiative page), which records who "
    "sent each batch and refreshes the scorecard; correct a value by pushing its key again. The admin shows "
    "them read-only."
)


@admin.register(Measurement)
class MeasurementAdmin(ReadOnlyAdmin):
    refusal = INGEST_REFUSAL
    list_display = ["kpi", "timestamp", "value", "source", "batch_id"]
    list_filter = ["source"]
    search_fields = ["kpi__key"]
    date_hierarchy = "timestamp"
    list_select_related = ["kpi"]
    show_full_result_count = False


@admin.register(IngestBatch)
class IngestBatchAdmin(ReadOnlyAdmin):
    refusal = INGEST_REFUSAL
    list_display = ["created_at", "user", "token", "channel", "received", "created", "updated", "unchanged"]
    list_filter = ["channel"]
    search_fields = ["user__username", "request_id"]


@admin.register(AfterActionReview)
class AfterActionReviewAdmin(ReadOnlyAdmin):
    """Shown, not edited: the initiative's page and the API write AfterActionReview.EDITABLE_FIELDS through
    kpis.services.save_after_action_review, which checks them and audits the change."""

    refusal = (
        "Write the after-action review on the initiative's Outcome tree & KPIs tab (or PUT it over the API), "
        "where it is checked and audited; the admin shows it read-only."
    )
    list_display = ["initiative", "held_on", "recorded_by", "updated_at"]
    search_fields = ["initiative__title"]
    fields = ["initiative", *AfterActionReview.EDITABLE_FIELDS, "recorded_by", "updated_at"]
    readonly_fields = fields
