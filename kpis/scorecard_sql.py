"""The scheduled recompute as one set-based statement: INSERT INTO kpis_scorecard ... SELECT.

The statement states the scorecard rules in SQL, so a recompute of any number of initiatives reads
no model instance and sends no row to Python: it finds each KPI's newest point, scores it, rolls the
scores up per initiative into one row of `facts`, evaluates the next gate's criteria on that row
(each registered criterion's `sql`, beside its Python check: governance/criteria.py) and writes the
snapshots. `tests/scorecards.py` states the same rules in Python, one rule at a time, and
`tests/test_scorecard_sql.py` proves both agree on every rule scenario, on every registered
criterion and on the demo portfolio.

Snapshots store figures, not prose: each KPI's reason and each flag's reason are written when a
snapshot is read (`kpis.scorecards.present`), from the stored figures.

The statement runs on PostgreSQL and SQLite; `_Dialect` holds the few expressions that differ. Its
text is built from Python constants only (choice values quoted by `_q`, hence the S608/B608
exemptions); every value is a bound parameter.
"""

import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.backends.signals import connection_created
from django.db.models import Max
from django.dispatch import receiver
from django.utils import timezone

from governance.criteria import FAIL, PASS, UNAVAILABLE, Criterion, registered
from governance.foundation.services import MUST_BE_IN_PLACE
from governance.gates import GATE_FROM_STAGE
from governance.library.services import WORKFLOW_ASSET_TYPES
from governance.models import GateReview, InitiativeControl
from initiatives import plan
from initiatives.models import LAUNCHED, Charter, Initiative, Role, Stage
from kpis import telemetry
from kpis.models import AfterActionReview, Kpi, Scorecard
from kpis.scorecards import AMBER, CADENCE_PERIOD, FLAG_LABELS, GREEN, NO_DATA, RED

EARLY = (Stage.DEFINE_OUTCOME, Stage.SECURE_FOUNDATION)
EVERY, IDS, DIRTY = "every", "ids", "dirty"  # which initiatives a statement scores
KPI_COLUMNS = {"kpi": "id"}  # a stored KPI figure whose column in `scored` has another name
REAL_KPI_FIELDS = ("latest_value", "progress", "expected")  # stored KPI figures that are floating point


@dataclass(frozen=True)
class _Dialect:
    """The expressions PostgreSQL and SQLite spell differently."""

    vendor: str

    @property
    def pg(self) -> bool:
        return self.vendor == "postgresql"

    def newest_point(self, past: bool = False) -> str:
        """Join each KPI `k` to its newest point `m` (newest timestamp; ties broken by source); for a past
        snapshot, its newest point at %(now)s."""
        until = ' AND "timestamp" <= %(now)s' if past else ""
        newest = f'FROM kpis_measurement WHERE kpi_id = k.id{until} ORDER BY "timestamp" DESC, source LIMIT 1'
        if self.pg:
            return f'LEFT JOIN LATERAL (SELECT value, "timestamp" {newest}) m ON true'
        return f"LEFT JOIN kpis_measurement m ON m.id = (SELECT id {newest})"

    def suffix(self, key: str) -> str:
        """What follows a KPI key's first dot: the template suffix of <initiative>.<suffix> (kpis.telemetry.suffix)."""
        return f"substr({key}, {'strpos' if self.pg else 'instr'}({key}, '.') + 1)"

    def last_points(self, past: bool = False) -> str:
        """SELECT the last %(trend_points)s points (newest first, ties by source) of each KPI of `trend_kpis`:
        its initiative, id, trend, value and x, the days from %(now)s, each computed once per point.
        PostgreSQL reads no more than those from the index; SQLite numbers every point of those KPIs."""
        until = ' AND m."timestamp" <= %(now)s' if past else ""
        if self.pg:
            # In double precision: extract() gives numeric, whose arithmetic costs several times as much.
            x = 'CAST(extract(epoch FROM m."timestamp" - %(now)s) AS DOUBLE PRECISION) / 86400'
            newest = f'FROM kpis_measurement m WHERE m.kpi_id = s.id{until} ORDER BY m."timestamp" DESC, m.source'
            return f"""SELECT s.initiative_id, s.id AS kpi, s.trend, m.value, m.x
    FROM trend_kpis s CROSS JOIN LATERAL (SELECT m.value, {x} AS x {newest} LIMIT %(trend_points)s) m"""  # noqa: S608
        return f"""SELECT p.* FROM (
        SELECT s.initiative_id, s.id AS kpi, s.trend, m.value, {self.ts_days('m."timestamp"', "%(now)s")} AS x,
               row_number() OVER (PARTITION BY s.id ORDER BY m."timestamp" DESC, m.source) AS n
        FROM trend_kpis s JOIN kpis_measurement m ON m.kpi_id = s.id{until}
    ) p WHERE p.n <= %(trend_points)s"""  # noqa: S608

    def initiatives(self, chosen: str) -> str:
        """FROM the chosen initiatives: every one, those whose ids are in %(ids)s, or (PostgreSQL) the
        dirty ones. The dirty ones are read into an array like the ids, so both get the same plan:
        one planned for a few initiatives that stays sound for thousands."""
        if chosen == EVERY:
            return "FROM initiatives_initiative i"
        if self.pg:
            ids = "CAST(%(ids)s AS bigint[])"
            if chosen == DIRTY:
                ids = "ARRAY(SELECT id FROM initiatives_initiative WHERE scorecard_dirty_at IS NOT NULL)"
            return f"FROM unnest({ids}) x (id) JOIN initiatives_initiative i ON i.id = x.id"
        return "FROM json_each(%(ids)s) x JOIN initiatives_initiative i ON i.id = x.value"

    def date_days(self, later: str, earlier: str) -> str:
        """Whole days from one date to another."""
        if self.pg:
            return f"(CAST({later} AS date) - {earlier})"
        return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"

    def ts_days(self, later: str, earlier: str) -> str:
        """Days, with their fraction, from one timestamp to another."""
        if self.pg:
            return f"(extract(epoch FROM {later} - {earlier}) / 86400.0)"
        return f"(julianday({later}) - julianday({earlier}))"

    def real_text(self, expr: str) -> str:
        """A double as text that reads back as the same double. PostgreSQL prints the shortest such text;
        SQLite's CAST keeps 15 digits, so 39.3 / 60 would read back as 0.655 and round the other way."""
        if self.pg:
            return f"CAST({expr} AS TEXT)"
        return f"CASE WHEN {expr} IS NOT NULL THEN printf('%%!.17g', {expr}) END"  # %%: the statement has parameters

    def floor(self, expr: str) -> str:
        """Whole days of a non-negative number of days (as timedelta.days)."""
        return f"CAST(floor({expr}) AS INTEGER)" if self.pg else f"CAST({expr} AS INTEGER)"

    def utc_date(self, ts: str) -> str:
        return f"CAST({ts} AT TIME ZONE 'UTC' AS date)" if self.pg else f"date({ts})"

    def blank(self, column: str) -> str:
        """1 when a text column is empty or whitespace only, as str.strip() sees it for these characters."""
        # Trimmed only when it starts with whitespace: trimming every filled-in field costs more.
        if self.pg:
            spaces = f"ascii({column}) IN (9, 10, 13, 32) AND btrim({column}, E' \\t\\n\\r') = ''"
        else:
            spaces = f"unicode({column}) IN (9, 10, 13, 32) AND trim({column}, char(32, 9, 10, 13)) = ''"
        return f"CASE WHEN coalesce({column}, '') = '' OR ({spaces}) THEN 1 ELSE 0 END"

    def collect(self, expr: str) -> str:
        """The group's values, for missing_roles() to read."""
        return f"CAST(array_agg({expr}) AS text[])" if self.pg else f"json_group_array({expr})"

    def missing_roles(self, held: str, roles: list[str]) -> str:
        """Of `roles`, in their order, those not in `held` (see collect)."""
        every = json.dumps(roles)
        if self.pg:
            return f"'{every}'::jsonb - coalesce({held}, '{{}}')"
        return (
            f"(SELECT json_group_array(r.value) FROM json_each('{every}') r "  # noqa: S608
            f"WHERE {held} IS NULL OR r.value NOT IN (SELECT value FROM json_each({held})))"
        )

    def json_text_list(self, item: str, *, where: str = "") -> str:
        """A JSON array, as text, of the group's items (JSON texts), optionally filtered."""
        filtered = f" FILTER (WHERE {where})" if where else ""
        joined = f"string_agg({item}, ','){filtered}" if self.pg else f"group_concat({item}, ','){filtered}"
        return f"'[' || coalesce({joined}, '') || ']'"

    def policy_criteria(self) -> tuple[str, str]:
        """The criteria of policy `p` as rows of `c`, and the expression for a row's key."""
        if self.pg:
            return "jsonb_array_elements_text(p.criteria) AS c(key)", "c.key"
        return "json_each(p.criteria) AS c", "c.value"


