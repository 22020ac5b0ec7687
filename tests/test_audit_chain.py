"""The audit trail is hash-chained: `verify_audit` names the first row that was edited, deleted or moved."""

from datetime import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from governance.audit import GENESIS_HASH, verify_chain
from governance.models import AuditEvent
from opmodel import clock
from opmodel.compat import UTC
from tests.db import tamper_with_audit
from tests.lifecycle import decide, request

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL only"
)


@pytest.fixture
def events(initiative, alice, sam):
    """A real chain: creation, roles, charter, a request, a decision and a stage change."""
    decide(request(initiative, alice), sam)
    events = list(AuditEvent.objects.order_by("id"))
    assert len(events) >= 7
    return events


def _verify_audit_error() -> str:
    with pytest.raises(CommandError) as exc:
        call_command("verify_audit", stdout=StringIO())
    return str(exc.value)


def test_an_intact_chain_verifies(events):
    out = StringIO()
    call_command("verify_audit", stdout=out)

    assert f"Audit chain intact: {len(events)} events checked against 0 checkpoint(s)." in out.getvalue()
    assert events[0].prev_hash == GENESIS_HASH
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(events, events[1:], strict=False))


def test_every_event_names_who_and_when(events, alice):
    first = events[0]

    assert (first.action, first.actor_id, first.actor_username) == ("initiative.created", alice.pk, "alice")
    assert first.occurred_at.utcoffset().total_seconds() == 0


def test_an_edited_row_is_named(events):
    target = events[3]

    tamper_with_audit("UPDATE governance_auditevent SET actor_username = %s WHERE id = %s", ["mallory", target.pk])

    message = _verify_audit_error()
    assert f"#{target.pk}" in message
    assert "edited" in message
    assert verify_chain().checked == 3


def test_an_edited_json_value_is_named(events):
    target = next(e for e in events if e.action == "gate.decided")

    tamper_with_audit(
        "UPDATE governance_auditevent SET after = %s WHERE id = %s", ['{"decision": "reject"}', target.pk]
    )

    assert f"#{target.pk}" in _verify_audit_error()


def test_a_deleted_middle_row_is_detected_at_the_next_one(events):
    gone, next_one = events[2], events[3]

    tamper_with_audit("DELETE FROM governance_auditevent WHERE id = %s", [gone.pk])

    message = _verify_audit_error()
    assert f"#{next_one.pk}" in message
    assert "deleted or reordered" in message


def test_reordered_rows_are_detected(events):
    a, b = events[1], events[2]

    tamper_with_audit("UPDATE governance_auditevent SET id = %s WHERE id = %s", [-1, a.pk])
    tamper_with_audit("UPDATE governance_auditevent SET id = %s WHERE id = %s", [a.pk, b.pk])
    tamper_with_audit("UPDATE governance_auditevent SET id = %s WHERE id = %s", [b.pk, -1])

    message = _verify_audit_error()
    assert f"#{a.pk}" in message  # b's row now sits first, and its link points past a
    assert "deleted or reordered" in message


@on_postgresql
def test_postgresql_refuses_update(events):
    target = events[0]

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE governance_auditevent SET actor_username = 'mallory' WHERE id = %s", [target.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        target.actor_username = "mallory"
        target.save()

    assert AuditEvent.objects.get(pk=target.pk).actor_username == "alice"
    call_command("verify_audit", stdout=StringIO())


@on_postgresql
def test_postgresql_refuses_delete(events):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM governance_auditevent WHERE id = %s", [events[2].pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=events[-1].pk).delete()

    assert AuditEvent.objects.count() == len(events)
    call_command("verify_audit", stdout=StringIO())


def test_large_and_small_numbers_keep_the_chain_intact(alice):
    # PostgreSQL's jsonb gives 1e+20 back as 100000000000000000000; the hash must not depend on that.
    from governance import audit

    with transaction.atomic():
        audit.record(
            "test.numbers", alice, actor=alice, after={"big": 1e20, "huge": 1.5e300, "small": 1e-7, "one": 1.0}
        )

    assert verify_chain().ok
    assert AuditEvent.objects.get(action="test.numbers").after == {
        "big": 10**20,
        "huge": int(1.5e300),
        "small": 1e-7,
        "one": 1.0,
    }


def test_events_recorded_in_time_order_are_chained_oldest_first(alice, initiative):
    # A replay (seed_demo) records a later day's step before an earlier one's; the chain reads by date.
    from governance import audit

    since = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with transaction.atomic(), audit.in_time_order():
        with clock.story_time(datetime(2026, 3, 2, tzinfo=UTC)):
            audit.record("test.later", initiative, actor=alice)
        with audit.in_time_order(), clock.story_time(datetime(2026, 3, 1, tzinfo=UTC)):
            audit.record("test.earlier", initiative, actor=alice)

    chained = AuditEvent.objects.filter(pk__gt=since).order_by("id").values_list("action", flat=True)
    assert list(chained) == ["test.earlier", "test.later"]
    assert verify_chain().ok
