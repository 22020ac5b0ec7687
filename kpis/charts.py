"""Plotly figures as plain dicts: built and tested in Python, drawn by static/js/charts.js."""

from collections import defaultdict
from datetime import datetime, time, timedelta

from django.db.models import Count, F, Window
from django.db.models.functions import Mod, RowNumber
from django.utils import timezone

from kpis.models import Kpi, Measurement
from opmodel.compat import UTC

SOURCE_COLOURS = ["#2251cc", "#1d7a46", "#8a4fd3", "#c2410c", "#0e7490", "#6b7280"]
# The outcome tree draws a small chart per KPI from at most this many of its points; the KPI's page draws more.
TREE_CHART_POINTS = 200


def kpi_trend(kpi: Kpi, points: list[dict], *, height: int = 340) -> dict:
    """Points by source, the baseline, the line from baseline to target, and the guardrail bound."""
    by_source: dict[str, list[dict]] = defaultdict(list)
    for point in points:
        by_source[point["source"]].append(point)
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": source,
            "x": [p["timestamp"].isoformat() for p in series],
            "y": [p["value"] for p in series],
            "line": {"color": SOURCE_COLOURS[n % len(SOURCE_COLOURS)], "width": 2},
            "marker": {"size": 5},
        }
        for n, (source, series) in enumerate(sorted(by_source.items()))
    ]
    # The level lines span the points and the KPI's dates, whichever of them it has.
    xs = [p["timestamp"] for p in points] + _dates(kpi.baseline_date) + _dates(kpi.target_date)
    start, end = min(xs, default=None), max(xs, default=None)
    if kpi.baseline_value is not None and start is not None:
        data.append(_line("Baseline", [start, end], [kpi.baseline_value] * 2, "#6b7280", "dot"))
    if kpi.has_baseline_and_target and (path := _target_path(kpi, end)):
        data.append(path)
    if kpi.guardrail_bound is not None and start is not None:
        data.append(_line("Guardrail bound", [start, end], [kpi.guardrail_bound] * 2, "#b3261e", "dashdot"))
    layout = {
        "margin": {"l": 50, "r": 20, "t": 10, "b": 40},
        "height": height,
        "xaxis": {"type": "date"},
        "yaxis": {"title": {"text": kpi.unit}, **_y_range([*(p["value"] for p in points), *_levels(kpi)])},
        "legend": {"orientation": "h", "y": -0.2},
        "hovermode": "x unified",
    }
    return {"data": data, "layout": layout}


def trend_facts(kpi: Kpi, points: list[dict]) -> dict:
    """What kpi_trend draws from the same points, as text for a screen reader and for "Show data": how many
    points over which days, each source's newest point, and the KPI's baseline, target and bound."""
    newest: dict[str, dict] = {}
    for point in points:
        if point["source"] not in newest or point["timestamp"] >= newest[point["source"]]["timestamp"]:
            newest[point["source"]] = point
    return {
        "count": len(points),
        "first": min((p["timestamp"] for p in points), default=None),
        "last": max((p["timestamp"] for p in points), default=None),
        "latest": [newest[source] for source in sorted(newest)],
        "levels": [
            ("Baseline", kpi.baseline_value, kpi.baseline_date),
            ("Target", kpi.target_value, kpi.target_date),
            ("Guardrail bound", kpi.guardrail_bound, None),
        ],
    }


def _target_path(kpi: Kpi, end: datetime | None) -> dict | None:
    """From the baseline to the target by its date, then level at the target to the chart's right edge:
    points measured after the target date are read against the target, not against nothing. A level
    without its date has no place on the time axis; None when fewer than two points remain."""
    path = [
        (when, value)
        for date, value in ((kpi.baseline_date, kpi.baseline_value), (kpi.target_date, kpi.target_value))
        for when in _dates(date)
    ]
    if end is not None and (not path or end > path[-1][0]):
        path.append((end, kpi.target_value))
    if len(path) < 2:
        return None
    return _line("Target path", [when for when, _ in path], [value for _, value in path], "#1d7a46", "dash")


def _levels(kpi: Kpi) -> list[float]:
    return [v for v in (kpi.baseline_value, kpi.target_value, kpi.guardrail_bound) if v is not None]


def _y_range(values: list[float]) -> dict:
    """A y-range holding every value with a margin, so no level line sits on (and is cut by) the plot's edge.

    Plotly's own autorange fits lines tightly, and a target or bound far from the points was drawn
    on the frame. Without values, Plotly's autorange is left alone.
    """
    if not values:
        return {}
    low, high = min(values), max(values)
    margin = (high - low) * 0.08 or abs(high) * 0.1 or 1
    return {"range": [low - margin, high + margin]}


def _dates(value) -> list:
    # Dates become midnight UTC so they compare with measurement timestamps.
    return [datetime.combine(value, time(), tzinfo=UTC)] if value else []


def _line(name: str, xs: list, ys: list, colour: str, dash: str) -> dict:
    return {
        "type": "scatter",
        "mode": "lines",
        "name": name,
        "x": [x.isoformat() for x in xs],
        "y": ys,
        "line": {"color": colour, "dash": dash, "width": 1.5},
        "hoverinfo": "name+y",
    }


