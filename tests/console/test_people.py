"""People page (admins): matrix, roles take effect, passwords shown once and never recorded."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from audit.models import ChangeEvent
from tests.conftest import PERSONAS

ADMIN_ONLY = dict(zip(PERSONAS, (302, 403, 403, 403, 403, 200), strict=True))
ADMIN_ONLY_POST = dict(zip(PERSONAS, (302, 403, 403, 403, 403, 200), strict=True))


def _urls(user_for):
    target = user_for("outsider")
    return {
        "console:user_list": reverse("console:user_list"),
        "console:user_create": reverse("console:user_create"),
        "console:user_edit": reverse("console:user_edit", args=[target.pk]),
        "console:user_password_reset": reverse("console:user_password_reset", args=[target.pk]),
    }


@pytest.mark.parametrize("view", ["console:user_list", "console:user_create", "console:user_edit", "console:user_password_reset"])  # fmt: skip
@pytest.mark.parametrize("persona", PERSONAS)
def test_people_get_access(client_for, user_for, view, persona):
    response = client_for(persona).get(_urls(user_for)[view])
    assert response.status_code == ADMIN_ONLY[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_people_forged_posts_are_refused(client_for, user_for, persona):
    urls = _urls(user_for)
    client = client_for(persona)
    before = ChangeEvent.objects.count()
    created = client.post(urls["console:user_create"], {"username": f"new-{persona}"})
    reset = client.post(urls["console:user_password_reset"])
    assert created.status_code == reset.status_code == ADMIN_ONLY_POST[persona]
    if persona != "admin":
        assert ChangeEvent.objects.count() == before
        assert not get_user_model().objects.filter(username=f"new-{persona}").exists()


def test_admin_adds_a_person_whose_role_takes_effect(client_for, lead_team):
    response = client_for("admin").post(
        reverse("console:user_create"),
        {"username": "dana", "email": "dana@example.org", "roles": ["auditor"]},
    )
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    password = response.context["password"]
    client = Client()
    assert client.post("/login/", {"username": "dana", "password": password}).status_code == 302
    assert client.get(reverse("audit:change_event_list")).status_code == 200
    assert client.get(reverse("keys:key_create", args=["risk"])).status_code == 403
    event = ChangeEvent.objects.get(target_type="auth.User", action="create")
    assert event.after["roles"] == ["auditor"] and password not in str(event.after)
    assert client_for("admin").get(reverse("console:user_list")).content.count(b"dana") >= 1


def test_duplicate_username_is_refused_inline(client_for, user_for):
    user_for("auditor")
    response = client_for("admin").post(reverse("console:user_create"), {"username": "AUDITOR"})
    assert "already exists" in response.context["form"].errors["username"][0]


def test_roles_change_and_deactivation_are_recorded(client_for, user_for):
    auditor = user_for("auditor")
    response = client_for("admin").post(
        reverse("console:user_edit", args=[auditor.pk]), {"roles": ["team lead"]}
    )
    assert response.status_code == 302
    auditor.refresh_from_db()
    assert not auditor.is_active and [g.name for g in auditor.groups.all()] == ["team lead"]
    event = ChangeEvent.objects.get(target_type="auth.User", action="update")
    assert event.before == {
        "username": "auditor",
        "email": "",
        "active": True,
        "roles": ["auditor"],
    }
    assert event.after["active"] is False and event.after["roles"] == ["team lead"]


def test_admin_cannot_remove_their_own_admin_role(client_for, user_for):
    admin = user_for("admin")
    response = client_for("admin").post(
        reverse("console:user_edit", args=[admin.pk]), {"roles": ["auditor"], "active": "on"}
    )
    assert response.status_code == 200 and "your own admin role" in response.content.decode()
    assert admin.groups.filter(name="admin").exists()


def test_password_reset_shows_a_new_password_once(client_for, user_for):
    outsider = user_for("outsider")
    response = client_for("admin").post(reverse("console:user_password_reset", args=[outsider.pk]))
    password = response.context["password"]
    outsider.refresh_from_db()
    assert outsider.check_password(password)
    event = ChangeEvent.objects.get(target_type="auth.User", note="password reset")
    assert password not in f"{event.before} {event.after} {event.note}"
