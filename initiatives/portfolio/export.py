"""The portfolio's CSV export: its header and one line per row, as a spreadsheet should read them."""

import csv
from collections.abc import Iterable, Iterator

from django.conf import settings

from initiatives.models import Initiative
from initiatives.portfolio.rows import Row
from kpis.models import Scorecard

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
    "Owner username",
    "Scorecard computed at",
    "Slug",
    "URL",
]
LINES_PER_CHUNK = 200  # a write to the client per 200 lines, not per line


class _Echo:
    """A file for csv.writer that hands back each line instead of keeping it."""

    def write(self, line: str) -> str:
        return line


def csv_header() -> list[str]:
    """The export's columns; money columns name their currency (VALUE_CURRENCY)."""
    return [*CSV_COLUMNS[:9], f"Value returned per week ({settings.VALUE_CURRENCY})", *CSV_COLUMNS[10:]]


def csv_chunks(rows: Iterable[Row]) -> Iterator[str]:
    """The header, then one line per row, as text in chunks of LINES_PER_CHUNK lines, for a streamed
    response: the first bytes leave before the last rows are read."""
    writer = csv.writer(_Echo())
    chunk = [writer.writerow(csv_header())]
    for row in rows:
        chunk.append(writer.writerow(csv_line(row)))
        if len(chunk) == LINES_PER_CHUNK:
            yield "".join(chunk)
            chunk = []
    yield "".join(chunk)


def csv_line(row: Row) -> list:
    computed = row.card_value("computed_at")
    return [
        _safe(row.title),
        _safe(row.business_unit),
        row.stage_label,
        row.status_label,
        row.health_label,
        _label(Scorecard.Confidence, row.card_value("confidence")),
        _blank(row.card_value("readiness_met")),
        _blank(row.card_value("readiness_total")),
        _rounded(row.card_value("time_reallocated_hours"), 1),
        _rounded(row.card_value("realised_value"), 2),  # to the cent
        "; ".join(row.flag_labels),
        _label(Initiative.RiskTier, row.risk_tier),
        _safe(row.owner_name),
        row.owner,
        computed.isoformat() if computed else "",
        row.slug,
        row.url,
    ]


def _label(choices, value) -> str:
    """A choice as people read it ("Fresh", "Medium"); blank when there is none."""
    return choices(value).label if value in choices.values else ""


def _blank(value):
    return "" if value is None else value


def _rounded(value: float | None, places: int) -> str:
    """A figure as a spreadsheet reads it: 5757.599999999999 becomes 5757.60, never a float's tail."""
    return "" if value is None else f"{value:.{places}f}"


def _safe(text: str) -> str:
    # A title starting with = + - @ would run as a formula when the file is opened in a spreadsheet.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text
