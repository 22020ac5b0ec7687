"""The portfolio page and its CSV export, built from a fixed number of queries whatever the portfolio size.

As of a date D, each initiative shows its newest scorecard computed by the end of D (UTC). Stage and
status are the live ones when D is today, and for a past date those that stood at the end of D, from
the stage/status history the gate decisions wrote (initiatives.models.StageChange), whatever the
snapshot says; an initiative without a snapshot by then shows "no-data". Initiatives created after D
did not exist yet and are left out. Gate outcomes count the reviews closed by the end of D.
"""

import csv
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from governance.models import AssetUsage, GateReview
from initiatives.models import Initiative, Stage, StageChange
from kpis.models import Scorecard
from opmodel.compat import UTC

PAGE_SIZE = 50
Health = Scorecard.Health
HEALTH_COLOURS = {Health.GREEN: "#1d7a46", Health.AMBER: "#d08a00", Health.RED: "#b3261e", Health.NO_DATA: "#9aa5b5"}
RISK_TIERS = list(Initiative.RiskTier)
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


class PortfolioFilters(forms.Form):
    stage = forms.ChoiceField(label="Stage", required=False, choices=[("", "Any stage"), *Stage.choices])
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any status"), *Initiative.Status.choices])
    health = forms.ChoiceField(label="Health", required=False, choices=[("", "Any health"), *Health.choices])
    business_unit = forms.ChoiceField(label="Business unit", required=False)
    owner = forms.ChoiceField(label="Owner", required=False)
    as_of = forms.DateField(label="As of", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data, *, business_units: list[str], owners: list[tuple[str, str]]):
        self.today = timezone.localdate()
        data = data.copy()
        if not data.get("as_of"):
            data["as_of"] = self.today.isoformat()  # so the date input shows the default
        super().__init__(data)
        self.fields["business_unit"].choices = [("", "Any business unit")] + [(u, u) for u in business_units]
        self.fields["owner"].choices = [("", "Any owner"), *owners]
        self.fields["as_of"].widget.attrs["max"] = self.today.isoformat()

    def clean_as_of(self) -> date | None:
        as_of = self.cleaned_data["as_of"]
        if as_of and as_of > self.today:
            raise forms.ValidationError("The as-of date cannot be in the future.")
        return as_of

    def chosen(self) -> dict:
        """Each filter's valid value, or its default where the value was bad (the form shows why)."""
        self.is_valid()
        values = {name: self.cleaned_data.get(name) or "" for name in self.fields}
        values["as_of"] = self.cleaned_data.get("as_of") or self.today
        return values


@dataclass
class Row:
    id: int
    slug: str
    title: str
    business_unit: str
    risk_tier: str
    stage: str
    status: str
    owner: str
    owner_name: str
    health: str = Health.NO_DATA
    card: dict | None = None
    days_in_stage: int | None = None

    @property
    def url(self) -> str:
        return reverse("initiatives:detail", args=[self.slug])

    @property
    def stage_label(self) -> str:
        return Stage(self.stage).label if self.stage in Stage.values else self.stage

    @property
    def status_label(self) -> str:
        return Initiative.Status(self.status).label if self.status in Initiative.Status.values else self.status

    @property
    def health_label(self) -> str:
        return Health(self.health).label

    def card_value(self, name: str):
        return self.card.get(name) if self.card else None

    @property
    def flag_codes(self) -> set[str]:
        return {f["code"] for f in self.card_value("flags") or []}

    @property
    def flag_labels(self) -> list[str]:
        return list(dict.fromkeys(f["label"] for f in self.card_value("flags") or []))


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
    """Charter owners as (username, "Full Name (username)") choices."""
    owners = {i["charter__owner__username"]: _owner_name(i) for i in initiatives if i["charter__owner__username"]}
    choices = [(username, name if name == username else f"{name} ({username})") for username, name in owners.items()]
    return sorted(choices, key=lambda choice: choice[1].casefold())


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


def csv_header() -> list[str]:
    """The export's columns; money columns name their currency (VALUE_CURRENCY)."""
    return [*CSV_COLUMNS[:9], f"Value returned per week ({settings.VALUE_CURRENCY})", *CSV_COLUMNS[10:]]


CSV_COLUMNS = [
    "Initiative",
    "Business unit",
    "Stage",
    "Status",
    "Health",
    "Confidence",
    "Readiness met",
    "Readiness total",
    "Hours returned per week",
    "Value returned per week",  # the currency is added by csv_header
    "Flags",
    "Risk tier",
    "Owner",
    "Scorecard computed at",
    "URL",
]


def csv_line(row: Row) -> list:
    computed = row.card_value("computed_at")
    return [
        _safe(row.title),
        _safe(row.business_unit),
        row.stage_label,
        row.status_label,
        row.health_label,
        row.card_value("confidence") or "",
        _blank(row.card_value("readiness_met")),
        _blank(row.card_value("readiness_total")),
        _rounded(row.card_value("time_reallocated_hours"), 1),
        _rounded(row.card_value("realised_value"), 2),  # to the cent
        "; ".join(row.flag_labels),
        row.risk_tier,
        row.owner,
        computed.isoformat() if computed else "",
        row.url,
    ]


def _blank(value):
    return "" if value is None else value


def _rounded(value: float | None, places: int) -> str:
    """A figure as a spreadsheet reads it: 5757.599999999999 becomes 5757.60, never a float's tail."""
    return "" if value is None else f"{value:.{places}f}"


def _safe(text: str) -> str:
    # A title starting with = + - @ would run as a formula when the file is opened in a spreadsheet.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


@login_required
def portfolio(request):
    data = build_portfolio(request.user, request.GET)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "portfolio": data,
        "form": data.form,
        "page": Paginator(data.rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "export_query": query.urlencode(),
    }
    return render(request, "initiatives/portfolio.html", context)


@login_required
def portfolio_export(request):
    data = build_portfolio(request.user, request.GET)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="portfolio-as-of-{data.as_of:%Y-%m-%d}.csv"'
    writer = csv.writer(response)
    writer.writerow(csv_header())
    writer.writerows(csv_line(r) for r in data.rows)
    return response
