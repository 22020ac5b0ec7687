"""The portfolio table's rows, built in Python as Django's admin builds its change list's
(django.contrib.admin.templatetags.admin_list.items_for_result): with some 25 variables a row, the template
engine took a fifth of a 50-row page; format_row escapes every value the same way."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from initiatives.templatetags.opmodel import number
from opmodel.html import format_row

register = template.Library()

STALE = format_html(
    '<br><small class="muted" title="{}">stale</small>',
    "Confidence: a KPI behind this health is stale or has no data",
)
NOT_COMPUTED = mark_safe(' <small class="muted">not computed yet</small>')  # noqa: S308 (a constant)
RECOMPUTING = mark_safe('<small class="muted">being recomputed after the stage change</small>')  # noqa: S308
NOT_MEASURED = mark_safe('<span class="muted">not measured</span>')  # noqa: S308 (a constant)


@register.simple_tag
def portfolio_rows(rows) -> SafeString:
    """The table's <tr>s, one per initiative (initiatives.portfolio.rows.Row), their figures formatted by
    Row.shown."""
    return SafeString("".join(_portfolio_row(row) for row in rows))


@register.simple_tag
def stuck_rows(rows) -> SafeString:
    """The time-in-stage list's <tr>s: initiative, stage, days in it, business unit."""
    return SafeString(
        "".join(
            format_row(
                '<tr><td><a href="{}">{}</a></td><td><span class="badge stage-{}">{}</span></td>'
                '<td class="num">{}</td><td>{}</td></tr>',
                row.url,
                row.title,
                row.stage,
                row.stage_label,
                row.days_in_stage,
                row.business_unit,
            )
            for row in rows
        )
    )


def _portfolio_row(row) -> SafeString:
    card, shown = row.card or {}, row.shown
    health_note = NOT_COMPUTED if not row.card else STALE if card["confidence"] == "stale" else ""
    if card.get("readiness_total") and card["stage"] == row.stage:
        readiness = format_row(
            '{} / {}<br><small class="muted">at {} UTC</small>',
            card["readiness_met"],
            card["readiness_total"],
            shown["computed_at"],
        )
    else:
        readiness = RECOMPUTING if card.get("readiness_total") else "—"
    realised = shown["realised"] if card.get("realised_value") is not None else NOT_MEASURED
    if card.get("time_reallocated_hours") is not None:
        realised = format_row('{}<br><small class="muted">{} h/week</small>', realised, shown["hours"])
    flags = SafeString("".join(format_row('<span class="badge warn">{}</span> ', label) for label in row.flag_labels))
    return format_row(
        '<tr><td><a href="{}">{}</a></td><td>{}</td>'
        '<td><span class="badge stage-{}">{}</span></td><td><span class="badge status-{}">{}</span></td>'
        '<td><span class="badge health-{}">{}</span>{}</td><td class="readiness">{}</td>'
        '<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td>{}</td></tr>',
        row.url,
        row.title,
        row.business_unit,
        row.stage,
        row.stage_label,
        row.status,
        row.status_label,
        row.health,
        row.health_label,
        health_note,
        readiness,
        realised,
        shown["modelled"],
        shown["cost"],
        flags or "—",
    )


@register.simple_tag
def value_risk_rows(rows) -> SafeString:
    """The value-versus-risk chart's points as the rows of its table (figures.value_risk_rows)."""
    return SafeString(
        "".join(
            format_row(
                '<tr><th scope="row">{}</th><td><a href="{}#initiatives">{}</a></td><td>{}</td>'
                '<td class="num">{}</td><td class="num">{}</td></tr>',
                title,
                link,
                tier,
                health,
                number(realised, 0),
                number(modelled, 0),
            )
            for title, tier, health, realised, modelled, link in rows
        )
    )
