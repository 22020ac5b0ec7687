"""Bulk, replay-safe measurement ingest.

The whole batch is validated in plain Python (one query resolves every KPI key,
one more tells which initiatives the caller may write), then written in one
set-based statement: on PostgreSQL, COPY into a temporary table and a single
INSERT ... ON CONFLICT DO UPDATE; on SQLite the same upsert from a temporary
table filled with executemany. Replaying a batch changes nothing.
"""

import io
import logging
import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import OperationalError, connection, transaction
from django.utils import timezone

from governance.permissions import is_leader, with_measurement_rights
from initiatives.models import Initiative
from kpis.models import IngestBatch, Kpi
from opmodel import metrics
from opmodel.compat import parse_iso_datetime
from opmodel.middleware import current_request_id

MAX_BATCH = 10_000
MAX_SOURCE_LENGTH = 100
DEFAULT_SOURCE = "api"
FUTURE_TOLERANCE = timedelta(days=1)
# A deadlock or serialization failure rolls the whole batch back; it is tried again this many times
# before the caller gets a 503 (two batches that overlap no longer deadlock each other, see _PG_UPSERT,
# but the recompute or an admin may still take the same rows in another order).
WRITE_ATTEMPTS = 3
# SQLSTATE: serialization_failure, deadlock_detected.
_RETRYABLE = {"40001", "40P01"}

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Row:
    kpi_id: int
    timestamp: datetime
    value: float
    source: str


