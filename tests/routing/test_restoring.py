from __future__ import annotations

import copy
import itertools
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routing.placeholders import MaskingError, Vault
from routing.restoring import StreamRestorer, restore_json_response, restore_text

IIN = "900101300128"
TRICKY = 'Ivan "the \\ Terrible"\n'  # a value that would break JSON if pasted raw


def vault_with(**pairs):
    vault = Vault()
    for placeholder, original in pairs.items():
        vault.add(f"<{placeholder}>", original)
    return vault


VAULT = vault_with(
    PERSON_1="Ivan Petrov", KZ_IIN_1=IIN, PERSON_12="Aigerim", EMAIL_ADDRESS_1="a@b.kz"
)


def test_restore_text_replaces_issued_placeholders_only():
    text = "<PERSON_1> (<KZ_IIN_1>) met <PERSON_2> and <PERSON_12>; <FOO_1>, <PERSON_1"
    assert restore_text(text, VAULT) == (
        f"Ivan Petrov ({IIN}) met <PERSON_2> and Aigerim; <FOO_1>, <PERSON_1"
    )


@pytest.mark.parametrize("mangled", ["< PERSON_1 >", "<person_1>", "<  Person_1\t>", "<PERSON_01>"])
def test_small_model_mangling_is_accepted(mangled):
    assert restore_text(f"Hi {mangled}!", VAULT) == "Hi Ivan Petrov!"


@pytest.mark.parametrize("too_mangled", ["<   PERSON_1>", "<PERSON 1>", "<PERSON-1>", "[PERSON_1]"])
def test_heavier_mangling_is_left_alone(too_mangled):
    assert restore_text(too_mangled, VAULT) == too_mangled


def test_json_response_restores_content_tool_arguments_and_every_choice():
    vault = vault_with(PERSON_1=TRICKY, KZ_IIN_1=IIN)
    resp = {
        "id": "x",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "Dear <PERSON_1>"}},
            {
                "index": 1,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "t",
                            "type": "function",
                            "function": {
                                "name": "lookup",
                                "arguments": '{"name": "<PERSON_1>", "iin": "<kz_iin_1>"}',
                            },
                        }
                    ],
                    "function_call": {"name": "f", "arguments": '{"who": "< PERSON_1 >"}'},
                },
            },
            {"index": 2, "message": {"role": "assistant", "refusal": "not <PERSON_1>"}},
            {"index": 3, "message": {"content": [{"type": "text", "text": "<KZ_IIN_1>"}]}},
        ],
        "usage": {"prompt_tokens": 3},
    }
    before = copy.deepcopy(resp)
    out = restore_json_response(resp, vault)
    assert resp == before  # the input is not mutated
    choices = out["choices"]
    assert choices[0]["message"]["content"] == f"Dear {TRICKY}"
    arguments = json.loads(choices[1]["message"]["tool_calls"][0]["function"]["arguments"])
    assert arguments == {"name": TRICKY, "iin": IIN}
    assert json.loads(choices[1]["message"]["function_call"]["arguments"]) == {"who": TRICKY}
    assert choices[2]["message"]["refusal"] == f"not {TRICKY}"
    assert choices[3]["message"]["content"] == [{"type": "text", "text": IIN}]
    assert out["usage"] == {"prompt_tokens": 3}


def test_legacy_completions_text_is_restored():
    out = restore_json_response({"choices": [{"text": "to <PERSON_1>"}]}, VAULT)
    assert out["choices"][0]["text"] == "to Ivan Petrov"


def test_odd_answer_shapes_pass_through():
    resp = {"choices": ["x", {"message": "y"}, {"message": {"tool_calls": [1, {"function": 2}]}}]}
    assert restore_json_response(resp, VAULT) == resp
    assert restore_json_response({"error": {}}, VAULT) == {"error": {}}


def test_stream_restores_a_placeholder_split_across_chunks():
    restorer = StreamRestorer(VAULT)
    key = (0, "content")
    released = [
        restorer.feed(key, chunk) for chunk in ["Hello <", "PER", "SON", "_1", "> how", " are"]
    ]
    assert released == ["Hello ", "", "", "", "Ivan Petrov how", " are"]
    assert restorer.flush(key) == ""


def test_stream_releases_text_that_cannot_start_a_placeholder_at_once():
    restorer = StreamRestorer(VAULT)
    key = (0, "content")
    assert restorer.feed(key, "a < b") == "a < b"  # '<' then a blank and a non-name
    assert restorer.feed(key, " <3") == " <3"  # a digit cannot start a name
    assert restorer.feed(key, " <div>") == " <div>"  # closed: not a placeholder
    assert restorer.feed(key, " <DIV") == " <DIV"  # no issued placeholder starts with DIV
    assert restorer.feed(key, " <PERSON_3") == " <PERSON_3"  # PERSON_3 was never issued
    assert restorer.feed(key, " <PERSON_1") == " "  # could still be <PERSON_1> or <PERSON_12>
    assert restorer.held(key) == len("<PERSON_1")
    assert restorer.feed(key, "2 >") == "Aigerim"
    assert restorer.held(key) == 0


