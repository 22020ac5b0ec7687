"""The portfolio's statements: the shown initiatives as of a day, each with its newest scorecard by then,
counted, summed, sorted and cut by the database.

Each initiative's newest scorecard: today, the one the recompute marked is_latest, joined from the
partial index that holds those marks alone. As of a day gone by, found once per initiative, by one probe
of kpis_scorecard_latest: a LATERAL join on PostgreSQL; on SQLite, which has no LATERAL, a join on the id
of the newest card, which its nested loop looks up once per initiative. (On PostgreSQL that second form
hashes the whole scorecard history instead, and `id IN (newest per initiative)` ran the subquery three
times per initiative.) A statement joins the scorecards only when a figure, a filter or the sort reads them.

As of a past day, stage, status and stage entry are those the first later change left
(initiatives.models.StageChange), or the current ones when nothing changed since.

The statements are assembled from constants and names in this module, never from what a request
says: every value a person chose is a named parameter (Scope.params), hence the `noqa: S608`.
"""

import json
from dataclasses import dataclass, replace
from datetime import datetime

from django.db import connection
from django.utils.dateparse import parse_datetime

from initiatives.models import Initiative, Stage
from initiatives.portfolio.forms import NOT_KILLED
from kpis.models import FLAG_BITS, Scorecard
from opmodel.compat import UTC

KILLED = Initiative.Status.KILLED.value
ACTIVE = Initiative.Status.ACTIVE.value
NO_DATA = Scorecard.Health.NO_DATA.value
HEALTH = f"COALESCE(c.health, '{NO_DATA}')"
FLAG_COLUMNS = {code: f"flag_{n}" for n, code in enumerate(FLAG_BITS)}
# An initiative without a scorecard has not enough data to diagnose.
DIAGNOSIS = f"COALESCE(c.diagnosis, '{Scorecard.Diagnosis.NOT_ENOUGH_DATA.value}')"
DIAGNOSIS_COLUMNS = {value: f"diagnosis_{n}" for n, value in enumerate(Scorecard.Diagnosis.values)}

INITIATIVE_COLUMNS = (
    "i.id, i.slug, i.title, i.business_unit, i.risk_tier, {stage} AS stage, {status} AS status, "
    "{entered} AS stage_entered_at, u.username AS owner, u.first_name AS owner_first_name, "
    "u.last_name AS owner_last_name"
)
CARD_COLUMNS = (
    f"c.id AS card_id, c.computed_at, {HEALTH} AS health, c.confidence, c.stage AS card_stage, c.readiness_met, "
    "c.readiness_total, c.flags, c.time_reallocated_hours, c.realised_value, c.modelled_value, c.monthly_cost, "
    f"{DIAGNOSIS} AS diagnosis"
)
OWNER_JOIN = (
    "LEFT JOIN initiatives_charter ch ON ch.initiative_id = i.id\nLEFT JOIN auth_user u ON u.id = ch.owner_id\n"
)
# What Scope.summary counts, sums and plots: narrower rows to sort and group than a table row's.
SUMMARY_COLUMNS = (
    "i.id, i.title, i.risk_tier, {stage} AS stage, {status} AS status, {entered} AS stage_entered_at, "
    f"c.id AS card_id, {HEALTH} AS health, c.flag_bits, c.realised_value, c.modelled_value, c.monthly_cost, "
    f"{DIAGNOSIS} AS diagnosis"
)
_CARD_FIELDS = (
    "id, computed_at, health, confidence, stage, readiness_met, readiness_total, flags, flag_bits, "
    "time_reallocated_hours, realised_value, modelled_value, monthly_cost, diagnosis"
)


def _ordinal(expression: str, values: list[str]) -> str:
    """A category's position in its declared order: stages in the framework's order, not A to Z."""
    whens = " ".join(f"WHEN '{value}' THEN {n}" for n, value in enumerate(values))
    return f"CASE {expression} {whens} END"


