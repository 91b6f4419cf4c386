"""`revokekey PREFIX --reason TEXT`: revoke a key by prefix or full secret (incident response)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandParser

from keys import selectors, services
from keys.cli import exit_invalid
from keys.management.commands.createkey import _actor


class Command(BaseCommand):
    help = "Revoke an API key by its visible prefix or its full secret."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key", help="the key's prefix (kdn_xxxxxxxx) or the full secret")
        parser.add_argument("--reason", required=True, help="why (kept in the change history)")
        parser.add_argument("--actor", default=None, help="username recorded as the actor")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            actor = _actor(options["actor"])
            key = selectors.key_find(options["key"])
            if key is None:
                # Never echo the argument: it may be a full secret.
                raise ValidationError({"key": ["No key with that prefix or secret."]})
            services.key_revoke(key=key, actor=actor, reason=options["reason"])
        except ValidationError as error:
            exit_invalid(self, error)
        self.stdout.write(f"Revoked key {key.prefix} ({key.name}, team {key.team.slug}).")
