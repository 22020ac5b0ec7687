"""The audit chain is keyed and checkpointed: with the table's trigger off, a deleted tail, a rewritten
middle (hashes recomputed and all) and a missing or forged checkpoint are each reported by name."""

import json
import logging
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import transaction

from governance import audit
from governance.audit import read_checkpoints, verify_chain, write_checkpoint
from governance.models import AuditEvent, canonical_json, sha256_hex
from governance.models.audit import hmac_hex, key_id
from governance.tasks import verify_audit_chain_task
from tests.db import tamper_with_audit
from tests.lifecycle import decide, request

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(initiative, alice, sam):
    decide(request(initiative, alice), sam)
    return list(AuditEvent.objects.order_by("id"))


def _verify(**kwargs) -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out, stderr=StringIO(), **kwargs)
    return out.getvalue()


def _verify_error() -> str:
    with pytest.raises(CommandError) as exc:
        call_command("verify_audit", stdout=StringIO(), stderr=StringIO())
    return str(exc.value)


def _rehash_from(events: list[AuditEvent], start: int, hasher, *, key_id_: str | None = None) -> None:
    """Recompute every hash from `start` on, as someone without the key would try: the chain links again."""
    prev = events[start - 1].hash
    for event in events[start:]:
        event.prev_hash = prev
        new_hash = hasher(prev + canonical_json(event.payload()))
        tamper_with_audit(
            "UPDATE governance_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
            [prev, "tmp-" + str(event.pk), event.pk],
        )
        tamper_with_audit(
            "UPDATE governance_auditevent SET hash = %s, key_id = %s WHERE id = %s",
            [new_hash, event.key_id if key_id_ is None else key_id_, event.pk],
        )
        prev = new_hash


def test_events_are_signed_with_the_audit_key(events, settings):
    event = events[0]
    message = event.prev_hash + canonical_json(event.payload())
    assert event.key_id == key_id(settings.AUDIT_KEY)
    assert event.hash == hmac_hex(settings.AUDIT_KEY, message)
    assert event.hash != sha256_hex(message)  # an unkeyed hash would be anyone's to recompute


def test_verify_writes_a_signed_read_only_checkpoint_of_the_head(events, settings):
    output = _verify()

    assert f"Checkpoint #1 written: {len(events)} events, head #{events[-1].pk}" in output
    (path,) = settings.AUDIT_CHECKPOINT_DIR.glob("checkpoint-*.json")
    assert path.stat().st_mode & 0o777 == 0o444  # read-only, and no more than readable, for everyone
    checkpoints, problem = read_checkpoints()
    assert problem == ""
    assert checkpoints[0] | {"written_at": "-"} == {
        "seq": 1,
        "events": len(events),
        "head_id": events[-1].pk,
        "head_hash": events[-1].hash,
        "written_at": "-",
        "key_id": key_id(settings.AUDIT_KEY),
    }
    assert "against 1 checkpoint(s)" in _verify()


def test_a_chain_warns_that_a_deleted_tail_goes_unseen_until_its_first_checkpoint(events):
    assert verify_chain().warnings == ["No checkpoint yet: a deleted tail cannot be detected before one."]

    write_checkpoint(verify_chain())

    assert verify_chain().warnings == []


@pytest.mark.parametrize("deleted", [1, 3])
def test_a_deleted_tail_is_reported(events, deleted):
    _verify()
    newest = [e.pk for e in events[-deleted:]]

    tamper_with_audit(f"DELETE FROM governance_auditevent WHERE id IN ({','.join(map(str, newest))})")  # noqa: S608

    message = _verify_error()
    assert "checkpoint #1" in message and "deleted tail" in message
    assert f"{len(events)} events" in message and f"now there are {len(events) - deleted}" in message


def test_a_deleted_tail_replaced_by_new_events_is_reported(events, alice, initiative):
    _verify()
    tamper_with_audit("DELETE FROM governance_auditevent WHERE id = %s", [events[-1].pk])
    from initiatives import services

    services.update_charter(initiative.pk, acting_user=alice, constraints="Rewritten after the fact")

    message = _verify_error()
    assert f"event #{events[-1].pk}, the head of checkpoint #1" in message and "is gone" in message


def test_a_deleted_tail_replaced_by_as_many_new_events_is_reported(events, alice):
    _verify()
    tamper_with_audit("DELETE FROM governance_auditevent WHERE id = %s", [events[-1].pk])
    with transaction.atomic():
        audit.record("test.replacement", alice, actor=alice)

    message = _verify_error()
    assert f"event #{events[-1].pk}, the head of checkpoint #1" in message and "is gone" in message


def test_the_checkpoint_folder_is_made_with_its_parents(events, settings, tmp_path):
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "new" / "checkpoints"

    _verify()

    assert len(list(settings.AUDIT_CHECKPOINT_DIR.glob("checkpoint-*.json"))) == 1


