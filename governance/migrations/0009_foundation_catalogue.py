from django.db import migrations

# The control catalogue: the controls the framework's step two names, by foundation layer and owner.
CONTROLS = [
    ("access-policy", "Access policy", "governance", "security-risk", "Who may use the system and reach which data."),
    ("review-workflow", "Review and approval workflow", "governance", "security-risk",
     "Changes to prompts, models and data go through review before production."),
    ("model-usage-boundaries", "Model-usage boundaries", "governance", "security-risk",
     "Which models may be used for what, and what content is out of bounds."),
    ("retention-and-logging", "Retention and logging", "governance", "security-risk",
     "Which logs are kept, for how long, and who may read them."),
    ("data-classification", "Data classification", "data", "data-platform",
     "Sensitive and non-sensitive data separated; every source classified."),
    ("retrieval-scopes", "Retrieval scopes", "data", "data-platform", "What the model may retrieve, per source."),
    ("content-freshness", "Content freshness SLAs", "data", "data-platform",
     "Each source has a freshness SLA and stale content is detected."),
    ("environment-separation", "Environment separation", "architecture", "platform-engineering",
     "Separate dev, test and prod, with prompts and data promoted between them."),
    ("cost-telemetry", "Cost telemetry", "architecture", "platform-engineering",
     "Cost per request and per 1,000 inferences is measured and alerted on."),
    ("quality-telemetry", "Drift and low-confidence telemetry", "architecture", "platform-engineering",
     "Drift, low-confidence outputs and failures are observed."),
    ("human-review", "Human review", "workflow", "product-ops", "Where a person checks the AI's output, and when."),
    ("confidence-thresholds", "Confidence thresholds", "workflow", "product-ops",
     "The confidence below which output goes to a person."),
    ("fallback-low-confidence", "Fallback when confidence is low", "workflow", "product-ops",
     "What happens when the model is unsure or wrong."),
    ("escalation-procedure", "Escalation procedure", "workflow", "product-ops", "Who takes over, how fast, and how."),
    ("rollback-plan", "Rollback plan", "workflow", "product-ops", "How to switch the AI step off safely."),
    ("training", "Training", "adoption", "enablement", "Users are trained on the new workflow and its limits."),
    ("support-channel", "Support channel", "adoption", "enablement", "Where users go when it fails."),
]

# The framework's executive checklists (section 9), on the gate each question belongs to.
CHECKLIST = [
    ("charter-signoff", "pm", "Do users actually want this workflow change?", "", "MAP 1.1", "4.2"),
    ("charter-signoff", "pm", "What task are we removing or simplifying?", "", "MAP 1.1", "6.2"),
    ("charter-signoff", "pm", "Which KPI proves the change matters?", "Art. 9", "MEASURE 1.1", "9.1"),
    ("foundation-ready", "cto", "Can we explain the architecture in one page?", "Art. 11", "MAP 2.1", "A.6.2.3"),
    ("foundation-ready", "cto", "Are logs sufficient for audit and debugging?", "Art. 12", "MEASURE 2.8", "A.6.2.8"),
    ("foundation-ready", "cto", "Can we roll back safely?", "Art. 15", "MANAGE 2.4", "A.6.2.6"),
    ("foundation-ready", "cto", "Have we defined confidence thresholds and escalation paths?", "Art. 14",
     "MANAGE 2.3", "A.9.3"),
    ("foundation-ready", "pm", "What is the fallback when the model is wrong?", "Art. 14", "MANAGE 2.3", "A.9.3"),
    ("scale-out", "cto", "Do we know the cost per transaction and what happens when volume doubles?", "",
     "MANAGE 2.1", "6.1"),
    ("scale-out", "pm", "What training does the new behavior require?", "Art. 4", "GOVERN 2.2", "7.2"),
    ("scale-out", "leadership", "Is the goal a one-time productivity boost or a repeatable business capability?",
     "", "GOVERN 1.4", "5.2"),
    ("scale-out", "leadership", "How are we governing risk without slowing adoption?", "Art. 9", "GOVERN 1.3", "6.1"),
    ("reuse-ready", "leadership", "What must become standardized for the next team to reuse this pattern?", "",
     "MANAGE 4.1", "10.1"),
    ("reuse-ready", "leadership",
     "How will we know if the AI investment is creating durable advantage rather than isolated efficiency?",
     "Art. 72", "MEASURE 4.2", "9.1"),
]


def forwards(apps, schema_editor):
    Control = apps.get_model("governance", "Control")
    ChecklistItem = apps.get_model("governance", "ChecklistItem")
    for position, (key, name, layer, owner_role, description) in enumerate(CONTROLS):
        Control.objects.get_or_create(
            key=key,
            defaults={"name": name, "layer": layer, "owner_role": owner_role, "description": description,
                      "position": position},
        )
    for position, (gate, audience, question, eu, nist, iso) in enumerate(CHECKLIST):
        ChecklistItem.objects.get_or_create(
            gate=gate, question=question,
            defaults={"audience": audience, "eu_ai_act": eu, "nist_ai_rmf": nist, "iso_42001": iso,
                      "position": position},
        )


class Migration(migrations.Migration):
    dependencies = [("governance", "0008_foundation")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
