"""The portfolio's data: counts, totals and figures computed by the database, rows built only for those
shown.

As of a date D, each initiative shows its newest scorecard computed by the end of D (UTC). Stage and
status are the live ones when D is today, and for a past date those that stood at the end of D, from
the stage/status history the gate decisions wrote (initiatives.models.StageChange), whatever the
snapshot says; an initiative without a snapshot by then shows "no-data". Initiatives created after D
did not exist yet and are left out. Gate outcomes count the reviews closed by the end of D.

The page runs a fixed number of statements whatever the portfolio's size (initiatives.portfolio.sql), each
when the template first reads what it gives: the filter choices; the counts, totals and chart points; the
table's page; the longest in stage; gate outcomes; reuse; the shadow-AI register's card (and first, when a
filter reads scorecards, the ids of the initiatives it keeps). The export reads the filter choices, then
streams the rows.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache, cached_property

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import CharField, Value
from django.utils import timezone

from governance.models import GateReview
from governance.shadow.panels import ShadowAiFigures, shadow_ai_figures
from initiatives.models import Charter, Initiative, Stage
from initiatives.people import name_from_columns
from initiatives.portfolio.figures import Point, heatmap_figure, value_risk_figure, value_risk_rows
from initiatives.portfolio.forms import NOT_KILLED, SORT_KEYS, PortfolioFilters
from initiatives.portfolio.rows import Health, Row, row_from, url_maker
from initiatives.portfolio.sql import DIAGNOSIS_COLUMNS, FLAG_COLUMNS, KILLED, Scope, fetch, fetch_each
from kpis.models import Scorecard
from kpis.scorecards import FLAG_LABELS
from opmodel.compat import UTC

HEATMAP_COLUMNS = [*Health.values, KILLED]  # health columns, then killed initiatives counted apart
GATE_OUTCOMES = [
    GateReview.Status.APPROVED,
    GateReview.Status.KILLED,
    GateReview.Status.HELD,
    GateReview.Status.RECYCLED,
    GateReview.Status.CHANGES_REQUESTED,
    GateReview.Status.REJECTED,
]
PAGE_SIZE = 50
POINTS_SHOWN = 50  # the chart's largest realised values: past fifty in three columns, bubbles hide each other
STUCK_SHOWN = 20
EXPORT_BATCH = 500
MONEY = ("realised_value", "modelled_value", "monthly_cost")


@dataclass(frozen=True)
class Column:
    """A column of the table: its heading, and the sort key its heading link sets (None: not sortable)."""

    label: str
    sort: str | None = None
    numeric: bool = False
    note: str = ""
    help: str = ""


COLUMNS = [
    Column("Initiative", "title"),
    Column("Business unit", "business_unit"),
    Column("Stage", "stage"),
    Column("Status", "status"),
    Column("Health", "health", help="Weakest KPI status; “stale” when a KPI behind it is stale or has no data"),
    Column(
        "Readiness",
        note="(snapshot)",
        help="Next gate criteria met, from the scorecard snapshot; the initiative page evaluates them now",
    ),
    Column("Realised a week", "realised_value", numeric=True, help="Time reallocated × hourly rate"),
    Column("Modelled a week", "modelled_value", numeric=True, help="Time saved × hourly rate"),
    Column("Monthly cost", "monthly_cost", numeric=True, help="Cost per transaction × expected monthly volume"),
    Column("Flags"),
]


@dataclass(frozen=True)
class Summary:
    """The shown initiatives counted in one statement (Scope.summary)."""

    cells: Counter  # (stage, health or "killed") -> initiatives
    count: int
    with_card: int
    measured: int  # with a realised value
    stuck: int
    flags: Counter  # flag code -> initiatives
    diagnoses: Counter  # diagnosis -> initiatives
    totals: dict  # MONEY -> sum, None when no initiative has the figure
    points: list[dict]  # the largest realised values, largest first

    @classmethod
    def of(cls, lines: list[dict]) -> "Summary":
        """From Scope.summary's lines: the groups' counts and sums, and the points (those with a `point`)."""
        groups = [line for line in lines if line["point"] is None]
        points = [line for line in lines if line["point"] is not None]

        def total(name: str):
            return sum(g[name] or 0 for g in groups)

        cells = Counter()
        for g in groups:
            cells[(g["stage"], g["cell"])] += g["initiatives"]
        return cls(
            cells=cells,
            count=total("initiatives"),
            with_card=total("with_card"),
            measured=total("measured"),
            stuck=total("stuck"),
            flags=Counter({code: total(column) for code, column in FLAG_COLUMNS.items()}),
            diagnoses=Counter({value: total(column) for value, column in DIAGNOSIS_COLUMNS.items()}),
            totals={name: total(name) if any(g[name] is not None for g in groups) else None for name in MONEY},
            points=sorted(points, key=lambda g: (-g["realised_value"], g["title"])),
        )


class Portfolio:
    def __init__(self, form: PortfolioFilters, scope: Scope):
        self.form = form
        self.scope = scope
        self.as_of: date = form.chosen()["as_of"]
        self.sort: str = form.chosen()["sort"]
        self._url = url_maker()

    @property
    def is_past(self) -> bool:
        return self.scope.is_past

    @property
    def currency(self) -> str:
        return settings.VALUE_CURRENCY

    @property
    def stuck_after_days(self) -> int:
        return settings.STUCK_AFTER_DAYS

    @property
    def is_filtered(self) -> bool:
        return any(self.form.chosen()[name] for name in PortfolioFilters.FILTERS)

    @cached_property
    def summary(self) -> Summary:
        return Summary.of(fetch(self.scope.summary(POINTS_SHOWN), self.scope.params()))

    @property
    def count(self) -> int:
        return self.summary.count

    @property
    def has_scorecards(self) -> bool:
        return self.summary.with_card > 0

    @property
    def totals(self) -> dict:
        return self.summary.totals

    @property
    def heatmap_counts(self) -> list[list[int]]:
        """Per stage, the count of each health and then of killed initiatives: a killed one is counted apart,
        in the stage where it stopped, never in a health cell."""
        return [[self.summary.cells[(s, column)] for column in HEATMAP_COLUMNS] for s in Stage]

    @property
    def heatmap_links(self) -> list[list[str]]:
        """The table filtered to each heatmap cell: its stage and health among the initiatives not killed
        (or of the status chosen, when it is active or on hold), or its stage's killed ones."""
        status = self.form.chosen()["status"]
        alive = status if status and status != KILLED else NOT_KILLED
        return [
            [
                self.form.query(stage=s, health=None, status=KILLED)
                if column == KILLED
                else self.form.query(stage=s, health=column, status=alive)
                for column in HEATMAP_COLUMNS
            ]
            for s in Stage.values
        ]

    @property
    def heatmap_table(self) -> list[tuple[str, list[tuple[int, str]]]]:
        """The heatmap as rows of (count, link) per stage, to read and follow without the chart."""
        return [
            (stage.label, list(zip(counts, links, strict=True)))
            for stage, counts, links in zip(Stage, self.heatmap_counts, self.heatmap_links, strict=True)
        ]

    @property
    def heatmap_columns(self) -> list[str]:
        return [*(h.label for h in Health), Initiative.Status.KILLED.label]

    @property
    def heatmap(self) -> dict:
        return heatmap_figure(self.heatmap_counts, self.heatmap_links)

    @property
    def killed(self) -> int:
        return sum(n for (_, column), n in self.summary.cells.items() if column == KILLED)

    @property
    def flag_counts(self) -> list[tuple[str, str, int, str]]:
        """Each failure mode: code, label, initiatives flagged, and the table filtered to them."""
        flags = self.summary.flags
        return [(code, label, flags[code], self.form.query(flag=code)) for code, label in FLAG_LABELS.items()]

    @property
    def diagnosis_counts(self) -> list[tuple[str, str, int, str]]:
        """Each diagnosis (kpis/telemetry.py): value, label, initiatives, and the table filtered to them."""
        counts = self.summary.diagnoses
        return [
            (value, label, counts[value], self.form.query(diagnosis=value))
            for value, label in Scorecard.Diagnosis.choices
        ]

    @cached_property
    def points(self) -> list[Point]:
        """The chart's points: the POINTS_SHOWN largest realised values a week, largest first, each linking
        to the table filtered to its risk tier and health."""

        @cache  # one link per risk tier and health, not per point
        def link(risk_tier: str, health: str) -> str:
            return self.form.query(risk_tier=risk_tier, health=health, sort="-realised_value")

        return [
            Point(
                title=p["title"],
                risk_tier=p["risk_tier"],
                health=p["health"],
                realised=p["realised_value"],
                modelled=p["modelled_value"],
                link=link(p["risk_tier"], p["health"]),
            )
            for p in self.summary.points
        ]

    @property
    def points_left_out(self) -> int:
        return self.summary.measured - len(self.points)

    @property
    def value_risk(self) -> dict:
        return value_risk_figure(self.points)

    @property
    def value_risk_rows(self) -> list[tuple]:
        return value_risk_rows(self.points)

    @cached_property
    def stuck(self) -> list[Row]:
        """The STUCK_SHOWN active initiatives longest in their stage past STUCK_AFTER_DAYS."""
        if not self.summary.stuck:
            return []
        return [self._row(record) for record in fetch(self.scope.stuck(STUCK_SHOWN), self.scope.params())]

    @property
    def stuck_count(self) -> int:
        return self.summary.stuck

    def rows(self, offset: int = 0, limit: int | None = None) -> list[Row]:
        """The shown initiatives in the chosen order, from `offset`, at most `limit` of them."""
        sql = self.scope.rows(self.sort, offset, limit)
        return [self._row(record) for record in fetch(sql, self.scope.params())]

    def each_row(self):
        """Every shown initiative in the chosen order, read from the database EXPORT_BATCH at a time."""
        records = fetch_each(self.scope.rows(self.sort), self.scope.params(), batch=EXPORT_BATCH)
        return (self._row(record) for record in records)

    def page(self, number) -> Page:
        """The table's page `number` (the first when it is not a page number), of PAGE_SIZE rows."""
        return Paginator(_Rows(self), PAGE_SIZE).get_page(number)

    @property
    def columns(self) -> list[dict]:
        """The table's headings, each with its aria-sort and the link that sorts by it (again: reversed)."""
        key, descending = self.sort.lstrip("-"), self.sort.startswith("-")
        headings = []
        for column in COLUMNS:
            heading = {"column": column, "aria_sort": None, "link": None}
            if column.sort:
                first = f"{SORT_KEYS[column.sort]}{column.sort}"
                if column.sort == key:
                    heading["aria_sort"] = "descending" if descending else "ascending"
                    first = column.sort if descending else f"-{column.sort}"
                heading["link"] = self.form.query(sort=first)
            headings.append(heading)
        return headings

    @cached_property
    def review_counts(self) -> Counter:
        """Reviews closed by the as-of date, per outcome, and those still open then, over the shown rows."""
        counts = Counter()
        for line in fetch(self.scope.reviews(), self.scope.params()):
            counts[line["status"]] += line["closed"] or 0
            counts["open"] += line["still_open"] or 0
        return counts

    @property
    def gate_outcomes(self) -> list[tuple[str, int]]:
        return [(s.label, self.review_counts[s.value]) for s in GATE_OUTCOMES]

    @property
    def closed_reviews(self) -> int:
        return sum(n for s, n in self.review_counts.items() if s != "open")

    @cached_property
    def _reuse(self) -> dict:
        return fetch(self.scope.reuse(), self.scope.params())[0]

    @property
    def reuse_rate(self) -> float | None:
        """Share of the shown initiatives that reuse at least one library asset published elsewhere."""
        return self._reuse["reusing"] / self.count if self.count else None

    @property
    def prompt_reuse(self) -> float | None:
        """The CTO KPI: of the prompt templates in use, the share that come from elsewhere in the library."""
        prompts = self._reuse["prompts"]
        return self._reuse["prompts_reused"] / prompts if prompts else None

    @cached_property
    def shadow_ai(self) -> ShadowAiFigures:
        """The shadow-AI register's card: one query of its own, outside the portfolio's SQL."""
        return shadow_ai_figures()

    def _row(self, record: dict) -> Row:
        return row_from(record, url=self._url, end=self.scope.end, now=self.scope.now)


