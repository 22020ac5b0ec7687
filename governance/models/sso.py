"""Who a user is at the OpenID Connect provider (README: "Single sign-on")."""

from django.conf import settings
from django.db import models


class SsoIdentity(models.Model):
    """The provider's stable subject (`sub`) for a user, under its issuer. A signed-in user is found by this
    pair only, never by email: an email address can change hands, a subject cannot."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identity")
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255, help_text="The provider's `sub` claim for this user.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "single sign-on identity"
        verbose_name_plural = "single sign-on identities"
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="sso_identity_one_user_per_subject")]

    def __str__(self) -> str:
        return f"{self.user} at {self.issuer}"
