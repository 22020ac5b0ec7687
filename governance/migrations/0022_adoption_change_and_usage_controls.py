from django.db import migrations
from django.db.models import Max

# The framework's adoption layer is "Training, change management, usage | Weekly active users in target
# cohort | PM / Enablement"; the catalogue (0009) had only training and the support channel. The two missing
# controls follow them, each linked (Control.measured_by) to the change-management KPI set (kpis.catalogue
# ENABLEMENT_SET) so "in place" shows its number. Change management is read by training completion: "Teams
# need to know what changed, why it changed, how to use it" is what training on the new workflow delivers,
# and "where to go when it fails" is already the support channel's (support-channel-use).
CONTROLS = [
    (
        "change-management",
        "Change management",
        "The teams affected know what changes in their work, what is retired and whom to ask.",
        "training-completion",
    ),
    (
        "usage",
        "Usage tracked",
        "Weekly active users in the target cohort are measured.",
        "weekly-active-users",
    ),
]


def add(apps, schema_editor):
    Control = apps.get_model("governance", "Control")
    last = Control.objects.filter(layer="adoption").aggregate(last=Max("position"))["last"]
    position = 0 if last is None else last + 1
    for offset, (key, name, description, measured_by) in enumerate(CONTROLS):
        Control.objects.get_or_create(
            key=key,
            defaults={
                "name": name,
                "layer": "adoption",
                "owner_role": "enablement",
                "description": description,
                "position": position + offset,
                "measured_by": measured_by,
            },
        )


def remove(apps, schema_editor):
    # Going back removes the controls and what initiatives recorded against them.
    Control = apps.get_model("governance", "Control")
    InitiativeControl = apps.get_model("governance", "InitiativeControl")
    keys = [key for key, *_ in CONTROLS]
    InitiativeControl.objects.filter(control__key__in=keys).delete()
    Control.objects.filter(key__in=keys).delete()


class Migration(migrations.Migration):
    dependencies = [("governance", "0021_scale_out_after_action_review")]
    operations = [migrations.RunPython(add, remove)]
