"""`python -m tests.oidc_provider.serve`: migrate the provider's SQLite file, add its users and OpModel's
clients, then serve on 127.0.0.1:$OIDC_PROVIDER_PORT until killed. OIDC_PROVIDER_REDIRECT_URI is OpModel's
callback, OIDC_PROVIDER_POST_LOGOUT_URI where the provider's log-out returns; OIDC_PROVIDER_CLIENT_SECRET the
clients' secret."""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.servers.basehttp import WSGIServer, run  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from oauth2_provider.models import Application  # noqa: E402

from tests.oidc_provider.urls import EXPIRED_CLIENT, TAMPERING_CLIENT  # noqa: E402

PASSWORD = "provider-pw-for-tests-only"
# username, given name, family name, the provider's groups
PEOPLE = [
    ("ada", "Ada", "Lovelace", ["portfolio-leaders"]),
    ("ben", "Ben", "Okafor", ["engineering"]),
]


def main() -> None:
    call_command("migrate", verbosity=0)
    for username, first, last, groups in PEOPLE:
        user = User.objects.create_user(
            username, email=f"{username}@example.org", password=PASSWORD, first_name=first, last_name=last
        )
        user.groups.set(Group.objects.get_or_create(name=name)[0] for name in groups)
    for client_id in ("opmodel", TAMPERING_CLIENT, EXPIRED_CLIENT):
        Application.objects.create(
            name=client_id,
            client_id=client_id,
            client_secret=os.environ["OIDC_PROVIDER_CLIENT_SECRET"],
            hash_client_secret=False,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=os.environ["OIDC_PROVIDER_REDIRECT_URI"],
            post_logout_redirect_uris=os.environ["OIDC_PROVIDER_POST_LOGOUT_URI"],
            algorithm=Application.RS256_ALGORITHM,
            skip_authorization=True,
        )
    port = int(os.environ["OIDC_PROVIDER_PORT"])
    print(f"test provider serving on 127.0.0.1:{port}", flush=True)
    run("127.0.0.1", port, get_wsgi_application(), ipv6=False, threading=True, server_cls=WSGIServer)


if __name__ == "__main__":
    main()
