"""The portfolio's Plotly figures, as dicts: the stage × health heatmap and realised value against risk tier.

A cell or a bubble carries, in its customdata, the link to the table filtered to it (the first item
when it carries more); static/js/portfolio.js follows it on a click.
"""

import math
from collections import Counter
from typing import NamedTuple

from django.conf import settings

from initiatives.models import Initiative, Stage
from kpis.models import Scorecard

Health = Scorecard.Health
HEALTH_COLOURS = {Health.GREEN: "#1d7a46", Health.AMBER: "#d08a00", Health.RED: "#b3261e", Health.NO_DATA: "#9aa5b5"}
RISK_TIERS = list(Initiative.RiskTier)
# The largest bubble of each risk tier gets its title written above it, when it is at least LABEL_SHARE of
# the largest: the top of a tier's column is the one place a title never lands on other bubbles.
LABEL_SHARE = 0.15
LABEL_LENGTH = 24


class Point(NamedTuple):
    """One initiative on the value-versus-risk chart."""

    title: str
    risk_tier: str
    health: str
    realised: float
    modelled: float | None
    link: str


def heatmap_figure(counts: list[list[int]], links: list[list[str]]) -> dict:
    """Stages as rows (first stage on top), health then "Killed" as columns, counts as colour and as text."""
    return {
        "data": [
            {
                "type": "heatmap",
                "z": counts,
                "x": [*(h.label for h in Health), Initiative.Status.KILLED.label],
                "y": [s.label for s in Stage],
                "text": counts,
                "customdata": links,
                "texttemplate": "%{text}",
                "hovertemplate": "%{y} · %{x}: %{z}<br>Click to list them<extra></extra>",
                "colorscale": [[0, "#f5f7fa"], [1, "#2251cc"]],
                "showscale": False,
                "xgap": 3,
                "ygap": 3,
            }
        ],
        "layout": {
            "height": 320,
            "margin": {"l": 140, "r": 10, "t": 10, "b": 40},
            "yaxis": {"autorange": "reversed", "fixedrange": True},
            "xaxis": {"side": "bottom", "fixedrange": True},
        },
    }


def value_risk_figure(points: list[Point]) -> dict:
    """Realised value per week against risk tier: one trace per health, size by modelled value, the
    largest of each tier named.

    Risk tiers are categories drawn at 0, 1 and 2; points of one tier spread sideways (a fixed jitter,
    so the chart and its tests are stable) to keep them apart.
    """
    currency = settings.VALUE_CURRENCY
    largest = max((p.modelled or 0 for p in points), default=0)
    labelled = _labelled(points)
    seen = Counter()
    placed = []
    for n, p in enumerate(points):
        tier = RISK_TIERS.index(p.risk_tier) if p.risk_tier in RISK_TIERS else 1
        k = seen[tier] % 7
        jitter = (k + 1) // 2 * (0.08 if k % 2 else -0.08)  # 0, +0.08, -0.08, +0.16, ...
        seen[tier] += 1
        placed.append((p, round(tier + jitter, 2), _label(p.title) if n in labelled else ""))

    def trace(health: Health) -> dict:
        mine = [(p, x, label) for p, x, label in placed if p.health == health]
        return {
            "type": "scatter",
            "mode": "markers+text",
            "name": health.label,
            "x": [x for _, x, _ in mine],
            "y": [round(p.realised, 2) for p, _, _ in mine],
            "text": [label for _, _, label in mine],
            "customdata": [[p.link, _round(p.modelled), p.title] for p, _, _ in mine],
            "textposition": "top center",
            "textfont": {"size": 11, "color": "#1d2733"},
            "cliponaxis": False,
            "marker": {
                "size": [_marker_size(p.modelled, largest) for p, _, _ in mine],
                "color": HEALTH_COLOURS[health],
                "opacity": 0.8,
                "line": {"width": 1, "color": "#fff"},
            },
            "hovertemplate": f"<b>%{{customdata[2]}}</b><br>Realised {currency} %{{y:,.0f}} a week<br>"
            f"Modelled {currency} %{{customdata[1]:,.0f}} a week<br>Click to list this tier and health"
            "<extra></extra>",
        }

    layout = {
        "height": 340,
        "margin": {"l": 60, "r": 10, "t": 40, "b": 40},
        "xaxis": {
            "title": {"text": "Risk tier"},
            "tickvals": list(range(len(RISK_TIERS))),
            "ticktext": [t.label for t in RISK_TIERS],
            "range": [-0.5, len(RISK_TIERS) - 0.5],
            "zeroline": False,
        },
        "yaxis": {"title": {"text": f"Realised value per week ({currency})"}, "rangemode": "tozero"},
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
    }
    return {"data": [trace(health) for health in Health], "layout": layout}


def value_risk_rows(points: list[Point]) -> list[tuple[str, str, str, float, float | None, str]]:
    """The chart's points as the rows of its table, for those who cannot see it: title, risk tier and health
    (as their labels), realised and modelled value a week, and the link a click on the bubble follows."""
    tiers, healths = dict(Initiative.RiskTier.choices), dict(Health.choices)
    return [
        (p.title, tiers.get(p.risk_tier, p.risk_tier), healths.get(p.health, p.health), p.realised, p.modelled, p.link)
        for p in points
    ]


def _labelled(points: list[Point]) -> set[int]:
    """The positions of the points whose title is written above them."""
    largest = max((p.realised for p in points), default=0)
    top: dict[str, int] = {}
    for n, p in enumerate(points):
        if p.realised >= LABEL_SHARE * largest and (
            p.risk_tier not in top or p.realised > points[top[p.risk_tier]].realised
        ):
            top[p.risk_tier] = n
    return set(top.values())


def _label(title: str) -> str:
    return title if len(title) <= LABEL_LENGTH else title[: LABEL_LENGTH - 1].rstrip() + "…"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _marker_size(modelled: float | None, largest: float) -> float:
    if not modelled or modelled <= 0 or largest <= 0:
        return 8
    return round(8 + 32 * math.sqrt(modelled / largest), 1)
