"""KPI trend charts: the target level runs to the chart's right edge, every level line is inside the y-range,
and the text alternative states what the chart draws."""

from datetime import date, datetime

from django.template.loader import render_to_string

from kpis.charts import kpi_trend, trend_facts
from kpis.models import Kpi
from opmodel.compat import UTC


def _kpi(**fields) -> Kpi:
    values = {
        "unit": "minutes",
        "baseline_value": 12.0,
        "baseline_date": date(2026, 4, 1),
        "target_value": 9.6,
        "target_date": date(2026, 6, 1),
    }
    return Kpi(**{**values, **fields})


def _points(*days_and_values) -> list[dict]:
    return [
        {"timestamp": datetime(2026, month, day, tzinfo=UTC), "value": value, "source": "api"}
        for (month, day), value in days_and_values
    ]


def _trace(figure: dict, name: str) -> dict:
    return next(trace for trace in figure["data"] if trace["name"] == name)


def test_the_target_level_is_carried_past_the_target_date_to_the_last_point():
    figure = kpi_trend(_kpi(), _points(((4, 2), 12.1), ((9, 30), 9.4)))

    target = _trace(figure, "Target path")
    assert target["x"] == ["2026-04-01T00:00:00+00:00", "2026-06-01T00:00:00+00:00", "2026-09-30T00:00:00+00:00"]
    assert target["y"] == [12.0, 9.6, 9.6]
    assert _trace(figure, "Baseline")["x"][-1] == target["x"][-1], "both level lines reach the right edge"


def test_the_target_path_ends_at_the_target_date_when_no_point_comes_later():
    target = _trace(kpi_trend(_kpi(), _points(((4, 20), 11.0))), "Target path")

    assert (target["x"][-1], target["y"]) == ("2026-06-01T00:00:00+00:00", [12.0, 9.6])


def test_the_y_range_holds_the_points_the_baseline_the_target_and_the_bound_with_a_margin():
    kpi = _kpi(baseline_value=16.0, target_value=4.0, guardrail_bound=20.0)
    low, high = kpi_trend(kpi, _points(((5, 1), 15.0), ((8, 1), 5.0)))["layout"]["yaxis"]["range"]

    assert low < 4.0 and high > 20.0, "the target and the bound are inside the plot, not on its frame"
    assert low > 4.0 - 2 and high < 20.0 + 2, "and the margin is small"


def test_a_flat_series_still_gets_a_range_around_its_value():
    kpi = _kpi(baseline_value=None, target_value=None, baseline_date=None, target_date=None)
    low, high = kpi_trend(kpi, _points(((5, 1), 0.0), ((5, 2), 0.0)))["layout"]["yaxis"]["range"]

    assert low < 0.0 < high


def test_without_points_or_levels_plotly_picks_the_range():
    kpi = _kpi(baseline_value=None, target_value=None, baseline_date=None, target_date=None)

    assert "range" not in kpi_trend(kpi, [])["layout"]["yaxis"]


def test_every_mix_of_missing_levels_dates_and_points_draws_a_figure():
    """A KPI being set up may lack any of its levels or dates; its page still draws what it has."""
    blanks = ["baseline_value", "baseline_date", "target_value", "target_date", "guardrail_bound"]
    for mask in range(2 ** len(blanks)):
        missing = {name: None for n, name in enumerate(blanks) if mask & (1 << n)}
        for points in (_points(((4, 2), 12.1), ((9, 30), 9.4)), []):
            figure = kpi_trend(_kpi(**{"guardrail_bound": 15.0, **missing}), points)

            names = [trace["name"] for trace in figure["data"]]
            drawn = None not in (missing.get(name, 1) for name in blanks[:4])
            assert ("Target path" in names) == drawn, missing


def test_the_text_alternative_gives_each_sources_newest_point_and_every_level():
    kpi = _kpi(guardrail_bound=15.0)
    points = _points(((4, 2), 12.1), ((9, 30), 9.4)) + [
        {"timestamp": datetime(2026, 9, 1, tzinfo=UTC), "value": 9.9, "source": "bi-export"}
    ]
    facts = trend_facts(kpi, points)

    assert (facts["count"], facts["first"], facts["last"]) == (
        3,
        datetime(2026, 4, 2, tzinfo=UTC),
        datetime(2026, 9, 30, tzinfo=UTC),
    )
    assert [(p["source"], p["value"]) for p in facts["latest"]] == [("api", 9.4), ("bi-export", 9.9)]
    assert facts["levels"] == [
        ("Baseline", 12.0, date(2026, 4, 1)),
        ("Target", 9.6, date(2026, 6, 1)),
        ("Guardrail bound", 15.0, None),
    ]
    # The chart draws the same points: one trace per source, each ending at the newest point given above.
    traces = {t["name"]: t for t in kpi_trend(kpi, points)["data"]}
    assert (traces["api"]["y"][-1], traces["bi-export"]["y"][-1]) == (9.4, 9.9)


def test_without_points_the_text_alternative_has_no_latest_value():
    facts = trend_facts(_kpi(), [])

    assert (facts["count"], facts["first"], facts["latest"]) == (0, None, [])


def test_the_chart_says_in_words_what_it_draws_and_when_it_draws_nothing():
    kpi = _kpi(name="Average handling time")
    context = {"kpi": kpi, "figure": {}, "chart_id": "trend", "caption_id": "trend-caption"}

    drawn = render_to_string("kpis/_trend_chart.html", {**context, "facts": trend_facts(kpi, _points(((5, 1), 11.5)))})
    assert 'role="img" aria-labelledby="trend-caption" aria-describedby="trend-said"' in drawn
    assert (
        "Trend of Average handling time in minutes: 1 point from 1 May 2026 to 1 May 2026. Latest: 11.5 on 1 May 2026."
        " Baseline: 12 (1 Apr 2026). Target: 9.6 (1 Jun 2026).</p>"
    ) in drawn

    empty = render_to_string("kpis/_trend_chart.html", {**context, "facts": trend_facts(kpi, [])})
    assert "Trend of Average handling time in minutes: no measurements in this period. Baseline: 12" in empty