class _Rows:
    """The shown rows as a Paginator reads them: their number, and a slice read when asked for."""

    def __init__(self, portfolio: Portfolio):
        self.portfolio = portfolio

    def __len__(self) -> int:
        return self.portfolio.count

    def __getitem__(self, window: slice) -> list[Row]:
        if window.stop <= window.start:
            return []
        return self.portfolio.rows(window.start, window.stop - window.start)


def build_portfolio(user, params) -> Portfolio:
    """1. the filter choices, from the initiatives the user may see; 2. the filters, validated against
    them; 3. the initiatives those select as of the chosen date, found by id when a filter reads their
    scorecards. Counts, figures and rows are read from the database when first asked for (Portfolio)."""
    visible = Initiative.objects.visible_to(user)
    ids, business_units, owners = _choices(visible)
    form = PortfolioFilters(params, business_units=business_units, owners=owners)
    chosen = form.chosen()
    end = datetime.combine(chosen["as_of"], time.max, tzinfo=UTC)
    now = timezone.now()
    # Stuck: more than STUCK_AFTER_DAYS whole days in the stage, counted to the as-of day's end (or now).
    stuck_before = min(end, now) - timedelta(days=settings.STUCK_AFTER_DAYS + 1)
    scope = Scope(
        ids=ids, chosen=chosen, end=end, now=now, is_past=chosen["as_of"] < form.today, stuck_before=stuck_before
    )
    return Portfolio(form, scope.narrowed())


def _choices(visible) -> tuple[list[int] | None, list[str], list[tuple[str, str]]]:
    """The ids of the visible initiatives (None when the user sees the whole portfolio), their business
    units, and their charter owners as (username, name): one query."""
    fields = ["business_unit", "charter__owner__username", "charter__owner__first_name", "charter__owner__last_name"]
    if visible.query.has_filters():
        lines = list(visible.values_list("id", *fields))
        ids = [line[0] for line in lines]
    else:  # the whole portfolio: its distinct units, then its distinct owners, each found apart (no join)
        units = visible.order_by().values_list("business_unit", *[Value(None, CharField())] * 3).distinct()
        owners = (
            get_user_model()
            .objects.filter(pk__in=Charter.objects.values("owner"))
            .values_list(Value(None, CharField()), "username", "first_name", "last_name")
        )
        lines = [(None, *line) for line in units.union(owners, all=True)]
        ids = None
    units = sorted({line[1] for line in lines if line[1] is not None}, key=str.casefold)
    # The URL carries the username; the list shows the name.
    owners = {line[2]: name_from_columns(*line[2:]) for line in lines if line[2]}
    return ids, units, sorted(owners.items(), key=lambda choice: choice[1].casefold())
