"""Console models: admin API tokens for the management API."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """An admin API token for `/api/` automation, stored like a proxy key: prefix and keyed hash.

    The secret (`kdt_…`) is shown once at creation; the database holds only its visible prefix
    and an HMAC-SHA-256 digest under KORDON_KEY_PEPPER, so a leaked table grants nothing.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def audit_snapshot(self) -> dict[str, Any]:
        """JSON-safe data for change events: never the digest or the secret."""
        return {
            "name": self.name,
            "user": self.user.get_username(),
            "prefix": self.prefix,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }
