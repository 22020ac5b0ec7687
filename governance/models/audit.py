"""The append-only, hash-chained audit trail."""

import hashlib
import hmac
import json

from django.db import models
from django.utils import timezone


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def hmac_hex(key: str, text: str) -> str:
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()


def key_id(key: str) -> str:
    """A short public name for a key, stored beside what it signed, so rotation knows which key to use."""
    return sha256_hex("opmodel-audit-key-id:" + key)[:12]


class AuditEvent(models.Model):
    """Append-only, hash-chained record of a state change.

    Rows never reference other tables by constraint, so deleting an initiative
    or a user leaves its history intact. On PostgreSQL a trigger refuses UPDATE
    and DELETE on this table (migration 0002).
    """

    occurred_at = models.DateTimeField(default=timezone.now)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=80)
    initiative_id = models.BigIntegerField(null=True, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # Unique, so two writers can never fork the chain from the same predecessor.
    prev_hash = models.CharField(max_length=64, unique=True)
    hash = models.CharField(max_length=64, unique=True)
    # Which AUDIT_KEY signed the hash (governance.audit); blank for events from before the chain was keyed,
    # which are plain SHA-256.
    key_id = models.CharField(max_length=12, blank=True, default="")

    class Meta:
        ordering = ["id"]
        # An initiative's history is read newest first, a page at a time: (initiative, id) serves it in order.
        indexes = [models.Index(fields=["initiative_id", "id"], name="governance_audit_initiative_id")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"

    def payload(self) -> dict:
        return {
            "occurred_at": self.occurred_at.isoformat(),
            "actor_id": self.actor_id,
            "actor_username": self.actor_username,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": str(self.object_id),
            "initiative_id": self.initiative_id,
            "before": self.before,
            "after": self.after,
            "request_id": self.request_id,
        }

    def compute_hash(self, key: str | None = None) -> str:
        """HMAC-SHA256 under `key` of the previous hash and this event's fields; plain SHA-256 without a key."""
        message = self.prev_hash + canonical_json(self.payload())
        return hmac_hex(key, message) if key else sha256_hex(message)
