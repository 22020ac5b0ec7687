"""Append-only, hash-chained audit events, keyed, with signed checkpoints kept outside the database.

Each event's hash is an HMAC (under settings.AUDIT_KEY, a secret the database never holds) of its
own fields and the previous event's hash, so an edited, deleted or reordered row breaks the chain at
that point, and nobody who can only write the table can recompute the chain after an edit. What a
chain alone cannot show, a deleted tail, the checkpoints show: each names the chain's head (event
count, newest id and hash), is signed with the same key and written once to a file outside the
database (and to the log and the auditors' email by the nightly verification). Writers call
`record()` inside the transaction that makes the change they describe; record() also writes the
webhook outbox row of an event that is a domain event (governance.webhooks.outbox).

An event is dated by opmodel.clock (the wall clock, or the story's day while the
demo replays its story); `in_time_order()` lets such a replay chain its events
in the order of their dates.
"""

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from governance.models import AuditEvent, canonical_json
from governance.models.audit import hmac_hex, key_id
from governance.webhooks.outbox import emit_for_audit
from opmodel import clock
from opmodel.middleware import current_request_id

log = logging.getLogger(__name__)

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
    # The audit trail is the one list of what changed: those changes that are domain events go to the
    # webhook outbox here, in the same transaction.
    emit_for_audit(event, obj, actor)
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
        event.key_id = key_id(settings.AUDIT_KEY)
        event.hash = prev_hash = event.compute_hash(settings.AUDIT_KEY)
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


def _keys() -> dict[str, str]:
    """Every key this server can verify with, by key id: the current one and those rotated out."""
    return {key_id(key): key for key in [settings.AUDIT_KEY, *settings.AUDIT_PREVIOUS_KEYS]}


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None = None
    problem: str = ""
    head_id: int | None = None
    head_hash: str = ""
    checkpoints: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.broken_at is None and not self.problem


def verify_chain(*, checkpoint_dir: Path | None = None) -> ChainReport:
    """Walk the chain in order and report the first event whose link does not hold; then hold the chain
    against every checkpoint written so far (a checkpoint missing, forged, or ahead of the chain)."""
    keys = _keys()
    checkpoints, problem = read_checkpoints(checkpoint_dir)
    wanted = {cp["head_id"]: cp for cp in checkpoints}
    seen: dict[int, tuple[int, str]] = {}  # a checkpoint's head id -> (events up to it, its hash)
    expected_prev = GENESIS_HASH
    checked, keyed = 0, False
    last = None
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        broken = _broken_link(event, expected_prev, keys, keyed)
        if broken:
            return ChainReport(checked, event.pk, broken)
        keyed = keyed or bool(event.key_id)
        expected_prev = event.hash
        checked += 1
        last = event
        if event.pk in wanted:
            seen[event.pk] = (checked, event.hash)
    head = {"head_id": last.pk if last else None, "head_hash": last.hash if last else ""}
    if problem:
        return ChainReport(checked, None, problem, checkpoints=len(checkpoints), **head)
    for cp in checkpoints:
        mismatch = _against_checkpoint(cp, seen.get(cp["head_id"]), checked)
        if mismatch:
            return ChainReport(checked, None, mismatch, checkpoints=len(checkpoints), **head)
    warnings = (
        [] if checkpoints or not checked else ["No checkpoint yet: a deleted tail cannot be detected before one."]
    )
    return ChainReport(checked, checkpoints=len(checkpoints), warnings=warnings, **head)


def _broken_link(event: AuditEvent, expected_prev: str, keys: dict[str, str], keyed: bool) -> str:
    if event.prev_hash != expected_prev:
        return "its previous-hash does not match the event before it (a row was deleted or reordered)"
    if not event.key_id:
        if keyed:
            return "it carries no key after keyed events (the row was rewritten without the key)"
        return "" if event.compute_hash() == event.hash else "its contents do not match its hash (the row was edited)"
    if event.key_id not in keys:
        return f"it was signed with key {event.key_id}, which this server does not have (see AUDIT_PREVIOUS_KEYS)"
    if event.compute_hash(keys[event.key_id]) != event.hash:
        return "its contents do not match its hash (the row was edited)"
    return ""


def _against_checkpoint(cp: dict, found: tuple[int, str] | None, total: int) -> str:
    name = f"checkpoint #{cp['seq']} ({cp['written_at']})"
    if found is None:
        if total < cp["events"]:
            return (
                f"the chain ends before {name}: it had {cp['events']} events up to #{cp['head_id']}, "
                f"now there are {total} (a deleted tail)"
            )
        return f"event #{cp['head_id']}, the head of {name}, is gone (a deleted or rewritten tail)"
    count, head_hash = found
    if head_hash != cp["head_hash"]:
        return f"event #{cp['head_id']} differs from {name} (the chain was rewritten)"
    if count != cp["events"]:
        return f"{name} counted {cp['events']} events up to #{cp['head_id']}, the chain has {count} (rewritten)"
    return ""


# Checkpoints: one JSON file each, numbered, written once and made read-only.


def checkpoint_dir() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR)


def _sign(body: dict) -> str:
    return hmac_hex(_keys()[body["key_id"]], canonical_json(body))


def read_checkpoints(directory: Path | None = None) -> tuple[list[dict], str]:
    """Every checkpoint in order, and the first problem with them: a number missing, a bad signature."""
    directory = directory or checkpoint_dir()
    paths = sorted(directory.glob("checkpoint-*.json")) if directory.is_dir() else []
    checkpoints = []
    for n, path in enumerate(paths, start=1):
        try:
            data = json.loads(path.read_text())
            signature = data.pop("signature")
        except (OSError, ValueError, KeyError, AttributeError):
            return checkpoints, f"checkpoint file {path.name} cannot be read as a checkpoint"
        if data.get("seq") != n:
            return checkpoints, f"checkpoint #{n} is missing from {directory} (the next one is {path.name})"
        if data.get("key_id") not in _keys() or _sign(data) != signature:
            return checkpoints, f"checkpoint #{n} ({path.name}) does not carry a valid signature (edited or forged)"
        checkpoints.append(data)
    return checkpoints, ""


def write_checkpoint(report: ChainReport, directory: Path | None = None) -> dict:
    """Record the verified head of the chain in a new, read-only file; also logged. Returns the checkpoint."""
    if not report.ok:
        raise ValueError("only a verified chain gets a checkpoint")
    directory = directory or checkpoint_dir()
    directory.mkdir(parents=True, exist_ok=True)
    seq = report.checkpoints + 1
    body = {
        "seq": seq,
        "events": report.checked,
        "head_id": report.head_id,
        "head_hash": report.head_hash,
        "written_at": timezone.now().isoformat(timespec="seconds"),
        "key_id": key_id(settings.AUDIT_KEY),
    }
    checkpoint = {**body, "signature": _sign(body)}
    path = directory / f"checkpoint-{seq:08d}.json"
    # "x": never overwrite one; a second writer racing for the same number fails instead.
    with open(path, "x") as handle:
        handle.write(canonical_json(checkpoint) + "\n")
    os.chmod(path, 0o444)
    log.info("Audit checkpoint %s", canonical_json(checkpoint))
    return checkpoint