# Each sort key's expression over `i`, the initiative, and `c`, its scorecard; {stage} and {status} are
# those of the as-of day.
SORT_EXPRESSIONS = {
    "title": "i.title",
    "business_unit": "i.business_unit",
    "stage": _ordinal("{stage}", Stage.values),
    "status": _ordinal("{status}", Initiative.Status.values),
    "health": _ordinal(HEALTH, Scorecard.Health.values),
    "realised_value": "c.realised_value",
    "modelled_value": "c.modelled_value",
    "monthly_cost": "c.monthly_cost",
}
CARD_SORTS = {"health", "realised_value", "modelled_value", "monthly_cost"}
NULLABLE_SORTS = {"realised_value", "modelled_value", "monthly_cost"}
FILTER_SQL = {
    "stage": "{stage} = %(stage)s",
    "status": "{status} = %(status)s",
    "health": f"{HEALTH} = %(health)s",
    "flag": "(c.flag_bits & %(flag)s) <> 0",
    "diagnosis": f"{DIAGNOSIS} = %(diagnosis)s",
    "risk_tier": "i.risk_tier = %(risk_tier)s",
    "business_unit": "i.business_unit = %(business_unit)s",
    "owner": "u.username = %(owner)s",
}
CARD_FILTERS = {"health", "flag", "diagnosis"}


