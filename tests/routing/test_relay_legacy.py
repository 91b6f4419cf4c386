"""Streamed legacy `function_call` arguments are restored like tool-call arguments."""

from __future__ import annotations

import asyncio
import json

from routing.placeholders import Vault
from routing.relay import StreamOutcome, _restore_chunk
from routing.restoring import StreamRestorer


def _chunk(arguments: str, finish: str | None = None) -> dict:
    return {
        "choices": [
            {
                "index": 0,
                "delta": {"function_call": {"arguments": arguments}},
                "finish_reason": finish,
            }
        ]
    }


def test_streamed_legacy_function_call_arguments_are_restored_across_chunks():
    vault = Vault()
    vault.add("<PERSON_1>", 'Ivan "the" Petrov')
    restorer = StreamRestorer(vault)
    out = StreamOutcome()
    pieces = ['{"name": "<PER', "SON_1>", '"}']
    released = ""
    for i, piece in enumerate(pieces):
        chunk = _chunk(piece, "function_call" if i == len(pieces) - 1 else None)
        asyncio.run(_restore_chunk(chunk, restorer, None, out))
        released += chunk["choices"][0]["delta"]["function_call"]["arguments"]
    assert json.loads(released) == {"name": 'Ivan "the" Petrov'}
