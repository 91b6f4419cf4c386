"""`importpolicy FILE [--comment TEXT]`: validate a policy document and publish it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from routing.policy import services
from routing.policy.document import PolicyInvalid


class Command(BaseCommand):
    help = "Validate a policy document (YAML or JSON) and publish it as a new policy version."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="path to the policy document, or - for stdin")
        parser.add_argument("--comment", default="", help="why this version")
        parser.add_argument("--actor", default=None, help="username recorded as the author")

    def handle(self, *args: Any, **options: Any) -> None:
        text = self._read(options["file"])
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark is not None else "document"
            raise CommandError(
                f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})"
            ) from None
        actor = None
        if options["actor"]:
            actor = get_user_model().objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(f"--actor: no user {options['actor']!r}")
        try:
            version = services.policy_import(
                document=document, actor=actor, comment=options["comment"]
            )
        except PolicyInvalid as exc:
            for line in exc.lines():
                self.stderr.write(line)
            raise CommandError(
                f"policy refused: {len(exc.errors)} error(s), nothing changed"
            ) from None
        self.stdout.write(
            f"published policy version {version.number} ({version.content_hash[:12]})"
        )

    def _read(self, name: str) -> str:
        if name == "-":
            import sys

            return sys.stdin.read()
        path = Path(name)
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{name}: cannot read ({exc})") from None
