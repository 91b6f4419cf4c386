"""`exportpolicy [--version N]`: the active (or a given) policy version as YAML on stdout."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from routing.models import PolicyVersion
from routing.policy.serialize import stored_to_yaml
from routing.policy.stamp import latest_published_number


class Command(BaseCommand):
    help = "Print the active policy (or version N) as a YAML document importpolicy accepts."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # Django's own --version (its release number) gives way to the policy version.
        kwargs.setdefault("conflict_handler", "resolve")
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--version", dest="number", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        number = options["number"] if options["number"] is not None else latest_published_number()
        if number is None:
            raise CommandError("no published policy")
        row = PolicyVersion.objects.filter(number=number).first()
        if row is None:
            raise CommandError(f"--version: no policy version {number}")
        self.stdout.write(f"# Kordon policy version {number}, {row.content_hash[:12]}", ending="\n")
        self.stdout.write(stored_to_yaml(row.document), ending="")
