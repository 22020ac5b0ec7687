"""The portfolio's Shadow AI card: the register's figures, in one query, for a page that imports no register view."""

from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from governance.models import ShadowAiUse


@dataclass(frozen=True)
class ShadowAiFigures:
    items: int
    open: int  # untriaged, or waiting for a sanctioned path
    sanctioned: int  # a sanctioned path exists
    people: int
    people_sanctioned: int  # people on the register whose use has a sanctioned replacement

    @property
    def sanctioned_share(self) -> float | None:
        return self.sanctioned / self.items if self.items else None


def shadow_ai_figures() -> ShadowAiFigures:
    """The whole register as it stands (it belongs to no initiative, so the portfolio's filters leave it be)."""
    sanctioned = Q(status=ShadowAiUse.Status.SANCTIONED)
    figures = ShadowAiUse.objects.aggregate(
        items=Count("pk"),
        open=Count("pk", filter=Q(status__in=ShadowAiUse.OPEN_STATUSES)),
        sanctioned=Count("pk", filter=sanctioned),
        people_total=Coalesce(Sum("people"), 0),  # an alias may not be a field's name
        people_sanctioned=Coalesce(Sum("people", filter=sanctioned), 0),
    )
    figures["people"] = figures.pop("people_total")
    return ShadowAiFigures(**figures)
