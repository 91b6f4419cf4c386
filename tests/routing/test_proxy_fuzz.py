"""Generated hostile bodies against the live proxy: never a 500, always the contract's shape.

Each body starts from a valid chat or embeddings request and has fields replaced by values of
the wrong type, odd Unicode (lone surrogates, NUL, bidi controls, combining marks), deep
nesting or extra fields. Whatever the gateway answers must be a status the contract names,
errors in OpenAI's shape with a contract code, nothing forwarded when the gateway itself
refused, and one audit record per request (the key is valid, so every request passed
authentication) with the status the caller saw.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st

from tests.generated import json_leaves, json_values, probe_settings

CONTRACT_STATUSES = {200, 400, 403, 413, 429, 502, 503}
CONTRACT_CODES = {
    "invalid_request_error",
    "model_not_allowed",
    "blocked_by_policy",
    "rate_limited",
    "budget_exceeded",
    "no_compliant_backend",
    "upstream_error",
}
NASTY_TEXT = [
    "\ud800",  # a lone high surrogate (only a JSON escape can carry it)
    "\udfff tail",
    "a\u0000b",
    "\u202eIIN 900101301005\u202c",  # right-to-left override around an ID
    "9\u200b0\u200b0101301005",  # zero-width spaces inside an ID
    "e\u0301" * 50,  # combining marks
    "\ufeffBOM",
    "".join(chr(0x1D7CE + int(d)) for d in "900101301005"),  # mathematical bold digits
    "Иван Петров, ИИН 900101301005",
    "Nightingale PRJ-1234",
    "",
    " " * 3000,
]

json_value = json_values(json_leaves(*NASTY_TEXT, text_size=40), max_leaves=12)
text = st.one_of(st.text(max_size=200), st.sampled_from(NASTY_TEXT))
content_part = st.one_of(
    st.fixed_dictionaries({"type": st.just("text"), "text": st.one_of(text, json_value)}),
    st.fixed_dictionaries(
        {"type": st.just("image_url"), "image_url": st.one_of(json_value, st.just({"url": "x"}))}
    ),
    st.dictionaries(st.sampled_from(["type", "text", "input_audio", "file"]), json_value),
    json_value,
)
message = st.fixed_dictionaries(
    {
        "role": st.one_of(
            st.sampled_from(["user", "system", "assistant", "tool", "developer"]), json_value
        ),
        "content": st.one_of(text, st.lists(content_part, max_size=3), json_value),
    },
    optional={"name": json_value, "tool_calls": json_value, "tool_call_id": json_value},
)
chat_body = st.fixed_dictionaries(
    {
        "model": st.one_of(st.sampled_from(["assistant", "echo", "embed", "nope"]), json_value),
        "messages": st.one_of(st.lists(message, min_size=1, max_size=3), json_value),
    },
    optional={
        "stream": st.one_of(st.booleans(), json_value),
        "stream_options": json_value,
        "temperature": json_value,
        "tools": json_value,
        "n": json_value,
        "max_tokens": json_value,
        "user": json_value,
    },
)
embeddings_body = st.fixed_dictionaries(
    {
        "model": st.one_of(st.sampled_from(["embed", "assistant"]), json_value),
        "input": st.one_of(text, st.lists(st.one_of(text, st.integers()), max_size=3), json_value),
    },
    optional={"encoding_format": json_value, "dimensions": json_value},
)


def _deeply_nested(depth: int) -> str:
    return '{"model": "assistant", "messages": ' + "[" * depth + "]" * depth + "}"


raw_body = st.one_of(
    chat_body.map(lambda b: ("/chat/completions", json.dumps(b).encode())),
    embeddings_body.map(lambda b: ("/embeddings", json.dumps(b).encode())),
    st.binary(max_size=64).map(lambda b: ("/chat/completions", b)),
    st.integers(min_value=1, max_value=5000).map(
        lambda d: ("/chat/completions", _deeply_nested(d).encode())
    ),
    chat_body.map(lambda b: ("/chat/completions", json.dumps(b).encode()[:-3])),  # truncated
)


def _check_answer(response: httpx.Response, streamed: bool) -> None:
    assert response.status_code in CONTRACT_STATUSES, (response.status_code, response.text[:300])
    if response.status_code >= 400:
        payload = response.json()
        assert set(payload) == {"error"}, payload
        error = payload["error"]
        assert {"message", "type", "code"} <= set(error), error
        if response.status_code != 413:
            assert error["code"] in CONTRACT_CODES, error
        if response.status_code == 429:
            assert "retry-after" in response.headers
    elif streamed:
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.text.rstrip().endswith(("data: [DONE]", '"upstream_error"}}'))
    else:
        assert isinstance(response.json(), dict)


def test_generated_hostile_bodies_get_contract_answers(proxy):
    answered: dict[str, int] = {}  # X-Request-Id -> status the caller saw
    statuses: list[int] = []

    @probe_settings(300)
    @given(raw_body)
    def probe(case: tuple[str, bytes]) -> None:
        path, raw = case
        forwarded_before = len(proxy.all_bodies())
        response = httpx.post(
            proxy.url + path,
            content=raw,
            headers={"Authorization": f"Bearer {proxy.secret}", "Content-Type": "application/json"},
            timeout=20,
        )
        try:
            body: Any = json.loads(raw)
        except (ValueError, RecursionError):
            body = None
        streamed = isinstance(body, dict) and body.get("stream") is True
        _check_answer(response, streamed)
        if 400 <= response.status_code < 500:  # the recording upstreams reject nothing
            assert len(proxy.all_bodies()) == forwarded_before, response.text[:300]
        answered[response.headers["x-request-id"]] = response.status_code
        statuses.append(response.status_code)

    probe()
    records = {str(r.id): r for r in proxy.records(len(answered))}
    assert set(answered) <= set(records)
    assert {rid: records[rid].status_code for rid in answered} == answered
    assert {200, 400} <= set(statuses)  # the generator reached answers and refusals