def _kpi_row(d: _Dialect) -> str:
    """One KPI's stored figures as JSON text, in Scorecard.KPI_FIELDS order. Concatenated text, because
    building JSON values for ten thousand KPIs cost half the recompute; KPI keys and statuses need no
    escaping (the key validator allows lowercase letters, digits, dots and hyphens only)."""
    parts = []
    for name in Scorecard.KPI_FIELDS:
        column = f"s.{KPI_COLUMNS.get(name, name)}"
        if name in ("key", "status"):
            parts.append(f"'\"' || {column} || '\"'")
        elif name == "latest_at":
            parts.append(f"coalesce('\"' || CAST({column} AS TEXT) || '\"', 'null')")
        elif name in REAL_KPI_FIELDS:
            parts.append(f"coalesce({d.real_text(column)}, 'null')")
        else:
            parts.append(f"coalesce(CAST({column} AS TEXT), 'null')")
    return "'[' || " + " || ',' || ".join(parts) + " || ']'"


def _q(value: str) -> str:
    """A Python constant (a choice value, never user input) as an SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def _in(values) -> str:
    """A parenthesised list of Python constants (never user input) for IN."""
    return "(" + ", ".join(_q(v) for v in values) + ")"


def _charter_gaps(d: _Dialect, fields: tuple[str, ...]) -> str:
    """How many of the charter's `fields` are empty (all of them when the charter row is missing)."""
    gaps = []
    for name in fields:
        field = Charter._meta.get_field(name)
        column = f"ch.{field.column}"
        gaps.append(f"CASE WHEN {column} IS NULL THEN 1 ELSE 0 END" if field.is_relation else d.blank(column))
    return f"CASE WHEN ch.id IS NULL THEN {len(fields)} ELSE {' + '.join(gaps)} END"


def _stale_before() -> str:
    """The moment before which a KPI `k`'s newest point is stale: two periods of its cadence ago."""
    *named, last = CADENCE_PERIOD
    cases = " ".join(f"WHEN {_q(cadence)} THEN %(stale_{cadence})s" for cadence in named)
    return f"CASE k.cadence {cases} ELSE %(stale_{last})s END"


