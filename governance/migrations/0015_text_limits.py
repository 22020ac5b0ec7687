from django.db import migrations

import opmodel.fields


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0014_audit_initiative_id_index"),
    ]

    # Limits that forms, the API, the admin and full_clean check (opmodel.fields.LimitedTextField,
    # MinValueValidator): the columns stay as they are, so nothing is done to the database.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="asset",
                    name="description",
                    field=opmodel.fields.LimitedTextField(blank=True, max_length=5000),
                ),
                migrations.AlterField(
                    model_name="assetversion",
                    name="changelog",
                    field=opmodel.fields.LimitedTextField(blank=True, max_length=5000),
                ),
                migrations.AlterField(
                    model_name="checklistanswer",
                    name="note",
                    field=opmodel.fields.LimitedTextField(blank=True, max_length=5000),
                ),
                migrations.AlterField(
                    model_name="control",
                    name="description",
                    field=opmodel.fields.LimitedTextField(blank=True, max_length=1000),
                ),
                migrations.AlterField(
                    model_name="datasource",
                    name="retrieval_scope",
                    field=opmodel.fields.LimitedTextField(
                        blank=True, help_text="What the AI may retrieve from it, and what not.", max_length=1000
                    ),
                ),
                migrations.AlterField(
                    model_name="gatedecision",
                    name="comment",
                    field=opmodel.fields.LimitedTextField(blank=True, max_length=5000),
                ),
                migrations.AlterField(
                    model_name="gatepolicy",
                    name="notes",
                    field=opmodel.fields.LimitedTextField(blank=True, max_length=5000),
                ),
                migrations.AlterField(
                    model_name="gatereview",
                    name="override_reason",
                    field=opmodel.fields.LimitedTextField(blank=True, max_length=5000),
                ),
                migrations.AlterField(
                    model_name="initiativecontrol",
                    name="evidence",
                    field=opmodel.fields.LimitedTextField(
                        blank=True, help_text="A link or a short description of the evidence.", max_length=1000
                    ),
                ),
                migrations.AlterField(
                    model_name="initiativecontrol",
                    name="waiver_reason",
                    field=opmodel.fields.LimitedTextField(blank=True, max_length=1000),
                ),
                migrations.AlterField(
                    model_name="labelmoverequest",
                    name="comment",
                    field=opmodel.fields.LimitedTextField(blank=True, max_length=5000),
                ),
            ]
        )
    ]
