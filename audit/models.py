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
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    timestamp = models.DateTimeField(db_index=True)
    team = models.CharField(max_length=100, db_index=True)
    team_id = models.BigIntegerField(null=True, blank=True)
    key_prefix = models.CharField(max_length=16, db_index=True)
    end_user = models.CharField(max_length=64, blank=True)  # keyed hash of the caller's `user`
    endpoint = models.CharField(max_length=40)
    model_requested = models.CharField(max_length=200, blank=True)
    backend = models.CharField(max_length=100, blank=True, db_index=True)
    route = models.CharField(max_length=100, blank=True, db_index=True)
    residency = models.CharField(max_length=20, blank=True)
    fallbacks_tried = models.JSONField(default=list, blank=True)
    policy_version = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    error_code = models.CharField(max_length=40, blank=True, db_index=True)
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
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.team} {self.status_code}"
