"""Reads for the policy console: versions, the live one, the working draft, cached compilations."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from routing.models import PolicyVersion
from routing.policy.document import Policy, parse_policy
from routing.policy.store import compile_custom

_COMPILED: OrderedDict[str, tuple[Policy, Any]] = OrderedDict()
_COMPILED_MAX = 16


def policy_version_list(*, user: AbstractBaseUser) -> QuerySet[PolicyVersion]:
    """Published versions, newest first (every policy reader sees all of them)."""
    del user  # versions are not team-scoped: whoever may view policies sees every version
    return PolicyVersion.objects.filter(state=PolicyVersion.State.PUBLISHED).order_by("-number")


def policy_version_get(*, user: AbstractBaseUser, number: int) -> PolicyVersion | None:
    return policy_version_list(user=user).filter(number=number).first()


def live_version() -> PolicyVersion | None:
    return (
        PolicyVersion.objects.filter(state=PolicyVersion.State.PUBLISHED)
        .order_by("-number")
        .first()
    )


def compiled(version: PolicyVersion) -> tuple[Policy, Any]:
    """The parsed policy and its compiled custom matchers, cached by content hash."""
    key = version.content_hash
    hit = _COMPILED.get(key)
    if hit is not None:
        _COMPILED.move_to_end(key)
        return hit
    policy = parse_policy(version.document)
    value = (policy, compile_custom(policy))
    _COMPILED[key] = value
    while len(_COMPILED) > _COMPILED_MAX:
        _COMPILED.popitem(last=False)
    return value
