"""Exports of filtered audit records as CSV or JSONL, each with a manifest and a change event.

One service serves the browser (small exports at once, large ones in a Celery task with
progress) and `exportaudit` (to stdout). Columns: the contract's fields first, then the other
hashed fields, so anyone can re-check every link of an exported chain segment with SHA-256.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import logging
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone

from audit import chain, selectors
from audit.changes import change_event_record
from audit.forms import filters_from_json, filters_to_json
from audit.models import AuditExport, ChangeEvent

logger = logging.getLogger(__name__)

CONTRACT_FIELDS: tuple[str, ...] = (
    "id",
    "timestamp",
    "team",
    "key_prefix",
    "end_user",
    "model_requested",
    "backend",
    "route",
    "policy_version",
    "status_code",
    "error_code",
    "stream",
    "entities",
    "categories",
    "actions",
    "latency_ms",
    "upstream_ms",
    "prompt_tokens",
    "completion_tokens",
    "cost",
    "prev_hash",
    "hash",
)
EXTRA_FIELDS: tuple[str, ...] = (
    "seq",
    "team_id",
    "endpoint",
    "residency",
    "fallbacks_tried",
    "completed_at",
)
EXPORT_FIELDS = CONTRACT_FIELDS + EXTRA_FIELDS
PROGRESS_EVERY = 500
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


class ByteSink(Protocol):
    """Where an export's bytes go: a file, stdout's buffer."""

    def write(self, data: bytes, /) -> int: ...


def export_dir() -> Path:
    # KORDON_AUDIT_EXPORT_DIR is not an environment variable: tests point it at a temporary dir.
    configured = getattr(settings, "KORDON_AUDIT_EXPORT_DIR", None)
    path = Path(configured) if configured else Path(settings.VAR_DIR) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _row(values: dict[str, Any]) -> dict[str, Any]:
    return {name: chain.canonical_value(values[name]) for name in EXPORT_FIELDS}


def _lines(fmt: str, rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    if fmt == "jsonl":
        for row in rows:
            yield json.dumps(_row(row), sort_keys=False, separators=(",", ":")) + "\n"
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_FIELDS)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        data = _row(row)
        writer.writerow(_csv_cell(data[name]) for name in EXPORT_FIELDS)
        yield buffer.getvalue()


# Callers choose `model_requested` (and admins name teams, routes): a cell starting with one of
# these would run as a formula in a spreadsheet, so CSV cells get a leading quote (OWASP).
# JSONL keeps the exact values for machines and chain re-verification.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_queryset(export: AuditExport) -> Any:
    scope = selectors.AuditScope.from_json(export.scope_team_ids)
    records = selectors.filter_records(
        selectors.scoped_records(scope), filters_from_json(export.filters)
    )
    return records.order_by("timestamp", "id")


def _write(
    export: AuditExport, out: ByteSink, progress: Callable[[int], None] | None = None
) -> tuple[int, str]:
    """Stream the export's rows into `out`; returns (count, SHA-256 of the bytes written)."""
    digest = hashlib.sha256()
    count = 0
    rows = export_queryset(export).values(*EXPORT_FIELDS).iterator(chunk_size=2000)

    def counted() -> Iterator[dict[str, Any]]:
        nonlocal count
        for row in rows:
            count += 1
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count)
            yield row

    for line in _lines(export.format, counted()):
        data = line.encode()
        digest.update(data)
        out.write(data)
    return count, digest.hexdigest()


def manifest(export: AuditExport) -> dict[str, Any]:
    """What every export carries: filters, count, time, file SHA-256, who exported."""
    return {
        "export_id": str(export.id),
        "format": export.format,
        "filters": export.filters,
        "team_scope": "all" if export.scope_team_ids is None else export.scope_team_ids,
        "count": export.done,
        "created_at": chain.canonical_value(export.created_at),
        "finished_at": chain.canonical_value(export.finished_at) if export.finished_at else None,
        "sha256": export.sha256,
        "exported_by": export.actor_name,
        "fields": list(EXPORT_FIELDS),
    }


def export_create(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    fmt: str,
    filters: dict[str, Any],
    scope: selectors.AuditScope,
) -> AuditExport:
    """A pending export with the exporter's filters and team scope frozen in."""
    if fmt not in AuditExport.Format.values:
        raise ValueError(f"format: must be one of {', '.join(AuditExport.Format.values)}")
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    export = AuditExport.objects.create(
        created_at=timezone.now(),
        actor=user,
        actor_name=user.get_username() if user is not None else "system",
        format=fmt,
        filters=filters_to_json(filters),
        scope_team_ids=scope.as_json(),
    )
    export.total = export_queryset(export).count()
    export.save(update_fields=["total"])
    return export


@transaction.atomic
def _finish(export: AuditExport, *, count: int, sha256: str, file_name: str) -> AuditExport:
    export.done, export.sha256, export.file_name = count, sha256, file_name
    export.status = AuditExport.Status.DONE
    export.finished_at = timezone.now()
    export.save(update_fields=["done", "sha256", "file_name", "status", "finished_at"])
    # The export itself is part of the trail: who took which records out, and the file's hash.
    change_event_record(
        actor=export.actor,
        action=ChangeEvent.Action.EXPORT,
        target=export,
        after=manifest(export),
        note=f"{count} audit records as {export.format}",
    )
    return export


def export_run(*, export_id: str | uuid.UUID) -> AuditExport:
    """Write the export's file under VAR_DIR/exports, reporting progress; the Celery task body."""
    export = AuditExport.objects.get(id=export_id)
    if export.status == AuditExport.Status.DONE:
        return export
    AuditExport.objects.filter(id=export.id).update(status=AuditExport.Status.RUNNING)
    file_name = f"audit-{export.id}.{export.format}"
    path = export_dir() / file_name

    def progress(done: int) -> None:
        AuditExport.objects.filter(id=export.id).update(done=done)

    try:
        with path.open("wb") as out:
            count, sha256 = _write(export, out, progress)
    except Exception as exc:
        AuditExport.objects.filter(id=export.id).update(
            status=AuditExport.Status.FAILED, error=type(exc).__name__
        )
        logger.error("audit export %s failed: %s", export.id, type(exc).__name__)
        raise
    return _finish(export, count=count, sha256=sha256, file_name=file_name)


def export_to_stream(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    fmt: str,
    filters: dict[str, Any],
    scope: selectors.AuditScope,
    out: ByteSink,
) -> AuditExport:
    """`exportaudit`: the same export written to a stream (stdout), nothing kept on disk."""
    export = export_create(actor=actor, fmt=fmt, filters=filters, scope=scope)
    count, sha256 = _write(export, out)
    return _finish(export, count=count, sha256=sha256, file_name="")


def export_path(export: AuditExport) -> Path | None:
    if export.status != AuditExport.Status.DONE or not export.file_name:
        return None
    path = export_dir() / export.file_name
    return path if path.is_file() else None


def parse_iso(value: str, field: str) -> dt.datetime:
    """An ISO date or date-time from the command line, UTC when no zone is given."""
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{field}: not an ISO date or date-time: {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
