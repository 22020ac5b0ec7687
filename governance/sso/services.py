"""Sign-on's rules: who may use a password, what the leader claim says, and the one writer that turns verified
claims into a user (found by issuer and `sub`, or created) and applies the leader claim."""

import hashlib
import logging
import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from governance import audit, leadership
from governance.models import SsoIdentity
from governance.sso.provider import SsoRefused

log = logging.getLogger(__name__)


def password_login_allowed(user) -> bool:
    """Passwords sign in anyone unless OIDC_DISABLE_PASSWORD_LOGIN is on; then superusers only (the way in
    while the provider is down). API tokens are a separate credential and are not affected."""
    return not settings.OIDC_DISABLE_PASSWORD_LOGIN or user.is_superuser


def leader_claim_says(claims: dict) -> bool | None:
    """Whether the claims make the user a portfolio leader; None when OIDC_LEADER_CLAIM is not set (then
    sign-on leaves leadership to the admin). The claim matches when it equals OIDC_LEADER_VALUE or, being a
    list (such as `groups` or `roles`), holds it; a true boolean claim matches OIDC_LEADER_VALUE=true."""
    name, wanted = settings.OIDC_LEADER_CLAIM, settings.OIDC_LEADER_VALUE
    if not name:
        return None
    value = claims.get(name)
    if isinstance(value, bool):
        return wanted.lower() == str(value).lower()
    if isinstance(value, list | tuple):
        return wanted in [str(item) for item in value]
    return isinstance(value, str | int) and str(value) == wanted


def username_for(claims: dict, *, issuer: str) -> str:
    """A free username: the provider's preferred_username (else the email's local part) in Django's
    characters, suffixed with a digest of the subject when an account already has it."""
    wanted = claims.get("preferred_username") or (claims.get("email") or "").split("@")[0]
    base = re.sub(r"[^\w.@+-]", "", str(wanted))[:130] or "sso"
    taken = get_user_model().objects.filter(username__iexact=base).exists()
    if not taken:
        return base
    digest = hashlib.sha256(f"{issuer} {claims['sub']}".encode()).hexdigest()[:12]
    return f"{base}-{digest}"


@transaction.atomic
def sign_in(claims: dict, *, issuer: str):
    """The user for verified claims: found by (issuer, sub), or created on a first sign-in. Refused when a
    first sign-in's email belongs to an account not linked to this subject (an administrator links it in
    the admin's single sign-on identities), or when the account is inactive."""
    subject = str(claims.get("sub") or "")
    if not subject:
        raise SsoRefused("The sign-in provider did not say who you are (no sub claim).")
    User = get_user_model()
    identity = SsoIdentity.objects.select_for_update().select_related("user").filter(issuer=issuer, subject=subject)
    identity = identity.first()
    email = str(claims.get("email") or "")
    names = {
        "first_name": str(claims.get("given_name") or "")[:150],
        "last_name": str(claims.get("family_name") or "")[:150],
    }
    if identity is None:
        if email and User.objects.filter(email__iexact=email).exists():
            log.warning("Sign-on refused: %s (sub %s at %s) matches an unlinked account", email, subject, issuer)
            raise SsoRefused(
                "An OpModel account with your email address already exists and is not linked to this sign-in. "
                "Ask an OpModel administrator to link it (admin: single sign-on identities); nothing was changed."
            )
        user = User.objects.create_user(username_for(claims, issuer=issuer), email=email, **names)
        user.set_unusable_password()
        user.save(update_fields=["password"])
        identity = SsoIdentity.objects.create(user=user, issuer=issuer, subject=subject)
        audit.record(
            "sso.user-created",
            user,
            actor=None,
            after={"issuer": issuer, "subject": subject, "username": user.username, "email": email},
        )
    user = identity.user
    if not user.is_active:
        raise SsoRefused("Your OpModel account is deactivated. Ask an OpModel administrator.")
    changed = [field for field, value in names.items() if value and getattr(user, field) != value]
    for field in changed:
        setattr(user, field, names[field])
    if changed:
        user.save(update_fields=changed)
    identity.last_login_at = timezone.now()
    identity.save(update_fields=["last_login_at"])
    leader = leader_claim_says(claims)
    if leader is not None:
        via = f"single sign-on claim {settings.OIDC_LEADER_CLAIM}"
        leadership.set_leader(user, leader, actor=None, via=via)
    return user
