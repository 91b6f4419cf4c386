"""`revokeapitoken PREFIX`: revoke an admin API token by its visible prefix."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandParser

from console import tokens
from console.models import ApiToken
from keys.cli import exit_invalid


class Command(BaseCommand):
    help = "Revoke an admin API token by its prefix (kdt_…); it stops working at once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prefix", help="the token's visible prefix, e.g. kdt_AbCdEfGh")

    def handle(self, *args: Any, **options: Any) -> None:
        # Accept a pasted full secret too, but look it up by prefix only.
        prefix = options["prefix"][: tokens.PREFIX_LENGTH]
        token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
        if token is None:
            exit_invalid(self, ValidationError({"prefix": [f"No API token {prefix!r}."]}))
        token = tokens.api_token_revoke(token=token, actor=None)
        self.stdout.write(f"Revoked API token {token.name!r} (prefix {token.prefix}).")
