"""`sealaudit`: seal every due audit record now (beat does this every few seconds)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from audit import sealing


class Command(BaseCommand):
    help = "Seal completed (and long-open) audit records into the hash chain."

    def handle(self, *args: Any, **options: Any) -> None:
        result = sealing.seal_pending()
        note = " (another sealer holds the chain head)" if result.skipped_locked else ""
        self.stdout.write(f"sealed {result.sealed} records, head #{result.head_seq}{note}")
