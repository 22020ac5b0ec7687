from django.db import migrations
from django.utils import timezone

# PRODUCT.md section 2: default approvers per gate, lighter for low risk, heavier for high.
CRITERIA = {
    "charter-signoff": ["charter-complete", "pilot-theater-answered", "kpis-leading-lagging"],
    "foundation-ready": ["foundation-controls", "data-sources-classified", "review-escalation-rollback"],
    "scale-out": [
        "baseline-before-launch", "observation-window", "lagging-kpis-moving",
        "guardrails-within-bounds", "cost-known-and-projected",
    ],
    "reuse-ready": ["assets-published", "service-owner-accepted", "reuse-review-scheduled"],
}
SLOTS = {
    ("charter-signoff", "low"): [["executive-sponsor", "cto"]],
    ("charter-signoff", "medium"): [["executive-sponsor", "cto"]],
    ("charter-signoff", "high"): [["executive-sponsor"], ["cto"]],
    ("foundation-ready", "low"): [["security-risk", "data-platform"]],
    ("foundation-ready", "medium"): [["security-risk"], ["data-platform"]],
    ("foundation-ready", "high"): [["security-risk"], ["data-platform"], ["legal-compliance"]],
    ("scale-out", "low"): [["cto", "executive-sponsor"]],
    ("scale-out", "medium"): [["cto"], ["executive-sponsor"]],
    ("scale-out", "high"): [["cto"], ["executive-sponsor"], ["security-risk"]],
    ("reuse-ready", "low"): [["service-owner", "enablement"]],
    ("reuse-ready", "medium"): [["service-owner"], ["enablement"]],
    ("reuse-ready", "high"): [["service-owner"], ["enablement"]],
}


def forwards(apps, schema_editor):
    GatePolicy = apps.get_model("governance", "GatePolicy")
    now = timezone.now()
    for (gate, tier), slots in SLOTS.items():
        GatePolicy.objects.get_or_create(
            gate=gate, risk_tier=tier, version=1,
            defaults={"criteria": CRITERIA[gate], "approver_slots": slots, "published_at": now,
                      "notes": "Default policy from PRODUCT.md section 2."},
        )


class Migration(migrations.Migration):
    dependencies = [("governance", "0002_audit_append_only")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
