from django.db import migrations
from django.utils import timezone

GATE, KEY = "scale-out", "cohort-adoption"
NOTE = "Adds “Adoption in the target cohort at or above its target” (cohort adoption, README)."


def forwards(apps, schema_editor):
    """The scale-out gate asks for adoption in the target cohort, at every risk tier.

    A published version never changes once a review ran under it, so where one did, the criterion comes
    in a new published version (a copy with it added); a version no review used yet (a fresh install's
    defaults from 0003) takes it as it stands, so the defaults stay version 1.
    """
    GatePolicy = apps.get_model("governance", "GatePolicy")
    GateReview = apps.get_model("governance", "GateReview")
    for tier in GatePolicy.objects.filter(gate=GATE).values_list("risk_tier", flat=True).distinct():
        versions = GatePolicy.objects.filter(gate=GATE, risk_tier=tier)
        current = versions.filter(published_at__isnull=False).order_by("-version").first()
        if current is None or KEY in current.criteria:
            continue
        criteria = [*current.criteria, KEY]
        if not GateReview.objects.filter(policy=current).exists():
            versions.filter(pk=current.pk).update(criteria=criteria)
            continue
        GatePolicy.objects.create(
            gate=GATE,
            risk_tier=tier,
            version=max(versions.values_list("version", flat=True)) + 1,
            criteria=criteria,
            approver_slots=current.approver_slots,
            review_due_days=current.review_due_days,
            published_at=timezone.now(),
            notes=NOTE,
        )


class Migration(migrations.Migration):
    dependencies = [("governance", "0019_sso_identity")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
