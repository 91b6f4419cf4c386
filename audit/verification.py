"""Verify the whole chain: checkpoints, then every sealed record in seq order."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from audit import chain, retention
from audit.models import AuditRecord, ChainHead, ChainVerification, RetentionCheckpoint

CHUNK = 5000


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    head_seq: int
    unsealed: int
    broken_record: str = ""  # the first broken record's id (or the checkpoint's)
    broken_seq: int | None = None
    reason: str = ""


def _checkpoints() -> tuple[int, str, str]:
    """(seq, hash) the remaining chain continues from, or a reason the checkpoints are bad."""
    previous_signature = ""
    seq, last_hash = 0, chain.GENESIS_HASH
    for checkpoint in RetentionCheckpoint.objects.order_by("last_seq"):
        if checkpoint.previous_signature != previous_signature or not retention.checkpoint_is_valid(
            checkpoint, previous_signature=previous_signature
        ):
            return seq, last_hash, f"checkpoint {checkpoint.id}: bad signature"
        previous_signature = checkpoint.signature
        seq, last_hash = checkpoint.last_seq, checkpoint.last_hash
    return seq, last_hash, ""


def _anchor(since: ChainVerification | None, seq: int) -> tuple[int, str] | None:
    """Where an incremental run starts: the last good run's head, if it is still in place."""
    if since is None or not since.ok or not since.head_hash or since.head_seq <= seq:
        return None
    stored = AuditRecord.objects.filter(seq=since.head_seq).values_list("hash", flat=True).first()
    return (since.head_seq, since.head_hash) if stored == since.head_hash else None


def verify_chain(*, since: ChainVerification | None = None) -> VerifyResult:
    """Re-hash every sealed record; the first mismatch, gap or bad link is reported.

    Reads the head first and checks up to it, so sealing that goes on meanwhile is ignored.
    With `since` (a previous good run) only later records are re-hashed, after checking that
    the record at that run's head still carries the hash it had; without it, the whole chain.
    """
    unsealed = AuditRecord.objects.filter(seq__isnull=True).count()
    head = ChainHead.objects.filter(id=1).first()
    head_seq = head.seq if head else 0
    seq, prev_hash, reason = _checkpoints()
    if reason:
        return VerifyResult(False, 0, head_seq, unsealed, "checkpoint", seq, reason)
    anchor = _anchor(since, seq)
    if anchor is not None:
        seq, prev_hash = anchor
    checked = 0
    rows = (
        AuditRecord.objects.filter(seq__gt=seq, seq__lte=head_seq)
        .order_by("seq")
        .values(*chain.CHAIN_FIELDS)
        .iterator(chunk_size=CHUNK)
    )
    for row in rows:
        expected_seq = seq + 1
        record_id = str(row["id"])
        if row["seq"] != expected_seq:
            reason = f"record #{expected_seq} is missing (next is #{row['seq']})"
            return VerifyResult(False, checked, head_seq, unsealed, record_id, row["seq"], reason)
        if row["prev_hash"] != prev_hash:
            reason = f"record #{row['seq']} does not link to its predecessor"
            return VerifyResult(False, checked, head_seq, unsealed, record_id, row["seq"], reason)
        if chain.record_hash(row, seq=row["seq"], prev_hash=row["prev_hash"]) != row["hash"]:
            reason = f"record #{row['seq']} was altered (hash mismatch)"
            return VerifyResult(False, checked, head_seq, unsealed, record_id, row["seq"], reason)
        seq, prev_hash = row["seq"], row["hash"]
        checked += 1
    if head is not None and (head.seq != seq or head.hash != prev_hash):
        reason = f"chain head says #{head.seq} but the chain ends at #{seq}"
        return VerifyResult(False, checked, head_seq, unsealed, "head", head.seq, reason)
    return VerifyResult(True, checked, head_seq, unsealed)


def verify_and_record(*, incremental: bool = False) -> VerifyResult:
    """Verify and keep the outcome for the console's chain panel."""
    started_at = timezone.now()
    since = ChainVerification.objects.filter(ok=True).first() if incremental else None
    result = verify_chain(since=since)
    head_hash = ""
    if result.ok:
        head_hash = (
            AuditRecord.objects.filter(seq=result.head_seq).values_list("hash", flat=True).first()
            or ""
        )
    ChainVerification.objects.create(
        started_at=started_at,
        finished_at=timezone.now(),
        ok=result.ok,
        checked=result.checked,
        head_seq=result.head_seq,
        head_hash=head_hash,
        full=since is None,
        broken_record=result.broken_record,
        reason=result.reason[:300],
    )
    return result


def verify_scheduled() -> VerifyResult:
    """The hourly task: incremental, but the whole chain again once a day."""
    day_ago = timezone.now() - dt.timedelta(days=1)
    full_due = not ChainVerification.objects.filter(full=True, finished_at__gte=day_ago).exists()
    return verify_and_record(incremental=not full_due)
