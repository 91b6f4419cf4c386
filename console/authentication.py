"""DRF authentication for automation: admin API tokens (imported by settings: keep it light)."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from console.roles import is_admin


class AdminTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>` for automation, accepted only for admins.

    Tokens are DRF's `authtoken` tokens (`manage.py drf_create_token <admin username>`). A token
    of a user who is no longer an admin stops working at once.
    """

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        user, token = super().authenticate_credentials(key)
        if not is_admin(user):
            raise exceptions.AuthenticationFailed("API tokens are for admins only.")
        return user, token
