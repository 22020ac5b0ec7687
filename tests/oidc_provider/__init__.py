"""A real OpenID Connect provider for the sign-on tests: django-oauth-toolkit in its own Django process on a
loopback port, with its own SQLite file and an RSA key made by the test (tests/browser/test_sso_journey.py)."""
