"""The portfolio's Plotly figures, as dicts: the stage × health heatmap and realised value against risk tier."""

import math
from collections import Counter

from django.conf import settings

from initiatives.models import Initiative, Stage
from initiatives.portfolio.rows import Health, Row

HEALTH_COLOURS = {Health.GREEN: "#1d7a46", Health.AMBER: "#d08a00", Health.RED: "#b3261e", Health.NO_DATA: "#9aa5b5"}
RISK_TIERS = list(Initiative.RiskTier)


def heatmap_figure(counts: list[list[int]]) -> dict:
    """Stages as rows (first stage on top), health then "Killed" as columns, counts as colour and as text."""
    return {
        "data": [
            {
                "type": "heatmap",
                "z": counts,
                "x": [*(h.label for h in Health), Initiative.Status.KILLED.label],
                "y": [s.label for s in Stage],
                "text": counts,
                "texttemplate": "%{text}",
                "hovertemplate": "%{y} · %{x}: %{z}<extra></extra>",
                "colorscale": [[0, "#f5f7fa"], [1, "#2251cc"]],
                "showscale": False,
                "xgap": 3,
                "ygap": 3,
            }
        ],
        "layout": {
            "height": 320,
            "margin": {"l": 140, "r": 10, "t": 10, "b": 40},
            "yaxis": {"autorange": "reversed"},
            "xaxis": {"side": "bottom"},
        },
    }


def value_risk_figure(rows: list[Row]) -> dict:
    """Realised value per week against risk tier: one trace per health, size by modelled value.

    Risk tiers are categories drawn at 0, 1 and 2; points of one tier spread sideways (a fixed jitter,
    so the chart and its tests are stable) to keep them apart. Rows without realised value are left out.
    """
    currency = settings.VALUE_CURRENCY
    plotted = [r for r in rows if r.card_value("realised_value") is not None]
    largest = max((r.card_value("modelled_value") or 0 for r in plotted), default=0)
    seen = Counter()
    points = []
    for r in plotted:
        tier = RISK_TIERS.index(r.risk_tier) if r.risk_tier in RISK_TIERS else 1
        k = seen[tier] % 7
        jitter = (k + 1) // 2 * (0.08 if k % 2 else -0.08)  # 0, +0.08, -0.08, +0.16, ...
        seen[tier] += 1
        points.append((r, tier + jitter, _marker_size(r.card_value("modelled_value"), largest)))
    data = [
        {
            "type": "scatter",
            "mode": "markers",
            "name": health.label,
            "x": [round(x, 2) for r, x, _ in points if r.health == health],
            "y": [round(r.card_value("realised_value"), 2) for r, _, _ in points if r.health == health],
            "text": [r.title for r, _, _ in points if r.health == health],
            "customdata": [_round(r.card_value("modelled_value")) for r, _, _ in points if r.health == health],
            "marker": {
                "size": [size for r, _, size in points if r.health == health],
                "color": HEALTH_COLOURS[health],
                "opacity": 0.8,
                "line": {"width": 1, "color": "#fff"},
            },
            "hovertemplate": f"<b>%{{text}}</b><br>Realised {currency} %{{y:,.0f}} a week<br>"
            f"Modelled {currency} %{{customdata:,.0f}} a week<extra></extra>",
        }
        for health in Health
    ]
    layout = {
        "height": 320,
        "margin": {"l": 60, "r": 10, "t": 10, "b": 40},
        "xaxis": {
            "title": {"text": "Risk tier"},
            "tickvals": list(range(len(RISK_TIERS))),
            "ticktext": [t.label for t in RISK_TIERS],
            "range": [-0.5, len(RISK_TIERS) - 0.5],
            "zeroline": False,
        },
        "yaxis": {"title": {"text": f"Realised value per week ({currency})"}, "rangemode": "tozero"},
        "legend": {"orientation": "h", "y": -0.2},
    }
    return {"data": data, "layout": layout}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _marker_size(modelled: float | None, largest: float) -> float:
    if not modelled or modelled <= 0 or largest <= 0:
        return 8
    return round(8 + 32 * math.sqrt(modelled / largest), 1)
