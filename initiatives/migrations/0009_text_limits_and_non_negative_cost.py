import django.core.validators
from django.db import migrations, models

import opmodel.fields


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0008_title_id_index"),
    ]

    # Limits that forms, the API, the admin and full_clean check (opmodel.fields.LimitedTextField,
    # MinValueValidator): the columns stay as they are, so nothing is done to the database.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="charter",
                    name="constraints",
                    field=opmodel.fields.LimitedTextField(
                        blank=True,
                        help_text="Limits the result must respect, e.g. “no more than 2 % factual errors”.",
                        max_length=1000,
                        verbose_name="Constraints",
                    ),
                ),
                migrations.AlterField(
                    model_name="charter",
                    name="control_needed",
                    field=opmodel.fields.LimitedTextField(
                        blank=True, max_length=1000, verbose_name="What control does it need?"
                    ),
                ),
                migrations.AlterField(
                    model_name="charter",
                    name="cost_per_1000_inferences",
                    field=models.DecimalField(
                        blank=True,
                        decimal_places=4,
                        max_digits=12,
                        null=True,
                        validators=[django.core.validators.MinValueValidator(0)],
                        verbose_name="Cost per 1,000 inferences",
                    ),
                ),
                migrations.AlterField(
                    model_name="charter",
                    name="data_dependencies",
                    field=opmodel.fields.LimitedTextField(
                        blank=True, max_length=1000, verbose_name="What data does it depend on?"
                    ),
                ),
                migrations.AlterField(
                    model_name="charter",
                    name="expected_business_result",
                    field=opmodel.fields.LimitedTextField(
                        blank=True,
                        help_text="In business terms, e.g. “forecast reviews prepared in under 30 minutes”.",
                        max_length=1000,
                        verbose_name="Expected business result",
                    ),
                ),
                migrations.AlterField(
                    model_name="charter",
                    name="expected_impact",
                    field=opmodel.fields.LimitedTextField(
                        blank=True,
                        help_text="The size of the win, and when.",
                        max_length=1000,
                        verbose_name="Expected impact",
                    ),
                ),
                migrations.AlterField(
                    model_name="charter",
                    name="guardrails",
                    field=opmodel.fields.LimitedTextField(
                        blank=True,
                        help_text="What must not get worse, with bounds.",
                        max_length=1000,
                        verbose_name="Guardrails",
                    ),
                ),
                migrations.AlterField(
                    model_name="charter",
                    name="outcome_statement",
                    field=opmodel.fields.LimitedTextField(
                        blank=True,
                        help_text="One measurable sentence, e.g. “reduce support handling time by 20 %”.",
                        max_length=1000,
                        verbose_name="Outcome statement",
                    ),
                ),
                migrations.AlterField(
                    model_name="charter",
                    name="outcome_supported",
                    field=opmodel.fields.LimitedTextField(
                        blank=True, max_length=1000, verbose_name="What outcome does it support?"
                    ),
                ),
                migrations.AlterField(
                    model_name="charter",
                    name="problem_task",
                    field=opmodel.fields.LimitedTextField(
                        blank=True,
                        help_text="The task or decision the AI step improves.",
                        max_length=1000,
                        verbose_name="Task or decision",
                    ),
                ),
                migrations.AlterField(
                    model_name="charter",
                    name="reuse_plan",
                    field=opmodel.fields.LimitedTextField(
                        blank=True, max_length=1000, verbose_name="What gets reused afterward?"
                    ),
                ),
                migrations.AlterField(
                    model_name="charter",
                    name="scope",
                    field=opmodel.fields.LimitedTextField(
                        blank=True,
                        help_text="In and out of scope; what gets retired.",
                        max_length=1000,
                        verbose_name="Scope",
                    ),
                ),
                migrations.AlterField(
                    model_name="charter",
                    name="target_users",
                    field=opmodel.fields.LimitedTextField(
                        blank=True,
                        help_text="The cohort who will use it, and how many.",
                        max_length=1000,
                        verbose_name="Target users",
                    ),
                ),
                migrations.AlterField(
                    model_name="initiative",
                    name="risk_floor_reason",
                    field=opmodel.fields.LimitedTextField(blank=True, max_length=5000),
                ),
            ]
        )
    ]
