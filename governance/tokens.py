"""API tokens: issued once in clear, stored as a SHA-256 hash, revocable, optionally expiring."""

import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from governance import audit
from governance.models import ApiToken, sha256_hex

# Writing last_used_at on every request would turn each read into a write.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


@transaction.atomic
def issue_token(*, acting_user, user, name: str, expires_at=None) -> tuple[ApiToken, str]:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the token after the client that will use it."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    if acting_user.pk != user.pk and not acting_user.is_superuser:
        raise PermissionDenied("You can only create tokens for yourself.")
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[:8], key_hash=sha256_hex(key), expires_at=expires_at
    )
    audit.record(
        "token.issued",
        token,
        actor=acting_user,
        after={
            "user": user.username,
            "name": name,
            "prefix": token.prefix,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return token, key


@transaction.atomic
def revoke_token(token_id: int, *, acting_user) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token_id)
    if token.user_id != acting_user.pk and not acting_user.is_superuser:
        raise PermissionDenied("You can only revoke your own tokens.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            "token.revoked",
            token,
            actor=acting_user,
            after={"user": token.user.username, "name": token.name, "prefix": token.prefix},
        )
    return token


def authenticate_key(key: str) -> ApiToken | None:
    token = ApiToken.objects.usable().select_related("user").filter(key_hash=sha256_hex(key)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