@dataclass
class IngestResult:
    received: int
    created: int
    updated: int
    unchanged: int
    batch_id: int | None = None

    def as_dict(self) -> dict:
        return {
            "received": self.received,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


@dataclass
class BatchRejected(Exception):
    """Nothing was written. `status` is 400 (invalid), 403 (not allowed) or 413 (too large)."""

    status: int
    detail: str
    errors: list[dict] = field(default_factory=list)


def record_measurements(items, *, acting_user, token=None, channel=IngestBatch.Channel.API) -> IngestResult:
    """Validate every item, then upsert one value per (kpi, timestamp, source) in one statement."""
    started = time.monotonic()
    rows = validate_batch(items, acting_user=acting_user)
    attempt = 1
    while True:
        try:
            result = _write(rows, received=len(items), acting_user=acting_user, token=token, channel=channel)
        except OperationalError as error:
            # Inside a caller's transaction a retry cannot start over: let that caller decide.
            if attempt == WRITE_ATTEMPTS or not _retryable(error) or connection.in_atomic_block:
                raise
            attempt += 1
            logger.warning("Ingest batch rolled back (%s); attempt %d of %d.", error, attempt, WRITE_ATTEMPTS)
        else:
            metrics.record_ingest(
                channel,
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
                seconds=time.monotonic() - started,
            )
            return result


def _retryable(error: OperationalError) -> bool:
    return getattr(error.__cause__, "pgcode", None) in _RETRYABLE


def validate_batch(items, *, acting_user) -> list[Row]:
    if not isinstance(items, list) or not items:
        raise BatchRejected(
            400,
            "Send between 1 and 10,000 measurements.",
            [{"field": "measurements", "message": "Must be a non-empty list."}],
        )
    if len(items) > MAX_BATCH:
        raise BatchRejected(
            413,
            f"A batch holds at most {MAX_BATCH:,} measurements; this one has {len(items):,}.",
            [{"field": "measurements", "message": f"At most {MAX_BATCH:,} items."}],
        )
    latest = timezone.now() + FUTURE_TOLERANCE
    errors: list[dict] = []
    parsed = [_parse_item(index, item, latest, errors) for index, item in enumerate(items)]
    kpis = _resolve_keys({p[0] for p in parsed if p is not None}, acting_user)
    rows, forbidden = [], []
    for index, p in enumerate(parsed):
        if p is None:
            continue
        key, ts, value, source = p
        if key not in kpis:
            errors.append({"index": index, "field": "kpi", "message": f"Unknown KPI “{key}”."})
        elif not kpis[key][1]:
            forbidden.append({"index": index, "field": "kpi", "message": f"You may not write KPI “{key}”."})
        else:
            rows.append(Row(kpis[key][0], ts, value, source))
    if errors:
        errors = sorted(errors + forbidden, key=lambda e: e["index"])
        raise BatchRejected(
            400,
            f"{len({e['index'] for e in errors})} of {len(items)} measurements are invalid; nothing was written.",
            errors,
        )
    if forbidden:
        raise BatchRejected(403, "You may not write every KPI in this batch; nothing was written.", forbidden)
    return rows


def _resolve_keys(keys: set[str], user) -> dict[str, tuple[int, bool]]:
    """One query: key -> (id, may this user write it), for the KPIs this user can see.

    A KPI on an initiative the caller cannot see is left out, so it reads as unknown: whether a key
    exists is not told to someone who may not see it. Who may write is governance.permissions' rule.
    """
    queryset = Kpi.objects.filter(key__in=keys)
    if not is_leader(user):  # leaders see every initiative: no need to ask the database
        queryset = queryset.filter(initiative__in=Initiative.objects.visible_to(user).values("pk"))
    rights = with_measurement_rights(user, queryset)
    return {key: (pk, ok) for key, pk, ok in rights.values_list("key", "id", "writable")}


_NUMBER_TYPES = (int, float)


def _parse_item(index: int, item, latest: datetime, errors: list[dict]):
    """The item as (key, timestamp, value, source), or None with its problems appended to errors.

    Ingest validates every point of every batch, so the common, well-formed item
    takes a short path; anything unusual goes through `_explain`, which names each problem.
    """
    try:
        key, raw_ts, value = item["kpi"], item["timestamp"], item["value"]
        source = item.get("source", DEFAULT_SOURCE)
        if (
            type(key) is str
            and key
            and "\x00" not in key
            and type(source) is str
            and 0 < len(source) <= MAX_SOURCE_LENGTH
            and "\x00" not in source
            and type(value) in _NUMBER_TYPES
            and math.isfinite(value)
            and type(raw_ts) is str
        ):
            ts = parse_iso_datetime(raw_ts)
            if ts.tzinfo is not None and ts <= latest:
                return key, ts, float(value), source
    except (KeyError, TypeError, ValueError, OverflowError):
        pass
    return _explain(index, item, latest, errors)


def _explain(index: int, item, latest: datetime, errors: list[dict]):
    def bad(name: str, message: str):
        errors.append({"index": index, "field": name, "message": message})

    if not isinstance(item, dict):
        bad("", "Each measurement must be an object with kpi, timestamp and value.")
        return None
    before = len(errors)
    key = item.get("kpi")
    if key is None or key == "":
        bad("kpi", "This field is required.")
    elif not isinstance(key, str):
        bad("kpi", "Must be a KPI key (a string).")
    elif "\x00" in key:
        bad("kpi", "Null characters are not allowed.")
    ts = _parse_timestamp(item.get("timestamp"), latest, lambda message: bad("timestamp", message))
    value = _parse_value(item.get("value"), lambda message: bad("value", message))
    source = item.get("source", DEFAULT_SOURCE)
    if source is None or source == "":
        source = DEFAULT_SOURCE
    elif not isinstance(source, str):
        bad("source", "Must be a string.")
    elif len(source) > MAX_SOURCE_LENGTH:
        bad("source", f"At most {MAX_SOURCE_LENGTH} characters (got {len(source)}).")
    elif "\x00" in source:
        bad("source", "Null characters are not allowed.")
    return None if len(errors) > before else (key, ts, value, source)


def _parse_timestamp(raw, latest: datetime, bad):
    if raw is None or raw == "":
        return bad("This field is required.")
    if not isinstance(raw, str):
        return bad("Must be an ISO 8601 string with a UTC offset, e.g. 2026-11-26T09:00:00+00:00.")
    try:
        ts = parse_iso_datetime(raw)
    except ValueError:
        return bad(f"“{raw[:40]}” is not an ISO 8601 timestamp, e.g. 2026-11-26T09:00:00+00:00.")
    if ts.tzinfo is None or ts.utcoffset() is None:
        return bad("The timestamp needs a UTC offset (e.g. +00:00 or Z); naive times are ambiguous.")
    if ts > latest:
        return bad("The timestamp is more than one day in the future.")
    return ts


def _parse_value(raw, bad):
    if raw is None or raw == "":
        return bad("This field is required.")
    if isinstance(raw, bool):
        return bad("Must be a number, not true/false.")
    if isinstance(raw, str):
        try:
            raw = float(raw.strip())
        except ValueError:
            return bad(f"“{raw[:40]}” is not a number.")
    if not isinstance(raw, (int, float)):
        return bad("Must be a number.")
    try:
        value = float(raw)
    except OverflowError:
        return bad("The number is too large.")
    if not math.isfinite(value):
        return bad("Must be a finite number (not NaN or infinity).")
    return value


@transaction.atomic
def _write(rows: list[Row], *, received: int, acting_user, token, channel) -> IngestResult:
    # Last write wins inside a batch too: one row per key reaches the database.
    unique = {(r.kpi_id, r.timestamp, r.source): r for r in rows}
    batch = IngestBatch.objects.create(
        user=acting_user,
        token=token,
        channel=channel,
        received=received,
        created=0,
        updated=0,
        unchanged=0,
        kpi_count=len({r.kpi_id for r in rows}),
        request_id=current_request_id.get(),
    )
    upsert = _upsert_postgresql if connection.vendor == "postgresql" else _upsert_sqlite
    created, updated = upsert(list(unique.values()), batch.pk)
    unchanged = received - created - updated
    # Lock the initiatives in id order before marking them, so batches spanning initiatives queue up.
    touched = Kpi.objects.filter(pk__in={r.kpi_id for r in rows}).values("initiative_id")
    locked = Initiative.objects.filter(pk__in=touched).order_by("pk").select_for_update().values_list("pk", flat=True)
    Initiative.objects.filter(pk__in=list(locked)).mark_dirty()
    IngestBatch.objects.filter(pk=batch.pk).update(created=created, updated=updated, unchanged=unchanged)
    return IngestResult(received, created, updated, unchanged, batch.pk)


_PG_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS kpis_ingest_stage (
    kpi_id bigint, ts timestamptz, value double precision, source varchar(100)
)
"""
# Draining the stage in the same statement leaves it empty for the next batch on this connection.
# Rows are written in key order: two batches that share keys then wait for each other in the same
# order instead of each holding a key the other needs (a deadlock, 503 to one of them).
_PG_UPSERT = """
WITH staged AS (
    DELETE FROM kpis_ingest_stage RETURNING kpi_id, ts, value, source
), written AS (
    INSERT INTO kpis_measurement AS m (kpi_id, "timestamp", value, source, batch_id)
    SELECT kpi_id, ts, value, source, %s FROM staged ORDER BY kpi_id, ts, source
    ON CONFLICT (kpi_id, "timestamp", source)
    DO UPDATE SET value = EXCLUDED.value, batch_id = EXCLUDED.batch_id
    WHERE m.value IS DISTINCT FROM EXCLUDED.value
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written
"""


def _upsert_postgresql(rows: list[Row], batch_id: int) -> tuple[int, int]:
    buffer = io.StringIO()
    # repr() of a float round-trips exactly; sources are escaped for COPY's text format.
    buffer.writelines(f"{r.kpi_id}\t{r.timestamp.isoformat()}\t{r.value!r}\t{_copy_escape(r.source)}\n" for r in rows)
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.execute(_PG_STAGE)
        # The raw cursor bypasses Django's error mapping; a connection lost mid-COPY must still
        # surface as django.db.OperationalError (a 503), not as a psycopg2 error (a 500).
        with connection.wrap_database_errors:
            cursor.cursor.copy_expert("COPY kpis_ingest_stage (kpi_id, ts, value, source) FROM STDIN", buffer)
        cursor.execute(_PG_UPSERT, [batch_id])
        created, updated = cursor.fetchone()
    return created, updated


def _copy_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


_SQLITE_STAGE = "CREATE TEMP TABLE IF NOT EXISTS kpis_ingest_stage (kpi_id integer, ts text, value real, source text)"
_SQLITE_COUNT = """
SELECT count(m.id), count(m.id) FILTER (WHERE m.value IS NOT s.value)
FROM kpis_ingest_stage s
JOIN kpis_measurement m ON m.kpi_id = s.kpi_id AND m."timestamp" = s.ts AND m.source = s.source
"""
_SQLITE_UPSERT = """
INSERT INTO kpis_measurement (kpi_id, "timestamp", value, source, batch_id)
SELECT kpi_id, ts, value, source, ? FROM kpis_ingest_stage WHERE true ORDER BY kpi_id, ts, source
ON CONFLICT (kpi_id, "timestamp", source)
DO UPDATE SET value = excluded.value, batch_id = excluded.batch_id WHERE value IS NOT excluded.value
"""


def _upsert_sqlite(rows: list[Row], batch_id: int) -> tuple[int, int]:
    adapt = connection.ops.adapt_datetimefield_value  # the exact text the ORM stores, so keys collide
    with connection.cursor() as cursor:
        cursor.execute(_SQLITE_STAGE)
        cursor.execute("DELETE FROM kpis_ingest_stage")
        cursor.executemany(
            "INSERT INTO kpis_ingest_stage VALUES (%s, %s, %s, %s)",
            [(r.kpi_id, adapt(r.timestamp), r.value, r.source) for r in rows],
        )
        cursor.execute(_SQLITE_COUNT)
        existing, changed = cursor.fetchone()
        cursor.execute(_SQLITE_UPSERT.replace("?", "%s"), [batch_id])
        cursor.execute("DELETE FROM kpis_ingest_stage")
    return len(rows) - existing, changed