def kpi_figures(d: _Dialect, chosen: str, past: bool = False) -> str:
    """`WITH chosen AS (...), scored AS (...)`: the initiatives to score and each of their KPIs' newest
    point with the figures scored from it (kpis.scorecards.score_kpi): progress, expected, status, stale.

    A past snapshot (`past`, at %(now)s) scores the initiatives that existed then, in the stage and status
    they had then: those the first later change (initiatives.models.StageChange) left, or the current ones."""
    gate = " ".join(f"WHEN {_q(stage)} THEN {_q(g)}" for stage, g in GATE_FROM_STAGE.items())
    stage, status, entered, then = "i.stage", "i.status", "i.stage_entered_at", ""
    if past:
        stage, status, entered = (
            f"coalesce(h.from_{name}, i.{name})" for name in ("stage", "status", "stage_entered_at")
        )
        then = """
    LEFT JOIN initiatives_stagechange h ON h.id = (
        SELECT id FROM initiatives_stagechange WHERE initiative_id = i.id AND changed_at > %(now)s
        ORDER BY changed_at, id LIMIT 1)
    WHERE i.created_at <= %(now)s"""
    guardrail, decrease, increase = _q(Kpi.Kind.GUARDRAIL), _q(Kpi.Direction.DECREASE), _q(Kpi.Direction.INCREASE)
    green, amber, red, no_data = _q(GREEN), _q(AMBER), _q(RED), _q(NO_DATA)
    return f"""WITH chosen AS (
    SELECT i.id, {stage} AS stage, {status} AS status, i.risk_tier, i.started_on, {entered} AS stage_entered_at,
           i.reuse_review_on, i.scorecard_dirty_at AS mark, CASE {stage} {gate} ELSE '' END AS gate
    {d.initiatives(chosen)}{then}
),
-- Each KPI's newest point and the figures scored from it (kpis.scorecards.score_kpi).
scored AS (
    SELECT x.*, CASE
               WHEN x.latest_value IS NULL THEN {no_data}
               WHEN x.kind = {guardrail} THEN CASE WHEN x.inside = 1 THEN {green} ELSE {red} END
               WHEN x.progress IS NULL THEN {no_data}
               WHEN x.progress < 0 THEN {red}
               WHEN x.progress >= 1 OR x.expected - x.progress <= %(amber_gap)s THEN {green}
               WHEN x.expected - x.progress <= %(red_gap)s THEN {amber}
               ELSE {red} END AS status
    FROM (
        SELECT k.id, k.initiative_id, k.key, k.position, k.kind, k.value_measure, k.cohort, k.baseline_date, k.category,
               m.value AS latest_value, m."timestamp" AS latest_at, k.ready,
               -- a guardrail is inside its bound: at most it when the KPI should decrease, at least it otherwise
               CASE WHEN (k.direction = {decrease} AND m.value <= k.guardrail_bound)
                      OR (k.direction = {increase} AND m.value >= k.guardrail_bound) THEN 1 ELSE 0 END AS inside,
               CASE WHEN m."timestamp" IS NULL OR m."timestamp" < {_stale_before()} THEN 1 ELSE 0 END AS stale,
               CASE WHEN k.measurable = 1 THEN (m.value - k.baseline_value) / (k.target_value - k.baseline_value)
                    END AS progress,
               CASE WHEN k.measurable = 1 AND m.value IS NOT NULL THEN
                   CASE WHEN k.span <= 0 OR k.elapsed >= k.span THEN 1.0
                        WHEN k.elapsed <= 0 THEN 0.0
                        ELSE CAST(k.elapsed AS DOUBLE PRECISION) / k.span END END AS expected
        FROM (
            SELECT k.id, k.initiative_id, k.key, k.position, k.kind, k.direction, k.cadence, k.value_measure, k.cohort,
                   k.category, k.baseline_value, k.baseline_date, k.target_value, k.target_date, k.guardrail_bound,
                   CASE WHEN k.baseline_value IS NOT NULL AND k.baseline_date IS NOT NULL AND k.target_value IS NOT NULL
                             AND k.target_date IS NOT NULL THEN 1 ELSE 0 END AS ready,
                   CASE WHEN k.kind <> {guardrail} AND k.baseline_value IS NOT NULL AND k.baseline_date IS NOT NULL
                             AND k.target_value IS NOT NULL AND k.target_date IS NOT NULL
                             AND k.target_value <> k.baseline_value THEN 1 ELSE 0 END AS measurable,
                   {d.date_days("%(today)s", "k.baseline_date")} AS elapsed,
                   {d.date_days("k.target_date", "k.baseline_date")} AS span
            FROM chosen c JOIN kpis_kpi k ON k.initiative_id = c.id
        ) k
        {d.newest_point(past)}
    ) x
)
"""  # noqa: S608


def kpi_figures_query() -> tuple[str, dict]:
    """Every KPI's scored figures as one SELECT, and its parameters: the benchmark's baseline."""
    d = _Dialect(connection.vendor)
    columns = "id, initiative_id, latest_value, latest_at, progress, expected, status, stale"
    query = f"{kpi_figures(d, EVERY)}\nSELECT {columns} FROM scored"  # noqa: S608
    return query, parameters(timezone.now(), None)


def _per_kpi(d: _Dialect) -> str:
    """`per_kpi`: each initiative's KPI figures rolled up, for health, value and the KPI criteria."""
    leading, lagging, guardrail = (_q(kind) for kind in (Kpi.Kind.LEADING, Kpi.Kind.LAGGING, Kpi.Kind.GUARDRAIL))
    green, amber, red, no_data = _q(GREEN), _q(AMBER), _q(RED), _q(NO_DATA)
    is_lagging, counted = f"s.kind = {lagging}", f"s.kind IN ({lagging}, {guardrail})"
    stale_point = f"s.kind <> {leading} AND s.stale = 1 AND s.latest_value IS NOT NULL"
    return f"""per_kpi AS MATERIALIZED (
    SELECT s.initiative_id,
           {d.json_text_list(_kpi_row(d))} AS kpis,
           min(CASE s.status WHEN {red} THEN 0 WHEN {amber} THEN 1 WHEN {green} THEN 2 END) FILTER (WHERE {counted})
               AS health_rank,
           count(*) FILTER (WHERE {counted}) AS counted,
           count(*) FILTER (WHERE {counted} AND (s.stale = 1 OR s.status = {no_data})) AS unsure,
           sum(s.latest_value) FILTER (WHERE s.value_measure = {_q(Kpi.ValueMeasure.TIME_SAVED)}) AS saved,
           sum(s.latest_value) FILTER (WHERE s.value_measure = {_q(Kpi.ValueMeasure.TIME_REALLOCATED)})
               AS reallocated,
           count(*) FILTER (WHERE s.kind = {leading} AND s.ready = 1) AS leading_ready,
           count(*) FILTER (WHERE {is_lagging} AND s.ready = 1) AS lagging_ready,
           count(*) FILTER (WHERE {is_lagging}) AS lagging,
           count(*) FILTER (WHERE {is_lagging} AND s.baseline_date IS NULL) AS lagging_without_baseline,
           max(s.baseline_date) FILTER (WHERE {is_lagging}) AS lagging_last_baseline,
           max(s.latest_at) FILTER (WHERE {is_lagging}) AS lagging_last_point,
           count(*) FILTER (WHERE {is_lagging} AND (s.progress IS NULL OR s.progress <= 0)) AS lagging_stuck,
           count(*) FILTER (WHERE s.kind = {guardrail}) AS guardrails,
           count(*) FILTER (WHERE s.kind = {guardrail} AND s.status = {red}) AS guardrails_red,
           count(*) FILTER (WHERE s.kind = {guardrail} AND s.status NOT IN ({green}, {red}))
               AS guardrails_unknown,
           max(s.latest_value) FILTER (WHERE s.cohort = {_q(Kpi.Cohort.POWER)}) AS power_share,
           max(s.latest_value) FILTER (WHERE s.cohort = {_q(Kpi.Cohort.OCCASIONAL)}) AS occasional_share,
           max(s.latest_at) AS last_point,
           count(*) FILTER (WHERE {stale_point}) AS stale_count,
           {d.json_text_list("CAST(s.id AS TEXT)", where=stale_point)} AS stale_kpis
    FROM scored s
    GROUP BY s.initiative_id
)"""  # noqa: S608


