"""The portfolio's data, built from a fixed number of queries whatever the portfolio size.

As of a date D, each initiative shows its newest scorecard computed by the end of D (UTC). Stage and
status are the live ones when D is today, and for a past date those that stood at the end of D, from
the stage/status history the gate decisions wrote (initiatives.models.StageChange), whatever the
snapshot says; an initiative without a snapshot by then shows "no-data". Initiatives created after D
did not exist yet and are left out. Gate outcomes count the reviews closed by the end of D.

Every visible initiative becomes a Row; the filters, and then the page's counts and figures (the
Portfolio's properties), are applied to those rows in Python.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from governance.models import AssetUsage, GateReview
from initiatives.models import Initiative, Stage, StageChange
from initiatives.portfolio.figures import heatmap_figure, value_risk_figure
from initiatives.portfolio.forms import PortfolioFilters
from initiatives.portfolio.rows import Health, Row
from kpis.models import Scorecard
from opmodel.compat import UTC

KILLED = Initiative.Status.KILLED.value
HEATMAP_COLUMNS = [*Health.values, KILLED]  # health columns, then killed initiatives counted apart
FAILURE_MODES = [
    ("pilot-theater", "Pilot theater"),
    ("no-scale-owner", "No scale owner"),
    ("stale-data", "Stale data"),
    ("approval-overdue", "Approval overdue"),
]
GATE_OUTCOMES = [
    GateReview.Status.APPROVED,
    GateReview.Status.KILLED,
    GateReview.Status.HELD,
    GateReview.Status.RECYCLED,
    GateReview.Status.CHANGES_REQUESTED,
    GateReview.Status.REJECTED,
]
CARD_FIELDS = [
    "initiative_id",
    "computed_at",
    "stage",
    "status",
    "health",
    "confidence",
    "readiness_met",
    "readiness_total",
    "flags",
    "time_reallocated_hours",
    "realised_value",
    "modelled_value",
]


@dataclass
class Portfolio:
    form: PortfolioFilters
    as_of: date
    rows: list[Row]
    review_counts: Counter = field(default_factory=Counter)
    # (initiative id, asset type, id of the initiative the asset was published from) per pinned asset.
    usages: list[tuple[int, str, int | None]] = field(default_factory=list)

    @property
    def has_scorecards(self) -> bool:
        return any(r.card for r in self.rows)

    @property
    def is_past(self) -> bool:
        return self.as_of < self.form.today

    @property
    def currency(self) -> str:
        return settings.VALUE_CURRENCY

    @property
    def stuck_after_days(self) -> int:
        return settings.STUCK_AFTER_DAYS

    @property
    def is_filtered(self) -> bool:
        return any(self.form.chosen()[name] for name in ("stage", "status", "health", "business_unit", "owner"))

    @property
    def heatmap_counts(self) -> list[list[int]]:
        """Per stage, the count of each health and then of killed initiatives: a killed one is counted apart,
        in the stage where it stopped, never in a health cell."""
        counts = Counter((r.stage, KILLED if r.status == Initiative.Status.KILLED else r.health) for r in self.rows)
        return [[counts[(s, column)] for column in HEATMAP_COLUMNS] for s in Stage]

    @property
    def killed(self) -> int:
        return sum(r.status == Initiative.Status.KILLED for r in self.rows)

    @property
    def stuck(self) -> list[Row]:
        late = [
            r
            for r in self.rows
            if r.status == Initiative.Status.ACTIVE and (r.days_in_stage or 0) > self.stuck_after_days
        ]
        return sorted(late, key=lambda r: (-r.days_in_stage, r.title))

    @property
    def gate_outcomes(self) -> list[tuple[str, int]]:
        return [(s.label, self.review_counts[s.value]) for s in GATE_OUTCOMES]

    @property
    def closed_reviews(self) -> int:
        return sum(n for s, n in self.review_counts.items() if s != "open")

    @property
    def flag_counts(self) -> list[tuple[str, str, int]]:
        counts = Counter(code for r in self.rows for code in r.flag_codes)
        return [(code, label, counts[code]) for code, label in FAILURE_MODES]

    @property
    def reuse_rate(self) -> float | None:
        """Share of the shown initiatives that reuse at least one library asset published elsewhere."""
        if not self.rows:
            return None
        reusing = {initiative for initiative, _, source in self.usages if source != initiative}
        return len(reusing) / len(self.rows)

    @property
    def prompt_reuse(self) -> float | None:
        """The CTO KPI: of the prompt templates in use, the share that come from elsewhere in the library."""
        prompts = [(i, source) for i, kind, source in self.usages if kind == "prompt-template"]
        if not prompts:
            return None
        return sum(source != i for i, source in prompts) / len(prompts)

    @property
    def heatmap(self) -> dict:
        return heatmap_figure(self.heatmap_counts)

    @property
    def value_risk(self) -> dict:
        return value_risk_figure(self.rows)


def build_portfolio(user, params) -> Portfolio:
    """1. the visible initiatives; 2. the filters, validated against them; 3. each one's scorecard as of
    the chosen date; 4. gate review outcomes per initiative; 5. the filtered rows. Three queries in all
    (plus one for is_leader, once per request)."""
    visible = Initiative.objects.visible_to(user)
    initiatives = list(
        visible.order_by("title", "id").values(
            "id",
            "slug",
            "title",
            "business_unit",
            "risk_tier",
            "stage",
            "status",
            "stage_entered_at",
            "created_at",
            "charter__owner__username",
            "charter__owner__first_name",
            "charter__owner__last_name",
        )
    )
    form = PortfolioFilters(params, business_units=_business_units(initiatives), owners=_owners(initiatives))
    chosen = form.chosen()
    end = datetime.combine(chosen["as_of"], time.max, tzinfo=UTC)
    by_initiative = {
        c["initiative_id"]: c
        for c in Scorecard.objects.latest_per_initiative(as_of=end, initiatives=visible).values(*CARD_FIELDS)
    }
    if chosen["as_of"] < form.today:  # what stood then, from the history: one query
        states = StageChange.objects.states_at(initiatives, end)
        initiatives = [dict(i, **states[i["id"]]) for i in initiatives]
    rows = [_row(i, by_initiative.get(i["id"]), end) for i in initiatives]
    rows = [r for r in rows if r is not None and _matches(r, chosen)]
    usages = list(
        AssetUsage.objects.filter(initiative_id__in=[r.id for r in rows], adopted_at__lte=end).values_list(
            "initiative_id", "asset__type", "asset__source_initiative_id"
        )
    )
    return Portfolio(
        form=form, as_of=chosen["as_of"], rows=rows, review_counts=_review_counts(visible, rows, end), usages=usages
    )


def _business_units(initiatives: list[dict]) -> list[str]:
    return sorted({i["business_unit"] for i in initiatives}, key=str.casefold)


def _owners(initiatives: list[dict]) -> list[tuple[str, str]]:
    """Charter owners as (username, name) choices: the URL carries the username, the list shows the name."""
    owners = {i["charter__owner__username"]: _owner_name(i) for i in initiatives if i["charter__owner__username"]}
    return sorted(owners.items(), key=lambda choice: choice[1].casefold())


def _owner_name(initiative: dict) -> str:
    full = f"{initiative['charter__owner__first_name']} {initiative['charter__owner__last_name']}".strip()
    return full or initiative["charter__owner__username"] or ""


def _row(initiative: dict, card: dict | None, end: datetime) -> Row | None:
    """One initiative's row; `initiative` holds the stage, status and stage_entered_at of the as-of date."""
    if initiative["created_at"] > end:
        return None  # created after the as-of date: not in the portfolio yet
    row = Row(
        id=initiative["id"],
        slug=initiative["slug"],
        title=initiative["title"],
        business_unit=initiative["business_unit"],
        risk_tier=initiative["risk_tier"],
        stage=initiative["stage"],
        status=initiative["status"],
        owner=initiative["charter__owner__username"] or "",
        owner_name=_owner_name(initiative),
        health=card["health"] if card else Health.NO_DATA,
        card=card,
    )
    entered = initiative["stage_entered_at"]
    if entered <= end:
        row.days_in_stage = (min(end, timezone.now()) - entered).days
    return row


def _matches(row: Row, chosen: dict) -> bool:
    wanted = {
        "stage": row.stage,
        "status": row.status,
        "health": row.health,
        "business_unit": row.business_unit,
        "owner": row.owner,
    }
    return all(not chosen[name] or chosen[name] == value for name, value in wanted.items())


def _review_counts(visible, rows: list[Row], end: datetime) -> Counter:
    """Reviews closed by the as-of date, per outcome, and those still open then, over the filtered rows."""
    open_then = Q(requested_at__lte=end) & (Q(closed_at__isnull=True) | Q(closed_at__gt=end))
    per_initiative = (
        GateReview.objects.filter(initiative__in=visible.values("pk"))
        .values("initiative_id", "status")
        .annotate(closed=Count("id", filter=Q(closed_at__lte=end)), open=Count("id", filter=open_then))
        .order_by()
    )
    wanted = {r.id for r in rows}
    counts = Counter()
    for line in per_initiative:
        if line["initiative_id"] in wanted:
            counts[line["status"]] += line["closed"]
            counts["open"] += line["open"]
    return counts
