"""The four roles as Django groups, and exactly which permissions each one holds.

`ensure_roles()` makes every group's permissions equal to the rules below. It runs after every
`migrate` (so permissions of models added later by any app are picked up) and from `bootstrap`.
Scoping to "the teams a lead leads" is done in selectors, not here.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from django.apps import AppConfig, apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission
from django.db import transaction

ADMIN = "admin"
COMPLIANCE_OFFICER = "compliance officer"
TEAM_LEAD = "team lead"
AUDITOR = "auditor"

# "app_label.codename" patterns (fnmatch) granted to each group.
ROLE_RULES: dict[str, tuple[str, ...]] = {
    ADMIN: ("keys.*", "routing.*", "audit.view_*", "audit.export_*", "auth.*"),
    COMPLIANCE_OFFICER: (
        "routing.*",
        "keys.view_team",
        "keys.view_apikey",
        "keys.view_all_teams",
        "audit.view_audit_dashboard",  # audit: the dashboard, not the records
    ),
    TEAM_LEAD: (
        "keys.view_team",
        "keys.change_team",
        "keys.view_apikey",
        "keys.add_apikey",
        "keys.change_apikey",
        "audit.view_auditrecord",  # audit: scoped to the teams they lead (audit.selectors)
        "audit.export_auditrecord",
    ),
    AUDITOR: (
        "routing.view_*",
        "audit.view_*",
        "audit.export_*",
        "keys.view_team",
        "keys.view_apikey",
        "keys.view_all_teams",
    ),
}
ROLE_NAMES = tuple(ROLE_RULES)


def role_permissions(role: str, permissions: list[Permission]) -> list[Permission]:
    patterns = ROLE_RULES[role]
    return [
        perm
        for perm in permissions
        if any(
            fnmatchcase(f"{perm.content_type.app_label}.{perm.codename}", pattern)
            for pattern in patterns
        )
    ]


@transaction.atomic
def ensure_roles(using: str = "default") -> dict[str, Group]:
    """Create the groups and set their permissions exactly; idempotent."""
    for app_config in apps.get_app_configs():
        # Permissions of apps that come later in post_migrate do not exist yet: make them now.
        create_permissions(app_config, verbosity=0, using=using)
    permissions = list(Permission.objects.using(using).select_related("content_type"))
    groups: dict[str, Group] = {}
    for role in ROLE_NAMES:
        group, _created = Group.objects.using(using).get_or_create(name=role)
        group.permissions.set(role_permissions(role, permissions))
        groups[role] = group
    return groups


def roles_of(user: AbstractBaseUser | AnonymousUser) -> list[str]:
    """The user's role names, for display (authorisation always checks permissions)."""
    if not user.is_authenticated:
        return []
    names = {g.name for g in user.groups.all()}  # type: ignore[attr-defined]
    if getattr(user, "is_superuser", False):
        names.add(ADMIN)
    return [role for role in ROLE_NAMES if role in names]


def is_admin(user: AbstractBaseUser | AnonymousUser) -> bool:
    return ADMIN in roles_of(user)


def post_migrate_roles(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    ensure_roles(using=using)