def _per_initiative(d: _Dialect, past: bool) -> str:
    """The other rows each initiative's facts count: roles, controls, data sources, workflow assets,
    the approval that launched it and its overdue review. For a past snapshot, those of then."""
    roles_then = accepted_then = approved_then = ""
    is_open = f"r.status = {_q(GateReview.Status.OPEN)}"
    if past:
        roles_then = " AND a.assigned_at <= %(now)s"
        accepted_then = " AND a.accepted_at <= %(now)s"
        approved_then = " AND r.closed_at <= %(now)s"
        is_open = f"r.requested_at <= %(now)s AND ({is_open} OR r.closed_at > %(now)s)"
    service_owner, must = _q(Role.SERVICE_OWNER), _in(MUST_BE_IN_PLACE)
    return f"""roles AS MATERIALIZED (
    SELECT a.initiative_id, {d.collect("a.role")} AS held,
           count(*) FILTER (WHERE a.role = {service_owner}) AS service_owner,
           count(*) FILTER (WHERE a.role = {service_owner} AND a.accepted_at IS NOT NULL{accepted_then})
               AS service_owner_accepted
    FROM initiatives_roleassignment a JOIN chosen c ON c.id = a.initiative_id{roles_then}
    GROUP BY a.initiative_id
),
catalogue AS (
    SELECT count(*) AS controls, count(*) FILTER (WHERE k.key IN {must}) AS must
    FROM governance_control k WHERE k.is_active
),
controls AS MATERIALIZED (
    SELECT ic.initiative_id,
           count(*) FILTER (WHERE ic.status <> {_q(InitiativeControl.Status.MISSING)}) AS recorded,
           count(*) FILTER (WHERE k.key IN {must} AND ic.status = {_q(InitiativeControl.Status.IN_PLACE)})
               AS must_in_place
    FROM governance_initiativecontrol ic
    JOIN chosen c ON c.id = ic.initiative_id
    JOIN governance_control k ON k.id = ic.control_id AND k.is_active
    GROUP BY ic.initiative_id
),
sources AS MATERIALIZED (
    SELECT l.initiative_id, count(*) AS sources,
           count(*) FILTER (WHERE s.classification = '' OR s.owner_id IS NULL OR s.freshness_sla_hours IS NULL)
               AS incomplete
    FROM governance_datasource_initiatives l
    JOIN chosen c ON c.id = l.initiative_id
    JOIN governance_datasource s ON s.id = l.datasource_id
    GROUP BY l.initiative_id
),
assets AS MATERIALIZED (
    SELECT a.source_initiative_id AS initiative_id, count(DISTINCT a.type) AS workflow_assets
    FROM governance_asset a JOIN chosen c ON c.id = a.source_initiative_id
    WHERE a.type IN {_in(WORKFLOW_ASSET_TYPES)}
      AND EXISTS (SELECT 1 FROM governance_assetversion v WHERE v.asset_id = a.id)
    GROUP BY a.source_initiative_id
),
launch_approvals AS MATERIALIZED (
    SELECT r.initiative_id, max(r.closed_at) AS approved_at
    FROM governance_gatereview r JOIN chosen c ON c.id = r.initiative_id
    WHERE r.to_stage = {_q(Stage.MEASURE_IMPACT)} AND r.status = {_q(GateReview.Status.APPROVED)}{approved_then}
    GROUP BY r.initiative_id
),
overdue AS MATERIALIZED (
    SELECT r.initiative_id, max(r.gate) AS gate,
           max({d.floor(d.ts_days("%(now)s", "r.requested_at") + " - p.review_due_days")}) AS days
    FROM governance_gatereview r
    JOIN chosen c ON c.id = r.initiative_id
    JOIN governance_gatepolicy p ON p.id = r.policy_id
    WHERE {is_open} AND {d.ts_days("%(now)s", "r.requested_at")} > p.review_due_days
    GROUP BY r.initiative_id
)"""  # noqa: S608


def _after_action(d: _Dialect) -> str:
    """`after_action`: each initiative's after-action review (kpis.models.AfterActionReview), for its
    scale-out criterion: when it was held, how many of its three answers are blank and how many of the
    initiative's own KPIs it links. Read as it is now, like the charter."""
    answers = " + ".join(d.blank(f"r.{name}") for name in AfterActionReview.ANSWERS)
    return f"""after_action AS MATERIALIZED (
    SELECT r.initiative_id, r.held_on, {answers} AS blank,
           (SELECT count(*) FROM kpis_afteractionreview_kpis l JOIN kpis_kpi k ON k.id = l.kpi_id
            WHERE l.afteractionreview_id = r.id AND k.initiative_id = r.initiative_id) AS kpis
    FROM kpis_afteractionreview r JOIN chosen c ON c.id = r.initiative_id
)"""  # noqa: S608


