"""Reads of teams and keys, scoped to what the user may see."""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from keys.hashing import digest_matches, looks_like_secret, split_prefix
from keys.models import ApiKey, Team

User: TypeAlias = AbstractUser | AnonymousUser


def active_keys_q(prefix: str = "") -> Q:
    """Keys neither revoked nor expired now; `prefix` is the relation path ("keys__")."""
    now = timezone.now()
    return Q(**{f"{prefix}revoked_at__isnull": True}) & (
        Q(**{f"{prefix}expires_at__isnull": True}) | Q(**{f"{prefix}expires_at__gt": now})
    )


def team_list(*, user: User) -> QuerySet[Team]:
    """Every team for admins, compliance officers and auditors; a team lead's own teams."""
    teams = Team.objects.annotate(
        active_key_count=Count("keys", filter=active_keys_q("keys__"), distinct=True)
    ).prefetch_related("leads")
    if user.has_perm("keys.view_all_teams"):
        return teams
    if user.has_perm("keys.view_team") and user.is_authenticated:
        return teams.filter(leads=user)
    return teams.none()


def team_can_manage(*, user: User, team: Team) -> bool:
    """May the user change this team's members and keys (within the team's limits)?"""
    if user.has_perm("keys.manage_all_teams"):
        return True
    return (
        user.is_authenticated
        and user.has_perm("keys.change_team")
        and team.leads.filter(pk=user.pk).exists()
    )


def key_can_manage(*, user: User, team: Team) -> bool:
    """May the user issue, edit, rotate and revoke keys of this team?"""
    return user.has_perm("keys.change_apikey") and team_can_manage(user=user, team=team)


def key_list(*, user: User, team: Team | None = None) -> QuerySet[ApiKey]:
    keys = ApiKey.objects.select_related("team", "owner", "rotated_from")
    if team is not None:
        keys = keys.filter(team=team)
    if not user.has_perm("keys.view_apikey"):
        return keys.none()
    if user.has_perm("keys.view_all_teams"):
        return keys
    return keys.filter(team__in=team_list(user=user).values("pk"))


def key_find(text: str) -> ApiKey | None:
    """The key named by a prefix or a full secret (constant-time check of the secret)."""
    text = text.strip()
    if looks_like_secret(text):
        key = ApiKey.objects.select_related("team").filter(prefix=split_prefix(text)).first()
        return key if key is not None and digest_matches(text, key.digest) else None
    return ApiKey.objects.select_related("team").filter(prefix=text).first()
