"""Scorecard recompute benchmark: one SQL statement for the per-KPI figures versus the recompute.

    make bench            # or: python benchmarks/scorecards.py  (needs DATABASE_URL on PostgreSQL)

On 2,000 initiatives, 10,000 KPIs and 1,000,000 points (created once with set-based SQL, under
slugs starting "bench-sc-", and reused), prints the best of 3 warm runs of: the baseline, one
SELECT computing every KPI's figures (newest point, progress, expected progress, status, stale) with
the same SQL the recompute uses, its rows fetched; the full recompute; and the incremental recompute
with 5 % of the initiatives dirty. The recompute plans its statement once per connection and a
worker keeps its connection (DATABASE_CONN_MAX_AGE), so the warm runs reuse the plan as a worker's
scheduled runs do; the first incremental run on a new connection, planning included, is printed too.
Then it checks that the snapshots carry the baseline's statuses.
"""

import os
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
INITIATIVES = 2_000
KPIS_PER_INITIATIVE = 5
POINTS_PER_KPI = 100
DIRTY_EVERY = 20  # one initiative in 20 is dirty: 5 %
RUNS = 3
TARGET_RATIO = 2.0

CREATE_INITIATIVES = """
INSERT INTO initiatives_initiative (slug, title, business_unit, risk_tier, stage, status, started_on,
                                    stage_entered_at, scorecard_dirty_at, risk_floor, risk_floor_reason, risk_reason,
                                    reuse_review_adopting, reuse_review_changes, created_by_id, created_at, updated_at)
SELECT 'bench-sc-' || lpad(g::text, 4, '0'), 'Bench scorecard ' || g,
       (ARRAY['Sales', 'Support', 'Finance', 'Operations', 'People', 'Legal', 'Marketing', 'IT'])[1 + mod(g, 8)],
       (ARRAY['low', 'medium', 'high'])[1 + mod(g, 3)],
       (ARRAY['define-outcome', 'secure-foundation', 'measure-impact', 'standardize-reuse', 'scaled'])
           [1 + mod(g / 3, 5)],
       CASE WHEN mod(g, 25) = 0 THEN 'on-hold' WHEN mod(g, 40) = 1 THEN 'killed' ELSE 'active' END,
       current_date - (20 + mod(g, 300)), now() - make_interval(days => 5 + mod(g, 120)),
       NULL, '', '', '', '', '', %(user)s, now(), now()
FROM generate_series(1, %(initiatives)s) g
"""

# The statements below name the bench initiatives `WITH b AS (...)`: their ids, and each one's
# number g (1..INITIATIVES) parsed back from its slug.

# Half the charters are complete; three in four know their cost and volume.
CREATE_CHARTERS = """
WITH b AS (SELECT id, substr(slug, 10)::int AS g FROM initiatives_initiative WHERE starts_with(slug, 'bench-sc-'))
INSERT INTO initiatives_charter (initiative_id, problem_user, problem_task, expected_business_result, constraints,
                                 outcome_statement, target_users, guardrails, expected_impact, scope,
                                 outcome_supported, data_dependencies, control_needed, reuse_plan, owner_id,
                                 cost_per_1000_inferences, expected_monthly_volume, customer_facing,
                                 automated_decisions, updated_at)
SELECT id, t, t, t, t, t, t, t, t, t, t, t, t, t, CASE WHEN t = '' THEN NULL ELSE %(user)s END,
       CASE WHEN mod(g, 4) <> 3 THEN round(0.5 + mod(g, 97) / 10.0, 4) END,
       CASE WHEN mod(g, 4) <> 3 THEN 10000 * (1 + mod(g, 50)) END, false, false, now()
FROM (SELECT id, g, CASE WHEN mod(g, 2) = 0 THEN 'Filled in by the bench.' ELSE '' END AS t FROM b) c
"""

