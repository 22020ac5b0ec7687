"""The log-in page (with its "Sign in with <provider>" button), the start of a sign-in and the provider's
callback; a refused sign-in gets a page that says why, never a server error."""

from django.conf import settings
from django.contrib.auth.views import LoginView, LogoutView
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from governance.sso.forms import PasswordLoginForm
from governance.sso.provider import SsoRefused, enabled, end_session_url, oidc_setting


def refused(request, exc: SsoRefused):
    context = {"message": str(exc), "provider": settings.OIDC_PROVIDER_NAME}
    return render(request, "registration/sso_refused.html", context, status=exc.status)


class Start(OIDCAuthenticationRequestView):
    """Sends the browser to the provider, with state, nonce and a PKCE challenge kept in the session."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request):
        if not enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except SsoRefused as exc:
            return refused(request, exc)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        return super().get(request)


class Callback(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back: the code is exchanged, the token verified, the user found."""

    get_settings = staticmethod(oidc_setting)

    def get(self, request):
        if not enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            return super().get(request)
        except SsoRefused as exc:
            return refused(request, exc)
        except SuspiciousOperation:  # a state this session never issued, or one already used
            return refused(request, SsoRefused("This sign-in link was already used or has expired. Start again."))

    def login_failure(self):
        problem = self.request.GET.get("error_description") or self.request.GET.get("error")
        message = "The sign-in did not complete."
        if problem:
            message += f" The provider said: {problem[:200]}"
        return refused(self.request, SsoRefused(message))


class Login(LoginView):
    """Django's login page, with the "Sign in with <provider>" button when sign-on is on, and without the
    password form when OIDC_DISABLE_PASSWORD_LOGIN is."""

    form_class = PasswordLoginForm

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "sso_provider": settings.OIDC_PROVIDER_NAME if enabled() else "",
            "password_form": not settings.OIDC_DISABLE_PASSWORD_LOGIN,
        }


class Logout(LogoutView):
    """Django's log-out, which ends OpModel's session; after a sign-on it then sends the browser to the
    provider's end_session_endpoint, when it has one, to end the session there too, and back to the log-in
    page."""

    def post(self, request, *args, **kwargs):
        id_token = request.session.get("oidc_id_token")
        response = super().post(request, *args, **kwargs)
        if id_token and enabled():
            then = request.build_absolute_uri(resolve_url(settings.LOGOUT_REDIRECT_URL))
            at_provider = end_session_url(id_token, then=then)
            if at_provider:
                return HttpResponseRedirect(at_provider)
        return response