@dataclass(frozen=True)
class Scope:
    """The initiatives a page shows: visible to the user (`ids`, or None for the whole portfolio),
    existing at `end` (the end of the as-of day), matching the chosen filters. An active initiative that
    entered its stage before `stuck_before` is stuck; `now` is when the request is answered."""

    ids: list[int] | None
    chosen: dict
    end: datetime
    now: datetime
    is_past: bool
    stuck_before: datetime

    @property
    def pg(self) -> bool:
        return connection.vendor == "postgresql"

    def narrowed(self) -> "Scope":
        """The same initiatives, named by their ids when a filter reads their scorecards: one statement
        reads every scorecard to find them, and the others then read none but those they show."""
        if not any(self.chosen[name] for name in CARD_FILTERS):
            return self
        ids = [record["id"] for record in fetch(f"SELECT r.id FROM ({self.relation()}) r", self.params())]  # noqa: S608
        return replace(self, ids=ids, chosen={**self.chosen, **dict.fromkeys(CARD_FILTERS, "")})

    def params(self) -> dict:
        adapt = connection.ops.adapt_datetimefield_value
        params = {name: self.chosen[name] for name in FILTER_SQL}
        params["flag"] = FLAG_BITS.get(self.chosen["flag"], 0)
        params.update(end=adapt(self.end), stuck_before=adapt(self.stuck_before))
        if self.ids is not None:
            params["ids"] = self.ids if self.pg else json.dumps(self.ids)
        return params

    def summary(self, points: int) -> str:
        """Two parts in one statement. First, the shown initiatives counted and summed per stage and heatmap
        column (a health, or killed); those rows have no `point`. Then the chart's `points` largest realised
        values, one row each, its initiative's id as `point`, with its title, tier, health and values.

        Today, each part reads the initiatives and cards on its own: the points are the first rows of the
        kpis_scorecard_top_value index, not a sort of every card (reading them from a shared CTE cost half
        the statement at 2,000 initiatives). As of a past day, both read one CTE, `b`, so each
        initiative's card is probed once."""
        flag_sums = "".join(
            f",\n       SUM(CASE WHEN (r.flag_bits & {FLAG_BITS[code]}) <> 0 THEN 1 ELSE 0 END) AS {column}"
            for code, column in FLAG_COLUMNS.items()
        )
        flag_sums += "".join(
            f",\n       SUM(CASE WHEN r.diagnosis = '{value}' THEN 1 ELSE 0 END) AS {column}"
            for value, column in DIAGNOSIS_COLUMNS.items()
        )
        zeros = ", 0" * (len(FLAG_COLUMNS) + len(DIAGNOSIS_COLUMNS))
        relation = f"({self.relation(summary=True)})"
        shared = f"WITH b AS {relation}\n" if self.is_past else ""
        source = "b" if self.is_past else relation
        return f"""{shared}SELECT r.stage, CASE WHEN r.status = '{KILLED}' THEN '{KILLED}' ELSE r.health END AS cell,
       NULL AS point, NULL AS title, NULL AS risk_tier, NULL AS health,
       COUNT(*) AS initiatives, COUNT(r.card_id) AS with_card, COUNT(r.realised_value) AS measured,
       SUM(CASE WHEN r.status = '{ACTIVE}' AND r.stage_entered_at <= %(stuck_before)s THEN 1 ELSE 0 END) AS stuck,
       SUM(r.realised_value) AS realised_value, SUM(r.modelled_value) AS modelled_value,
       SUM(r.monthly_cost) AS monthly_cost{flag_sums}
FROM {source} r
GROUP BY r.stage, CASE WHEN r.status = '{KILLED}' THEN '{KILLED}' ELSE r.health END
UNION ALL
SELECT * FROM (
    SELECT r.stage, NULL, r.id, r.title, r.risk_tier, r.health, 0, 0, 0, 0, r.realised_value, r.modelled_value,
           r.monthly_cost{zeros}
    FROM {source} r
    WHERE r.realised_value IS NOT NULL
    ORDER BY r.realised_value DESC, r.id
    LIMIT {int(points)}
) p"""  # noqa: S608

    def rows(self, sort: str, offset: int = 0, limit: int | None = None) -> str:
        """The shown initiatives sorted by `sort` ("key" or "-key", SORT_EXPRESSIONS) and cut to the window,
        then joined to their scorecards: the cards of the rows left out are read only when the sort or a
        filter needs them."""
        key, descending = sort.lstrip("-"), " DESC" if sort.startswith("-") else ""
        if key == "title":  # the (title, id) index, read either way: the window's rows, not all of them
            order = f"r.title{descending}, r.id{descending}"
        else:  # unknown amounts last, whichever way
            nulls_last = "CASE WHEN r.sort_key IS NULL THEN 1 ELSE 0 END, " if key in NULLABLE_SORTS else ""
            order = f"{nulls_last}r.sort_key{descending}, r.title, r.id"
        window = f" LIMIT {int(limit)} OFFSET {int(offset)}" if limit is not None else ""
        return f"""SELECT r.*, {CARD_COLUMNS}
FROM (SELECT r.* FROM ({self.relation(sort=sort)}) r ORDER BY {order}{window}) r
{self._card_join("r.id")}ORDER BY {order}"""  # noqa: S608

    def stuck(self, limit: int) -> str:
        """The `limit` active initiatives longest in their stage since before %(stuck_before)s."""
        return f"""SELECT r.* FROM ({self.relation()}) r
WHERE r.status = '{ACTIVE}' AND r.stage_entered_at <= %(stuck_before)s
ORDER BY r.stage_entered_at, r.id
LIMIT {int(limit)}"""  # noqa: S608

    def reviews(self) -> str:
        """The shown initiatives' gate reviews per status: closed by the as-of date, and still open then."""
        return f"""SELECT g.status,
       SUM(CASE WHEN g.closed_at <= %(end)s THEN 1 ELSE 0 END) AS closed,
       SUM(CASE WHEN g.requested_at <= %(end)s AND (g.closed_at IS NULL OR g.closed_at > %(end)s)
           THEN 1 ELSE 0 END) AS still_open
FROM governance_gatereview g
WHERE {self._shown("g.initiative_id")}
GROUP BY g.status"""  # noqa: S608

    def reuse(self) -> str:
        """Of the shown initiatives, how many are pinned to an asset from elsewhere (another initiative or
        the platform team) by the as-of date; of the prompt templates they use, how many, and how many
        from elsewhere."""
        elsewhere = "(a.source_initiative_id IS NULL OR a.source_initiative_id <> au.initiative_id)"
        return f"""SELECT COUNT(DISTINCT CASE WHEN {elsewhere} THEN au.initiative_id END) AS reusing,
       SUM(CASE WHEN a.type = 'prompt-template' THEN 1 ELSE 0 END) AS prompts,
       SUM(CASE WHEN a.type = 'prompt-template' AND {elsewhere} THEN 1 ELSE 0 END) AS prompts_reused
FROM governance_assetusage au JOIN governance_asset a ON a.id = au.asset_id
WHERE au.adopted_at <= %(end)s AND {self._shown("au.initiative_id")}"""  # noqa: S608

    def _shown(self, initiative_id: str) -> str:
        """The condition that `initiative_id` is a shown initiative. The whole portfolio, unfiltered, needs
        none: a review or a pin by the as-of day is of an initiative that existed then."""
        if self.ids is None and not any(self.chosen[name] for name in FILTER_SQL):
            return "true"
        return f"{initiative_id} IN (SELECT r.id FROM ({self.relation()}) r)"  # noqa: S608

    def relation(self, *, card: bool = False, sort: str = "", summary: bool = False) -> str:
        """SELECT one row per shown initiative: the initiative's columns, then the scorecard's when `card`,
        then `sort_key` when `sort`; with `summary`, only the columns Scope.summary reads. The scorecard is
        joined only when they, a filter or the sort read it; the owner only when a row or a filter does."""
        key = sort.lstrip("-")
        joined = card or summary or key in CARD_SORTS or any(self.chosen[name] for name in CARD_FILTERS)
        stage, status, entered = self._state()
        if summary:
            columns = SUMMARY_COLUMNS.format(stage=stage, status=status, entered=entered)
        else:
            columns = INITIATIVE_COLUMNS.format(stage=stage, status=status, entered=entered)
            columns += f", {CARD_COLUMNS}" if card else ""
        if sort:
            columns += ", " + SORT_EXPRESSIONS[key].format(stage=stage, status=status) + " AS sort_key"
        owner = OWNER_JOIN if not summary or self.chosen["owner"] else ""
        return f"""SELECT {columns}
FROM initiatives_initiative i
{owner}{self._history_join()}{self._card_join("i.id") if joined else ""}WHERE {self._where(stage, status)}"""  # noqa: S608

    def _card_join(self, initiative_id: str) -> str:
        """Join `c`, the newest scorecard of the initiative `initiative_id` computed by %(end)s: today, the one
        marked is_latest (a hash join over today's cards); as of a day gone by, one probe per initiative."""
        if not self.is_past:
            return f"LEFT JOIN kpis_scorecard c ON c.initiative_id = {initiative_id} AND c.is_latest\n"
        newest = (
            f"FROM kpis_scorecard WHERE initiative_id = {initiative_id} AND computed_at <= %(end)s "
            "ORDER BY computed_at DESC, id DESC LIMIT 1"
        )
        if self.pg:
            return f"LEFT JOIN LATERAL (SELECT {_CARD_FIELDS} {newest}) c ON true\n"
        return f"LEFT JOIN kpis_scorecard c ON c.id = (SELECT id {newest})\n"

    def _history_join(self) -> str:
        """As of a past day, join `h`, the first stage or status change after it."""
        if not self.is_past:
            return ""
        first = (
            "FROM initiatives_stagechange WHERE initiative_id = i.id AND changed_at > %(end)s "
            "ORDER BY changed_at, id LIMIT 1"
        )
        if self.pg:
            return f"LEFT JOIN LATERAL (SELECT from_stage, from_status, from_stage_entered_at {first}) h ON true\n"
        return f"LEFT JOIN initiatives_stagechange h ON h.id = (SELECT id {first})\n"

    def _state(self) -> tuple[str, str, str]:
        """The expressions of stage, status and stage entry: the current ones, or those of the as-of day."""
        if not self.is_past:
            return "i.stage", "i.status", "i.stage_entered_at"
        return tuple(f"COALESCE(h.from_{name}, i.{name})" for name in ("stage", "status", "stage_entered_at"))

    def _where(self, stage: str, status: str) -> str:
        conditions = ["i.created_at <= %(end)s"]
        if self.ids is not None:
            conditions.append("i.id = ANY(%(ids)s)" if self.pg else "i.id IN (SELECT value FROM json_each(%(ids)s))")
        for name, condition in FILTER_SQL.items():
            value = self.chosen[name]
            if value == NOT_KILLED:
                condition = f"{{status}} <> '{KILLED}'"
            if value:
                conditions.append(condition.format(stage=stage, status=status))
        return " AND ".join(conditions)


def fetch(sql: str, params: dict) -> list[dict]:
    """The rows of a statement, as dicts by column name."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def fetch_each(sql: str, params: dict, *, batch: int):
    """The rows of a statement, as dicts by column name, fetched `batch` at a time."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        while rows := cursor.fetchmany(batch):
            yield from (dict(zip(names, row, strict=True)) for row in rows)


def aware(value) -> datetime | None:
    """A datetime as a raw statement returns it: aware from PostgreSQL; from SQLite, text or a naive
    datetime, in UTC."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value
