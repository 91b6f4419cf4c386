"""Body validation for the proxy endpoints: strict on what the gateway needs, blind to the rest.

Only the fields Kordon itself reads are checked (model, messages/input, stream, user). Every other
field (tools, response_format, temperature, stream_options, ...) passes through untouched. Any
malformed body raises `InvalidRequest` (400) and an oversized one `PayloadTooLarge` (413); the
messages never echo the input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from routing.errors import InvalidRequest, PayloadTooLarge

Endpoint = Literal["chat", "embeddings"]
ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
# The model is the one caller-chosen string stored verbatim (audit `model_requested`).
# PostgreSQL refuses a NUL in text, and a failed insert fails its whole batch, other callers'
# records included; no model name needs any control character (C0, DEL, C1).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class ProxyRequest:
    """A validated body: the parsed JSON plus the few fields the gateway acts on."""

    endpoint: Endpoint
    body: dict[str, Any]
    model: str
    stream: bool
    user: str
    include_usage: bool
    size: int

    def estimated_prompt_tokens(self) -> int:
        # A cheap upper-ish bound for TPM checks before the upstream reports real usage.
        return max(1, self.size // 4)


def load_json(raw: bytes, *, max_bytes: int) -> dict[str, Any]:
    if len(raw) > max_bytes:
        raise PayloadTooLarge()
    if not raw:
        raise InvalidRequest("Request body is empty.")
    try:
        body = orjson.loads(raw)  # rejects invalid UTF-8 as well as invalid JSON
    except orjson.JSONDecodeError:
        raise InvalidRequest("Request body is not valid UTF-8 JSON.") from None
    if not isinstance(body, dict):
        raise InvalidRequest("Request body must be a JSON object.")
    return body


def _model(body: dict[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model.strip() or len(model) > 200:
        raise InvalidRequest("'model' must be a non-empty string.")
    if CONTROL_CHARACTERS.search(model):
        raise InvalidRequest("'model' must not contain control characters.")
    return model


def _user(body: dict[str, Any]) -> str:
    user = body.get("user", "")
    if user is None:
        return ""
    if not isinstance(user, str):
        raise InvalidRequest("'user' must be a string.")
    return user


def _check_content(content: Any, where: str) -> None:
    if content is None or isinstance(content, str):
        return
    if not isinstance(content, list):
        raise InvalidRequest(f"'{where}.content' must be a string or a list of parts.")
    for j, part in enumerate(content):
        if not isinstance(part, dict) or not isinstance(part.get("type"), str):
            raise InvalidRequest(f"'{where}.content[{j}]' must be an object with a 'type'.")
        if part["type"] == "text" and not isinstance(part.get("text"), str):
            raise InvalidRequest(f"'{where}.content[{j}].text' must be a string.")


def parse_chat(raw: bytes, *, max_bytes: int) -> ProxyRequest:
    body = load_json(raw, max_bytes=max_bytes)
    model = _model(body)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("'messages' must be a non-empty list.")
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise InvalidRequest(f"'{where}' must be an object.")
        role = message.get("role")
        if not isinstance(role, str) or role not in ROLES:  # a list or object is unhashable
            raise InvalidRequest(f"'{where}.role' is missing or unknown.")
        _check_content(message.get("content"), where)
    stream = body.get("stream", False)
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise InvalidRequest("'stream' must be a boolean.")
    options = body.get("stream_options")
    if options is not None and not isinstance(options, dict):
        raise InvalidRequest("'stream_options' must be an object.")
    include_usage = bool(options and options.get("include_usage") is True)
    return ProxyRequest("chat", body, model, stream, _user(body), include_usage, len(raw))


def parse_embeddings(raw: bytes, *, max_bytes: int) -> ProxyRequest:
    body = load_json(raw, max_bytes=max_bytes)
    model = _model(body)
    value = body.get("input")
    ok = isinstance(value, str) or (
        isinstance(value, list)
        and value
        and (
            all(isinstance(v, str) for v in value)
            or all(isinstance(v, int) for v in value)
            or all(isinstance(v, list) and all(isinstance(t, int) for t in v) for v in value)
        )
    )
    if not ok:
        raise InvalidRequest("'input' must be a string, a list of strings or of token lists.")
    if body.get("stream"):
        raise InvalidRequest("Embeddings do not stream.")
    return ProxyRequest("embeddings", body, model, False, _user(body), False, len(raw))
