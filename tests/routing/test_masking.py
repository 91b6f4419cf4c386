from __future__ import annotations

import copy
import hashlib
import hmac
import pickle
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routing import masking
from routing.findings import Finding
from routing.masking import Masked, MaskRule, ScanResult, mask_request, partial_mask
from routing.placeholders import MaskingError, Vault
from routing.restoring import restore_text
from routing.texts import request_texts

KEY = b"deployment-hash-key"
IIN = "900101300123"
EMAIL = "ivan@example.kz"


def finding(text, value, entity, occurrence=0):
    """The span of the `occurrence`-th `value` in `text` as a Finding."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(value, start + 1)
    return Finding(entity, start, start + len(value), 1.0)


def scan_of(body, marks, endpoint="chat"):
    """A ScanResult for `body` whose findings are `marks`: (value, entity) found in every slot."""
    slots, unscannable = request_texts(body, endpoint)
    findings = []
    for slot in slots:
        found = []
        for value, entity in marks:
            start = slot.text.find(value)
            while start != -1:
                found.append(Finding(entity, start, start + len(value), 1.0))
                start = slot.text.find(value, start + 1)
        findings.append(sorted(found, key=lambda f: f.start))
    return ScanResult(slots=slots, findings=findings, unscannable=unscannable)


def chat(*contents):
    return {"model": "assistant", "messages": [{"role": "user", "content": c} for c in contents]}


def mask(body, marks, rules, *, external=True, hash_key=KEY) -> Masked:
    return mask_request(
        body, scan_of(body, marks), rules=rules, external=external, hash_key=hash_key
    )


PLACEHOLDER = {"KZ_IIN": MaskRule("placeholder"), "EMAIL_ADDRESS": MaskRule("placeholder")}


def test_placeholder_is_typed_numbered_and_stable_across_the_whole_request():
    body = chat(f"IIN {IIN}, mail {EMAIL}", f"again {IIN} and 800202400456")
    body["messages"].append(
        {
            "role": "assistant",
            "tool_calls": [{"function": {"name": "f", "arguments": f'{{"iin": "{IIN}"}}'}}],
        }
    )
    masked = mask(
        body, [(IIN, "KZ_IIN"), ("800202400456", "KZ_IIN"), (EMAIL, "EMAIL_ADDRESS")], PLACEHOLDER
    )
    messages = masked.body["messages"]
    assert messages[0]["content"] == "IIN <KZ_IIN_1>, mail <EMAIL_ADDRESS_1>"
    assert messages[1]["content"] == "again <KZ_IIN_1> and <KZ_IIN_2>"
    assert messages[2]["tool_calls"][0]["function"]["arguments"] == '{"iin": "<KZ_IIN_1>"}'
    assert dict(masked.vault.items()) == {
        "<KZ_IIN_1>": IIN,
        "<EMAIL_ADDRESS_1>": EMAIL,
        "<KZ_IIN_2>": "800202400456",
    }
    assert masked.actions == {"placeholder": 5}
    assert masked.blocked_entities == []


def test_the_callers_body_is_never_mutated():
    body = chat(f"IIN {IIN}")
    before = copy.deepcopy(body)
    masked = mask(body, [(IIN, "KZ_IIN")], PLACEHOLDER)
    assert body == before
    masked.body["model"] = "qwen"
    assert body["model"] == "assistant"


def test_a_placeholder_already_in_the_callers_text_is_skipped():
    # The caller wrote <KZ_IIN_1> and (mangled) < kz_iin_2 > themselves: those numbers are theirs.
    body = chat(f"template <KZ_IIN_1> and < kz_iin_2 >; real {IIN}", "other 800202400456")
    masked = mask(body, [(IIN, "KZ_IIN"), ("800202400456", "KZ_IIN")], PLACEHOLDER)
    assert masked.body["messages"][0]["content"] == (
        "template <KZ_IIN_1> and < kz_iin_2 >; real <KZ_IIN_3>"
    )
    assert masked.body["messages"][1]["content"] == "other <KZ_IIN_4>"
    # An echo of the caller's own tokens is never rewritten; the issued ones are put back.
    answer = "You wrote <KZ_IIN_1>, < kz_iin_2 >; yours are <KZ_IIN_3> and <KZ_IIN_4>"
    assert restore_text(answer, masked.vault) == (
        f"You wrote <KZ_IIN_1>, < kz_iin_2 >; yours are {IIN} and 800202400456"
    )


def test_redact_is_never_restored():
    masked = mask(
        chat(f"mail {EMAIL}"), [(EMAIL, "EMAIL_ADDRESS")], {"EMAIL_ADDRESS": MaskRule("redact")}
    )
    assert masked.body["messages"][0]["content"] == "mail <EMAIL_ADDRESS>"
    assert len(masked.vault) == 0
    assert restore_text("see <EMAIL_ADDRESS>", masked.vault) == "see <EMAIL_ADDRESS>"
    assert masked.actions == {"redact": 1}


def test_hash_is_keyed_hmac_and_stable_per_deployment():
    rules = {"KZ_IIN": MaskRule("hash")}
    expected = hmac.new(KEY, IIN.encode(), hashlib.sha256).hexdigest()[:8]
    first = mask(chat(f"IIN {IIN}"), [(IIN, "KZ_IIN")], rules)
    second = mask(chat(f"again {IIN}"), [(IIN, "KZ_IIN")], rules)
    assert first.body["messages"][0]["content"] == f"IIN <KZ_IIN:{expected}>"
    assert second.body["messages"][0]["content"] == f"again <KZ_IIN:{expected}>"
    other = mask(chat(f"IIN {IIN}"), [(IIN, "KZ_IIN")], rules, hash_key=b"another-deployment")
    assert other.body["messages"][0]["content"] != first.body["messages"][0]["content"]
    assert expected != hashlib.sha256(IIN.encode()).hexdigest()[:8]  # keyed, not a plain hash


def test_hash_without_a_key_fails_closed():
    with pytest.raises(MaskingError):
        mask(chat(f"IIN {IIN}"), [(IIN, "KZ_IIN")], {"KZ_IIN": MaskRule("hash")}, hash_key=b"")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("4111 1111 1111 1111", "***************1111"),
        ("KZ86125KZT5004100100", "****************0100"),
        ("+77011234567", "********4567"),
        ("Ivan", "**an"),  # short: only half shown, never the whole value
        ("12345678", "****5678"),
        ("1", "*"),
    ],
)
def test_partial_masks_all_but_the_last_four_characters(value, expected):
    assert partial_mask(value) == expected
    masked = mask(
        chat(f"card {value}!"), [(value, "CREDIT_CARD")], {"CREDIT_CARD": MaskRule("partial")}
    )
    assert masked.body["messages"][0]["content"] == f"card {expected}!"
    assert masked.actions == {"partial": 1}


def test_block_reports_the_entity_and_still_redacts():
    rules = {"SECRET": MaskRule("block"), "KZ_IIN": MaskRule("placeholder")}
    token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
    masked = mask(chat(f"token {token} iin {IIN}"), [(token, "SECRET"), (IIN, "KZ_IIN")], rules)
    assert masked.blocked_entities == ["SECRET"]
    assert token not in masked.body["messages"][0]["content"]
    assert masked.actions == {"block": 1, "placeholder": 1}


def test_keep_and_entities_without_rules_are_unchanged():
    body = chat(f"IIN {IIN} mail {EMAIL}")
    masked = mask(body, [(IIN, "KZ_IIN"), (EMAIL, "EMAIL_ADDRESS")], {"KZ_IIN": MaskRule("keep")})
    assert masked.body == body
    assert masked.actions == {}


def test_apply_to_external_masks_only_for_external_destinations():
    rules = {
        "KZ_IIN": MaskRule("placeholder", apply_to="external"),
        "SECRET": MaskRule("block", "external"),
    }
    body = chat(f"IIN {IIN} key sk-abc")
    marks = [(IIN, "KZ_IIN"), ("sk-abc", "SECRET")]
    in_country = mask(body, marks, rules, external=False)
    assert in_country.body == body
    assert in_country.blocked_entities == []
    external = mask(body, marks, rules, external=True)
    assert external.body["messages"][0]["content"] == "IIN <KZ_IIN_1> key <SECRET>"
    assert external.blocked_entities == ["SECRET"]


def test_rule_all_masks_in_country_too():
    masked = mask(chat(f"IIN {IIN}"), [(IIN, "KZ_IIN")], PLACEHOLDER, external=False)
    assert masked.body["messages"][0]["content"] == "IIN <KZ_IIN_1>"


def test_overlapping_findings_are_merged_under_the_stronger_action():
    text = "contact ivan@example.kz now"
    body = chat(text)
    slots, _ = request_texts(body, "chat")
    findings = [[Finding("PERSON", 8, 12, 0.6), Finding("EMAIL_ADDRESS", 8, 23, 1.0)]]
    rules = {"PERSON": MaskRule("placeholder"), "EMAIL_ADDRESS": MaskRule("redact")}
    masked = mask_request(
        body, ScanResult(slots, findings, []), rules=rules, external=True, hash_key=KEY
    )
    assert masked.body["messages"][0]["content"] == "contact <EMAIL_ADDRESS> now"


def test_custom_category_entities_get_placeholders():
    masked = mask(
        chat("Project Nightingale and PRJ-1234"),
        [("Nightingale", "INTERNAL_PROJECT"), ("PRJ-1234", "INTERNAL_PROJECT")],
        {"INTERNAL_PROJECT": MaskRule("placeholder")},
    )
    assert (
        masked.body["messages"][0]["content"]
        == "Project <INTERNAL_PROJECT_1> and <INTERNAL_PROJECT_2>"
    )
    assert restore_text("<INTERNAL_PROJECT_2>", masked.vault) == "PRJ-1234"


def test_a_finding_outside_its_text_fails_closed():
    body = chat("short")
    slots, _ = request_texts(body, "chat")
    scan = ScanResult(slots, [[Finding("KZ_IIN", 2, 40, 1.0)]], [])
    with pytest.raises(MaskingError):
        mask_request(body, scan, rules=PLACEHOLDER, external=True, hash_key=KEY)


def test_a_scan_that_does_not_match_the_body_fails_closed():
    body = chat(f"IIN {IIN}")
    slots, _ = request_texts(body, "chat")
    with pytest.raises(MaskingError):
        mask_request(
            body, ScanResult(slots, [], []), rules=PLACEHOLDER, external=True, hash_key=KEY
        )


def test_a_broken_operator_refuses_rather_than_forwarding_unmasked_text(monkeypatch):
    def broken(entity, value, ctx):
        raise KeyError(value)  # the exception carries the raw value...

    monkeypatch.setitem(masking.OPERATORS, "placeholder", broken)
    body = chat(f"IIN {IIN}")
    with pytest.raises(MaskingError) as err:
        mask(body, [(IIN, "KZ_IIN")], PLACEHOLDER)
    assert IIN not in str(err.value)  # ...which never reaches the error message
    assert err.value.__cause__ is None
    assert err.value.__suppress_context__
    assert isinstance(err.value, RuntimeError)


def test_mask_rule_refuses_unknown_actions():
    with pytest.raises(ValueError):
        MaskRule("encrypt")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        MaskRule("redact", apply_to="sometimes")  # type: ignore[arg-type]


def test_vault_never_shows_or_serialises_values():
    masked = mask(chat(f"IIN {IIN}"), [(IIN, "KZ_IIN")], PLACEHOLDER)
    assert IIN not in repr(masked)
    assert IIN not in repr(masked.vault)
    with pytest.raises(TypeError):
        pickle.dumps(masked.vault)
    with pytest.raises(TypeError):
        copy.deepcopy(masked.vault)


def test_entity_counts():
    scan = scan_of(chat(f"{IIN} {IIN} {EMAIL}"), [(IIN, "KZ_IIN"), (EMAIL, "EMAIL_ADDRESS")])
    assert scan.entity_counts() == {"KZ_IIN": 2, "EMAIL_ADDRESS": 1}


# Property: whatever the text (including look-alike placeholders of the caller's own) and
# wherever the findings fall, restoring the masked text gives back exactly the original.
LOOKALIKES = ("<PERSON_1>", "< person_2 >", "<KZ_IIN_1>", "<A_1_1>", "<PERSON_")
FRAGMENTS = st.sampled_from((*LOOKALIKES, "Ivan", "a", " ", "<", ">", "_", "1", '"', "\\", "\t"))


@st.composite
def text_with_findings(draw):
    text = "".join(draw(st.lists(FRAGMENTS, min_size=1, max_size=30)))
    cuts = sorted(draw(st.sets(st.integers(0, len(text)), max_size=8)))
    findings = []
    for start, end in zip(cuts[::2], cuts[1::2], strict=False):
        if start < end:
            entity = draw(st.sampled_from(["PERSON", "KZ_IIN", "A_1"]))
            findings.append(Finding(entity, start, end, 1.0))
    return text, findings


@given(text_with_findings())
def test_property_restore_of_mask_is_the_identity(sample):
    text, findings = sample
    body = chat(text)
    slots, _ = request_texts(body, "chat")
    rules = {e: MaskRule("placeholder") for e in ("PERSON", "KZ_IIN", "A_1")}
    masked = mask_request(
        body, ScanResult(slots, [findings], []), rules=rules, external=True, hash_key=KEY
    )
    masked_text = masked.body["messages"][0]["content"]
    assert restore_text(masked_text, masked.vault) == text
    for placeholder, original in masked.vault.items():
        assert isinstance(masked.vault, Vault)
        assert masked.vault.original(placeholder) == original


def test_placeholders_in_tool_definitions_are_reserved_too():
    body = chat(f"IIN {IIN}")
    body["tools"] = [
        {"type": "function", "function": {"name": "f", "description": "fill <KZ_IIN_1>"}}
    ]
    masked = mask(body, [(IIN, "KZ_IIN")], PLACEHOLDER)
    assert masked.body["messages"][0]["content"] == "IIN <KZ_IIN_2>"
    assert restore_text("<KZ_IIN_1> <KZ_IIN_2>", masked.vault) == f"<KZ_IIN_1> {IIN}"


def test_masked_name_fields_stay_valid_identifiers():
    body = {"messages": [{"role": "user", "name": "Ivan_Petrov", "content": "I am Ivan_Petrov"}]}
    masked = mask(body, [("Ivan_Petrov", "PERSON")], {"PERSON": MaskRule("placeholder")})
    message = masked.body["messages"][0]
    assert message["name"] == "PERSON_1"
    assert message["content"] == "I am <PERSON_1>"
    hashed = mask(body, [("Ivan_Petrov", "PERSON")], {"PERSON": MaskRule("hash")})
    assert re.fullmatch(r"PERSON[0-9a-f]{8}", hashed.body["messages"][0]["name"])