def evidence_charts(initiative, *, days: int = 365) -> list[dict]:
    """Trend figures of the lagging and guardrail KPIs, for a scale-out decision pack (two queries)."""
    kpis = list(initiative.kpis.filter(kind__in=[Kpi.Kind.LAGGING, Kpi.Kind.GUARDRAIL]).order_by("kind", "position"))
    since = timezone.now() - timedelta(days=days)
    points = defaultdict(list)
    for row in (
        Measurement.objects.filter(kpi__in=kpis, timestamp__gte=since)
        .order_by("timestamp", "source")
        .values("kpi_id", "timestamp", "value", "source")
    ):
        points[row["kpi_id"]].append(row)
    return [
        {
            "kpi": kpi,
            "id": f"evidence-{n}",
            "figure": kpi_trend(kpi, points[kpi.pk]),
            "facts": trend_facts(kpi, points[kpi.pk]),
        }
        for n, kpi in enumerate(kpis)
    ]


def sampled_points(kpis: list[Kpi], *, at_most: int = TREE_CHART_POINTS) -> dict[int, list[dict]]:
    """Each KPI's points, thinned evenly to at most `at_most` over its whole history (the newest always kept),
    by KPI id, oldest first.

    One query for every KPI: a row number and a count per KPI keep every step-th point, so what the page
    receives stays bounded by what it draws however long a history grows, and a chart still spans all of it.
    """
    position = Window(RowNumber(), partition_by=F("kpi_id"), order_by=[F("timestamp").asc(), F("source").asc()])
    total = Window(Count("pk"), partition_by=F("kpi_id"))
    rows = (
        Measurement.objects.filter(kpi__in=kpis)
        .annotate(from_newest=Mod(total - position, (total + (at_most - 1)) / at_most))
        .filter(from_newest=0)
        .order_by("kpi_id", "timestamp", "source")
        .values("kpi_id", "timestamp", "value", "source")
    )
    points = defaultdict(list)
    for row in rows:
        points[row["kpi_id"]].append(row)
    return points


COHORT_COLOURS = {Kpi.Cohort.POWER: "#1d4ed8", Kpi.Cohort.OCCASIONAL: "#60a5fa", Kpi.Cohort.NON_ADOPTER: "#9ca3af"}


def cohort_mix(initiative, *, days: int = 365) -> dict | None:
    """Adoption by cohort over time, for the outcome tree tab and the scale-out decision pack (two queries,
    plus the charter if not loaded): per period (each timestamp a cohort KPI has a point), the share of the
    target cohort that are power users, occasional users and non-adopters, stacked, with the adoption target
    as a line the top of the occasional users should reach. None when no KPI is marked with a cohort.

    A period is one timestamp; of two sources at it, the one first by name counts, as for a KPI's newest point.
    """
    kpis = {k.cohort: k for k in initiative.kpis.exclude(cohort="").order_by("position", "id")}
    if not kpis:
        return None
    by_kpi = {k.pk: cohort for cohort, k in kpis.items()}
    since = timezone.now() - timedelta(days=days)
    periods: dict[datetime, dict[str, float]] = defaultdict(dict)
    for row in (
        Measurement.objects.filter(kpi__in=by_kpi, timestamp__gte=since)
        .order_by("timestamp", "source")
        .values_list("kpi_id", "timestamp", "value")
    ):
        periods[row[1]].setdefault(by_kpi[row[0]], row[2])
    charter = initiative.charter
    rows = [_cohort_row(at, shares, charter.target_cohort_size) for at, shares in sorted(periods.items())]
    return {
        "figure": _cohort_figure([c for c in Kpi.Cohort if c in kpis], rows, charter.adoption_target),
        "labels": [c.label for c in Kpi.Cohort],
        "kpis": [kpis[c] for c in Kpi.Cohort if c in kpis],
        "rows": rows,
        "latest": rows[-1] if rows else None,
        "target": charter.adoption_target,
        "size": charter.target_cohort_size,
    }


def _cohort_row(at: datetime, shares: dict[str, float], size: int | None) -> dict:
    """One period of the mix; adopters (power and occasional users) only when both were measured."""
    power, occasional = (shares.get(c) for c in Kpi.ADOPTER_COHORTS)
    adopters = power + occasional if power is not None and occasional is not None else None
    return {
        "at": at,
        "shares": [{"label": c.label, "share": shares.get(c)} for c in Kpi.Cohort],
        "adopters": adopters,
        "people": round(adopters * size / 100) if adopters is not None and size else None,
    }


def _cohort_figure(cohorts: list, rows: list[dict], target: int | None) -> dict:
    order = list(Kpi.Cohort)
    totals = [sum(cell["share"] for cell in row["shares"] if cell["share"] is not None) for row in rows]
    data = [
        {
            "type": "bar",
            "name": cohort.label,
            "x": [row["at"].isoformat() for row in rows],
            "y": [row["shares"][order.index(cohort)]["share"] for row in rows],
            "marker": {"color": COHORT_COLOURS[cohort]},
            "hovertemplate": "%{y:.1f} %",
        }
        for cohort in cohorts
    ]
    if target is not None and rows:
        xs = [rows[0]["at"].isoformat(), rows[-1]["at"].isoformat()]
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"Adoption target ({target} %)",
                "x": xs,
                "y": [target, target],
                "line": {"color": "#b3261e", "dash": "dash", "width": 2},
                "hoverinfo": "name",
            }
        )
    layout = {
        "barmode": "stack",
        "margin": {"l": 50, "r": 20, "t": 10, "b": 40},
        "height": 300,
        "xaxis": {"type": "date"},
        # From 0 to a little above 100 %, or above the highest stack when the shares pushed add up to more.
        "yaxis": {"title": {"text": "% of the target cohort"}, "range": [0, 1.05 * max([100, *totals])]},
        # Plotly lists stacked bars top first; a horizontal legend reads power users first, as the table does.
        "legend": {"orientation": "h", "y": -0.2, "traceorder": "normal"},
        "hovermode": "x unified",
    }
    return {"data": data, "layout": layout}
