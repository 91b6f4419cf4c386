from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routing.texts import InvalidRequestShape, TextSlot, format_path, request_texts, with_texts


def texts_by_path(body, endpoint="chat"):
    slots, kinds = request_texts(body, endpoint)
    return {slot.path: slot.text for slot in slots}, kinds


def test_every_chat_text_the_upstream_sees_is_a_slot():
    body = {
        "model": "assistant",
        "messages": [
            {"role": "system", "content": "You help Ivan."},
            {"role": "developer", "content": "Be brief."},
            {
                "role": "user",
                "name": "ivan_petrov",
                "content": [
                    {"type": "text", "text": "My IIN is 900101300123"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                    {"type": "text", "text": "second part"},
                ],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "lookup", "arguments": '{"iin": "900101300123"}'},
                    },
                    {"id": "c2", "type": "custom", "custom": {"name": "x", "input": "free text"}},
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "found: Ivan Petrov"},
            {"role": "assistant", "function_call": {"name": "f", "arguments": '{"a": 1}'}},
            {"role": "function", "name": "f", "content": "legacy result"},
            {"role": "assistant", "content": [{"type": "refusal", "refusal": "no"}]},
            {"role": "assistant", "content": "ok", "refusal": "partly refused"},
        ],
        "prediction": {"type": "content", "content": "predicted text"},
    }
    texts, kinds = texts_by_path(body)
    assert texts == {
        ("messages", 0, "content"): "You help Ivan.",
        ("messages", 1, "content"): "Be brief.",
        ("messages", 2, "content", 0, "text"): "My IIN is 900101300123",
        ("messages", 2, "content", 2, "text"): "second part",
        ("messages", 2, "name"): "ivan_petrov",
        ("messages", 3, "tool_calls", 0, "function", "arguments"): '{"iin": "900101300123"}',
        ("messages", 3, "tool_calls", 1, "custom", "input"): "free text",
        ("messages", 4, "content"): "found: Ivan Petrov",
        ("messages", 5, "function_call", "arguments"): '{"a": 1}',
        ("messages", 6, "content"): "legacy result",
        ("messages", 6, "name"): "f",
        ("messages", 7, "content", 0, "refusal"): "no",
        ("messages", 8, "content"): "ok",
        ("messages", 8, "refusal"): "partly refused",
        ("prediction", "content"): "predicted text",
    }
    assert kinds == ["image"]


def test_unscannable_parts_are_reported_by_kind_once_each():
    body = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
                    {"type": "file", "file": {"file_id": "f1"}},
                    {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
                    {"type": "image_url", "image_url": {"url": "https://x/z.png"}},
                ],
            }
        ]
    }
    texts, kinds = texts_by_path(body)
    assert texts == {}
    assert kinds == ["audio", "file", "image"]


def test_unknown_content_part_type_is_refused_not_skipped():
    body = {"messages": [{"role": "user", "content": [{"type": "video", "data": "secret"}]}]}
    with pytest.raises(InvalidRequestShape) as err:
        request_texts(body, "chat")
    assert err.value.path == ("messages", 0, "content", 0, "type")
    assert str(err.value) == "messages[0].content[0].type: unsupported content part type"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ([], ()),
        ({"messages": "hi"}, ("messages",)),
        ({}, ("messages",)),
        ({"messages": ["hi"]}, ("messages", 0)),
        ({"messages": [{"role": "user", "content": 5}]}, ("messages", 0, "content")),
        ({"messages": [{"role": "user", "content": ["x"]}]}, ("messages", 0, "content", 0)),
        (
            {"messages": [{"role": "user", "content": [{"type": "text", "text": 3}]}]},
            ("messages", 0, "content", 0, "text"),
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "text"}]}]},
            ("messages", 0, "content", 0, "text"),
        ),
        ({"messages": [{"role": "user", "name": 1}]}, ("messages", 0, "name")),
        ({"messages": [{"role": "assistant", "tool_calls": {}}]}, ("messages", 0, "tool_calls")),
        (
            {"messages": [{"role": "assistant", "tool_calls": [{"function": "f"}]}]},
            ("messages", 0, "tool_calls", 0, "function"),
        ),
        (
            {"messages": [{"role": "assistant", "tool_calls": [{"function": {"arguments": {}}}]}]},
            ("messages", 0, "tool_calls", 0, "function", "arguments"),
        ),
        (
            {"messages": [{"role": "assistant", "function_call": []}]},
            ("messages", 0, "function_call"),
        ),
        ({"messages": [], "prediction": "x"}, ("prediction",)),
    ],
)
def test_wrong_chat_shapes_raise_with_a_path(body, path):
    with pytest.raises(InvalidRequestShape) as err:
        request_texts(body, "chat")
    assert err.value.path == path
    assert isinstance(err.value, ValueError)


