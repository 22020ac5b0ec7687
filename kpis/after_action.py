"""The after-action review as people and exports read it: the record, its KPIs with their newest point.

Built once here for the scale-out criterion (kpis.criteria), the decision pack, the evidence export and
the initiative page; kpis.services writes the review.
"""

from initiatives.people import person_name
from kpis.models import AfterActionReview, Kpi


def after_action_review_of(initiative) -> AfterActionReview | None:
    """The initiative's review, from the select_related or prefetch when there is one."""
    try:
        return initiative.after_action_review
    except AfterActionReview.DoesNotExist:
        return None


def linked_kpis(review: AfterActionReview) -> list[Kpi]:
    """The review's KPIs that are on its initiative (a KPI moved away or removed no longer shows its result)."""
    return [k for k in review.kpis.all() if k.initiative_id == review.initiative_id]


def after_action_evidence(initiative) -> dict | None:
    """The review as plain data (None when there is none): the three answers, who recorded it and the KPIs
    that show the result, each with its newest point and its page. The decision pack, the evidence export
    and the initiative page show this."""
    review = after_action_review_of(initiative)
    if review is None:
        return None
    ids = [k.pk for k in linked_kpis(review)]
    kpis = Kpi.objects.filter(pk__in=ids).order_by("position", "id").with_latest_values()
    return {
        "held_on": review.held_on,
        "work_removed": review.work_removed,
        "work_replacing": review.work_replacing,
        "result": review.result,
        "recorded_by": person_name(review.recorded_by),
        "updated_at": review.updated_at,
        "kpis": [
            {
                "key": k.key,
                "name": k.name,
                "unit": k.unit,
                "kind": k.kind,
                "kind_label": k.get_kind_display(),
                "baseline_value": k.baseline_value,
                "target_value": k.target_value,
                "latest_value": k.latest_value,
                "latest_at": k.latest_at,
                "url": k.get_absolute_url(),
            }
            for k in kpis
        ],
    }
