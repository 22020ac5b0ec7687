"""API tokens: `Authorization: Token <key>`, stored hashed, revocable, expiring; 401 problem+json otherwise."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from governance.models import ApiToken, AuditEvent, sha256_hex
from governance.tokens import issue_token, revoke_token
from tests.lifecycle import assert_problem

pytestmark = pytest.mark.django_db
URL = "/api/v1/initiatives/"


def _get(key: str | None = None, header: str | None = None):
    client = APIClient()
    if header or key:
        client.credentials(HTTP_AUTHORIZATION=header or f"Token {key}")
    return client.get(URL)


def test_no_token_is_a_401_problem():
    response = _get()

    body = assert_problem(response, 401)
    assert body["title"] == "Unauthorized"
    assert body["type"] == "urn:opmodel:problem:not-authenticated"
    assert body["errors"] == []
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("header", ["Token not-a-real-key", "Token", "Token two parts", "token not-a-real-key"])
def test_a_bad_token_is_a_401(alice, header):
    issue_token(acting_user=alice, user=alice, name="ci")

    body = assert_problem(_get(header=header), 401)
    assert body["type"] == "urn:opmodel:problem:authentication-failed"


def test_a_good_token_authenticates_and_records_its_use(alice):
    token, key = issue_token(acting_user=alice, user=alice, name="ci")

    response = _get(key)

    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_revoked_token_is_a_401(alice):
    token, key = issue_token(acting_user=alice, user=alice, name="ci")
    assert _get(key).status_code == 200

    revoke_token(token.pk, acting_user=alice)

    assert_problem(_get(key), 401)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.get(action="token.revoked").after["prefix"] == token.prefix


def test_an_expired_token_is_a_401(alice):
    token, key = issue_token(acting_user=alice, user=alice, name="ci", expires_at=timezone.now() + timedelta(days=1))
    assert _get(key).status_code == 200

    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert_problem(_get(key), 401)


def test_a_deactivated_users_token_is_a_401(alice):
    _, key = issue_token(acting_user=alice, user=alice, name="ci")
    alice.is_active = False
    alice.save()

    assert_problem(_get(key), 401)


def test_tokens_are_stored_hashed(alice):
    token, key = issue_token(acting_user=alice, user=alice, name="ci")

    token.refresh_from_db()
    assert token.key_hash == sha256_hex(key)
    assert token.prefix == key[:8]
    stored = [str(v) for v in ApiToken.objects.values_list("name", "prefix", "key_hash").get()]
    audit = [str(e.after) for e in AuditEvent.objects.all()]
    assert not any(key in value for value in stored + audit)
    assert AuditEvent.objects.get(action="token.issued").actor_username == "alice"


def test_nobody_issues_or_revokes_tokens_for_someone_else(alice, charlie):
    from django.core.exceptions import PermissionDenied

    token, _ = issue_token(acting_user=alice, user=alice, name="ci")
    with pytest.raises(PermissionDenied):
        issue_token(acting_user=charlie, user=alice, name="stolen")
    with pytest.raises(PermissionDenied):
        revoke_token(token.pk, acting_user=charlie)

    assert ApiToken.objects.usable().count() == 1


def test_create_api_token_prints_the_key_alone_on_its_last_line(alice):
    out, err = StringIO(), StringIO()

    call_command("create_api_token", "alice", "--name", "bi-job", "--days", "30", stdout=out, stderr=err)

    key = out.getvalue().splitlines()[-1]
    assert key == key.strip() and " " not in key and len(key) >= 32
    assert "bi-job" in err.getvalue()
    token = ApiToken.objects.get(key_hash=sha256_hex(key))
    assert (token.user, token.name) == (alice, "bi-job")
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert _get(key).status_code == 200


def test_create_api_token_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user named"):
        call_command("create_api_token", "nobody", stdout=StringIO(), stderr=StringIO())

    assert not ApiToken.objects.exists()