def test_embeddings_input_string_list_and_tokens():
    assert texts_by_path({"input": "one"}, "embeddings") == ({("input",): "one"}, [])
    assert texts_by_path({"input": ["a", "b"]}, "embeddings") == (
        {("input", 0): "a", ("input", 1): "b"},
        [],
    )
    assert texts_by_path({"input": [1, 2, 3]}, "embeddings") == ({}, ["tokens"])
    assert texts_by_path({"input": [[1, 2], [3]]}, "embeddings") == ({}, ["tokens"])
    assert texts_by_path({"input": ["a", [1, 2]]}, "embeddings") == (
        {("input", 0): "a"},
        ["tokens"],
    )


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({}, ("input",)),
        ({"input": 5}, ("input",)),
        ({"input": [True, False]}, ("input", 0)),
        ({"input": ["a", 1.5]}, ("input", 1)),
        ({"input": [["a"]]}, ("input", 0)),
    ],
)
def test_wrong_embeddings_shapes_raise(body, path):
    with pytest.raises(InvalidRequestShape) as err:
        request_texts(body, "embeddings")
    assert err.value.path == path


def test_legacy_completions_prompt_and_suffix():
    assert texts_by_path({"prompt": "p", "suffix": "s"}, "completions") == (
        {("prompt",): "p", ("suffix",): "s"},
        [],
    )
    assert texts_by_path({"prompt": ["p", "q"]}, "completions")[0] == {
        ("prompt", 0): "p",
        ("prompt", 1): "q",
    }
    assert texts_by_path({"prompt": [5, 6]}, "completions") == ({}, ["tokens"])
    with pytest.raises(InvalidRequestShape):
        request_texts({"prompt": {"x": 1}}, "completions")


def test_unknown_endpoint_is_refused():
    with pytest.raises(InvalidRequestShape):
        request_texts({"messages": []}, "images")  # type: ignore[arg-type]


def test_slot_repr_never_shows_the_text():
    slot = TextSlot(("messages", 0, "content"), "IIN 900101300123")
    assert "900101300123" not in repr(slot)
    assert "messages[0].content" in repr(slot)


def test_format_path():
    assert format_path(("messages", 2, "content", 0, "text")) == "messages[2].content[0].text"
    assert format_path(("input", 1)) == "input[1]"
    assert format_path(()) == "body"


def test_with_texts_replaces_without_mutating_the_callers_body():
    body = {
        "model": "m",
        "messages": [
            {
                "role": "user",
                "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
            },
            {"role": "user", "content": "untouched"},
        ],
    }
    before = copy.deepcopy(body)
    out = with_texts(
        body,
        [
            (("messages", 0, "content", 1, "text"), "B"),
            (("messages", 0, "content", 0, "text"), "A"),
        ],
    )
    assert body == before
    assert out["messages"][0]["content"] == [
        {"type": "text", "text": "A"},
        {"type": "text", "text": "B"},
    ]
    assert out["messages"][1] is body["messages"][1]  # untouched branches are shared
    assert out is not body
    out["model"] = "upstream"  # the proxy may rewrite the copy freely
    assert body["model"] == "m"


def test_with_texts_refuses_a_path_to_a_non_string():
    with pytest.raises(InvalidRequestShape):
        with_texts({"messages": [{"content": None}]}, [(("messages", 0, "content"), "x")])


# Property: whatever JSON arrives, request_texts either returns slots or raises
# InvalidRequestShape (a ValueError the proxy turns into a 400): never another exception.
KEYS = (
    *("role", "content", "type", "text", "name", "tool_calls", "function", "arguments"),
    *("function_call", "custom", "input", "refusal", "image_url", "prompt", "messages"),
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(KEYS),
            inner,
            max_size=5,
        )
    ),
    max_leaves=25,
)
PART_TYPES = st.sampled_from(["text", "refusal", "image_url", "input_audio", "file", "video", 3])


@st.composite
def chat_like(draw):
    messages = draw(
        st.lists(
            JSON
            | st.fixed_dictionaries(
                {
                    "content": st.lists(
                        st.fixed_dictionaries({"type": PART_TYPES, "text": JSON, "refusal": JSON}),
                        max_size=3,
                    )
                }
            ),
            max_size=4,
        )
    )
    return {"messages": messages}


@given(chat_like() | JSON, st.sampled_from(["chat", "embeddings", "completions"]))
def test_property_request_texts_never_crashes(body, endpoint):
    try:
        slots, kinds = request_texts(body, endpoint)
    except InvalidRequestShape as exc:
        assert exc.path is not None
        return
    assert all(isinstance(slot.text, str) for slot in slots)
    assert set(kinds) <= {"image", "audio", "file", "tokens"}
    # every slot path leads to its text, and replacing all of them works
    replaced = with_texts(body, [(slot.path, "x") for slot in slots])
    for slot in slots:
        node = replaced
        for step in slot.path:
            node = node[step]
        assert node == "x"
