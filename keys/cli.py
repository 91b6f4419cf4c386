"""Shared plumbing for the keys management commands: errors as `path.to.field: reason`."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import NoReturn

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

EXIT_INVALID = 2


def validation_lines(
    error: ValidationError, *, rename: Mapping[str, str] | None = None
) -> list[str]:
    """One `field: reason` line per message; `rename` maps model fields to option names."""
    rename = rename or {}
    if not hasattr(error, "error_dict"):
        return [f"error: {message}" for message in error.messages]
    lines: list[str] = []
    for field, errors in error.message_dict.items():
        label = "error" if field == "__all__" else rename.get(field, field)
        lines.extend(f"{label}: {message}" for message in errors)
    return lines


def exit_invalid(
    command: BaseCommand, error: ValidationError, *, rename: Mapping[str, str] | None = None
) -> NoReturn:
    """Print every validation error to stderr and exit non-zero (nothing was changed)."""
    for line in validation_lines(error, rename=rename):
        command.stderr.write(line)
    sys.exit(EXIT_INVALID)
