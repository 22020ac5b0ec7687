"""Walk an initiative through its gates with the service layer, as the lifecycle tests need.

The default policies (migration governance/0003) name criteria that are not tracked yet
("not yet available"), so every request here gives an override reason unless told otherwise.
"""

from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIClient

from governance import services
from governance.foundation import services as foundation
from governance.models import AuditEvent, ChecklistItem, GateReview
from governance.tokens import issue_token
from initiatives import services as initiative_services
from kpis import services as kpi_services
from kpis.models import Kpi

OVERRIDE = "KPI tree and foundation checks are not tracked in OpModel yet; reviewed by hand."


def request(initiative, user, override_reason: str = OVERRIDE):
    return services.request_review(initiative.pk, acting_user=user, override_reason=override_reason)


def decide(review, user, decision: str = "approve", comment: str = "", recycle_to: str = ""):
    if decision == "approve":
        answer_checklist(review, user)
    return services.decide(review.pk, acting_user=user, decision=decision, comment=comment, recycle_to=recycle_to)


def answer_every_question(review, user, answer: str = "yes") -> None:
    """Every checklist question of the review's gate, so that any approval may complete it."""
    for item in ChecklistItem.objects.filter(gate=review.gate):
        foundation.answer_checklist(review.pk, acting_user=user, item_id=item.pk, answer=answer, note="Checked.")


def answer_checklist(review, user, answer: str = "yes") -> list:
    """The approver answers the checklist questions their approval rests on, as the decision pack asks."""
    review = GateReview.objects.select_related("policy", "initiative").get(pk=review.pk)
    due = services.checklist_due(user, review)
    for item in due:
        foundation.answer_checklist(review.pk, acting_user=user, item_id=item.pk, answer=answer, note="Checked.")
    return due


def give_role(initiative, role: str, user, *, by):
    return initiative_services.assign_role(initiative.pk, acting_user=by, role=role, user=user)


def actions(initiative, since: int = 0) -> list[str]:
    """Audit actions about this initiative, oldest first, after event id `since`."""
    events = AuditEvent.objects.filter(initiative_id=initiative.pk, pk__gt=since).order_by("id")
    return list(events.values_list("action", flat=True))


def last_event_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def pass_gate(initiative, *, requester, approvers):
    """Request the next gate (with the override) and approve it by each of `approvers` in turn."""
    review = decide_all(request(initiative, requester), *approvers)
    initiative.refresh_from_db()
    return review


def pass_charter_signoff(initiative, *, requester, approver):
    return pass_gate(initiative, requester=requester, approvers=[approver])


def decide_all(review, *approvers):
    for user in approvers:
        decide(review, user)
    review.refresh_from_db()
    return review


def api_as(user) -> APIClient:
    """An API client that authenticates as `user` with a fresh token, as REST clients do."""
    _, key = issue_token(acting_user=user, user=user, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def assert_problem(response, status: int, *fields: str) -> dict:
    """An RFC 9457 problem document with this status, naming these fields in its errors."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail", "errors"}
    assert body["status"] == status and body["detail"]
    assert {e["field"] for e in body["errors"]} >= set(fields), body["errors"]
    return body


def support_tree(initiative, user, *, prefix: str, baseline_days_ago: int = 60, leading: bool = True) -> None:
    """A small support-triage outcome tree: handling time (lagging), CSAT (guardrail, bound 4.2) and,
    unless leading=False, the share of tickets assisted by AI (leading). Keys are `<prefix>.<name>`."""
    today = timezone.localdate()
    dates = {"baseline_date": today - timedelta(days=baseline_days_ago), "target_date": today + timedelta(days=60)}
    driver = kpi_services.add_driver(initiative.pk, acting_user=user, name="Faster handling")
    kpis = [
        dict(
            key=f"{prefix}.handle-time",
            name="Average handling time",
            unit="minutes",
            kind=Kpi.Kind.LAGGING,
            direction=Kpi.Direction.DECREASE,
            baseline_value=12.0,
            target_value=9.0,
            **dates,
        ),
        {
            "key": f"{prefix}.csat",
            "name": "Customer satisfaction",
            "unit": "score",
            "kind": Kpi.Kind.GUARDRAIL,
            "direction": Kpi.Direction.INCREASE,
            "guardrail_bound": 4.2,
        },
    ]
    if leading:
        kpis.insert(
            1,
            dict(
                key=f"{prefix}.assisted-share",
                name="Tickets assisted by AI",
                unit="%",
                kind=Kpi.Kind.LEADING,
                direction=Kpi.Direction.INCREASE,
                baseline_value=0.0,
                target_value=60.0,
                **dates,
            ),
        )
    for fields in kpis:
        kpi_services.add_kpi(initiative.pk, acting_user=user, driver=driver, **fields)
