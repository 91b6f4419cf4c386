"""Every text of a request that the upstream will see, and a way to put masked texts back.

Pure code: no I/O, no Django. A request body is walked once; each string the backend will read
becomes a `TextSlot` (its path into the JSON body and its text). Parts that cannot be scanned
(images, audio, files, token-id arrays) are reported by kind so the policy can keep them in-country
or refuse them. A body of the wrong shape raises `InvalidRequestShape` naming the path: never a
crash, and never a silently skipped text (an unknown content-part type is refused, not forwarded
unscanned).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Path = tuple[str | int, ...]
Endpoint = Literal["chat", "embeddings", "completions"]

IMAGE = "image"
AUDIO = "audio"
FILE = "file"
TOKENS = "tokens"  # token-id arrays: numbers the backend decodes, not text we can read

# content-part type -> unscannable kind; "text" and "refusal" parts are text slots.
_UNSCANNABLE_PARTS = {"image_url": IMAGE, "input_audio": AUDIO, "file": FILE}


class InvalidRequestShape(ValueError):
    """The body does not have the shape of the endpoint's request; `path` says where."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{format_path(path)}: {reason}")


@dataclass(frozen=True, slots=True)
class TextSlot:
    """One text the upstream will see: where it is in the body and what it says."""

    path: Path
    text: str

    def __repr__(self) -> str:  # the text is customer data: never in a repr or a log line
        return f"TextSlot(path={format_path(self.path)!r}, chars={len(self.text)})"


