"""Break-glass views of teams and keys for superusers: read-only.

Every change must go through `keys.services` (change events, version bump, team limits), so the
admin site offers no add, change or delete; the digest is never shown.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from keys.models import ApiKey, Team


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Team)
class TeamAdmin(ReadOnlyAdmin):
    list_display = ["name", "slug", "rpm_limit", "tpm_limit", "monthly_budget_usd"]
    search_fields = ["name", "slug"]


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = ["name", "team", "prefix", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["team"]
    search_fields = ["name", "prefix"]
    exclude = ["digest"]
