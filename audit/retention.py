"""Retention: purge records older than KORDON_AUDIT_RETENTION_DAYS behind a signed checkpoint.

Only a prefix of the chain is ever purged (every record with seq <= S, where S is the last seq
before the first record that must be kept), so what remains is one unbroken chain that starts
right after the newest checkpoint. A few old records sealed after a newer one wait for the next
purge; that is the price of never cutting a hole in the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit.chain import canonical_value
from audit.models import AuditRecord, ChainHead, RetentionCheckpoint

logger = logging.getLogger(__name__)

DELETE_BATCH = 5000


def retention_days() -> int:
    return int(getattr(settings, "KORDON_AUDIT_RETENTION_DAYS", 365))


def checkpoint_signature(
    *,
    cutoff: dt.datetime,
    last_seq: int,
    last_hash: str,
    purged_count: int,
    total_purged: int,
    previous_signature: str,
) -> str:
    """HMAC-SHA-256 (KORDON_HASH_KEY) over the checkpoint's fields in canonical JSON."""
    doc = {
        "cutoff": canonical_value(cutoff),
        "last_seq": last_seq,
        "last_hash": last_hash,
        "purged_count": purged_count,
        "total_purged": total_purged,
        "previous_signature": previous_signature,
    }
    message = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(settings.KORDON_HASH_KEY.encode(), message, hashlib.sha256).hexdigest()


def checkpoint_is_valid(checkpoint: RetentionCheckpoint, *, previous_signature: str) -> bool:
    expected = checkpoint_signature(
        cutoff=checkpoint.cutoff,
        last_seq=checkpoint.last_seq,
        last_hash=checkpoint.last_hash,
        purged_count=checkpoint.purged_count,
        total_purged=checkpoint.total_purged,
        previous_signature=previous_signature,
    )
    return hmac.compare_digest(expected, checkpoint.signature)


def latest_checkpoint() -> RetentionCheckpoint | None:
    return RetentionCheckpoint.objects.order_by("-last_seq").first()


@dataclass(frozen=True)
class PurgeResult:
    purged: int
    checkpoint_id: int | None
    through_seq: int


def _purge_boundary(cutoff: dt.datetime) -> int:
    """The highest seq that may go: everything up to the first sealed record to keep."""
    first_kept = (
        AuditRecord.objects.filter(seq__isnull=False, timestamp__gte=cutoff)
        .order_by("seq")
        .values_list("seq", flat=True)
        .first()
    )
    if first_kept is not None:
        return first_kept - 1
    head = ChainHead.objects.filter(id=1).values_list("seq", flat=True).first()
    return head or 0


@transaction.atomic
def audit_purge(*, now: dt.datetime | None = None, days: int | None = None) -> PurgeResult:
    """Delete the chain's prefix older than the retention period; record a signed checkpoint."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=retention_days() if days is None else days)
    previous = latest_checkpoint()
    start_after = previous.last_seq if previous else 0
    boundary = _purge_boundary(cutoff)
    if boundary <= start_after:
        return PurgeResult(purged=0, checkpoint_id=None, through_seq=start_after)
    last = AuditRecord.objects.filter(seq=boundary).values_list("hash", flat=True).first()
    if last is None:  # the chain is already broken here; never sign over a hole
        raise RuntimeError(f"audit record #{boundary} is missing; run verifyaudit")
    if connection.vendor == "postgresql":
        # The trigger lets DELETE through only inside this transaction.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL kordon.purge = 'on'")
    purged = 0
    while True:
        ids = list(
            AuditRecord.objects.filter(seq__gt=start_after, seq__lte=boundary).values_list(
                "id", flat=True
            )[:DELETE_BATCH]
        )
        if not ids:
            break
        purged += AuditRecord.objects.filter(id__in=ids).delete()[0]
    total = (previous.total_purged if previous else 0) + purged
    previous_signature = previous.signature if previous else ""
    checkpoint = RetentionCheckpoint.objects.create(
        created_at=now,
        cutoff=cutoff,
        last_seq=boundary,
        last_hash=last,
        purged_count=purged,
        total_purged=total,
        previous_signature=previous_signature,
        signature=checkpoint_signature(
            cutoff=cutoff,
            last_seq=boundary,
            last_hash=last,
            purged_count=purged,
            total_purged=total,
            previous_signature=previous_signature,
        ),
    )
    logger.info("audit retention purged %d records through #%d", purged, boundary)
    return PurgeResult(purged=purged, checkpoint_id=checkpoint.id, through_seq=boundary)
