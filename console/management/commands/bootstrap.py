"""`bootstrap`: first-run set-up for `make run`. Idempotent; prints secrets only when it makes them.

On an empty database (no user at all) it creates an admin with a generated password, and in
demo mode (KORDON_DEMO) a demo team with one key and the demo policy. Every run keeps the roles
in step. Everything happens in one transaction and is printed only after it commits, so a
failure never leaves printed credentials that do not exist.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.management.base import BaseCommand
from django.db import transaction

from console.roles import ADMIN, ensure_roles
from keys import services as key_services

ADMIN_USERNAME = "admin"
DEMO_TEAM = "Demo"
DEMO_KEY = "demo-app"


class Command(BaseCommand):
    help = "Create roles; on an empty database an admin, and in demo mode a demo team, key, policy."

    def handle(self, *args: Any, **options: Any) -> None:
        self.lines: list[str] = []
        with transaction.atomic():
            ensure_roles()
            if not get_user_model().objects.exists():
                admin = self.step_admin()
                if settings.KORDON_DEMO:
                    self.step_demo_team(admin)
                    self.step_demo_policy(admin)
        for line in self.lines:
            self.stdout.write(line)

    def step_admin(self) -> AbstractBaseUser:
        """An admin (superuser, in the admin group) with a generated password."""
        password = secrets.token_urlsafe(15)
        users = get_user_model().objects
        admin = users.create_superuser(username=ADMIN_USERNAME, email="", password=password)
        admin.groups.add(Group.objects.get(name=ADMIN))
        self.lines += [
            "Kordon console admin (shown once; change it under 'Change password'):",
            f"  username: {ADMIN_USERNAME}",
            f"  password: {password}",
        ]
        return admin

    def step_demo_team(self, admin: AbstractBaseUser) -> None:
        """A demo team led by the admin, with one key."""
        team = key_services.team_create(name=DEMO_TEAM, actor=None, leads=[admin], rpm_limit=600)
        key, secret = key_services.key_create(team=team, name=DEMO_KEY, actor=None, owner=admin)
        self.lines += [
            f"Demo team '{team.name}' with key '{key.name}' (shown once):",
            f"  {secret}",
        ]

    def step_demo_policy(self, admin: AbstractBaseUser) -> None:
        """Publish the demo policy (runs inside the same transaction as the steps above).

        Extension point for the policy workstream: import and publish the demo policy here,
        appending to `self.lines` whatever the operator should read (never a secret).
        """
        from routing.policy import services as policy_services

        version = policy_services.policy_load_demo(actor=admin)  # only when no version exists
        if version is not None:
            self.lines.append(
                f"Demo policy published as version {version.number} (built-in echo backend)."
            )
