"""`createkey --team T --name N [...]`: issue a key; the secret is the last line of stdout."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.db.models import Q

from keys import services
from keys.cli import exit_invalid
from keys.models import Team

OPTION_NAMES = {
    "allowed_models": "models",
    "rpm_limit": "rpm",
    "tpm_limit": "tpm",
    "monthly_budget_usd": "budget",
    "expires_at": "expires",
}


class Command(BaseCommand):
    help = "Issue an API key for a team (created if missing). Prints the secret once, last."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--team", required=True, help="team slug or name")
        parser.add_argument("--name", required=True, help="key name, unique within the team")
        parser.add_argument("--models", default="", help="comma-separated model aliases")
        parser.add_argument("--rpm", default=None, help="requests per minute")
        parser.add_argument("--tpm", default=None, help="tokens per minute")
        parser.add_argument("--budget", default=None, help="monthly budget in USD")
        parser.add_argument("--expires", default=None, help="expiry date YYYY-MM-DD (UTC)")
        parser.add_argument("--actor", default=None, help="username recorded as the actor")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            actor = _actor(options["actor"])
            expires_at = _expiry(options["expires"])
            with transaction.atomic():
                team = Team.objects.filter(Q(slug=options["team"]) | Q(name=options["team"]))
                team = team.first() or services.team_create(name=options["team"], actor=actor)
                key, secret = services.key_create(
                    team=team,
                    name=options["name"],
                    actor=actor,
                    models=[m for m in options["models"].split(",") if m.strip()],
                    rpm=options["rpm"],
                    tpm=options["tpm"],
                    budget=options["budget"],
                    expires_at=expires_at,
                )
        except ValidationError as error:
            exit_invalid(self, error, rename=OPTION_NAMES)
        self.stdout.write(f"Created key {key.name!r} for team {team.slug} (prefix {key.prefix}).")
        self.stdout.write("The secret is shown once; store it now:")
        self.stdout.write(secret)


def _actor(username: str | None) -> Any:
    if username is None:
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ValidationError({"actor": [f"No user named {username!r}."]})
    return user


def _expiry(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError({"expires_at": ["Use the form YYYY-MM-DD."]}) from None
    # The key works through the whole given day, UTC.
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
