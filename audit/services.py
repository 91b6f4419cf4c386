"""Every write of the audit app, gathered here so callers find them in the usual place.

The code lives in small topic modules (sealing, retention, exports, verification, changes);
`from audit import services` then `services.seal_pending()` keeps the layer visible.
"""

from __future__ import annotations

from audit.alerts import alerts_check
from audit.changes import change_event_record
from audit.dashboard import rollup_recent
from audit.exports import export_create, export_run, export_to_stream
from audit.retention import audit_purge
from audit.sealing import seal_pending
from audit.verification import verify_and_record

__all__ = [
    "alerts_check",
    "audit_purge",
    "change_event_record",
    "export_create",
    "export_run",
    "export_to_stream",
    "rollup_recent",
    "seal_pending",
    "verify_and_record",
]