def _facts(d: _Dialect) -> str:
    """`facts`: one row per initiative with everything the criteria (their `sql`) and flags read."""
    return f"""facts AS (
    SELECT x.*,
           {d.date_days("%(today)s", "x.started_on")} AS age,
           {d.floor(d.ts_days("%(now)s", "x.launch"))} AS observed_days,
           CASE WHEN x.lagging_without_baseline > 0 OR x.lagging_last_baseline > {d.utc_date("x.launch")}
                THEN 1 ELSE 0 END AS lagging_late_baseline,
           CASE WHEN {d.ts_days("x.lagging_last_point", "x.launch")} >= %(window_days)s
                THEN 1 ELSE 0 END AS lagging_after_window,
           CASE WHEN x.last_point >= x.launch THEN 1 ELSE 0 END AS measured_since_launch
    FROM (
        SELECT c.*,
               CASE WHEN c.stage IN {_in(LAUNCHED)} THEN coalesce(la.approved_at, c.stage_entered_at) END AS launch,
               {_charter_gaps(d, Charter.REQUIRED_FIELDS)} AS charter_missing,
               {_charter_gaps(d, Charter.PILOT_THEATER_FIELDS)} AS pilot_missing,
               CASE WHEN ch.cost_per_1000_inferences IS NOT NULL AND coalesce(ch.expected_monthly_volume, 0) <> 0
                    THEN 1 ELSE 0 END AS cost_known,
               CAST(ch.cost_per_1000_inferences AS DOUBLE PRECISION) / 1000 AS cost_per_transaction,
               ch.expected_monthly_volume AS volume,
               ch.scorecard_due_on, ch.foundation_due_on, ch.launch_due_on,
               ch.target_cohort_size, ch.adoption_target, k.power_share, k.occasional_share,
               k.kpis, k.health_rank, coalesce(k.counted, 0) AS counted, coalesce(k.unsure, 0) AS unsure,
               k.saved, k.reallocated, k.stale_kpis, coalesce(k.stale_count, 0) AS stale_count,
               coalesce(k.leading_ready, 0) AS leading_ready, coalesce(k.lagging_ready, 0) AS lagging_ready,
               coalesce(k.lagging, 0) AS lagging, coalesce(k.lagging_without_baseline, 0) AS lagging_without_baseline,
               k.lagging_last_baseline, k.lagging_last_point, k.last_point,
               coalesce(k.lagging_stuck, 0) AS lagging_stuck, coalesce(k.guardrails, 0) AS guardrails,
               coalesce(k.guardrails_red, 0) AS guardrails_red,
               coalesce(k.guardrails_unknown, 0) AS guardrails_unknown,
               ro.held, coalesce(ro.service_owner, 0) AS service_owner,
               coalesce(ro.service_owner_accepted, 0) AS service_owner_accepted,
               cat.controls - coalesce(co.recorded, 0) AS controls_missing,
               cat.must - coalesce(co.must_in_place, 0) AS must_controls_missing,
               coalesce(so.sources, 0) AS sources, coalesce(so.incomplete, 0) AS sources_incomplete,
               coalesce(a.workflow_assets, 0) AS workflow_assets,
               aa.held_on AS after_action_held_on,
               coalesce(aa.blank, {len(AfterActionReview.ANSWERS)}) AS after_action_blank,
               coalesce(aa.kpis, 0) AS after_action_kpis
        FROM chosen c
        CROSS JOIN catalogue cat
        LEFT JOIN initiatives_charter ch ON ch.initiative_id = c.id
        LEFT JOIN per_kpi k ON k.initiative_id = c.id
        LEFT JOIN roles ro ON ro.initiative_id = c.id
        LEFT JOIN controls co ON co.initiative_id = c.id
        LEFT JOIN sources so ON so.initiative_id = c.id
        LEFT JOIN assets a ON a.initiative_id = c.id
        LEFT JOIN launch_approvals la ON la.initiative_id = c.id
        LEFT JOIN after_action aa ON aa.initiative_id = c.id
    ) x
)"""  # noqa: S608


def _criteria(d: _Dialect, criteria: tuple[Criterion, ...]) -> str:
    """`criteria`: each initiative's next-gate criteria, each registered one by its SQL condition on the
    initiative's facts, any other "unavailable" as in governance.criteria.evaluate; with how many passed."""
    passed, failed, unavailable = _q(PASS), _q(FAIL), _q(UNAVAILABLE)
    statuses = " ".join(f"WHEN {_q(c.key)} THEN CASE WHEN {c.sql} THEN {passed} ELSE {failed} END" for c in criteria)
    criteria_from, criterion_key = d.policy_criteria()
    # One criterion as JSON text (keys and statuses need no escaping); see _kpi_row for why text.
    criterion_json = """'{"key":"' || r.key || '","status":"' || r.status || '"}'"""
    return f"""-- The criteria of each initiative's next gate, from the newest published policy for its risk tier.
policy_criteria AS (
    SELECT p.gate, p.risk_tier, {criterion_key} AS key
    FROM governance_gatepolicy p CROSS JOIN {criteria_from}
    WHERE p.published_at IS NOT NULL AND p.version = (
        SELECT max(q.version) FROM governance_gatepolicy q
        WHERE q.gate = p.gate AND q.risk_tier = p.risk_tier AND q.published_at IS NOT NULL)
),
criteria AS (
    SELECT r.initiative_id,
           {d.json_text_list(criterion_json)} AS results,
           count(*) FILTER (WHERE r.status = {passed}) AS met, count(*) AS total
    FROM (
        SELECT f.id AS initiative_id, pc.key, CASE pc.key {statuses} ELSE {unavailable} END AS status
        FROM policy_criteria pc JOIN facts f ON f.gate = pc.gate AND f.risk_tier = pc.risk_tier
    ) r
    GROUP BY r.initiative_id
)"""  # noqa: S608


def _flag(code: str, **extra: str) -> str:
    """One flag as JSON text: its code and label, then each of `extra` (name: SQL giving JSON text)."""
    text = "'" + json.dumps({"code": code, "label": FLAG_LABELS[code]})[:-1].replace("'", "''") + "'"
    for name, value in extra.items():
        text += f" || ', \"{name}\": ' || {value}"
    return text + " || '}'"


def _missed_milestone(d: _Dialect) -> str:
    """Each initiative's earliest 90-day-plan milestone whose date passed before it reached the milestone's
    stage (initiatives.plan.missed_milestone): its day, and how many days ago its date was."""
    day, days = [], []
    for milestone in plan.MILESTONES:
        before = _in(stage for stage in Stage if stage.index < milestone.reached.index)
        behind = f"f.{milestone.due_field} < %(today)s AND f.stage IN {before}"
        day.append(f"WHEN {behind} THEN {milestone.day}")
        days.append(f"WHEN {behind} THEN {d.date_days('%(today)s', 'f.' + milestone.due_field)}")
    return f"SELECT f.id, CASE {' '.join(day)} END AS day, CASE {' '.join(days)} END AS days FROM facts f"  # noqa: S608


