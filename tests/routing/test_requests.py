from __future__ import annotations

import orjson
import pytest

from audit import recorder
from routing.errors import InvalidRequest
from routing.requests import parse_chat, parse_embeddings

MAX = 1_048_576
CONTROLS = [chr(c) for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))]


def chat(**fields):
    body = {"model": "assistant", "messages": [{"role": "user", "content": "hi"}], **fields}
    return orjson.dumps(body)


def embeddings(**fields):
    return orjson.dumps({"model": "embed", "input": "hi", **fields})


@pytest.mark.parametrize("parse", [parse_chat, parse_embeddings], ids=["chat", "embeddings"])
def test_a_model_with_any_control_character_is_refused(parse):
    build = chat if parse is parse_chat else embeddings
    for control in CONTROLS:
        for model in (f"assistant{control}", f"{control}assistant", f"assi{control}stant"):
            with pytest.raises(InvalidRequest) as caught:
                parse(build(model=model), max_bytes=MAX)
            assert caught.value.message == "'model' must not contain control characters."


def test_a_nul_escaped_in_the_json_is_refused_too():
    raw = b'{"model": "assistant\\u0000", "messages": [{"role": "user", "content": "hi"}]}'
    with pytest.raises(InvalidRequest, match="control characters"):
        parse_chat(raw, max_bytes=MAX)


@pytest.mark.parametrize(
    "model",
    ["assistant", "qwen2.5-7b-instruct", "org/model:v1@2024", "модель ассистент", "é" * 200],
)
def test_ordinary_model_names_pass(model):
    assert parse_chat(chat(model=model), max_bytes=MAX).model == model


def test_a_user_with_a_nul_passes_and_is_stored_only_as_a_keyed_hash():
    parsed = parse_chat(chat(user="ivan\x00\x1f"), max_bytes=MAX)
    assert parsed.user == "ivan\x00\x1f"  # forwarded as the caller sent it
    digest = recorder.end_user_hash(parsed.user)
    assert len(digest) == 64 and set(digest) <= set("0123456789abcdef")
    assert digest != recorder.end_user_hash("ivan")
