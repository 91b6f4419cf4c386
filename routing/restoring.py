"""Put the caller's values back into answers: JSON bodies and SSE streams, chunk by chunk.

Pure code: no I/O, no Django. Only placeholders this request's vault issued are replaced;
anything else that looks like one (the caller's own text, a model's invention) passes through
as text, so a value the caller did not send is never put back. Matching accepts small model
mangling (`< PERSON_1 >`, `<person_1>`), which is unambiguous because masking skipped every
number the caller's text already used under the same lenient match.

Inside tool-call and function-call arguments (JSON text) the original is inserted with
JSON-string escaping, so a value containing a quote or a backslash keeps the arguments valid.
Any failure raises `MaskingError` (fail closed).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from routing.output_scan import OutputScanner, OutputScanResult, mask_output
from routing.placeholders import MAX_BLANKS, PLACEHOLDER_RE, MaskingError, Vault

__all__ = [
    "MaskingError",
    "OutputScanResult",
    "OutputScanner",
    "StreamRestorer",
    "Vault",
    "mask_output",
    "restore_json_response",
    "restore_text",
]

StreamKey = tuple[Hashable, ...]
_BLANKS = " \t"


def _json_fragment(value: str) -> str:
    """`value` escaped for the inside of a JSON string (the quotes stripped)."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


def restore_text(text: str, vault: Vault, *, json_string: bool = False) -> str:
    """`text` with every placeholder the vault issued replaced by its original."""
    if not vault or "<" not in text:
        return text

    def put_back(match: Any) -> str:
        original = vault.lookup(match.group(1), match.group(2))
        if original is None:
            return str(match.group(0))  # not ours: the caller's or the model's own text
        return _json_fragment(original) if json_string else original

    return PLACEHOLDER_RE.sub(put_back, text)


def restore_json_response(resp: dict[str, Any], vault: Vault) -> dict[str, Any]:
    """A copy of a chat or completions answer with placeholders restored in every choice.

    Restores `message.content` (string or text parts), `message.refusal`, every
    `message.tool_calls[].function.arguments`, legacy `message.function_call.arguments` and
    completions' `text`. Parts of an unexpected shape are left as they are. The input is not
    mutated.
    """
    try:
        if not vault:
            return resp
        out = dict(resp)
        choices = resp.get("choices")
        if isinstance(choices, list):
            out["choices"] = [_restore_choice(c, vault) for c in choices]
        return out
    except MaskingError:
        raise
    except Exception as exc:
        raise MaskingError(f"restoring the answer failed ({type(exc).__name__})") from None


def _restore_choice(choice: Any, vault: Vault) -> Any:
    if not isinstance(choice, dict):
        return choice
    out = dict(choice)
    if isinstance(choice.get("text"), str):  # legacy completions
        out["text"] = restore_text(choice["text"], vault)
    message = choice.get("message")
    if isinstance(message, dict):
        out["message"] = _restore_message(message, vault)
    return out


def _restore_message(message: dict[str, Any], vault: Vault) -> dict[str, Any]:
    out = dict(message)
    content = message.get("content")
    if isinstance(content, str):
        out["content"] = restore_text(content, vault)
    elif isinstance(content, list):
        out["content"] = [_restore_part(part, vault) for part in content]
    if isinstance(message.get("refusal"), str):
        out["refusal"] = restore_text(message["refusal"], vault)
    tool_calls = message.get("tool_calls")
    if isinstance(tool_calls, list):
        out["tool_calls"] = [
            {**call, "function": _restore_arguments(call["function"], vault)}
            if isinstance(call, dict) and isinstance(call.get("function"), dict)
            else call
            for call in tool_calls
        ]
    if isinstance(message.get("function_call"), dict):
        out["function_call"] = _restore_arguments(message["function_call"], vault)
    return out


def _restore_part(part: Any, vault: Vault) -> Any:
    if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str):
        return {**part, "text": restore_text(part["text"], vault)}
    return part


def _restore_arguments(function: Mapping[str, Any], vault: Vault) -> dict[str, Any]:
    out = dict(function)
    if isinstance(function.get("arguments"), str):
        out["arguments"] = restore_text(function["arguments"], vault, json_string=True)
    return out


def is_json_key(key: StreamKey) -> bool:
    """Default: keys `(choice, "tool", i)` and `(choice, "function_call")` carry JSON text."""
    return len(key) > 1 and key[1] in ("tool", "function_call")


class StreamRestorer:
    """Restores placeholders in streamed deltas, one buffer per key, as early as possible.

    Keys, by convention: `(choice_index, "content")`, `(choice_index, "refusal")`,
    `(choice_index, "tool", tool_call_index)`, `(choice_index, "function_call")` and, for
    legacy completions, `(choice_index, "text")`. `feed()` returns the text that can be released
    now; it holds back only a tail that could still become an issued placeholder (at most one
    placeholder plus its blanks). `flush()` releases what a key holds, at its `finish_reason`
    or at the end of the stream.
    """

    __slots__ = ("_held", "_json_key", "_vault")

    def __init__(
        self, vault: Vault, *, json_key: Callable[[StreamKey], bool] = is_json_key
    ) -> None:
        self._vault = vault
        self._json_key = json_key
        self._held: dict[StreamKey, str] = {}

    def __repr__(self) -> str:
        return f"<StreamRestorer: {len(self._held)} keys holding text>"

    def feed(self, key: StreamKey, text: str) -> str:
        try:
            if not self._vault:
                return text  # nothing was issued: nothing to restore or hold
            held = self._held.pop(key, "")
            buffer = held + text if held else text
            cut = buffer.rfind("<")
            if cut == -1:
                return buffer
            if self._could_grow(buffer, cut):
                self._held[key] = buffer[cut:]
                buffer = buffer[:cut]
            return restore_text(buffer, self._vault, json_string=self._json_key(key))
        except MaskingError:
            raise
        except Exception as exc:
            raise MaskingError(f"restoring the stream failed ({type(exc).__name__})") from None

    def flush(self, key: StreamKey) -> str:
        """What `key` still holds (never a complete placeholder: those were released)."""
        return self._held.pop(key, "")

    def flush_all(self) -> dict[StreamKey, str]:
        held, self._held = self._held, {}
        return held

    def held(self, key: StreamKey) -> int:
        """How many characters `key` holds back right now."""
        return len(self._held.get(key, ""))

    def _could_grow(self, buffer: str, cut: int) -> bool:
        """Whether `buffer[cut:]` (starting with '<') may still become an issued placeholder.

        Mirrors PLACEHOLDER_RE: blanks, a name that is a prefix of an issued `ENTITY_N`, then
        (once the name is complete) blanks before the closing '>'.
        """
        tail = buffer[cut + 1 :]
        size = len(tail)
        i = 0
        while i < size and i < MAX_BLANKS and tail[i] in _BLANKS:
            i += 1
        if i == size:
            return True
        j = i
        while j < size and (tail[j] == "_" or (tail[j].isascii() and tail[j].isalnum())):
            j += 1
        if j == i:
            return False
        word = tail[i:j].upper()
        rest = tail[j:]
        if not rest:
            return self._vault.is_inner_prefix(word)
        return len(rest) <= MAX_BLANKS and not rest.strip(_BLANKS) and self._vault.is_inner(word)
