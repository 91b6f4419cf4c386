"""`bootstrap`: first-run set-up for `make run`. Idempotent; prints secrets only when it makes them.

Steps run in order; each one decides for itself whether there is anything to do:
roles → admin user → demo team and key → demo policy.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from console.roles import ADMIN, ensure_roles
from keys import services as key_services
from keys.models import Team

ADMIN_USERNAME = "admin"
DEMO_TEAM = "Demo"
DEMO_KEY = "demo-app"


class Command(BaseCommand):
    help = "Create roles, and on an empty database an admin, a demo team/key and the demo policy."

    def handle(self, *args: Any, **options: Any) -> None:
        ensure_roles()
        self.step_admin()
        if settings.KORDON_DEMO:
            self.step_demo_team()
            self.step_demo_policy()

    def say(self, text: str = "") -> None:
        self.stdout.write(text)

    @transaction.atomic
    def step_admin(self) -> None:
        """An admin with a generated password, only when the database has no user at all."""
        users = get_user_model().objects
        if users.exists():
            return
        password = secrets.token_urlsafe(15)
        admin = users.create_superuser(username=ADMIN_USERNAME, email="", password=password)
        admin.groups.add(Group.objects.get(name=ADMIN))
        self.say("Kordon console admin (shown once; change it under 'Change password'):")
        self.say(f"  username: {ADMIN_USERNAME}")
        self.say(f"  password: {password}")

    @transaction.atomic
    def step_demo_team(self) -> None:
        """A demo team led by the admin and one key, only when there is no team yet."""
        if Team.objects.exists():
            return
        admin = get_user_model().objects.filter(username=ADMIN_USERNAME).first()
        team = key_services.team_create(
            name=DEMO_TEAM, actor=None, leads=[admin] if admin else [], rpm_limit=600
        )
        key, secret = key_services.key_create(team=team, name=DEMO_KEY, actor=None, owner=admin)
        self.say(f"Demo team '{team.name}' with key '{key.name}' (shown once):")
        self.say(f"  {secret}")

    def step_demo_policy(self) -> None:
        """Publish the demo policy on an empty database.

        Extension point for the policy workstream: load and publish the demo policy here when no
        policy version exists yet, printing nothing secret. Kept separate from the steps above so
        each can be changed on its own.
        """
