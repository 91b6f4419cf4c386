"""Policy as code: the document (parse, validate, serialize), its versions and the live copy."""

from __future__ import annotations