# Every initiative has its PM; one in three launched-or-not has an accepted AI service owner.
CREATE_ROLES = """
WITH b AS (SELECT id, substr(slug, 10)::int AS g FROM initiatives_initiative WHERE starts_with(slug, 'bench-sc-'))
INSERT INTO initiatives_roleassignment (initiative_id, role, user_id, assigned_by_id, assigned_at, accepted_at)
SELECT id, 'product-manager', %(user)s, %(user)s, now(), now() FROM b
UNION ALL
SELECT id, 'service-owner', %(user)s, %(user)s, now(), now() FROM b WHERE mod(g, 3) = 0
"""

# One initiative in four has an open review of the gate leaving its stage, some of them overdue.
CREATE_REVIEWS = """
WITH b AS (SELECT id, substr(slug, 10)::int AS g FROM initiatives_initiative WHERE starts_with(slug, 'bench-sc-'))
INSERT INTO governance_gatereview (initiative_id, gate, policy_id, from_stage, to_stage, status, requested_by_id,
                                   requested_at, override_reason, criteria_results, snapshot, snapshot_hash)
SELECT b.id, p.gate, p.id, i.stage, s.to_stage, 'open', %(user)s, now() - make_interval(days => mod(b.g, 10)),
       '', '[]', '{}', repeat('0', 64)
FROM b
JOIN initiatives_initiative i ON i.id = b.id
JOIN (VALUES ('define-outcome', 'charter-signoff', 'secure-foundation'),
             ('secure-foundation', 'foundation-ready', 'measure-impact'),
             ('measure-impact', 'scale-out', 'standardize-reuse'),
             ('standardize-reuse', 'reuse-ready', 'scaled')) s (from_stage, gate, to_stage) ON s.from_stage = i.stage
JOIN governance_gatepolicy p ON p.gate = s.gate AND p.risk_tier = i.risk_tier AND p.version = 1
WHERE mod(b.g, 4) = 0
"""

CREATE_OBJECTIVES = """
WITH b AS (SELECT id, substr(slug, 10)::int AS g FROM initiatives_initiative WHERE starts_with(slug, 'bench-sc-'))
INSERT INTO kpis_objective (initiative_id, statement) SELECT id, 'Objective of bench initiative ' || g FROM b
"""

CREATE_DRIVERS = """
WITH b AS (SELECT id, substr(slug, 10)::int AS g FROM initiatives_initiative WHERE starts_with(slug, 'bench-sc-'))
INSERT INTO kpis_driver (objective_id, name, position)
SELECT o.id, 'Driver ' || d, d
FROM b JOIN kpis_objective o ON o.initiative_id = b.id, generate_series(0, 1 + mod(b.g, 2)) d
"""

# Five KPIs each: two leading, two lagging, one guardrail (rotating positions), alternating directions,
# one in 23 without baseline and target, cadences daily/weekly/monthly, and value measures on some.
CREATE_KPIS = """
WITH b AS (SELECT id, substr(slug, 10)::int AS g FROM initiatives_initiative WHERE starts_with(slug, 'bench-sc-'))
INSERT INTO kpis_kpi (initiative_id, driver_id, key, name, unit, kind, direction, category, baseline_value,
                      baseline_date, target_value, target_date, guardrail_bound, cadence, value_measure, cohort,
                      position, created_at, updated_at)
SELECT k.id, d.id, 'bench-sc-' || lpad(k.g::text, 4, '0') || '.kpi-' || k.p, 'Bench KPI ' || k.g || '.' || k.p,
       (ARRAY['minutes', '%%', 'EUR', 'hours/week', 'count'])[1 + k.p], k.kind, k.direction,
       (ARRAY['outcome', 'adoption', 'platform', 'cost', 'value'])[1 + k.p],
       CASE WHEN k.plain THEN NULL ELSE k.base END,
       CASE WHEN k.plain THEN NULL ELSE current_date - (150 + mod(k.g + k.p, 60)) END,
       CASE WHEN k.plain THEN NULL WHEN k.direction = 'increase' THEN k.base * 1.3 ELSE k.base * 0.7 END,
       CASE WHEN k.plain THEN NULL ELSE current_date + (30 + mod(3 * k.g + k.p, 150)) END,
       CASE WHEN k.kind <> 'guardrail' THEN NULL WHEN k.direction = 'increase' THEN k.base * 0.9 ELSE k.base * 1.1 END,
       (ARRAY['daily', 'weekly', 'monthly'])[1 + mod(k.g + k.p, 3)],
       CASE WHEN k.p = 4 THEN 'time-saved' WHEN k.p = 1 AND mod(k.g, 2) = 0 THEN 'time-reallocated' ELSE '' END,
       '', k.p, now(), now()
FROM (
    SELECT b.id, b.g, p,
           (ARRAY['leading', 'lagging', 'lagging', 'guardrail', 'leading'])[1 + mod(b.g + p, 5)] AS kind,
           CASE WHEN mod(b.g + p, 2) = 0 THEN 'increase' ELSE 'decrease' END AS direction,
           100.0 + mod(7 * b.g + 13 * p, 50) AS base,
           mod(5 * b.g + p, 23) = 0 AND mod(b.g + p, 5) <> 3 AS plain
    FROM b, generate_series(0, %(kpis)s - 1) p
) k
JOIN kpis_objective o ON o.initiative_id = k.id
JOIN kpis_driver d ON d.objective_id = o.id AND d.position = mod(k.p, 2 + mod(k.g, 2))
"""

