"""One initiative as the portfolio shows it: a line of the table, of the CSV, of the time-in-stage list."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from django.urls import reverse

from initiatives.models import Initiative, Stage
from initiatives.people import name_from_columns
from initiatives.portfolio.sql import aware
from initiatives.templatetags.opmodel import money, number
from kpis.models import Scorecard
from kpis.scorecards import FLAG_LABELS

Health = Scorecard.Health
# Labels by value, looked up once: a choices class builds its lists anew on every call, a third of the
# time of a 2,000-line export.
STAGE_LABELS = dict(Stage.choices)
STATUS_LABELS = dict(Initiative.Status.choices)
HEALTH_LABELS = dict(Health.choices)
CARD_KEYS = [
    "computed_at",
    "health",
    "confidence",
    "readiness_met",
    "readiness_total",
    "time_reallocated_hours",
    "realised_value",
    "modelled_value",
    "monthly_cost",
]


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
    url: str
    health: str = Health.NO_DATA
    card: dict | None = None
    days_in_stage: int | None = None

    @property
    def stage_label(self) -> str:
        return STAGE_LABELS.get(self.stage, self.stage)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def health_label(self) -> str:
        return HEALTH_LABELS[self.health]

    @cached_property
    def shown(self) -> dict[str, str]:
        """The card's figures as the table shows them, formatted here once: a template filter per figure and
        row took a fifth of a 50-row page."""
        card = self.card or {}
        computed = card.get("computed_at")
        return {
            "computed_at": f"{computed.day} {computed:%b %H:%M}" if computed else "",
            "realised": money(card.get("realised_value")),
            "hours": number(card.get("time_reallocated_hours"), 1),
            "modelled": money(card.get("modelled_value")),
            "cost": money(card.get("monthly_cost")),
        }

    def card_value(self, name: str):
        return self.card.get(name) if self.card else None

    @property
    def flag_codes(self) -> set[str]:
        return {f["code"] for f in self.card_value("flags") or []}

    @property
    def flag_labels(self) -> list[str]:
        """The failure modes' labels, each once, in the framework's order (FLAG_LABELS) as the card shows them."""
        flags = self.card_value("flags") or []
        codes = {f["code"] for f in flags}
        known = [label for code, label in FLAG_LABELS.items() if code in codes]
        return list(dict.fromkeys(known + [f["label"] for f in flags if f["code"] not in FLAG_LABELS]))


def row_from(record: dict, *, url: Callable[[str], str], end: datetime, now: datetime) -> Row:
    """A Row from a record of the portfolio relation (initiatives.portfolio.sql), with its scorecard's
    columns when it has them; days in stage are counted to the as-of day's end, or to now."""
    row = Row(
        id=record["id"],
        slug=record["slug"],
        title=record["title"],
        business_unit=record["business_unit"],
        risk_tier=record["risk_tier"],
        stage=record["stage"],
        status=record["status"],
        owner=record["owner"] or "",
        owner_name=name_from_columns(record["owner"], record["owner_first_name"], record["owner_last_name"]),
        url=url(record["slug"]),
    )
    if record.get("card_id") is not None:
        row.card = {key: record[key] for key in CARD_KEYS}
        row.card.update(computed_at=aware(record["computed_at"]), stage=record["card_stage"])
        row.card["flags"] = json.loads(record["flags"])
        row.health = record["health"]
    entered = aware(record["stage_entered_at"])
    if entered <= end:
        row.days_in_stage = (min(end, now) - entered).days
    return row


def url_maker() -> Callable[[str], str]:
    """Initiative page URLs from one reverse(): they differ only by the slug, and a reverse() per row was
    a third of a 2,000-line export."""
    head, tail = reverse("initiatives:detail", args=["slug"]).rsplit("slug", 1)
    return lambda slug: f"{head}{slug}{tail}"
