"""Policy versions: every import, draft and rollback of the policy document, kept forever."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PolicyVersion(models.Model):
    """One policy document. Drafts are editable; a published version is immutable.

    `number` is given at publication (1, 2, 3, ...); the live policy is the published version with
    the highest number. A rollback publishes a new number holding an old document.
    """

    class State(models.TextChoices):
        DRAFT = "draft"
        PENDING = "pending"  # submitted, waiting for a second officer (maker-checker)
        PUBLISHED = "published"
        REJECTED = "rejected"

    number = models.PositiveIntegerField(unique=True, null=True, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    document = models.JSONField()  # canonical form (routing.policy.serialize.to_document)
    content_hash = models.CharField(max_length=64)
    comment = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The version a draft started from, and the version a rollback restored.
    based_on = models.PositiveIntegerField(null=True, blank=True)
    restored_from = models.PositiveIntegerField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_by_name = models.CharField(max_length=150, blank=True)
    rejected_by_name = models.CharField(max_length=150, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    rejected_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-number", "-created_at"]
        indexes = [models.Index(fields=["state", "-number"])]
        permissions = [
            ("publish_policyversion", "Can submit a policy draft for publication"),
            ("approve_policyversion", "Can approve or reject another officer's policy draft"),
        ]

    def __str__(self) -> str:
        if self.number is not None:
            return f"policy v{self.number}"
        return f"policy draft #{self.pk}"

    def audit_snapshot(self) -> dict[str, object]:
        """What a change event keeps: identity and state, not the whole document."""
        return {
            "number": self.number,
            "state": self.state,
            "content_hash": self.content_hash,
            "comment": self.comment,
            "author": self.author_name,
            "approved_by": self.approved_by_name,
            "restored_from": self.restored_from,
        }


class PolicySettings(models.Model):
    """The console's policy switches (one row). `maker_checker` None means the default."""

    maker_checker = models.BooleanField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "policy settings"

    def __str__(self) -> str:
        return f"maker-checker={self.maker_checker}"
