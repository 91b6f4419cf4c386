"""Django admin: superuser break-glass, read-only for every audit model (no add, change, delete)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from audit.models import (
    AuditAlert,
    AuditExport,
    AuditRecord,
    ChainVerification,
    ChangeEvent,
    RetentionCheckpoint,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdmin):
    list_display = ("timestamp", "team", "key_prefix", "route", "backend", "status_code", "seq")
    list_filter = ("status_code", "backend", "route")
    search_fields = ("id", "key_prefix", "team")
    show_full_result_count = False  # no COUNT(*) over millions of rows


@admin.register(ChangeEvent)
class ChangeEventAdmin(ReadOnlyAdmin):
    list_display = ("timestamp", "actor_name", "action", "target_type", "target_repr")


for model in (RetentionCheckpoint, ChainVerification, AuditExport, AuditAlert):
    admin.site.register(model, ReadOnlyAdmin)
