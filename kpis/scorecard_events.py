"""What a recompute tells the webhook outbox: health that changed, and guardrails newly out of bound.

Both compare each snapshot the recompute just wrote with the one before it, in a fixed number of
queries whatever the number of initiatives, and the events go to the outbox in one INSERT, inside the
recompute's transaction. A guardrail out of bound makes the health red, so only red snapshots are read
for breaches; a guardrail already red in the snapshot before is not breached again. A health change needs
a snapshot before (an initiative's first has nothing it changed from).
"""

from datetime import datetime

from django.db.models import F, OuterRef, Subquery
from django.urls import reverse

from governance.models import EventType
from governance.webhooks.outbox import absolute, emit, new_event
from initiatives.models import Initiative
from kpis.models import Kpi, Scorecard
from kpis.scorecards import RED

STATUS, LATEST = Scorecard.KPI_FIELDS.index("status"), Scorecard.KPI_FIELDS.index("latest_value")


def emit_scorecard_events(now: datetime) -> int:
    """The events of the snapshots computed at `now`; returns how many were emitted."""
    previous = Scorecard.objects.filter(initiative=OuterRef("initiative_id"), computed_at__lt=now).newest_first()
    cards = (
        Scorecard.objects.latest_per_initiative()
        .filter(computed_at=now)
        .annotate(was=Subquery(previous.values("health")[:1]), was_id=Subquery(previous.values("id")[:1]))
    )
    changed = list(cards.exclude(was=None).exclude(was=F("health")).values_list("initiative_id", "health", "was"))
    breaches = _breaches(list(cards.filter(health=RED).values_list("initiative_id", "kpis", "was_id")))
    ids = {pk for pk, *_ in changed} | {pk for pk, _ in breaches}
    if not ids:
        return 0
    initiatives = Initiative.objects.in_bulk(ids)
    labels = dict(Scorecard.Health.choices)
    events = [
        new_event(
            EventType.HEALTH_CHANGED,
            {
                "from_health": {"value": was, "label": labels[was]},
                "to_health": {"value": health, "label": labels[health]},
            },
            occurred_at=now,
            initiative=initiatives[pk],
        )
        for pk, health, was in changed
    ]
    events += [
        new_event(EventType.GUARDRAIL_BREACHED, data, occurred_at=now, initiative=initiatives[pk])
        for pk, data in breaches
    ]
    emit(events)
    return len(events)


def _breaches(red_cards: list[tuple[int, list, int | None]]) -> list[tuple[int, dict]]:
    """Each guardrail red in a red snapshot that was not red in the snapshot before it, with its figures."""
    before = dict(
        Scorecard.objects.filter(pk__in=[was_id for *_, was_id in red_cards if was_id]).values_list("id", "kpis")
    )
    guardrails = {
        kpi.pk: kpi
        for kpi in Kpi.objects.filter(initiative_id__in=[pk for pk, *_ in red_cards], kind=Kpi.Kind.GUARDRAIL).only(
            "key", "name", "unit", "direction", "guardrail_bound"
        )
    }
    found = []
    for initiative_id, kpis, was_id in red_cards:
        was_red = {row[0] for row in before.get(was_id, []) if row[STATUS] == RED}
        for row in kpis:
            kpi = guardrails.get(row[0])
            if kpi and row[STATUS] == RED and row[0] not in was_red:
                found.append((initiative_id, _breach(kpi, row[LATEST])))
    return found


def _breach(kpi: Kpi, value) -> dict:
    return {
        "kpi": {
            "key": kpi.key,
            "name": kpi.name,
            "unit": kpi.unit,
            "direction": kpi.direction,
            "bound": kpi.guardrail_bound,
            "url": absolute(reverse("kpis:detail", args=[kpi.key])),
        },
        "value": value,
    }
