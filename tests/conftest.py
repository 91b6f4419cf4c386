"""Shared fixtures: the personas and `client_for(persona)`.

Personas (usernames equal the persona names):
- anonymous: not signed in;
- outsider: signed in, no role;
- compliance_officer, auditor, admin: members of the matching group (admin is NOT a superuser,
  so tests exercise the group's permissions);
- team_lead: group "team lead", leads the team `lead_team` (slug "risk") and no other.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from console import roles

PERSONAS = ("anonymous", "outsider", "compliance_officer", "team_lead", "auditor", "admin")
PERSONA_ROLE = {
    "compliance_officer": roles.COMPLIANCE_OFFICER,
    "team_lead": roles.TEAM_LEAD,
    "auditor": roles.AUDITOR,
    "admin": roles.ADMIN,
}
PASSWORD = "correct horse battery staple 42"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # PBKDF2 costs ~0.3 s per hash on these machines; tests need correctness, not strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def role_groups(db) -> dict[str, Group]:
    """The four role groups with their permissions (re-made after flushes of transactional tests)."""
    groups = {g.name: g for g in Group.objects.filter(name__in=roles.ROLE_NAMES)}
    if len(groups) == len(roles.ROLE_NAMES) and all(
        g.permissions.exists() for g in groups.values()
    ):
        return groups
    return roles.ensure_roles()


@pytest.fixture
def user_for(db, role_groups) -> Callable[[str], object | None]:
    """`user_for(persona)`: that persona's user (created once per test), None for anonymous."""
    cache: dict[str, object] = {}

    def make(persona: str):
        if persona not in PERSONAS:
            raise ValueError(f"unknown persona {persona!r}")
        if persona == "anonymous":
            return None
        if persona not in cache:
            user, _ = get_user_model().objects.get_or_create(username=persona)
            user.set_password(PASSWORD)
            user.save()
            if persona in PERSONA_ROLE:
                user.groups.add(role_groups[PERSONA_ROLE[persona]])
            cache[persona] = user
        return cache[persona]

    return make


@pytest.fixture
def lead_team(db, user_for):
    """The team led by `team_lead`, with limits an admin set, created through the service."""
    from keys import services

    return services.team_create(
        name="Risk",
        slug="risk",
        actor=None,
        leads=[user_for("team_lead")],
        rpm_limit=100,
        tpm_limit=100_000,
        monthly_budget_usd="500",
        allowed_models=["assistant", "embed"],
    )


@pytest.fixture
def other_team(db):
    """A team nobody among the personas leads."""
    from keys import services

    return services.team_create(name="Payments", slug="payments", actor=None)


@pytest.fixture
def client_for(db, user_for) -> Callable[[str], Client]:
    """`client_for(persona)`: a test client signed in as that persona (anonymous: not signed in)."""

    def make(persona: str, **client_kwargs) -> Client:
        client = Client(**client_kwargs)
        user = user_for(persona)
        if user is not None:
            client.force_login(user)
        return client

    return make
