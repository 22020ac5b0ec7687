"""What a gate decision binds to: a snapshot of the initiative's material content and its hash.

Apps register the part they own (the charter now; the KPI tree and asset
versions later). Whitespace-only edits do not change the hash.
"""

import json
from collections.abc import Callable

from governance.models import canonical_json, sha256_hex

_PARTS: dict[str, Callable[[object], dict]] = {}


def snapshot_part(name: str):
    def register(build: Callable[[object], dict]):
        _PARTS[name] = build
        return build

    return register


def build_snapshot(initiative) -> tuple[dict, str]:
    text = canonical_json({name: _normalise(build(initiative)) for name, build in sorted(_PARTS.items())})
    # Stored in a JSONField as exactly what was hashed: dates and Decimals become strings.
    return json.loads(text), sha256_hex(text)


def _normalise(value):
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value
