"""DRF authentication for automation: admin API tokens (imported by settings: keep it light)."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request


class InvalidToken(exceptions.APIException):
    """401 with `WWW-Authenticate: Token`, one message for every refusal.

    Not an AuthenticationFailed on purpose: DRF turns those into 403 because SessionAuthentication
    comes first in settings and has no challenge header; a refused token must read as 401.
    """

    status_code = 401
    default_detail = "Invalid token."
    default_code = "authentication_failed"
    auth_header = "Token"


class AdminTokenAuthentication(BaseAuthentication):
    """`Authorization: Token <secret>` for automation, accepted only for active admins.

    Tokens are `console.models.ApiToken` (`manage.py createapitoken <admin username>`), stored
    as prefix + keyed hash. Unknown, wrong, revoked and non-admin tokens all get the same 401,
    and a token of a user who is no longer an admin stops working at once.
    """

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise InvalidToken
        try:
            secret = parts[1].decode()
        except UnicodeError:
            raise InvalidToken from None
        from console import tokens  # models: not at import time, settings load this module

        token = tokens.api_token_check(secret)
        if token is None:
            raise InvalidToken
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
