"""Append-only, hash-chained audit events.

Each event's hash covers its own fields and the previous event's hash, so an
edited, deleted or reordered row breaks the chain at that point. Writers call
`record()` inside the transaction that makes the change they describe.

An event is dated by opmodel.clock (the wall clock, or the story's day while the
demo replays its story); `in_time_order()` lets such a replay chain its events
in the order of their dates.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connection, transaction

from governance.models import AuditEvent, canonical_json
from opmodel import clock
from opmodel.middleware import current_request_id

GENESIS_HASH = "0" * 64
# Any constant works; it names the advisory lock that serialises chain appends on PostgreSQL.
_CHAIN_LOCK_ID = 0x0A0D17


def record(action: str, obj, *, actor, before=None, after=None, initiative_id: int | None = None) -> AuditEvent:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record() must run inside the transaction that makes the change")
    event = AuditEvent(
        occurred_at=clock.now(),
        actor_id=getattr(actor, "pk", None),
        actor_username=getattr(actor, "username", "") or "system",
        action=action,
        object_type=obj._meta.label_lower if hasattr(obj, "_meta") else str(type(obj).__name__),
        object_id=str(obj.pk),
        initiative_id=initiative_id,
        before=_jsonable(before),
        after=_jsonable(after),
        request_id=current_request_id.get(),
    )
    held = _held.get()
    if held is not None:
        held.append(event)  # chained when in_time_order() ends
    else:
        _chain([event])
    return event


_held: ContextVar[list[AuditEvent] | None] = ContextVar("held_audit_events", default=None)


@contextmanager
def in_time_order() -> Iterator[None]:
    """Hold the events recorded inside, then chain them oldest first (by occurred_at; in the order they
    were recorded when two share a time). For a replay that plays one story after another, each dated on
    its own days (seed_demo): its events then read in the order things happened. Nothing is written if
    the block raises. Use it inside the transaction that makes the changes."""
    if _held.get() is not None:
        yield
        return
    held: list[AuditEvent] = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
    _chain(sorted(held, key=lambda event: event.occurred_at))


def _chain(events: list[AuditEvent]) -> None:
    """Append `events` to the chain, in this order."""
    _lock_chain()
    prev_hash = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS_HASH
    for event in events:
        event.prev_hash = prev_hash
        event.hash = prev_hash = event.compute_hash()
        event.save(force_insert=True)


def _jsonable(value):
    # Store exactly what is hashed: Decimals, dates and the like become strings.
    return None if value is None else json.loads(canonical_json(value), parse_float=_parse_float)


def _parse_float(text: str):
    # PostgreSQL's jsonb returns 1e+20 as 100000000000000000000, so such floats are stored (and hashed) as ints.
    return int(float(text)) if "e+" in text else float(text)


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_ID])
    # SQLite takes the database write lock at BEGIN IMMEDIATE (see settings), which already serialises.


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain() -> ChainReport:
    """Walk the chain in order and report the first event whose link does not hold."""
    expected_prev = GENESIS_HASH
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != expected_prev:
            return ChainReport(
                checked,
                event.pk,
                "its previous-hash does not match the event before it (a row was deleted or reordered)",
            )
        if event.compute_hash() != event.hash:
            return ChainReport(checked, event.pk, "its contents do not match its hash (the row was edited)")
        expected_prev = event.hash
        checked += 1
    return ChainReport(checked)