def test_stream_hold_back_is_at_most_one_placeholder():
    restorer = StreamRestorer(VAULT)
    key = (0, "content")
    restorer.feed(key, "x <  EMAIL_ADDRESS_1  ")
    longest = max(len(p) for p, _ in VAULT.items())
    assert restorer.held(key) <= longest + 4  # plus the blanks mangling may add
    assert restorer.feed(key, ">") == "a@b.kz"


def test_stream_unknown_placeholder_passes_through_when_closed():
    restorer = StreamRestorer(VAULT)
    key = (0, "content")
    assert restorer.feed(key, "<PERSON_") == ""
    assert restorer.feed(key, "9> ok") == "<PERSON_9> ok"


def test_stream_flush_releases_an_unfinished_tail_verbatim():
    restorer = StreamRestorer(VAULT)
    assert restorer.feed((0, "content"), "cut off <PERSON_") == "cut off "
    assert restorer.flush((0, "content")) == "<PERSON_"


def test_stream_keeps_choices_and_tool_calls_apart():
    vault = vault_with(PERSON_1=TRICKY)
    restorer = StreamRestorer(vault)
    a, b, tool = (0, "content"), (1, "content"), (0, "tool", 0)
    out = {a: "", b: "", tool: ""}
    for key, chunk in [
        (a, "A: <PER"),
        (b, "B: <PERSON"),
        (tool, '{"name": "<'),
        (a, "SON_1>"),
        (tool, 'person_1>"}'),
        (b, "_1> end"),
    ]:
        out[key] += restorer.feed(key, chunk)
    for key in out:
        out[key] += restorer.flush(key)
    assert out[a] == f"A: {TRICKY}"
    assert out[b] == f"B: {TRICKY} end"
    assert json.loads(out[tool]) == {"name": TRICKY}  # JSON-escaped inside tool arguments


def test_stream_with_an_empty_vault_passes_everything_through():
    restorer = StreamRestorer(Vault())
    assert restorer.feed((0, "content"), "<PERSON_") == "<PERSON_"
    assert restorer.flush((0, "content")) == ""


def test_restoring_failures_raise_masking_error():
    restorer = StreamRestorer(VAULT)
    with pytest.raises(MaskingError):
        restorer.feed((0, "content"), None)  # type: ignore[arg-type]
    with pytest.raises(MaskingError):
        restore_json_response(None, VAULT)  # type: ignore[arg-type]


def test_restorer_and_vault_reprs_hold_no_values():
    restorer = StreamRestorer(VAULT)
    restorer.feed((0, "content"), "x <PERSON_1")
    assert "Ivan" not in repr(restorer)
    assert "PERSON_1" not in repr(restorer)
    assert "Ivan" not in repr(VAULT)


def test_vault_refuses_non_canonical_or_duplicate_placeholders():
    vault = Vault()
    with pytest.raises(MaskingError):
        vault.add("<person_1>", "x")
    vault.add("<PERSON_1>", "x")
    with pytest.raises(MaskingError):
        vault.add("<PERSON_1>", "y")
    assert "<person_1>" in vault
    assert "<PERSON_2>" not in vault


# Property: however a masked answer is cut into chunks, the streamed result equals the JSON one.
PIECES = st.sampled_from(
    ("<PERSON_1>", "<person_12>", "< KZ_IIN_1 >", "<PERSON_9>", "<", ">", "_", "1", "a", " ", '"')
)


@given(st.lists(PIECES, max_size=40), st.lists(st.integers(0, 400), max_size=12), st.booleans())
def test_property_streaming_equals_whole_text_restore(pieces, cuts, as_json):
    vault = vault_with(PERSON_1=TRICKY, PERSON_12="Aigerim", KZ_IIN_1=IIN)
    text = "".join(pieces)
    bounds = sorted({min(c, len(text)) for c in cuts} | {0, len(text)})
    key = (0, "tool", 0) if as_json else (0, "content")
    restorer = StreamRestorer(vault)
    out = ""
    for start, end in itertools.pairwise(bounds):
        out += restorer.feed(key, text[start:end])
        assert restorer.held(key) <= len("<PERSON_12>") + 4
    out += restorer.flush(key)
    assert out == restore_text(text, vault, json_string=as_json)