@pytest.mark.parametrize(
    ("key_id_", "problem"),
    [(None, "contents do not match its hash"), ("", "no key after keyed events")],
    ids=["key id kept", "key id blanked"],
)
def test_a_rewritten_middle_with_recomputed_hashes_is_reported(events, key_id_, problem):
    tamper_with_audit("DELETE FROM governance_auditevent WHERE id = %s", [events[3].pk])
    rest = [events[2], *events[4:]]
    # Without the key, the best an attacker can do is plain SHA-256, the chain's hash before it was keyed.
    _rehash_from(rest, 1, sha256_hex, key_id_=key_id_)

    message = _verify_error()
    assert f"#{events[4].pk}" in message and problem in message


def test_a_middle_resigned_with_another_key_is_reported(events):
    tamper_with_audit("DELETE FROM governance_auditevent WHERE id = %s", [events[3].pk])
    rest = [events[2], *events[4:]]
    _rehash_from(rest, 1, lambda text: hmac_hex("a key of the attacker's own", text))

    message = _verify_error()
    assert f"#{events[4].pk}" in message and "contents do not match its hash" in message


def test_a_missing_checkpoint_is_named(events, settings, initiative, alice):
    from initiatives import services

    _verify()
    services.update_charter(initiative.pk, acting_user=alice, constraints="A second head")
    _verify()
    first = settings.AUDIT_CHECKPOINT_DIR / "checkpoint-00000001.json"
    first.chmod(0o644)
    first.unlink()

    message = _verify_error()
    assert "checkpoint #1 is missing" in message


@pytest.mark.parametrize("content", ["{not json", '{"seq": 1}', '"a string"'])
def test_an_unreadable_checkpoint_is_named(events, settings, content):
    _verify()
    path = settings.AUDIT_CHECKPOINT_DIR / "checkpoint-00000001.json"
    path.chmod(0o644)
    path.write_text(content)

    assert "checkpoint-00000001.json cannot be read as a checkpoint" in _verify_error()


def test_a_forged_checkpoint_is_named(events, settings):
    _verify()
    path = settings.AUDIT_CHECKPOINT_DIR / "checkpoint-00000001.json"
    forged = json.loads(path.read_text()) | {"events": 2}
    path.chmod(0o644)
    path.write_text(json.dumps(forged))

    assert "checkpoint #1" in _verify_error() and "valid signature" in _verify_error()


def test_a_rotated_key_still_verifies_older_events(events, settings, initiative, alice):
    from initiatives import services

    old_key = settings.AUDIT_KEY
    _verify()
    settings.AUDIT_KEY = "the-new-audit-key-after-rotation"
    services.update_charter(initiative.pk, acting_user=alice, constraints="Signed with the new key")

    message = _verify_error()
    assert f"signed with key {key_id(old_key)}" in message and "AUDIT_PREVIOUS_KEYS" in message

    settings.AUDIT_PREVIOUS_KEYS = [old_key]
    assert f"Audit chain intact: {AuditEvent.objects.count()} events checked against 1 checkpoint(s)." in _verify()
    assert AuditEvent.objects.order_by("-id").first().key_id == key_id("the-new-audit-key-after-rotation")


def test_events_from_before_the_key_still_verify(events, alice):
    # A chain started before keying: plain SHA-256 rows, then keyed rows after them.
    tamper_with_audit("DELETE FROM governance_auditevent")
    prev = "0" * 64
    for event in events[:3]:
        event.prev_hash, event.key_id = prev, ""
        event.hash = event.compute_hash()
        AuditEvent.objects.bulk_create([event])
        prev = event.hash
    from django.db import transaction

    from governance import audit

    with transaction.atomic():
        audit.record("test.after-keying", alice, actor=alice)

    assert verify_chain().ok


def test_the_nightly_verification_logs_and_emails_the_checkpoint(events, settings, caplog):
    settings.AUDIT_EMAILS = ["auditors@example.com"]

    with caplog.at_level(logging.INFO, logger="governance.audit"):
        assert verify_audit_chain_task() is True

    (message,) = mail.outbox
    assert message.to == ["auditors@example.com"] and "intact" in message.subject
    checkpoint = read_checkpoints()[0][0]
    assert checkpoint["head_hash"] in message.body and f'"events":{len(events)}' in message.body
    assert any(checkpoint["head_hash"] in record.getMessage() for record in caplog.records)


def test_the_nightly_verification_emails_a_broken_chain(events, settings):
    settings.AUDIT_EMAILS = ["auditors@example.com"]
    _verify()
    tamper_with_audit("DELETE FROM governance_auditevent WHERE id = %s", [events[-1].pk])

    assert verify_audit_chain_task() is False

    (message,) = mail.outbox
    assert "BROKEN" in message.subject and "deleted tail" in message.body
