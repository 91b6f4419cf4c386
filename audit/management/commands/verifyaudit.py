"""`verifyaudit`: check the tamper-evident chain; non-zero exit naming the first broken record."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit import verification


class Command(BaseCommand):
    help = "Verify the audit hash chain (and the retention checkpoints)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = verification.verify_and_record()
        if not result.ok:
            raise CommandError(
                f"audit chain BROKEN at record {result.broken_record} "
                f"(seq {result.broken_seq}): {result.reason}"
            )
        self.stdout.write(
            f"audit chain OK: {result.checked} records verified, head #{result.head_seq}, "
            f"{result.unsealed} unsealed"
        )
