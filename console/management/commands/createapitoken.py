"""`createapitoken USERNAME --name N`: issue an admin API token; the secret is the last line."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandParser

from console import tokens
from keys.cli import exit_invalid


class Command(BaseCommand):
    help = "Issue an API token for an admin (for /api/). Prints the secret once, last."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="the admin the token acts as")
        parser.add_argument("--name", required=True, help="what the token is for, e.g. ci")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        try:
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                raise ValidationError({"user": [f"No user named {username!r}."]})
            token, secret = tokens.api_token_create(user=user, name=options["name"], actor=None)
        except ValidationError as error:
            exit_invalid(self, error, rename={"user": "username"})
        self.stdout.write(
            f"Created API token {token.name!r} for {username} (prefix {token.prefix})."
        )
        self.stdout.write("The secret is shown once; store it now:")
        self.stdout.write(secret)
