"""Admin API tokens: issue, revoke and check them (every write records a change event)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TypeAlias

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.changes import change_event_record
from audit.models import ChangeEvent
from console.models import ApiToken
from console.roles import is_admin
from keys.hashing import PREFIX_LENGTH, digest_matches, key_digest

TOKEN_PREFIX = "kdt_"  # noqa: S105 -- the public format marker, not a secret
TOKEN_BYTES = 32  # 43 URL-safe characters, like proxy key secrets
LAST_USED_EVERY = timedelta(minutes=1)

Actor: TypeAlias = AbstractBaseUser | AnonymousUser | None


def generate_token_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


@transaction.atomic
def api_token_create(*, user: AbstractBaseUser, name: str, actor: Actor) -> tuple[ApiToken, str]:
    """Issue a token for an active admin; returns the row and the secret (shown once)."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": ["Give the token a name."]})
    if not user.is_active or not is_admin(user):
        raise ValidationError({"user": [f"{user.get_username()!r} is not an active admin."]})
    while True:  # a prefix clash (48 random bits) is unlikely; draw again rather than fail
        secret = generate_token_secret()
        prefix = secret[:PREFIX_LENGTH]
        if not ApiToken.objects.filter(prefix=prefix).exists():
            break
    token = ApiToken.objects.create(user=user, name=name, prefix=prefix, digest=key_digest(secret))
    change_event_record(
        actor=actor,
        action=ChangeEvent.Action.CREATE,
        target=token,
        after=token.audit_snapshot(),
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: Actor) -> ApiToken:
    """Revoke a token; it stops working on the next request (no cache in between)."""
    token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    before = token.audit_snapshot()
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    change_event_record(
        actor=actor,
        action=ChangeEvent.Action.REVOKE,
        target=token,
        before=before,
        after=token.audit_snapshot(),
    )
    return token


def api_token_check(secret: str) -> ApiToken | None:
    """The live token for a presented secret, or None; unknown and wrong secrets look alike."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=secret[:PREFIX_LENGTH]).first()
    # Compare even without a row, so an unknown prefix costs the same HMAC as a wrong secret.
    stored = token.digest if token is not None else "0" * 64
    if not digest_matches(secret, stored) or token is None:
        return None
    if token.revoked_at is not None or not token.user.is_active or not is_admin(token.user):
        return None
    _touch(token)
    return token


def _touch(token: ApiToken) -> None:
    """Record use at most once a minute; the filtered UPDATE makes concurrent requests harmless."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_EVERY:
        return
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_EVERY)
    ).update(last_used_at=now)
    token.last_used_at = now