def _flags(d: _Dialect) -> str:
    """`flag_lists`: the failure modes each initiative shows, as tests/scorecards.py failure_modes states them."""
    gate = "'\"' || o.gate || '\"'"
    return f"""-- The framework's failure modes.
flags AS (
    SELECT f.id AS initiative_id, {_flag("pilot-theater", days="CAST(f.age AS TEXT)")} AS flag
    FROM facts f WHERE f.stage IN {_in(EARLY)} AND f.age > %(pilot_theater_days)s
    UNION ALL
    SELECT f.id, {_flag("pilot-theater", since_launch="'1'")}
    FROM facts f WHERE f.launch IS NOT NULL AND f.measured_since_launch = 0
    UNION ALL
    SELECT f.id, {_flag("no-scale-owner")} FROM facts f WHERE f.launch IS NOT NULL AND f.service_owner = 0
    UNION ALL
    SELECT f.id, {_flag("stale-data", kpis="f.stale_kpis")}
    FROM facts f WHERE f.launch IS NOT NULL AND f.stale_count > 0
    UNION ALL
    SELECT o.initiative_id, {_flag("approval-overdue", gate=gate, days="CAST(o.days AS TEXT)")}
    FROM overdue o
    UNION ALL
    SELECT p.id, {_flag("behind-plan", day="CAST(p.day AS TEXT)", days="CAST(p.days AS TEXT)")}
    FROM ({_missed_milestone(d)}) p WHERE p.day IS NOT NULL{_trend_flags(d)}
),
-- Flags of active initiatives only: a killed or on-hold one shows its status instead.
flag_lists AS (
    SELECT fl.initiative_id, {d.json_text_list("fl.flag")} AS flags
    FROM flags fl JOIN chosen c ON c.id = fl.initiative_id AND c.status = {_q(Initiative.Status.ACTIVE)}
    GROUP BY fl.initiative_id
)"""  # noqa: S608


def _telemetry(d: _Dialect, past: bool) -> str:
    """`trends` and `diagnoses` (kpis/telemetry.py): each cost and drift KPI's fitted rise over its last
    %(trend_points)s points, the steepest per initiative and trend; each initiative's platform health,
    adoption and cost levels, its diagnosis, and its measured cost per transaction."""
    trend = " ".join(
        f"WHEN s.suffix IN {_in(suffixes)} THEN {_q(name)}" for name, suffixes in telemetry.TREND_KPIS.items()
    )
    trend = f"CASE {trend} ELSE '' END"
    platform, adoption = f"s.suffix IN {_in(telemetry.PLATFORM_KPIS)}", f"s.category = {_q(Kpi.Category.ADOPTION)}"
    weak, no_data = _in((AMBER, RED)), _q(NO_DATA)
    per_request, per_thousand = (
        f"s.suffix = {_q(suffix)}" for suffix in (telemetry.COST_PER_REQUEST, telemetry.COST_PER_1000)
    )
    every = _in(
        [*telemetry.PLATFORM_KPIS, *(suffix for suffixes in telemetry.TREND_KPIS.values() for suffix in suffixes)]
    )

    def level(group: str) -> str:
        strong, weak_, unknown = (_q(v) for v in (telemetry.STRONG, telemetry.WEAK, telemetry.UNKNOWN))
        return f"CASE WHEN g.{group}_weak > 0 THEN {weak_} WHEN g.{group}_known > 0 THEN {strong} ELSE {unknown} END"

    rising, steady, unknown = (_q(v) for v in (telemetry.RISING, telemetry.STEADY, telemetry.UNKNOWN))
    rules = " ".join(
        f"WHEN {' AND '.join(f'y.{name} = {_q(value)}' for name, value in needs.items())} THEN {_q(diagnosis)}"
        for diagnosis, needs in telemetry.DIAGNOSIS_RULES
    )
    span = "(max(t.x) - min(t.x))"
    slope = (
        "(count(*) * sum(t.x * t.value) - sum(t.x) * sum(t.value)) "
        "/ nullif(count(*) * sum(t.x * t.x) - sum(t.x) * sum(t.x), 0)"
    )
    return f"""-- Telemetry: the KPIs the diagnosis and the trends read, each with its template suffix, read once.
telemetry_kpis AS MATERIALIZED (
    SELECT k.* FROM (
        SELECT s.initiative_id, s.id, s.status, s.latest_value, s.category, {d.suffix("s.key")} AS suffix FROM scored s
    ) k WHERE k.suffix IN {every} OR k.category = {_q(Kpi.Category.ADOPTION)}
),
trend_kpis AS MATERIALIZED (
    SELECT k.* FROM (SELECT s.initiative_id, s.id, {trend} AS trend FROM telemetry_kpis s) k WHERE k.trend <> ''
),
trend_points AS (
    {d.last_points(past)}
),
-- The least-squares slope per day over them, times the days they span, as a share of their mean.
trend_fits AS (
    SELECT r.*, row_number() OVER (PARTITION BY r.initiative_id, r.trend ORDER BY r.rise DESC, r.kpi) AS steepest
    FROM (
        SELECT t.initiative_id, t.kpi, t.trend, count(*) AS points, {slope} * {span} / avg(t.value) AS rise
        FROM trend_points t
        GROUP BY t.initiative_id, t.kpi, t.trend
        HAVING count(*) >= {telemetry.TREND_MIN_POINTS} AND max(t.x) > min(t.x) AND avg(t.value) > 0
    ) r WHERE r.rise IS NOT NULL
),
trends AS MATERIALIZED (
    SELECT t.*, {d.floor("100 * t.rise + 0.5")} AS pct FROM trend_fits t WHERE t.steepest = 1
),
-- Platform health and adoption: how many of their KPIs have a status, how many of those are amber or red.
signals AS MATERIALIZED (
    SELECT s.initiative_id,
           count(*) FILTER (WHERE {platform} AND s.status <> {no_data}) AS platform_known,
           count(*) FILTER (WHERE {platform} AND s.status IN {weak}) AS platform_weak,
           count(*) FILTER (WHERE {adoption} AND s.status <> {no_data}) AS adoption_known,
           count(*) FILTER (WHERE {adoption} AND s.status IN {weak}) AS adoption_weak,
           max(s.latest_value) FILTER (WHERE {per_request}) AS per_request,
           max(s.latest_value) FILTER (WHERE {per_thousand}) / 1000 AS per_thousand
    FROM telemetry_kpis s
    GROUP BY s.initiative_id
),
diagnoses AS (
    SELECT y.*, CASE {rules} ELSE {_q(telemetry.Diagnosis.NOT_ENOUGH_DATA)} END AS diagnosis
    FROM (
        SELECT c.id AS initiative_id, {level("platform")} AS platform, {level("adoption")} AS adoption,
               CASE WHEN t.rise > %(trend_rise)s THEN {rising} WHEN t.rise IS NOT NULL THEN {steady}
                    ELSE {unknown} END AS cost,
               t.kpi AS cost_kpi, t.points AS cost_points,
               CASE WHEN t.rise > %(trend_rise)s THEN t.pct END AS cost_rise,
               coalesce(g.per_request, g.per_thousand) AS measured_cost
        FROM chosen c
        LEFT JOIN signals g ON g.initiative_id = c.id
        LEFT JOIN trends t ON t.initiative_id = c.id AND t.trend = {_q(telemetry.COST)}
    ) y
)"""  # noqa: S608


