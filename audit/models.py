"""The audit trail: one record per proxy request, and one change event per configuration change.

Records hold copies (names, prefixes, ids as text), never foreign keys, so deleting a team never
deletes its history, and never a raw prompt, answer or detected value.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class ChangeEvent(models.Model):
    """Who changed which piece of configuration, when, from what to what (never a secret)."""

    class Action(models.TextChoices):
        CREATE = "create"
        UPDATE = "update"
        DELETE = "delete"
        REVOKE = "revoke"
        ROTATE = "rotate"
        PUBLISH = "publish"
        APPROVE = "approve"
        REJECT = "reject"
        IMPORT = "import"
        EXPORT = "export"
        LOGIN_FAILED = "login_failed"

    timestamp = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=20, choices=Action.choices)
    target_type = models.CharField(max_length=50)
    target_id = models.CharField(max_length=64)
    target_repr = models.CharField(max_length=200)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.action} {self.target_type} {self.target_repr}"


class AuditRecord(models.Model):
    """One proxy request, from authentication to the answer, as the contract's fields.

    Written (opened) before the first answer byte leaves, completed when the request ends, and
    sealed into the hash chain shortly after: `seq`, `prev_hash` and `hash` are empty until then.

    Few indexes, on purpose: every request inserts a row and completes it, and each index costs
    the database CPU on both. No column the completion writes is indexed, so on PostgreSQL
    (with the table's fillfactor, migration 0005) the completion is a HOT update that touches
    no index. Measured at 32 concurrent streams, 2 workers: the insert a request waits on fell
    from 6-7 to 3.5-5.5 ms (p50) when 20 indexes became 8. Browse filters on the dropped
    columns walk the (timestamp, id) keyset index instead.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    timestamp = models.DateTimeField()  # ranges and order: the audit_keyset index
    team = models.CharField(max_length=100)  # (team, -timestamp) index
    team_id = models.BigIntegerField(null=True, blank=True)
    key_prefix = models.CharField(max_length=16, db_index=True)
    end_user = models.CharField(max_length=64, blank=True)  # keyed hash of the caller's `user`
    endpoint = models.CharField(max_length=40)
    model_requested = models.CharField(max_length=200, blank=True)
    backend = models.CharField(max_length=100, blank=True)
    route = models.CharField(max_length=100, blank=True)
    residency = models.CharField(max_length=20, blank=True)
    fallbacks_tried = models.JSONField(default=list, blank=True)
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    stream = models.BooleanField(default=False)
    entities = models.JSONField(default=dict, blank=True)  # {"KZ_IIN": 2, ...}
    categories = models.JSONField(default=list, blank=True)
    actions = models.JSONField(default=dict, blank=True)  # {"placeholder": 3, ...}
    latency_ms = models.FloatField(null=True, blank=True)
    upstream_ms = models.FloatField(null=True, blank=True)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    cost = models.DecimalField(max_digits=14, decimal_places=8, null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Chain position and hashes, set by the sealer.
    seq = models.BigIntegerField(null=True, blank=True, unique=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)
    sealed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["team", "-timestamp"]),
            models.Index(fields=["-timestamp", "-id"], name="audit_keyset"),
            # The sealer's scan: only unsealed rows, a handful at any time.
            models.Index(
                fields=["timestamp"], condition=models.Q(seq__isnull=True), name="audit_unsealed"
            ),
        ]
        permissions = [
            ("view_all_teams", "Can see audit records of every team"),
            ("export_auditrecord", "Can export audit records"),
            ("view_audit_dashboard", "Can see the audit dashboard"),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.team} {self.status_code}"


