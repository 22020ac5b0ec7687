from django.db import migrations
from django.utils import timezone

# Step three of the framework: "Create a simple after-action review: What work did AI remove? What
# higher-value work replaced it? What measurable result followed? This is the kind of evidence that turns
# anecdotal productivity into investable transformation" -- evidence for funding scale-out, so the
# scale-out gate asks for it (kpis.criteria.after_action_review). A published policy never changes:
# each risk tier's newest published version is copied to the next version with the criterion added,
# and that version is published, as an admin would.
CRITERION = "after-action-review"


def forwards(apps, schema_editor):
    GatePolicy = apps.get_model("governance", "GatePolicy")
    now = timezone.now()
    for tier in ("low", "medium", "high"):
        versions = GatePolicy.objects.filter(gate="scale-out", risk_tier=tier)
        current = versions.filter(published_at__isnull=False).order_by("-version").first()
        if current is None or CRITERION in current.criteria:
            continue
        GatePolicy.objects.create(
            gate="scale-out",
            risk_tier=tier,
            version=max(v.version for v in versions) + 1,
            criteria=[*current.criteria, CRITERION],
            approver_slots=current.approver_slots,
            review_due_days=current.review_due_days,
            notes=f"Copied from v{current.version}; adds the after-action review (framework step three).",
            published_at=now,
        )


class Migration(migrations.Migration):
    dependencies = [("governance", "0020_scale_out_cohort_adoption")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