def _telemetry_json() -> str:
    """A diagnosis's figures (`dg`) as JSON text, for Scorecard.telemetry."""
    text = "'{'"
    for n, name in enumerate(("platform", "adoption", "cost")):
        text += f" || '{', ' if n else ''}\"{name}\": \"' || dg.{name} || '\"'"
    for name in ("cost_kpi", "cost_points", "cost_rise"):
        text += f" || ', \"{name}\": ' || coalesce(CAST(dg.{name} AS TEXT), 'null')"
    return text + " || '}'"


def _trend_flags(d: _Dialect) -> str:
    """The "cost rising" and "drift rising" flags: the steepest trend's KPI, rise in percent and points."""
    flags = ""
    for trend in telemetry.TREND_KPIS:
        figures = {"kpi": "CAST(t.kpi AS TEXT)", "rise": "CAST(t.pct AS TEXT)", "points": "CAST(t.points AS TEXT)"}
        flags += f"""
    UNION ALL
    SELECT t.initiative_id, {_flag(f"{trend}-rising", **figures)}
    FROM trends t WHERE t.trend = {_q(trend)} AND t.rise > %(trend_rise)s"""  # noqa: S608
    return flags


@functools.cache
def statement(d: _Dialect, chosen: str, criteria: tuple[Criterion, ...], past: bool = False) -> str:
    """The INSERT ... SELECT for the chosen initiatives (see _Dialect.initiatives), evaluating the
    registered `criteria` (governance.criteria.registered). On PostgreSQL it also clears each chosen
    initiative's dirty mark if it still is the one the statement read: a mark that moved meanwhile (a
    concurrent ingest committed) is rechecked on the newest row and kept.

    `past`: a snapshot of what stood at %(now)s, a moment gone by, from the data as it was then: the
    stage and status of then (kpi_figures), each KPI's newest point by then, the roles assigned and
    accepted by then, the launch approved by then, the reviews open then. It leaves dirty marks alone."""
    clear_marks = ""
    if d.pg and not past:
        clear_marks = """,
cleared AS (
    UPDATE initiatives_initiative u SET scorecard_dirty_at = NULL
    FROM chosen c WHERE u.id = c.id AND u.scorecard_dirty_at = c.mark
)"""
    health = " ".join(f"WHEN {rank} THEN {_q(status)}" for rank, status in enumerate((RED, AMBER, GREEN)))
    stale, fresh = _q(Scorecard.Confidence.STALE), _q(Scorecard.Confidence.FRESH)
    # The measured cost per transaction when a cost KPI has data, the charter's estimate otherwise.
    cost = "coalesce(dg.measured_cost, f.cost_per_transaction)"
    return f"""
{kpi_figures(d, chosen, past)},
{_per_kpi(d)},
{_per_initiative(d, past)},
{_after_action(d)},
-- One row per initiative with everything the criteria and flags below read.
{_facts(d)},
{_criteria(d, criteria)},
{_telemetry(d, past)},
{_flags(d)}{clear_marks}
INSERT INTO kpis_scorecard (
    initiative_id, computed_at, stage, status, health, confidence, next_gate, readiness_met, readiness_total,
    missing_roles, flags, time_saved_hours, time_reallocated_hours, modelled_value, realised_value,
    cost_per_transaction, monthly_cost, monthly_cost_at_2x, kpis, criteria,
    cost_source, diagnosis, telemetry, is_latest)
SELECT f.id, %(now)s, f.stage, f.status,
       CASE f.health_rank {health} ELSE {_q(NO_DATA)} END,
       CASE WHEN f.counted = 0 OR f.unsure > 0 THEN {stale} ELSE {fresh} END,
       f.gate, coalesce(cr.met, 0), coalesce(cr.total, 0),
       {d.missing_roles("f.held", [role.value for role in Role])}, coalesce(fl.flags, '[]'),
       f.saved, f.reallocated, f.saved * %(hourly_rate)s, f.reallocated * %(hourly_rate)s,
       {cost},
       CASE WHEN f.volume <> 0 THEN {cost} * f.volume END,
       CASE WHEN f.volume <> 0 THEN {cost} * f.volume * 2 END,
       coalesce(f.kpis, '[]'), coalesce(cr.results, '[]'),
       CASE WHEN dg.measured_cost IS NOT NULL THEN {_q(Scorecard.CostSource.MEASURED)}
            WHEN f.cost_per_transaction IS NOT NULL THEN {_q(Scorecard.CostSource.CHARTER)} ELSE '' END,
       dg.diagnosis, {_telemetry_json()}, {"false" if past else "true"}
FROM facts f
LEFT JOIN criteria cr ON cr.initiative_id = f.id
LEFT JOIN flag_lists fl ON fl.initiative_id = f.id
LEFT JOIN diagnoses dg ON dg.initiative_id = f.id
"""  # noqa: S608


def parameters(now: datetime, ids: list[int] | None) -> dict:
    adapt = connection.ops.adapt_datetimefield_value
    params = {
        "now": adapt(now),
        "today": timezone.localdate(now).isoformat(),
        **{f"stale_{cadence}": adapt(now - 2 * period) for cadence, period in CADENCE_PERIOD.items()},
        "amber_gap": settings.SCORECARD_AMBER_GAP,
        "red_gap": settings.SCORECARD_RED_GAP,
        "window_days": settings.OBSERVATION_WINDOW_DAYS,
        "pilot_theater_days": settings.PILOT_THEATER_DAYS,
        "hourly_rate": settings.VALUE_HOURLY_RATE,
        "trend_points": settings.TREND_POINTS,
        "trend_rise": settings.TREND_RISE,
    }
    if ids is not None:
        params["ids"] = ids if connection.vendor == "postgresql" else json.dumps(ids)
    return params


