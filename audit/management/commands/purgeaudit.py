"""`purgeaudit [--days N]`: apply retention now (beat does this daily)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from audit import retention


class Command(BaseCommand):
    help = "Purge audit records older than the retention period behind a signed checkpoint."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=int, default=None, help="override KORDON_AUDIT_RETENTION_DAYS"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = retention.audit_purge(days=options["days"])
        self.stdout.write(f"purged {result.purged} records through #{result.through_seq}")
