"""The webhook outbox: domain events written in the transaction that makes the change they tell of.

One place decides which changes are events: `emit_for_audit`, which governance.audit.record calls for
every audit event, so every path that changes something (browser, API, admin, Celery) emits the same
events. The scorecard recompute adds its own two (health changed, guardrail breached) through `emit`
(kpis.recompute). Each event's `data` carries names, labels and absolute links as they were at the
time, so a receiver (or a chat message) needs nothing else. Nothing here sends anything: once the
transaction commits, a worker does (governance.webhooks.delivery).
"""

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from governance.models import EventType, WebhookEvent
from governance.webhooks.tasks import send_webhooks_task
from initiatives.models import Initiative, Stage
from initiatives.people import person_name


def emit(events: list[WebhookEvent]) -> None:
    """Write `events` in one INSERT, inside the caller's transaction; a worker sends them after the commit."""
    if not events:
        return
    WebhookEvent.objects.bulk_create(events)
    queue_kick()


def queue_kick() -> None:
    """Kick the sender once the transaction commits."""
    transaction.on_commit(kick, robust=True)


def kick() -> None:
    """Ask a worker to send what is due now. retry=False: with the broker down this fails at once instead
    of holding up the request that committed; the beat sweep (send-due-webhooks) sends the events later."""
    send_webhooks_task.apply_async(retry=False)


def new_event(event_type: str, data: dict, *, occurred_at, initiative=None) -> WebhookEvent:
    return WebhookEvent(
        event_type=event_type,
        occurred_at=occurred_at,
        initiative_id=getattr(initiative, "pk", None),
        business_unit=getattr(initiative, "business_unit", ""),
        data={**({"initiative": initiative_data(initiative)} if initiative else {}), **data},
    )


def emit_for_audit(event, obj, actor) -> None:
    """The outbox row for an audit event that is a domain event (see BUILDERS); other actions emit nothing."""
    build = BUILDERS.get(event.action)
    if build is None:
        return
    event_type, initiative, data = build(obj, event)
    data["actor"] = {"username": event.actor_username, "name": person_name(actor) if actor else "System"}
    emit([new_event(event_type, data, occurred_at=event.occurred_at, initiative=initiative)])


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def initiative_data(initiative) -> dict:
    return {
        "id": initiative.pk,
        "slug": initiative.slug,
        "title": initiative.title,
        "business_unit": initiative.business_unit,
        "stage": _choice(initiative.stage, initiative.get_stage_display()),
        "url": absolute(initiative.get_absolute_url()),
    }


def _choice(value: str, label: str) -> dict:
    return {"value": value, "label": label}


def _stage(value: str) -> dict:
    return _choice(value, Stage(value).label)


def _review_data(review) -> dict:
    return {
        "id": review.pk,
        "gate": _choice(review.gate, review.get_gate_display()),
        "from_stage": _choice(review.from_stage, review.get_from_stage_display()),
        "to_stage": _choice(review.to_stage, review.get_to_stage_display()),
        "status": _choice(review.status, review.get_status_display()),
        "decision_pack_url": absolute(reverse("governance:approval_detail", args=[review.pk])),
    }


def _initiative_created(initiative, event):
    tier = _choice(initiative.risk_tier, initiative.get_risk_tier_display())
    return EventType.INITIATIVE_CREATED, initiative, {"risk_tier": tier}


def _stage_changed(initiative, event):
    data = {"from_stage": _stage(event.before["stage"]), "to_stage": _stage(event.after["stage"])}
    return EventType.STAGE_CHANGED, initiative, data


def _risk_tier_changed(initiative, event):
    tiers = Initiative.RiskTier
    data = {
        "from_risk_tier": _choice(event.before["risk_tier"], tiers(event.before["risk_tier"]).label),
        "to_risk_tier": _choice(event.after["risk_tier"], tiers(event.after["risk_tier"]).label),
        "reason": event.after.get("risk_reason", ""),
    }
    return EventType.RISK_TIER_CHANGED, initiative, data


def _review_requested(review, event):
    data = {
        "review": _review_data(review),
        "requested_by": person_name(review.requested_by),
        "override_reason": review.override_reason,
        "criteria_unmet": len(event.after.get("criteria_unmet", [])),
    }
    return EventType.GATE_REVIEW_REQUESTED, review.initiative, data


def _review_decided(review, event):
    """A review closes with its outcome: the last required approval, or one decision that ends it."""
    decisions = [
        {
            "decision": _choice(d.decision, d.get_decision_display()),
            "role": d.get_role_display() if d.role else "",
            "decided_by": person_name(d.decided_by),
            "comment": d.comment,
        }
        for d in review.decisions.filter(is_stale=False).select_related("decided_by").order_by("decided_at", "pk")
    ]
    return EventType.GATE_REVIEW_DECIDED, review.initiative, {"review": _review_data(review), "decisions": decisions}


def _approval_stale(approval, event):
    review = approval.review
    data = {
        "review": _review_data(review),
        "approved_by": person_name(approval.decided_by),
        "role": approval.get_role_display() if approval.role else "",
    }
    return EventType.APPROVAL_STALE, review.initiative, data


def _asset_data(asset) -> dict:
    return {
        "slug": asset.slug,
        "name": asset.name,
        "type": _choice(asset.type, asset.get_type_display()),
        "url": absolute(asset.get_absolute_url()),
    }


def _version_published(version, event):
    data = {
        "asset": _asset_data(version.asset),
        "version": version.number,
        "changelog": version.changelog,
        "author": person_name(version.author),
    }
    return EventType.VERSION_PUBLISHED, None, data


def _label_moved(label, event):
    data = {
        "asset": _asset_data(label.asset),
        "label": label.name,
        "from_version": (event.before or {}).get("version"),
        "to_version": label.version.number,
    }
    return EventType.LABEL_MOVED, None, data


# Audit action -> its event. gate.closed is "gate review decided": a review's outcome, not each approval.
BUILDERS = {
    "initiative.created": _initiative_created,
    "initiative.stage_changed": _stage_changed,
    "initiative.risk_tier_changed": _risk_tier_changed,
    "gate.requested": _review_requested,
    "gate.closed": _review_decided,
    "gate.approval_stale": _approval_stale,
    "asset.version_published": _version_published,
    "asset.label_moved": _label_moved,
}
