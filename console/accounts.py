"""People and their roles: the writes behind the console's People page (admins only).

Passwords are generated here and shown once to the admin who creates or resets them; change
events record usernames, roles and the active flag, never a password.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ValidationError
from django.db import transaction

from audit.changes import change_event_record
from audit.models import ChangeEvent
from console.roles import ROLE_NAMES

USERNAME_RE = re.compile(r"^[\w.@+-]{1,150}$")


def user_snapshot(user: AbstractUser) -> dict[str, Any]:
    return {
        "username": user.get_username(),
        "email": user.email,
        "active": user.is_active,
        "roles": sorted(g.name for g in user.groups.all() if g.name in ROLE_NAMES),
    }


def _groups(roles: Iterable[str]) -> list[Group]:
    roles = list(dict.fromkeys(roles))
    unknown = [r for r in roles if r not in ROLE_NAMES]
    if unknown:
        raise ValidationError({"roles": [f"Unknown role: {', '.join(unknown)}."]})
    return list(Group.objects.filter(name__in=roles))


@transaction.atomic
def user_create(
    *, username: str, actor: Any, roles: Iterable[str] = (), email: str = ""
) -> tuple[AbstractUser, str]:
    """Create a user with a generated password (returned once) and the given roles."""
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        raise ValidationError(
            {"username": ["Use 1-150 letters, digits and @ . + - _ (no spaces)."]}
        )
    users = get_user_model().objects
    if users.filter(username__iexact=username).exists():
        raise ValidationError({"username": [f"A user named {username!r} already exists."]})
    groups = _groups(roles)
    password = secrets.token_urlsafe(15)
    user = users.create_user(username=username, email=(email or "").strip(), password=password)
    user.groups.set(groups)
    change_event_record(
        actor=actor, action=ChangeEvent.Action.CREATE, target=user, after=user_snapshot(user)
    )
    return user, password


@transaction.atomic
def user_update(
    *, user: AbstractUser, actor: Any, roles: Iterable[str], active: bool
) -> AbstractUser:
    """Set a user's roles and active flag. Admins cannot lock themselves out."""
    before = user_snapshot(user)
    groups = _groups(roles)
    own = actor is not None and user.pk == actor.pk
    if own and (not active or "admin" not in {g.name for g in groups}):
        raise ValidationError(
            {"__all__": ["You cannot remove your own admin role or deactivate yourself."]}
        )
    keep = [g for g in user.groups.all() if g.name not in ROLE_NAMES]  # other groups stay
    user.groups.set([*keep, *groups])
    user.is_active = active
    user.save(update_fields=["is_active"])
    after = user_snapshot(user)
    if after != before:
        change_event_record(
            actor=actor, action=ChangeEvent.Action.UPDATE, target=user, before=before, after=after
        )
    return user


@transaction.atomic
def user_password_reset(*, user: AbstractUser, actor: Any) -> str:
    """A new generated password, returned once; the event says that it changed, nothing more."""
    password = secrets.token_urlsafe(15)
    user.set_password(password)
    user.save(update_fields=["password"])
    change_event_record(
        actor=actor, action=ChangeEvent.Action.UPDATE, target=user, note="password reset"
    )
    return password
