"""Events as chat messages: a Slack incoming-webhook message (mrkdwn) or a Teams Adaptive Card.

Each event becomes a title, a few lines and a link (`summary`), written from the names and labels its
data carries; `slack` and `teams` only lay that out. Gate requests and decisions link to the decision pack.
"""

from dataclasses import dataclass

from governance.models import EventType, WebhookEvent


@dataclass(frozen=True)
class Message:
    title: str
    lines: list[str]
    link_text: str
    link_url: str


def summary(event: WebhookEvent) -> Message:
    data = event.data
    initiative = data.get("initiative") or {}
    title = initiative.get("title") or data.get("asset", {}).get("name", "")
    writer = _WRITERS.get(event.event_type)
    if writer:
        return writer(data, title)
    link = initiative.get("url") or data.get("asset", {}).get("url", "")
    return Message(f"{event.get_event_type_display()}: {title}", [], "Open in OpModel", link)


def _unit(initiative: dict) -> str:
    return f"Business unit: {initiative['business_unit']}" if initiative.get("business_unit") else ""


def _requested(data: dict, title: str) -> Message:
    review = data["review"]
    lines = [
        f"{data['requested_by']} asked for the {review['gate']['label']} gate "
        f"({review['from_stage']['label']} → {review['to_stage']['label']}).",
        _unit(data["initiative"]),
    ]
    if data.get("override_reason"):
        unmet = data["criteria_unmet"]
        lines.append(
            f"Requested with {unmet} unmet {'criterion' if unmet == 1 else 'criteria'}: {data['override_reason']}"
        )
    return Message(
        f"Decision needed: {review['gate']['label']} for {title}",
        lines,
        "Open the decision pack",
        review["decision_pack_url"],
    )


def _decided(data: dict, title: str) -> Message:
    review = data["review"]
    lines = []
    for d in data["decisions"]:
        role = f" as {d['role']}" if d["role"] else ""
        comment = f": “{d['comment']}”" if d["comment"] else ""
        lines.append(f"{d['decision']['label']} by {d['decided_by']}{role}{comment}")
    lines.append(_unit(data["initiative"]))
    return Message(
        f"{review['gate']['label']} of {title}: {review['status']['label']}",
        lines,
        "Open the decision pack",
        review["decision_pack_url"],
    )


def _breached(data: dict, title: str) -> Message:
    kpi = data["kpi"]
    side = "at most" if kpi["direction"] == "decrease" else "at least"
    lines = [
        f"Latest value {_number(data['value'])} {kpi['unit']}; it should stay {side} {_number(kpi['bound'])}.",
        _unit(data["initiative"]),
    ]
    return Message(f"Guardrail breached: {kpi['name']} on {title}", lines, "Open the KPI", kpi["url"])


def _health(data: dict, title: str) -> Message:
    line = f"Health went from {data['from_health']['label']} to {data['to_health']['label']}."
    return Message(
        f"Health of {title}: {data['to_health']['label']}", [line], "Open the scorecard", data["initiative"]["url"]
    )


def _stage(data: dict, title: str) -> Message:
    line = f"From {data['from_stage']['label']} to {data['to_stage']['label']}."
    return Message(
        f"{title} moved to {data['to_stage']['label']}", [line], "Open the initiative", data["initiative"]["url"]
    )


def _version(data: dict, title: str) -> Message:
    lines = [f"Published by {data['author']}: {data['changelog']}" if data["changelog"] else ""]
    return Message(f"{title}: version {data['version']} published", lines, "Open the asset", data["asset"]["url"])


def _label(data: dict, title: str) -> Message:
    was = f" (was version {data['from_version']})" if data["from_version"] else ""
    line = f"“{data['label']}” now points at version {data['to_version']}{was}."
    return Message(f"{title}: {data['label']} moved", [line], "Open the asset", data["asset"]["url"])


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


_WRITERS = {
    EventType.GATE_REVIEW_REQUESTED: _requested,
    EventType.GATE_REVIEW_DECIDED: _decided,
    EventType.GUARDRAIL_BREACHED: _breached,
    EventType.HEALTH_CHANGED: _health,
    EventType.STAGE_CHANGED: _stage,
    EventType.VERSION_PUBLISHED: _version,
    EventType.LABEL_MOVED: _label,
}


def _slack_escape(text: str) -> str:
    # Slack's mrkdwn reads &, < and > as markup: a title such as "A <b> test" must show as typed.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(event: WebhookEvent) -> dict:
    message = summary(event)
    lines = [f"*{_slack_escape(message.title)}*", *(_slack_escape(line) for line in message.lines if line)]
    if message.link_url:
        lines.append(f"<{message.link_url}|{message.link_text}>")
    return {
        "text": message.title,  # the notification's text, and what clients without blocks show
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}],
    }


def teams(event: WebhookEvent) -> dict:
    message = summary(event)
    body = [{"type": "TextBlock", "text": message.title, "weight": "Bolder", "size": "Medium", "wrap": True}]
    body += [{"type": "TextBlock", "text": line, "wrap": True} for line in message.lines if line]
    card = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": message.link_text, "url": message.link_url}]
        if message.link_url
        else [],
    }
    return {
        "type": "message",
        "summary": message.title,
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
    }