CREATE_DATA_SET = (
    CREATE_INITIATIVES,
    CREATE_CHARTERS,
    CREATE_ROLES,
    CREATE_REVIEWS,
    CREATE_OBJECTIVES,
    CREATE_DRIVERS,
    CREATE_KPIS,
)
BENCH_IDS = "SELECT id FROM initiatives_initiative WHERE starts_with(slug, 'bench-sc-')"
BENCH_POINTS = (
    "{verb} FROM kpis_measurement WHERE kpi_id IN (SELECT id FROM kpis_kpi WHERE starts_with(key, 'bench-sc-'))"
)

# POINTS_PER_KPI points a KPI, two days apart back from its newest (which lags 0-19 hours, or 40 or 60
# days for a few stale KPIs); one KPI in ten has its two newest points at the same time from two
# sources, so the tie-break by source matters. Values drift from baseline toward (or past) target;
# guardrails wander around their bound.
CREATE_POINTS = """
INSERT INTO kpis_measurement (kpi_id, "timestamp", value, source)
SELECT k.id,
       date_trunc('hour', now()) - make_interval(days => k.lag_days + 2 * CASE WHEN k.tie AND n = 1 THEN 0 ELSE n END,
                                                 hours => mod(k.kn, 20)),
       CASE WHEN k.kind = 'guardrail' THEN k.v0 * (0.85 + mod(13 * k.kn + n, 30) / 100.0)
            ELSE k.v0 + (k.v1 - k.v0) * (%(points)s - n)::float / %(points)s * (0.2 + mod(31 * k.kn, 100) / 100.0)
                 + k.v0 * (mod(7 * k.kn + 13 * n, 11) - 5) * 0.002 END,
       CASE WHEN k.tie AND n = 1 THEN 'csv' ELSE 'api' END
FROM (
    SELECT id, kind, coalesce(baseline_value, 100) AS v0,
           coalesce(target_value, CASE WHEN direction = 'increase' THEN 130 ELSE 70 END) AS v1, kn,
           mod(kn, 10) = 3 AS tie,
           CASE WHEN mod(kn, 10) = 0 THEN 40 WHEN mod(kn, 29) = 0 THEN 60 ELSE 0 END AS lag_days
    FROM (SELECT id, kind, baseline_value, target_value, direction,
                 (substr(key, 10, 4)::int - 1) * 5 + substr(key, 19)::int AS kn
          FROM kpis_kpi WHERE starts_with(key, 'bench-sc-')) numbered
) k, generate_series(0, %(points)s - 1) n
"""


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opmodel.settings")
    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_hex(24))
    os.environ.setdefault("AUDIT_KEY", "bench-audit-" + secrets.token_hex(24))
    os.environ.setdefault("HTTPS_ONLY", "0")
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("The scorecard benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def run(sql: str, params: dict | None = None) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def scalar(sql: str, params: dict | None = None):
    return run(sql, params)[0][0]


def ensure_data_set() -> None:
    """Create the bench initiatives and their trees, then the points, each only when missing.

    The points are checked apart: the ingest benchmark, run first by `make bench`, truncates kpis_measurement.
    """
    from django.contrib.auth import get_user_model
    from django.db import transaction

    loaded = False
    if scalar("SELECT count(*) FROM initiatives_initiative WHERE starts_with(slug, 'bench-sc-')") != INITIATIVES:
        began = time.perf_counter()
        user, _ = get_user_model().objects.get_or_create(username="bench-sc-pm")
        params = {"user": user.pk, "initiatives": INITIATIVES, "kpis": KPIS_PER_INITIATIVE}
        with transaction.atomic():
            delete_data_set()
            for sql in CREATE_DATA_SET:
                run(sql, params)
        print(f"Created {INITIATIVES:,} bench initiatives and their KPIs in {time.perf_counter() - began:.1f} s")
        loaded = True
    wanted = INITIATIVES * KPIS_PER_INITIATIVE * POINTS_PER_KPI
    if scalar(BENCH_POINTS.format(verb="SELECT count(*)")) != wanted:
        began = time.perf_counter()
        with transaction.atomic():
            run(BENCH_POINTS.format(verb="DELETE"))
            run(CREATE_POINTS, {"points": POINTS_PER_KPI})
        print(f"Loaded {wanted:,} bench points in {time.perf_counter() - began:.1f} s")
        loaded = True
    if loaded:
        run("VACUUM ANALYZE")


def delete_data_set() -> None:
    """Remove a partial bench data set, children first (the foreign keys do not cascade in the database)."""
    for sql in (
        "DELETE FROM kpis_measurement WHERE kpi_id IN (SELECT id FROM kpis_kpi WHERE initiative_id IN ({ids}))",
        "DELETE FROM kpis_kpi WHERE initiative_id IN ({ids})",
        "DELETE FROM kpis_driver WHERE objective_id IN (SELECT id FROM kpis_objective WHERE initiative_id IN ({ids}))",
        "DELETE FROM kpis_objective WHERE initiative_id IN ({ids})",
        "DELETE FROM kpis_scorecard WHERE initiative_id IN ({ids})",
        "DELETE FROM governance_gatedecision WHERE review_id IN "
        "(SELECT id FROM governance_gatereview WHERE initiative_id IN ({ids}))",
        "DELETE FROM governance_gatereview WHERE initiative_id IN ({ids})",
        "DELETE FROM initiatives_roleassignment WHERE initiative_id IN ({ids})",
        "DELETE FROM initiatives_charter WHERE initiative_id IN ({ids})",
        "DELETE FROM initiatives_initiative WHERE id IN ({ids})",
    ):
        run(sql.replace("{ids}", BENCH_IDS))


def best_of(fn, before=None) -> float:
    """Seconds of the fastest of RUNS calls of fn, each after before()."""
    times = []
    for _ in range(RUNS):
        if before:
            before()
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return min(times)


def first_run(fn, before) -> float:
    """Seconds of fn on a new connection, after before()."""
    from django.db import connection

    connection.close()
    before()  # connects
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def clear_snapshots() -> None:
    run("TRUNCATE kpis_scorecard")


def recompute(*, full: bool, expected: int) -> None:
    from kpis.recompute import recompute_scorecards

    result = recompute_scorecards(full=full)
    if result.skipped or result.recomputed != expected:
        sys.exit(f"recompute_scorecards(full={full}) did {result}, expected {expected} initiatives")


DIRTY_SQL = """
UPDATE initiatives_initiative SET scorecard_dirty_at = now()
WHERE starts_with(slug, 'bench-sc-') AND mod(substr(slug, 10)::int, %(every)s) = %(offset)s
"""


class DirtyMarks:
    """Marks a different 5 % of the bench initiatives dirty on each call, and nothing else."""

    def __init__(self) -> None:
        self.offset = 0

    def __call__(self) -> None:
        run("UPDATE initiatives_initiative SET scorecard_dirty_at = NULL WHERE scorecard_dirty_at IS NOT NULL")
        run(DIRTY_SQL, {"every": DIRTY_EVERY, "offset": self.offset})
        self.offset = (self.offset + 1) % DIRTY_EVERY


def stored_statuses() -> dict[str, int]:
    """How many KPIs of the newest snapshots have each status (the figures sit at index 3 of each KPI)."""
    rows = run(
        "SELECT k.value ->> 3, count(*) FROM kpis_scorecard s, jsonb_array_elements(CAST(s.kpis AS jsonb)) k "
        "WHERE s.id IN (SELECT max(id) FROM kpis_scorecard GROUP BY initiative_id) GROUP BY 1"
    )
    return dict(rows)


def main() -> None:
    setup_django()
    ensure_data_set()
    initiatives = scalar("SELECT count(*) FROM initiatives_initiative")
    kpis = scalar("SELECT count(*) FROM kpis_kpi")
    points = scalar("SELECT count(*) FROM kpis_measurement")
    dirty = INITIATIVES // DIRTY_EVERY

    from kpis.scorecard_sql import kpi_figures_query

    baseline_sql, baseline_params = kpi_figures_query()
    figures = run(baseline_sql, baseline_params)  # warms the caches
    baseline = best_of(lambda: run(baseline_sql, baseline_params))
    clear_snapshots()
    full = best_of(lambda: recompute(full=True, expected=initiatives), before=clear_snapshots)
    statuses = stored_statuses()
    table_mb = scalar("SELECT pg_total_relation_size('kpis_scorecard')") / 2**20
    snapshot_bytes = scalar("SELECT avg(pg_column_size(s.*)) FROM kpis_scorecard s")
    marks = DirtyMarks()
    incremental_first = first_run(lambda: recompute(full=False, expected=dirty), before=marks)
    incremental = best_of(lambda: recompute(full=False, expected=dirty), before=marks)
    clear_snapshots()
    baseline_statuses = {}
    for row in figures:
        baseline_statuses[row[6]] = baseline_statuses.get(row[6], 0) + 1

    full_ratio = full / baseline
    share = full * dirty / initiatives
    incremental_ratio = incremental / share
    ms = 1000
    print(
        f"\nScorecard benchmark on PostgreSQL: {initiatives:,} initiatives, {kpis:,} KPIs, {points:,} points "
        f"({dirty} dirty for the incremental run), best of {RUNS} warm runs, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"  one SELECT of every KPI's figures, rows fetched (baseline)         {baseline * ms:>9,.0f} ms")
    print(
        f"  full recompute, recompute_scorecards(full=True)                   {full * ms:>9,.0f} ms   "
        f"ratio {full_ratio:.1f}x the baseline"
    )
    print(
        f"  incremental recompute, {dirty} dirty initiatives                   {incremental * ms:>9,.0f} ms   "
        f"ratio {incremental_ratio:.1f}x its share of the full time ({share * ms:,.0f} ms)"
    )
    print(
        f"  incremental recompute, first run on a new connection (planning)   {incremental_first * ms:>9,.0f} ms   "
        f"ratio {incremental_first / share:.1f}x"
    )
    print(f"  snapshots: {snapshot_bytes:,.0f} bytes each; kpis_scorecard after one full recompute {table_mb:.1f} MB")
    print(f"  KPI statuses, baseline {dict(sorted(baseline_statuses.items()))}")
    print(f"  KPI statuses, snapshots {dict(sorted(statuses.items()))}")
    checks = [
        ("the snapshots carry the baseline's per-KPI statuses", statuses == baseline_statuses),
        (f"full recompute <= {TARGET_RATIO:g}x the single-statement baseline", full_ratio <= TARGET_RATIO),
        (f"incremental <= {TARGET_RATIO:g}x its dirty share of the full time", incremental_ratio <= TARGET_RATIO),
    ]
    for label, ok in checks:
        print(f"  [{'met' if ok else 'MISSED'}] {label}")


if __name__ == "__main__":
    main()
