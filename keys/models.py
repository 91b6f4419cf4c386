"""Teams and their API keys: who may call the proxy, for which models, within which limits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class Team(models.Model):
    """A group of people and applications that share keys, limits and a monthly budget."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    leads = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="led_teams", blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="member_teams", blank=True
    )
    # None means "no limit of its own"; keys may still carry theirs.
    rpm_limit = models.PositiveIntegerField(null=True, blank=True)
    tpm_limit = models.PositiveIntegerField(null=True, blank=True)
    monthly_budget_usd = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    # Model aliases the team may use; an empty list means every alias the policy offers.
    allowed_models = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        # Without these a user with team permissions sees and manages only the teams they lead.
        permissions = [
            ("view_all_teams", "Can view every team and its keys"),
            ("manage_all_teams", "Can manage every team and its keys"),
        ]

    def __str__(self) -> str:
        return self.name

    def audit_snapshot(self) -> dict[str, Any]:
        """The team's configuration as JSON-safe data for change events."""
        return {
            "name": self.name,
            "slug": self.slug,
            "leads": sorted(u.get_username() for u in self.leads.all()) if self.pk else [],
            "members": sorted(u.get_username() for u in self.members.all()) if self.pk else [],
            "rpm_limit": self.rpm_limit,
            "tpm_limit": self.tpm_limit,
            "monthly_budget_usd": _decimal_text(self.monthly_budget_usd),
            "allowed_models": list(self.allowed_models),
        }


class ApiKey(models.Model):
    """A team's credential for the proxy. Only a keyed hash of the secret is stored."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="keys")
    name = models.CharField(max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="api_keys",
    )
    # The visible start of the secret (`kdn_` + 8 characters): safe to log and show.
    prefix = models.CharField(max_length=16, unique=True)
    # HMAC-SHA-256(pepper, secret), hex.
    digest = models.CharField(max_length=64)
    allowed_models = models.JSONField(default=list, blank=True)
    rpm_limit = models.PositiveIntegerField(null=True, blank=True)
    tpm_limit = models.PositiveIntegerField(null=True, blank=True)
    monthly_budget_usd = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    tags = models.JSONField(default=list, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=500, blank=True)
    # Rotation creates a new key and lets the old one live until its grace period ends.
    rotated_from = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="rotated_to"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="key_name_unique_per_team"),
        ]

    class State(models.TextChoices):
        ACTIVE = "active"
        EXPIRED = "expired"
        REVOKED = "revoked"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def state(self, now: datetime | None = None) -> ApiKey.State:
        """Active, expired or revoked at `now`: the one rule the console and the proxy share."""
        if self.revoked_at is not None:
            return ApiKey.State.REVOKED
        if self.expires_at is not None and self.expires_at <= (now or timezone.now()):
            return ApiKey.State.EXPIRED
        return ApiKey.State.ACTIVE

    @property
    def is_active(self) -> bool:
        return self.state() == ApiKey.State.ACTIVE

    def audit_snapshot(self) -> dict[str, Any]:
        """The key's configuration as JSON-safe data for change events: never the digest."""
        return {
            "name": self.name,
            "team": self.team.slug,
            "owner": self.owner.get_username() if self.owner else None,
            "prefix": self.prefix,
            "allowed_models": list(self.allowed_models),
            "rpm_limit": self.rpm_limit,
            "tpm_limit": self.tpm_limit,
            "monthly_budget_usd": _decimal_text(self.monthly_budget_usd),
            "tags": list(self.tags),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "revoked_reason": self.revoked_reason,
            "rotated_from": self.rotated_from.prefix if self.rotated_from_id else None,
        }


def _decimal_text(value: Any) -> str | None:
    return None if value is None else str(value)
