"""Console login with throttling of repeated failures per username and client address."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from audit.changes import Target, change_event_record
from audit.models import ChangeEvent

LOCKED_MESSAGE = "Too many failed sign-in attempts. Try again in %(minutes)d minutes."


def client_address(request: HttpRequest | None) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy sets it.
    return (request.META.get("REMOTE_ADDR") if request else None) or "unknown"


def _throttle_key(username: str, address: str) -> str:
    # Hashed so the cache never holds what a user typed as a username (it may be a password).
    raw = f"{username.strip().lower()}|{address}".encode()
    return "kordon:login-failures:" + hashlib.sha256(raw).hexdigest()


def failures(username: str, address: str) -> int:
    return int(cache.get(_throttle_key(username, address)) or 0)


def record_failure(username: str, address: str) -> int:
    key = _throttle_key(username, address)
    window = settings.KORDON_LOGIN_LOCKOUT_SECONDS
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def reset_failures(username: str, address: str) -> None:
    cache.delete(_throttle_key(username, address))


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's login form, refusing further tries after too many failures."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        address = client_address(self.request)
        if failures(username, address) >= settings.KORDON_LOGIN_MAX_FAILURES:
            minutes = max(1, settings.KORDON_LOGIN_LOCKOUT_SECONDS // 60)
            raise ValidationError(LOCKED_MESSAGE, code="throttled", params={"minutes": minutes})
        try:
            cleaned = super().clean()
        except ValidationError as error:
            if error.code == "invalid_login":
                self._login_failed(username, address)
            raise
        reset_failures(username, address)
        return cleaned

    def _login_failed(self, username: str, address: str) -> None:
        count = record_failure(username, address)
        user = get_user_model().objects.filter(username=username).first()
        # Name the account only when it exists: a mistyped "username" may be someone's password.
        target = (
            Target(type="auth.User", id=str(user.pk), repr=user.get_username())
            if user is not None
            else Target(type="auth.User", id="", repr="(unknown user)")
        )
        with transaction.atomic():
            change_event_record(
                actor=None,
                action=ChangeEvent.Action.LOGIN_FAILED,
                target=target,
                note=f"failed sign-in {count} from {address}",
            )
