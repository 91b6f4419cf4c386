"""Change events: one row per configuration change, written in the changing transaction."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction

from audit.models import ChangeEvent

SYSTEM_ACTOR = "system"
# Keys that must never appear in before/after, at any depth: a change event is readable by
# auditors and exported, so a secret there would be a leak.
FORBIDDEN_KEYS = frozenset({"secret", "digest", "password", "token", "api_key", "pepper"})


@dataclass(frozen=True)
class Target:
    """A change target that is not a model instance (e.g. a login name, a policy document)."""

    type: str
    id: str
    repr: str


def change_event_record(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
    target: models.Model | Target,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    note: str = "",
) -> ChangeEvent:
    """Write one change event. Must run inside the transaction that makes the change.

    `actor=None` (or an anonymous user) is the system, e.g. a management command.
    Raises ValueError when before/after carry a forbidden key such as `secret` or `digest`.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("change_event_record must run inside the changing transaction")
    if action not in ChangeEvent.Action.values:
        raise ValueError(f"unknown change event action {action!r}")
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    if isinstance(target, Target):
        target_type, target_id, target_repr = target.type, target.id, target.repr
    else:
        target_type, target_id, target_repr = target._meta.label, str(target.pk), str(target)
    return ChangeEvent.objects.create(
        actor=user,
        actor_name=user.get_username() if user is not None else SYSTEM_ACTOR,
        action=action,
        target_type=target_type[:50],
        target_id=target_id[:64],
        target_repr=target_repr[:200],
        before=_clean(before),
        after=_clean(after),
        note=note,
    )


def _clean(data: Mapping[str, Any] | None) -> Any:
    if data is None:
        return None
    _refuse_secrets(data)
    # Round-trip through the Django encoder: Decimals, datetimes and UUIDs become plain JSON.
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _refuse_secrets(value: Any) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if str(key).lower() in FORBIDDEN_KEYS:
                raise ValueError(f"change events never store {key!r}")
            _refuse_secrets(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_secrets(item)
