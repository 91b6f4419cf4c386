"""Admin API tokens: prefix + keyed hash at rest, the same 401 for every refusal, the commands."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import ChangeEvent
from console import roles, tokens
from console.models import ApiToken


def _client(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


@pytest.fixture
def admin(user_for):
    return user_for("admin")


@pytest.fixture
def issued(admin):
    return tokens.api_token_create(user=admin, name="ci", actor=admin)


def test_admin_token_works_on_teams_api(issued, lead_team):
    _token, secret = issued
    assert secret.startswith("kdt_") and len(secret) == 4 + 43
    response = _client(secret).get("/api/teams/")
    assert response.status_code == 200
    assert "risk" in response.content.decode()


def test_non_admin_cannot_be_issued_a_token(user_for):
    with pytest.raises(Exception, match="not an active admin"):
        tokens.api_token_create(user=user_for("team_lead"), name="ci", actor=None)
    assert not ApiToken.objects.exists()


def test_token_of_demoted_admin_is_refused(issued, admin):
    _token, secret = issued
    admin.groups.remove(Group.objects.get(name=roles.ADMIN))
    assert _client(secret).get("/api/teams/").status_code == 401


def test_token_of_inactive_admin_is_refused(issued, admin):
    _token, secret = issued
    admin.is_active = False
    admin.save(update_fields=["is_active"])
    assert _client(secret).get("/api/teams/").status_code == 401


def test_revoked_token_is_refused(issued, admin):
    token, secret = issued
    assert _client(secret).get("/api/teams/").status_code == 200
    tokens.api_token_revoke(token=token, actor=admin)
    assert _client(secret).get("/api/teams/").status_code == 401


def test_wrong_secret_gets_same_answer_as_unknown_token(issued):
    _token, secret = issued
    wrong = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    unknown = tokens.generate_token_secret()
    answers = [_client(s).get("/api/teams/") for s in (wrong, unknown, "not-a-kordon-token")]
    assert [a.status_code for a in answers] == [401, 401, 401]
    assert answers[0].json() == answers[1].json() == answers[2].json()
    assert answers[0]["WWW-Authenticate"] == "Token"


def test_database_holds_no_secret(issued):
    token, secret = issued
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert all(secret not in str(value) for value in row.values())
    assert row["prefix"] == secret[:12]
    assert row["digest"] != secret


def test_last_used_is_updated_at_most_once_a_minute(issued):
    token, secret = issued
    client = _client(secret)
    client.get("/api/teams/")
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    client.get("/api/teams/")
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get("/api/teams/")
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first - timedelta(seconds=1)


def test_create_and_revoke_record_change_events(issued, admin):
    token, secret = issued
    tokens.api_token_revoke(token=token, actor=admin)
    events = ChangeEvent.objects.filter(target_type="console.ApiToken", target_id=str(token.pk))
    assert list(events.order_by("pk").values_list("action", flat=True)) == ["create", "revoke"]
    for event in events:
        assert event.actor == admin
        text = f"{event.before}{event.after}{event.target_repr}"
        assert secret not in text and token.digest not in text
    assert events.get(action="revoke").after["revoked_at"] is not None


def test_createapitoken_prints_secret_last(admin):
    out = StringIO()
    call_command("createapitoken", "admin", "--name", "deploy", stdout=out)
    secret = out.getvalue().strip().splitlines()[-1]
    token = ApiToken.objects.get(name="deploy")
    assert secret.startswith(token.prefix)
    assert _client(secret).get("/api/teams/").status_code == 200
    event = ChangeEvent.objects.get(target_type="console.ApiToken", action="create")
    assert event.actor_name == "system"


@pytest.mark.parametrize("username", ["team_lead", "nobody"])
def test_createapitoken_refuses_non_admins(user_for, username):
    user_for("team_lead")
    err = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("createapitoken", username, "--name", "x", stderr=err)
    assert exit_info.value.code != 0
    assert err.getvalue().startswith("username: ")
    assert not ApiToken.objects.exists()


def test_revokeapitoken_revokes_by_prefix(issued):
    token, secret = issued
    out = StringIO()
    call_command("revokeapitoken", token.prefix, stdout=out)
    assert token.prefix in out.getvalue() and secret not in out.getvalue()
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert _client(secret).get("/api/teams/").status_code == 401


def test_revokeapitoken_unknown_prefix_exits_non_zero(db):
    err = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("revokeapitoken", "kdt_missing", stderr=err)
    assert exit_info.value.code != 0
    assert err.getvalue().startswith("prefix: ")


def test_superuser_counts_as_admin(db):
    root = get_user_model().objects.create_user(username="root", is_superuser=True)
    _token, secret = tokens.api_token_create(user=root, name="ci", actor=None)
    assert _client(secret).get("/api/teams/").status_code == 200
    assert timezone.now() >= _token.created_at
