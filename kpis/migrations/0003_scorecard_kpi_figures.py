"""Snapshots written before the SQL recompute kept each KPI as a dict with its reason; they now keep a
list of figures (Scorecard.KPI_FIELDS) and the reason is written when shown. Convert the old ones."""

from django.db import migrations

FIELDS = ("kpi", "key", "position", "status", "stale", "latest_value", "latest_at", "progress", "expected")


def to_figures(apps, schema_editor):
    Scorecard = apps.get_model("kpis", "Scorecard")
    Kpi = apps.get_model("kpis", "Kpi")
    known = {key: (pk, position) for pk, key, position in Kpi.objects.values_list("pk", "key", "position")}
    for card in Scorecard.objects.iterator(chunk_size=500):
        if not card.kpis or not isinstance(card.kpis[0], dict):
            continue
        rows = []
        for n, row in enumerate(card.kpis):
            pk, position = known.get(row.get("key"), (None, n))
            values = {**row, "kpi": pk, "position": position, "stale": int(bool(row.get("stale")))}
            rows.append([values.get(name) for name in FIELDS])
        Scorecard.objects.filter(pk=card.pk).update(kpis=rows)


class Migration(migrations.Migration):
    dependencies = [("kpis", "0002_scorecards")]

    operations = [migrations.RunPython(to_figures, migrations.RunPython.noop)]
