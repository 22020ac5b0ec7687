from django.db import migrations, models

# Each initiative's newest snapshot, by the order newest_first reads (computed_at, then id), marked once.
MARK_NEWEST = """
UPDATE kpis_scorecard SET is_latest = true
WHERE id IN (
    SELECT (SELECT s.id FROM kpis_scorecard s WHERE s.initiative_id = i.id ORDER BY s.computed_at DESC, s.id DESC LIMIT 1)
    FROM initiatives_initiative i
)
"""


def analyze(apps, schema_editor):
    """Statistics for the new column, so the planner reads today's cards from their partial index at once
    rather than after the next autovacuum."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ANALYZE kpis_scorecard")


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0011_reuse_review_outcome"),
        ("kpis", "0009_scorecard_diagnosis_and_telemetry"),
    ]

    operations = [
        migrations.AddField(
            model_name="scorecard",
            name="is_latest",
            field=models.BooleanField(
                default=False,
                db_default=False,
                editable=False,
                help_text="The initiative's newest snapshot, the one that stands now.",
            ),
        ),
        migrations.RunSQL(MARK_NEWEST, migrations.RunSQL.noop, elidable=True),
        migrations.AddIndex(
            model_name="scorecard",
            index=models.Index(
                condition=models.Q(("is_latest", True)), fields=["initiative"], name="kpis_scorecard_today"
            ),
        ),
        migrations.RunPython(analyze, migrations.RunPython.noop, elidable=True),
    ]
