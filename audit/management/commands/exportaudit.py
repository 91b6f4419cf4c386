"""`exportaudit --format jsonl|csv [--since ISO] [--until ISO] [--team T]`: records to stdout.

The manifest (filters, count, time, SHA-256 of what went to stdout, who) goes to stderr as one
JSON line, and the export is recorded as a change event, like an export from the console.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit import exports, selectors


class Command(BaseCommand):
    help = "Export audit records as JSONL or CSV to stdout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", required=True, choices=["jsonl", "csv"])
        parser.add_argument("--since", help="ISO date or date-time (inclusive)")
        parser.add_argument("--until", help="ISO date or date-time (exclusive)")
        parser.add_argument("--team", help="team name")

    def handle(self, *args: Any, **options: Any) -> None:
        filters: dict[str, Any] = {}
        try:
            for name in ("since", "until"):
                if options[name]:
                    filters[name] = exports.parse_iso(options[name], name)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["team"]:
            filters["team"] = options["team"]
        out = getattr(self.stdout, "_out", sys.stdout)
        stream = getattr(out, "buffer", None)
        if stream is None:  # a text stream (e.g. call_command(stdout=StringIO())): encode
            stream = _TextBytes(out)
        export = exports.export_to_stream(
            actor=None,
            fmt=options["format"],
            filters=filters,
            scope=selectors.AuditScope(all_teams=True),
            out=stream,
        )
        stream.flush()
        self.stderr.write(json.dumps(exports.manifest(export)))


class _TextBytes:
    def __init__(self, out: Any) -> None:
        self.out = out

    def write(self, data: bytes) -> int:
        self.out.write(data.decode())
        return len(data)

    def flush(self) -> None:
        if hasattr(self.out, "flush"):
            self.out.flush()
