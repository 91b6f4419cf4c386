"""Console home, sign-in with throttling, error pages and navigation per role."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditRecord, ChangeEvent
from keys import services
from tests.conftest import PASSWORD, PERSONAS
from tests.factories import issue_key

HOME_MATRIX = [(p, 302 if p == "anonymous" else 200) for p in PERSONAS]


@pytest.mark.parametrize(("persona", "status"), HOME_MATRIX)
def test_home_access(client_for, persona, status):
    assert client_for(persona).get(reverse("console:home")).status_code == status


@pytest.mark.parametrize(("persona", "status"), HOME_MATRIX)
def test_password_change_access(client_for, persona, status):
    assert client_for(persona).get(reverse("password_change")).status_code == status


@pytest.mark.parametrize(
    ("persona", "status"), [(p, 200 if p == "anonymous" else 302) for p in PERSONAS]
)
def test_login_page_access(client_for, persona, status):
    assert client_for(persona).get(reverse("login")).status_code == status


def _record(team, when):
    AuditRecord.objects.create(
        id=uuid.uuid4(), timestamp=when, team=team.slug, team_id=team.pk, key_prefix="kdn_x"
    )


def test_home_figures_are_true_and_scoped(client_for, lead_team, other_team):
    issue_key(lead_team, "a")
    revoked, _ = issue_key(lead_team, "b")
    services.key_revoke(key=revoked, actor=None, reason="x")
    issue_key(other_team, "c")
    now = timezone.now()
    _record(lead_team, now)
    _record(other_team, now)
    _record(lead_team, now - dt.timedelta(days=2))
    figures = dict(client_for("admin").get("/").context["figures"])
    assert figures == {"Teams": 2, "Active keys": 2, "Requests today (UTC)": 2}
    figures = dict(client_for("team_lead").get("/").context["figures"])
    assert figures == {"Teams": 1, "Active keys": 1, "Requests today (UTC)": 1}
    assert client_for("outsider").get("/").context["figures"] == []


def test_nav_shows_entries_per_role(client_for, lead_team):
    auditor = client_for("auditor").get("/").content.decode()
    assert "Change history" in auditor and "Teams &amp; keys" in auditor
    lead = client_for("team_lead").get("/").content.decode()
    assert "Change history" not in lead and "Teams &amp; keys" in lead
    outsider = client_for("outsider").get("/").content.decode()
    assert "Teams &amp; keys" not in outsider and "no role yet" in outsider


def test_login_and_logout(user_for):
    user_for("auditor")
    client = Client()
    response = client.post(reverse("login"), {"username": "auditor", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get("/").status_code == 302


def test_failed_logins_are_throttled_and_recorded_without_the_password(user_for, settings):
    from console.login import reset_failures

    settings.KORDON_LOGIN_MAX_FAILURES = 3
    user_for("auditor")
    reset_failures("auditor", "10.0.0.7")  # the cache may be a shared Redis
    client = Client(REMOTE_ADDR="10.0.0.7")
    for _ in range(3):
        response = client.post(reverse("login"), {"username": "auditor", "password": "wrong-pw-1"})
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
    response = client.post(reverse("login"), {"username": "auditor", "password": PASSWORD})
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert client.get("/").status_code == 302  # the right password did not get in either
    events = ChangeEvent.objects.filter(action=ChangeEvent.Action.LOGIN_FAILED)
    assert events.count() == 3
    assert all(e.target_repr == "auditor" for e in events)
    dumped = " ".join(f"{e.note} {e.before} {e.after} {e.target_repr}" for e in events)
    assert "wrong-pw-1" not in dumped and PASSWORD not in dumped
    # Another address is not locked out by this one's failures.
    other = Client(REMOTE_ADDR="10.0.0.8")
    response = other.post(reverse("login"), {"username": "auditor", "password": PASSWORD})
    assert response.status_code == 302


def test_a_successful_login_clears_earlier_failures(user_for, settings):
    from console.login import failures, reset_failures

    settings.KORDON_LOGIN_MAX_FAILURES = 3
    user_for("auditor")
    reset_failures("auditor", "10.0.0.9")
    client = Client(REMOTE_ADDR="10.0.0.9")
    for _ in range(2):
        client.post(reverse("login"), {"username": "auditor", "password": "nope"})
    assert failures("auditor", "10.0.0.9") == 2
    client.post(reverse("login"), {"username": "auditor", "password": PASSWORD})
    assert failures("auditor", "10.0.0.9") == 0


def test_failed_login_for_unknown_user_does_not_store_what_was_typed(db):
    Client().post(reverse("login"), {"username": "hunter2-password?", "password": "x"})
    event = ChangeEvent.objects.get(action=ChangeEvent.Action.LOGIN_FAILED)
    assert "hunter2" not in f"{event.target_repr} {event.note} {event.target_id}"


def test_login_form_needs_csrf(user_for):
    user_for("auditor")
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "auditor", "password": PASSWORD})
    assert response.status_code == 403


def test_404_is_a_console_page(client_for):
    response = client_for("admin").get("/no/such/page/")
    assert response.status_code == 404
    assert b"Not found" in response.content and b"Traceback" not in response.content


def test_403_is_a_console_page(client_for):
    response = client_for("outsider").get(reverse("keys:team_list"))
    assert response.status_code == 403 and b"Not allowed" in response.content


@pytest.mark.urls("tests.console.urls_boom")
def test_server_error_shows_no_stack_trace(client_for):
    client = client_for("admin")
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body
    assert "secret.py" not in body and "RuntimeError" not in body and "Traceback" not in body


def test_password_change_shows_inline_errors(client_for):
    response = client_for("auditor").post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": "short", "new_password2": "other"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "old_password" in form.errors and "new_password2" in form.errors


@pytest.mark.parametrize("persona", PERSONAS)
def test_logout_is_post_only_for_every_persona(client_for, persona):
    client = client_for(persona)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert client.get("/").status_code == 302