def store_scorecards(now: datetime, *, full: bool) -> int:
    """Store one snapshot per initiative, of every one (full) or of the dirty ones, and clear the marks
    that did not move meanwhile; returns how many. Run it in a transaction."""
    if connection.vendor == "postgresql":
        # The statement finds the dirty initiatives and clears their marks, comparing each with the one it read.
        return _insert(EVERY if full else DIRTY, now)
    # SQLite: read the marks, then clear those that still equal what was read.
    marks = list(Initiative.objects.filter(scorecard_dirty_at__isnull=False).values_list("pk", "scorecard_dirty_at"))
    written = _insert(EVERY, now) if full else insert_scorecards(now, [pk for pk, _ in marks])
    _clear_marks(marks)
    return written


def insert_scorecards(now: datetime, ids: list[int]) -> int:
    """Store a snapshot of each initiative in `ids`; returns how many."""
    return _insert(IDS, now, ids) if ids else 0


def store_past_scorecards(at: datetime) -> int:
    """Store a snapshot, as it stood at `at` (a moment gone by), of every initiative that existed then,
    replacing any stored for that very moment, so a rerun adds nothing; returns how many. Dirty marks
    stay: a past snapshot is never the latest one. Run it in a transaction."""
    if at > timezone.now():
        raise ValueError("A past snapshot needs a moment gone by.")
    Scorecard.objects.filter(computed_at=at)._raw_delete(Scorecard.objects.db)
    return _insert(EVERY, at, past=True)


# A snapshot of now is its initiative's newest, so the statement marks it is_latest; this then unmarks
# the one it replaces, written before the statement (ids up to %(before)s): one narrow pass over the
# marks, each replaced card rewritten once.
SUPERSEDE = """
UPDATE kpis_scorecard SET is_latest = false
WHERE is_latest AND id <= %(before)s
  AND initiative_id IN (SELECT initiative_id FROM kpis_scorecard WHERE id > %(before)s)
"""


def _insert(chosen: str, now: datetime, ids: list[int] | None = None, *, past: bool = False) -> int:
    """Run the statement, then leave the is_latest mark on each initiative's newest snapshot: the one just
    written at now; as of a moment gone by, whichever is newest (settle_latest)."""
    dialect = _Dialect(connection.vendor)
    sql, params = statement(dialect, chosen, registered(), past), parameters(now, ids)
    before = Scorecard.objects.aggregate(last=Max("id"))["last"] or 0
    with connection.cursor() as cursor:
        if dialect.pg:
            written = _execute_prepared(cursor, sql, params)
        else:
            cursor.execute(sql, params)
            # sqlite3 counts rows only for statements that start with INSERT, not WITH ... INSERT.
            cursor.execute("SELECT changes()")
            written = cursor.fetchone()[0]
        if written and not past:
            cursor.execute(SUPERSEDE, {"before": before})
    if written and past:
        Scorecard.objects.settle_latest(Scorecard.objects.filter(id__gt=before).values("initiative_id"))
    return written


# PostgreSQL types of the statement's parameters, for PREPARE.
PARAMETER_TYPES = {
    "now": "timestamptz",
    "today": "date",
    "stale_daily": "timestamptz",
    "stale_weekly": "timestamptz",
    "stale_monthly": "timestamptz",
    "amber_gap": "float8",
    "red_gap": "float8",
    "window_days": "integer",
    "pilot_theater_days": "integer",
    "hourly_rate": "float8",
    "trend_points": "integer",
    "trend_rise": "float8",
    "ids": "bigint[]",
}

# How the statement is planned. Compiling it to machine code costs more than it saves; so does
# searching join orders other than the one written (each initiative, then what it has). The tables it
# reads are in memory: priced as if on disk, index lookups lose to reading whole tables even for a few
# initiatives. One generic plan serves every run (see _execute_prepared). The per-initiative roll-ups of
# 10,000 KPIs outgrew the default work_mem and spilled to temporary files (12 ms of a 230 ms full run);
# the statement runs once per run, in its own transaction, so it may take more.
PLANNER_SETTINGS = (
    "SET LOCAL jit = off; SET LOCAL join_collapse_limit = 1; SET LOCAL from_collapse_limit = 1; "
    "SET LOCAL random_page_cost = 1.1; SET LOCAL plan_cache_mode = force_generic_plan; SET LOCAL work_mem = '64MB'; "
)


@receiver(connection_created)
def _forget_prepared(sender, connection, **kwargs):
    """A new connection has none of the statements prepared on the one it replaces."""
    connection.scorecards_prepared = set()


def _execute_prepared(cursor, sql: str, params: dict) -> int:
    """Run the statement through PREPARE and EXECUTE, planned once per connection. Planning it takes
    longer than running it for a hundred dirty initiatives, and a worker keeps its connection
    (DATABASE_CONN_MAX_AGE), so a run every few minutes reuses the plan. The plan does not depend on
    the values: dirty initiatives come as an array, and the statement's shape is fixed."""
    names = sorted(params)
    name = "scorecards_" + hashlib.sha1(sql.encode(), usedforsecurity=False).hexdigest()[:16]
    database = cursor.db  # this thread's connection (django.db.connection is a proxy shared by threads)
    prepared = getattr(database, "scorecards_prepared", None)
    if prepared is None:
        prepared = database.scorecards_prepared = set()
    if name not in prepared:
        types = ", ".join(PARAMETER_TYPES[n] for n in names)
        cursor.execute(f"PREPARE {name} ({types}) AS {sql % {n: f'${i}' for i, n in enumerate(names, 1)}}")
        prepared.add(name)  # a prepared statement outlives a rollback of the transaction that made it
    cursor.execute(f"{PLANNER_SETTINGS}EXECUTE {name} ({', '.join(['%s'] * len(names))})", [params[n] for n in names])
    return cursor.rowcount


def _clear_marks(marks: list[tuple[int, datetime]]) -> None:
    """SQLite: clear each initiative's dirty mark if it still equals the one read before its snapshot was
    written (PostgreSQL does this inside the statement)."""
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE initiatives_initiative SET scorecard_dirty_at = NULL "
            "FROM (SELECT value ->> 0 AS id, value ->> 1 AS mark FROM json_each(%s)) m "
            "WHERE initiatives_initiative.id = m.id AND initiatives_initiative.scorecard_dirty_at = m.mark",
            [json.dumps([[pk, adapt(mark)] for pk, mark in marks])],
        )
