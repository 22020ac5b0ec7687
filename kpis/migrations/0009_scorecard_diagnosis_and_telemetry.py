from django.db import migrations, models

import kpis.models


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0008_after_action_review"),
    ]

    operations = [
        migrations.AddField(
            model_name="scorecard",
            name="cost_source",
            field=models.CharField(
                blank=True,
                choices=[("measured", "Measured (latest cost KPI point)"), ("charter", "Charter estimate")],
                help_text="Where the cost per transaction comes from; blank when it is unknown.",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="scorecard",
            name="diagnosis",
            field=models.CharField(
                choices=[
                    ("architecture", "Next optimization: architecture"),
                    ("change-management", "Bottleneck: change management"),
                    ("platform-health", "Bottleneck: platform health"),
                    ("on-track", "Platform and adoption on track"),
                    ("not-enough-data", "Not enough data to diagnose"),
                ],
                default="not-enough-data",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="scorecard",
            name="telemetry",
            field=kpis.models.JSONTextField(
                default=dict,
                help_text="The figures behind the diagnosis: platform, adoption and cost levels, their KPIs, the trend.",
            ),
        ),
    ]
