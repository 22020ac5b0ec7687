"""A stored scorecard as pages and the API read it (kpis.scorecards.latest_scorecard and present): the
snapshot keeps figures; each KPI row gets its name, labels, targets and reason from the KPI as it is now,
and a KPI removed since keeps its key and nothing else."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kpis import services as kpi_services
from kpis.ingest import record_measurements
from kpis.models import Kpi
from kpis.scorecard_sql import insert_scorecards
from kpis.scorecards import latest_scorecard
from tests.lifecycle import support_tree

pytestmark = pytest.mark.django_db

HANDLE_TIME, ASSISTED, CSAT = "present.handle-time", "present.assisted-share", "present.csat"


@pytest.fixture
def stored(initiative, alice):
    """A snapshot of a tree whose lagging KPI moved 50 % of the way, whose guardrail is inside its bound
    and whose leading KPI has no point yet."""
    support_tree(initiative, alice, prefix="present")
    now = timezone.now()
    points = [(HANDLE_TIME, 10.5), (CSAT, 4.5)]
    record_measurements(
        [{"kpi": key, "timestamp": (now - timedelta(hours=1)).isoformat(), "value": v} for key, v in points],
        acting_user=alice,
    )
    assert insert_scorecards(now, [initiative.pk]) == 1
    return initiative


def rows_by_key(card) -> dict[str, dict]:
    return {row["key"]: row for row in card.kpis}


def test_there_is_none_before_the_first_recompute(initiative):
    assert latest_scorecard(initiative) is None


def test_each_kpi_row_reads_the_kpi_as_it_is_now(stored):
    rows = rows_by_key(latest_scorecard(stored))

    lagging, guardrail = rows[HANDLE_TIME], rows[CSAT]
    assert {k: lagging[k] for k in ("name", "unit", "kind", "kind_label", "status_label", "direction")} == {
        "name": "Average handling time",
        "unit": "minutes",
        "kind": "lagging",
        "kind_label": "Lagging",
        "status_label": "Green",
        "direction": "decrease",
    }
    assert (lagging["baseline_value"], lagging["target_value"], lagging["guardrail_bound"]) == (12.0, 9.0, None)
    assert lagging["reason"] == "50% of the way from baseline to target; 50% expected by today."
    assert (guardrail["unit"], guardrail["direction"], guardrail["guardrail_bound"]) == ("score", "increase", 4.2)
    assert guardrail["reason"] == "4.5 score is within its bound (at least 4.2)."


def test_a_kpi_without_a_point_reads_as_no_measurement(stored):
    row = rows_by_key(latest_scorecard(stored))[ASSISTED]

    assert (row["latest_at"], row["latest_value"], row["stale"]) == (None, None, True)
    assert row["reason"] == "No measurement yet."


def test_the_newest_point_time_is_an_aware_datetime(stored):
    row = rows_by_key(latest_scorecard(stored))[HANDLE_TIME]

    assert timezone.is_aware(row["latest_at"])
    assert timezone.now() - timedelta(hours=2) < row["latest_at"] < timezone.now()


def test_a_kpi_removed_since_keeps_its_key_and_nothing_else(stored, alice):
    kpi_services.remove_kpi(Kpi.objects.get(key=CSAT).pk, acting_user=alice, confirmed=True)

    row = rows_by_key(latest_scorecard(stored))[CSAT]

    assert row["name"] == CSAT
    assert [row[k] for k in ("unit", "kind", "kind_label", "direction", "reason")] == [""] * 5
    assert [row[k] for k in ("baseline_value", "target_value", "guardrail_bound")] == [None] * 3
    assert (row["status"], row["status_label"], row["latest_value"]) == ("green", "Green", 4.5)
