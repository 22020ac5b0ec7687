"""One initiative as the portfolio shows it: a line of the table, of the CSV and a point of the figures."""

from dataclasses import dataclass

from django.urls import reverse

from initiatives.models import Initiative, Stage
from kpis.models import Scorecard

Health = Scorecard.Health


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
