"""The batch sealer: gives unsealed audit records their place in the hash chain.

The proxy only INSERTs (open) and UPDATEs (complete) its own row; it never waits on the chain.
A sealer, run every few seconds by Celery beat (and inline where Celery is eager, and by
`sealaudit`), takes the chain head row with SELECT … FOR UPDATE SKIP LOCKED, so with several
sealers exactly one extends the chain and the rest return at once.

Which records are sealed (the choice, written down):
- completed records (`completed_at` set), in (timestamp, id) order;
- records still open after OPEN_GRACE (10 min by default; a stream that never ended, a crashed
  worker) are sealed as they are, i.e. incomplete (`completed_at` null in the hashed form).
  The trigger then refuses a late completion: the incomplete record is the durable truth.
Rows are locked FOR UPDATE SKIP LOCKED too, so a completion racing the sealer either lands
before the hash is computed or is refused after it; a hash never covers stale values.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from audit import chain
from audit.models import AuditRecord, ChainHead

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
MAX_BATCHES_PER_RUN = 50


def open_grace() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "KORDON_AUDIT_OPEN_GRACE_SECONDS", 600))


@dataclass(frozen=True)
class SealResult:
    sealed: int
    head_seq: int
    skipped_locked: bool  # another sealer held the head


def sealable_q(now: dt.datetime) -> Q:
    """Unsealed records that are final: completed, or open for longer than the grace period."""
    return Q(seq__isnull=True) & (
        Q(completed_at__isnull=False) | Q(timestamp__lt=now - open_grace())
    )


def _lock_head() -> ChainHead | None:
    """The chain head, locked for this transaction; None if another sealer holds it."""
    if connection.vendor == "sqlite":
        # SQLite has no row locks: take the database write lock up front with a no-op write,
        # so a second sealer waits instead of reading a head that is about to move.
        ChainHead.objects.get_or_create(id=1)
        ChainHead.objects.filter(id=1).update(id=1)
        return ChainHead.objects.get(id=1)
    head = ChainHead.objects.select_for_update(skip_locked=True).filter(id=1).first()
    if head is None and not ChainHead.objects.filter(id=1).exists():
        ChainHead.objects.get_or_create(id=1)
        head = ChainHead.objects.select_for_update(skip_locked=True).filter(id=1).first()
    return head


def _seal_batch(now: dt.datetime) -> tuple[int, int] | None:
    """Seal up to BATCH_SIZE records in one transaction: (sealed, head seq), None if locked."""
    with transaction.atomic():
        head = _lock_head()
        if head is None:
            return None
        rows = list(
            AuditRecord.objects.select_for_update(skip_locked=True)
            .filter(sealable_q(now))
            .order_by("timestamp", "id")
            .values(*chain.HASHED_FIELDS)[:BATCH_SIZE]
        )
        if not rows:
            return 0, head.seq
        seq, prev = head.seq, head.hash
        sealed_at = timezone.now()
        updates = []
        for fields in rows:
            seq += 1
            digest = chain.record_hash(fields, seq=seq, prev_hash=prev)
            updates.append(
                AuditRecord(
                    id=fields["id"], seq=seq, prev_hash=prev, hash=digest, sealed_at=sealed_at
                )
            )
            prev = digest
        _write_seals(updates, sealed_at)
        head.seq, head.hash, head.sealed_at = seq, prev, sealed_at
        head.save(update_fields=["seq", "hash", "sealed_at"])
        return len(rows), seq


def _write_seals(updates: list[AuditRecord], sealed_at: dt.datetime) -> None:
    """Set seq/prev_hash/hash on the batch's rows.

    On PostgreSQL one UPDATE … FROM (VALUES …) per batch: Django's bulk_update builds CASE
    expressions that sealed under 500 records/s on a million-row table (measured).
    """
    if connection.vendor != "postgresql":
        AuditRecord.objects.bulk_update(
            updates, ["seq", "prev_hash", "hash", "sealed_at"], batch_size=500
        )
        return
    table = AuditRecord._meta.db_table
    rows = ", ".join(["(%s::uuid, %s::bigint, %s, %s)"] * len(updates))
    params: list[object] = []
    for record in updates:
        params += [record.id, record.seq, record.prev_hash, record.hash]
    sql = (
        f"UPDATE {table} AS r SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash, "  # noqa: S608 - table name from the model, values bound
        f"sealed_at = %s FROM (VALUES {rows}) AS v(id, seq, prev_hash, hash) WHERE r.id = v.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [sealed_at, *params])


def seal_pending(*, now: dt.datetime | None = None) -> SealResult:
    """Seal everything that is due; returns how many records this call sealed."""
    now = now or timezone.now()
    total = 0
    head_seq = 0
    for _ in range(MAX_BATCHES_PER_RUN):
        result = _seal_batch(now)
        if result is None:
            return SealResult(sealed=total, head_seq=head_seq, skipped_locked=True)
        sealed, head_seq = result
        total += sealed
        if sealed < BATCH_SIZE:
            break
    if total:
        logger.info("audit sealer sealed %d records, head #%d", total, head_seq)
    return SealResult(sealed=total, head_seq=head_seq, skipped_locked=False)


_inline_lock = threading.Lock()
_inline_last = 0.0


def seal_if_eager() -> None:
    """Where Celery is eager (local mode: no beat), seal inline, at most once a second.

    Called by console pages and may be called by the recorder after a completion; a no-op
    when a real broker and beat are configured.
    """
    global _inline_last
    if not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        return
    if time.monotonic() - _inline_last < 1.0 or not _inline_lock.acquire(blocking=False):
        return
    try:
        _inline_last = time.monotonic()
        seal_pending()
    finally:
        _inline_lock.release()


def sealing_lag_seconds(*, now: dt.datetime | None = None) -> float:
    """How long the oldest sealable record has waited (0 when none): readiness and /metrics."""
    now = now or timezone.now()
    oldest = (
        AuditRecord.objects.filter(sealable_q(now))
        .order_by("timestamp")
        .values_list("timestamp", "completed_at")
        .first()
    )
    if oldest is None:
        return 0.0
    timestamp, completed_at = oldest
    since = completed_at or (timestamp + open_grace())
    return max(0.0, (now - since).total_seconds())
