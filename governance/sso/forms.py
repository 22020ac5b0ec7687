"""The log-in page's password form, which says so when passwords are turned off."""

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError


class PasswordLoginForm(AuthenticationForm):
    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            if settings.OIDC_DISABLE_PASSWORD_LOGIN:
                raise ValidationError(
                    "Password sign-in is turned off here except for administrators: "
                    f"sign in with {settings.OIDC_PROVIDER_NAME}.",
                    code="password_login_disabled",
                ) from None
            raise