def format_path(path: Path) -> str:
    """`("messages", 2, "content")` -> `messages[2].content` (for error messages)."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out or "body"


class _Walker:
    """Collects slots and unscannable kinds in document order."""

    def __init__(self) -> None:
        self.slots: list[TextSlot] = []
        self.kinds: list[str] = []

    def text(self, path: Path, value: object, *, optional: bool = True) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str):
            raise InvalidRequestShape(path, "must be a string")
        self.slots.append(TextSlot(path, value))

    def unscannable(self, kind: str) -> None:
        if kind not in self.kinds:
            self.kinds.append(kind)

    def content(self, path: Path, value: object) -> None:
        """A message content: None, a string, or a list of typed parts."""
        if value is None or isinstance(value, str):
            self.text(path, value)
            return
        if not isinstance(value, list):
            raise InvalidRequestShape(path, "must be a string, a list of parts or null")
        for j, part in enumerate(value):
            part_path = (*path, j)
            if not isinstance(part, dict):
                raise InvalidRequestShape(part_path, "must be an object")
            kind = part.get("type")
            if kind in ("text", "refusal"):
                self.text((*part_path, kind), part.get(kind), optional=False)
            elif isinstance(kind, str) and kind in _UNSCANNABLE_PARTS:
                self.unscannable(_UNSCANNABLE_PARTS[kind])
            else:
                # Fail closed: a part type we do not know may carry text we cannot see.
                raise InvalidRequestShape((*part_path, "type"), "unsupported content part type")

    def message(self, path: Path, message: object) -> None:
        if not isinstance(message, dict):
            raise InvalidRequestShape(path, "must be an object")
        self.content((*path, "content"), message.get("content"))
        self.text((*path, "name"), message.get("name"))
        self.text((*path, "refusal"), message.get("refusal"))
        tool_calls = message.get("tool_calls")
        if tool_calls is not None:
            if not isinstance(tool_calls, list):
                raise InvalidRequestShape((*path, "tool_calls"), "must be a list")
            for k, call in enumerate(tool_calls):
                self.tool_call((*path, "tool_calls", k), call)
        function_call = message.get("function_call")
        if function_call is not None:  # legacy single function call
            self.arguments((*path, "function_call"), function_call)

    def tool_call(self, path: Path, call: object) -> None:
        if not isinstance(call, dict):
            raise InvalidRequestShape(path, "must be an object")
        if call.get("function") is not None:
            self.arguments((*path, "function"), call["function"])
        custom = call.get("custom")
        if custom is not None:  # custom tools carry free-form `input`
            if not isinstance(custom, dict):
                raise InvalidRequestShape((*path, "custom"), "must be an object")
            self.text((*path, "custom", "input"), custom.get("input"))

    def arguments(self, path: Path, function: object) -> None:
        if not isinstance(function, dict):
            raise InvalidRequestShape(path, "must be an object")
        self.text((*path, "arguments"), function.get("arguments"))

    def inputs(self, path: Path, value: object, *, required: bool) -> None:
        """Embeddings `input` / completions `prompt`: a string, strings, or token ids."""
        if value is None:
            if required:
                raise InvalidRequestShape(path, "is required")
            return
        if isinstance(value, str):
            self.text(path, value)
            return
        if not isinstance(value, list):
            raise InvalidRequestShape(path, "must be a string or a list")
        if value and all(_is_token(item) for item in value):
            self.unscannable(TOKENS)
            return
        for i, item in enumerate(value):
            if isinstance(item, str):
                self.text((*path, i), item)
            elif isinstance(item, list) and all(_is_token(t) for t in item):
                self.unscannable(TOKENS)
            else:
                raise InvalidRequestShape((*path, i), "must be a string or a list of token ids")


def _is_token(item: object) -> bool:
    return isinstance(item, int) and not isinstance(item, bool)


def request_texts(body: object, endpoint: Endpoint) -> tuple[list[TextSlot], list[str]]:
    """Every text slot of `body` and the kinds of unscannable parts found (first-seen order).

    Covered: chat messages of every role (string content and `text`/`refusal` parts, `name`,
    `refusal`, tool-call and legacy function-call arguments, custom tool input, tool and
    function results) and `prediction.content`; embeddings `input`; completions `prompt` and
    `suffix`. Tool *definitions* (`tools`, `functions`) are the developer's schema, not
    conversation text, and are not slots.
    """
    if not isinstance(body, dict):
        raise InvalidRequestShape((), "must be a JSON object")
    walker = _Walker()
    if endpoint == "chat":
        messages = body.get("messages")
        if not isinstance(messages, list):
            raise InvalidRequestShape(("messages",), "must be a list")
        for i, message in enumerate(messages):
            walker.message(("messages", i), message)
        prediction = body.get("prediction")
        if prediction is not None:
            if not isinstance(prediction, dict):
                raise InvalidRequestShape(("prediction",), "must be an object")
            walker.content(("prediction", "content"), prediction.get("content"))
    elif endpoint == "embeddings":
        walker.inputs(("input",), body.get("input"), required=True)
    elif endpoint == "completions":
        walker.inputs(("prompt",), body.get("prompt"), required=False)
        walker.text(("suffix",), body.get("suffix"))
    else:
        raise InvalidRequestShape((), f"unknown endpoint {endpoint!r}")
    return walker.slots, walker.kinds


def with_texts(body: Mapping[str, Any], replacements: Iterable[tuple[Path, str]]) -> dict[str, Any]:
    """A copy of `body` with the string at each path replaced; `body` itself is never mutated.

    Copy-on-write along the replaced paths only: untouched branches are shared with `body`,
    which keeps a long conversation cheap when only the new turn changes.
    """
    root: dict[str, Any] = dict(body)
    copied: dict[Path, Any] = {(): root}
    for path, text in replacements:
        if not path:
            raise InvalidRequestShape(path, "cannot replace the whole body")
        node: Any = root
        for depth, step in enumerate(path[:-1]):
            prefix = path[: depth + 1]
            child = copied.get(prefix)
            if child is None:
                child = _copy(node[step], prefix)
                node[step] = child
                copied[prefix] = child
            node = child
        if not isinstance(node[path[-1]], str):
            raise InvalidRequestShape(path, "must be a string")
        node[path[-1]] = text
    return root


def _copy(value: Any, path: Path) -> Any:
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    raise InvalidRequestShape(path, "must be an object or a list")
