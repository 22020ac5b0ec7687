from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("governance", "0012_decision_checklist_answers")]

    operations = [
        # Events written before the chain was keyed keep a blank key id: they verify as plain SHA-256.
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=12),
        ),
    ]