class ChainHead(models.Model):
    """The one row the sealer locks: the last sealed record's position and hash.

    Several sealers may run (beat on several hosts, the command, the inline sealer); each takes
    this row with SELECT … FOR UPDATE SKIP LOCKED, so exactly one extends the chain at a time
    and the others return at once. The proxy never touches it.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)
    sealed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"chain head #{self.seq}"


class RetentionCheckpoint(models.Model):
    """What a retention purge removed, signed (HMAC with KORDON_HASH_KEY) so the rest verifies.

    The remaining chain starts at `last_seq + 1` with `prev_hash == last_hash`. Each checkpoint
    also signs the previous checkpoint's signature, so checkpoints form their own chain.
    """

    created_at = models.DateTimeField()
    cutoff = models.DateTimeField()
    last_seq = models.BigIntegerField()
    last_hash = models.CharField(max_length=64)
    purged_count = models.BigIntegerField()
    total_purged = models.BigIntegerField()
    previous_signature = models.CharField(max_length=64, blank=True)
    signature = models.CharField(max_length=64)

    class Meta:
        ordering = ["-last_seq"]

    def __str__(self) -> str:
        return f"checkpoint through #{self.last_seq}"


class ChainVerification(models.Model):
    """One run of the chain verifier (command or periodic task), shown on the console."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    ok = models.BooleanField()
    checked = models.BigIntegerField()
    head_seq = models.BigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, blank=True)
    # Incremental runs (the hourly task) re-hash only records after the last good run's head.
    full = models.BooleanField(default=True)
    broken_record = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-finished_at"]

    def __str__(self) -> str:
        return f"verification {'ok' if self.ok else 'BROKEN'} at {self.finished_at:%Y-%m-%d %H:%M}"


class AuditExport(models.Model):
    """An export of filtered audit records and its manifest (who, when, filters, count, SHA-256)."""

    class Format(models.TextChoices):
        CSV = "csv"
        JSONL = "jsonl"

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150)
    format = models.CharField(max_length=10, choices=Format.choices)
    filters = models.JSONField(default=dict, blank=True)
    # The team scope the exporter had: None for every team, else the team ids.
    scope_team_ids = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    total = models.BigIntegerField(default=0)
    done = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"export {self.id} ({self.format}, {self.status})"


class AuditRollup(models.Model):
    """Hourly aggregates for the dashboard and /metrics: counts, spend and latency histograms.

    A derived table: recomputed by a Celery task for recent hours, never holds a raw value, and
    is not part of the chain (it may be rebuilt from the records at any time).
    """

    hour = models.DateTimeField()
    team = models.CharField(max_length=100)
    team_id = models.BigIntegerField(null=True, blank=True)
    backend = models.CharField(max_length=100, blank=True)
    residency = models.CharField(max_length=20, blank=True)
    route = models.CharField(max_length=100, blank=True)
    outcome = models.CharField(max_length=10)  # served | blocked | failed | open
    sensitive = models.BooleanField()
    requests = models.BigIntegerField(default=0)
    prompt_tokens = models.BigIntegerField(default=0)
    completion_tokens = models.BigIntegerField(default=0)
    cost = models.DecimalField(max_digits=18, decimal_places=8, default=0)
    categories = models.JSONField(default=dict, blank=True)  # {"national-id": 3}
    entities = models.JSONField(default=dict, blank=True)
    actions = models.JSONField(default=dict, blank=True)
    # Latency histograms: bucket upper bound (ms, as text) -> count; see audit.metrics.BUCKETS_MS.
    overhead_hist = models.JSONField(default=dict, blank=True)
    upstream_hist = models.JSONField(default=dict, blank=True)
    overhead_sum_ms = models.FloatField(default=0)
    upstream_sum_ms = models.FloatField(default=0)

    class Meta:
        ordering = ["hour"]
        indexes = [models.Index(fields=["hour"]), models.Index(fields=["team_id", "hour"])]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.team} {self.outcome} x{self.requests}"


class AuditAlert(models.Model):
    """A sharp shift in routing or outcomes, shown on the dashboard and POSTed to the webhook."""

    class Kind(models.TextChoices):
        IN_COUNTRY_DROP = "in_country_drop"
        BLOCKED_SPIKE = "blocked_spike"
        FAILED_SPIKE = "failed_spike"

    created_at = models.DateTimeField()
    kind = models.CharField(max_length=30, choices=Kind.choices)
    message = models.CharField(max_length=300)
    details = models.JSONField(default=dict, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivery_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.created_at:%Y-%m-%d %H:%M}"
