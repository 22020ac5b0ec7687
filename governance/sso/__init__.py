"""Single sign-on with OpenID Connect (README: "Single sign-on"), on mozilla-django-oidc.

Off unless settings.OIDC_ISSUER is set. provider.py reads the provider's discovery document on first use
(never at import) and answers mozilla-django-oidc's settings; backends.py checks the ID token (signed by a
key the provider publishes, by this issuer, for this client, current) and refuses passwords when they are
turned off; services.py finds the user by issuer and `sub`, never by email alone, and applies the leader
claim through governance.leadership, audited as the admin's grant; views.py is the log-in page, the start
and the callback.
"""
