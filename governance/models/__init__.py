from governance.gates import GATE_FROM_STAGE, Gate
from governance.models.assets import (
    Asset,
    AssetLabel,
    AssetTag,
    AssetUsage,
    AssetVersion,
    LabelMoveRequest,
    Notification,
)
from governance.models.audit import AuditEvent, canonical_json, sha256_hex
from governance.models.foundation import (
    LAYER_INFO,
    ChecklistAnswer,
    ChecklistItem,
    Control,
    DataSource,
    InitiativeControl,
    Layer,
)
from governance.models.gates import GateDecision, GatePolicy, GateReview
from governance.models.shadow import ShadowAiUse
from governance.models.sso import SsoIdentity
from governance.models.tokens import ApiToken
from governance.models.webhooks import (
    ChatChannel,
    EventType,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookSubscription,
)

__all__ = [
    "LAYER_INFO",
    "ChecklistAnswer",
    "ChecklistItem",
    "Control",
    "DataSource",
    "InitiativeControl",
    "Layer",
    "Asset",
    "AssetLabel",
    "AssetTag",
    "AssetUsage",
    "AssetVersion",
    "LabelMoveRequest",
    "Notification",
    "GATE_FROM_STAGE",
    "ApiToken",
    "ChatChannel",
    "EventType",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
    "WebhookSubscription",
    "AuditEvent",
    "Gate",
    "GateDecision",
    "GatePolicy",
    "GateReview",
    "ShadowAiUse",
    "SsoIdentity",
    "canonical_json",
    "sha256_hex",
]
