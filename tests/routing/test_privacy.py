"""End to end with the real detector: scan_request -> mask_request -> restore (JSON and SSE)."""

from __future__ import annotations

import json

import pytest

from routing.detection import CustomCategory, DetectionError, Detector, get_detector
from routing.detection.recognizers.base import Recognizer
from routing.privacy import (
    InvalidRequestShape,
    MaskRule,
    OutputScanner,
    StreamRestorer,
    Vault,
    mask_output,
    mask_request,
    restore_json_response,
    scan_request,
)

KEY = b"deployment-hash-key"


def iin(prefix11: str) -> str:
    """A checksum-valid Kazakh IIN from its first 11 digits."""
    digits = [int(c) for c in prefix11]
    check = sum(d * w for d, w in zip(digits, range(1, 12), strict=True)) % 11
    if check == 10:
        check = (
            sum(d * w for d, w in zip(digits, (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2), strict=True))
            % 11
        )
    assert check != 10
    return prefix11 + str(check)


IIN = iin("90010130012")
OTHER_IIN = iin("85031540012")
EMAIL = "ivan.petrov@example.kz"
PHONE = "+7 701 123 45 67"
CARD = "4111 1111 1111 1111"
TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789AB"

# The contract's demo masking, expanded to entities as the policy layer does.
RULES = {
    **dict.fromkeys(
        ["KZ_IIN", "KZ_BIN", "US_SSN", "RU_INN", "RU_SNILS", "RU_PASSPORT"],
        MaskRule("placeholder", "external"),
    ),
    **dict.fromkeys(["CREDIT_CARD", "IBAN_CODE"], MaskRule("partial", "all")),
    **dict.fromkeys(
        ["EMAIL_ADDRESS", "PHONE_NUMBER", "PERSON"], MaskRule("placeholder", "external")
    ),
    "SECRET": MaskRule("block"),
    "INTERNAL_PROJECT": MaskRule("redact", "external"),
}


@pytest.fixture(scope="module")
def detector():
    return get_detector()


def conversation():
    return {
        "model": "assistant",
        "stream": True,
        "messages": [
            {"role": "system", "content": "You are a bank assistant."},
            {"role": "user", "content": f"Клиент ИИН {IIN}, тел. {PHONE}, почта {EMAIL}"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "lookup", "arguments": json.dumps({"iin": IIN})},
                    }
                ],
            },
            {
                "role": "tool",
                "tool_call_id": "c1",
                "content": f"card {CARD}, second IIN {OTHER_IIN}",
            },
            {
                "role": "user",
                "content": [{"type": "text", "text": f"Write to {EMAIL} about {IIN}"}],
            },
        ],
    }


def test_external_destination_gets_no_raw_value(detector):
    body = conversation()
    scan = scan_request(body, "chat", detector=detector, custom=None)
    assert scan.entity_counts() == {
        "KZ_IIN": 4,
        "PHONE_NUMBER": 1,
        "EMAIL_ADDRESS": 2,
        "CREDIT_CARD": 1,
    }
    masked = mask_request(body, scan, rules=RULES, external=True, hash_key=KEY)
    sent = json.dumps(masked.body, ensure_ascii=False)
    for value in (IIN, OTHER_IIN, EMAIL, PHONE, CARD):
        assert value not in sent
    messages = masked.body["messages"]
    assert (
        messages[1]["content"]
        == "Клиент ИИН <KZ_IIN_1>, тел. <PHONE_NUMBER_1>, почта <EMAIL_ADDRESS_1>"
    )
    assert json.loads(messages[2]["tool_calls"][0]["function"]["arguments"]) == {
        "iin": "<KZ_IIN_1>"
    }
    assert messages[3]["content"] == "card ***************1111, second IIN <KZ_IIN_2>"
    assert messages[4]["content"][0]["text"] == "Write to <EMAIL_ADDRESS_1> about <KZ_IIN_1>"
    assert masked.actions == {"placeholder": 7, "partial": 1}
    assert masked.blocked_entities == []
    assert body == conversation()  # the caller's body is untouched


def test_in_country_destination_keeps_external_only_rules(detector):
    body = conversation()
    scan = scan_request(body, "chat", detector=detector, custom=None)
    masked = mask_request(body, scan, rules=RULES, external=False, hash_key=KEY)
    sent = json.dumps(masked.body, ensure_ascii=False)
    assert IIN in sent and EMAIL in sent  # apply_to: external
    assert CARD not in sent  # payment is `partial` for all destinations
    assert len(masked.vault) == 0


def test_answer_is_restored_as_json_and_as_a_stream(detector):
    body = conversation()
    scan = scan_request(body, "chat", detector=detector, custom=None)
    masked = mask_request(body, scan, rules=RULES, external=True, hash_key=KEY)
    answer = "Sent to <EMAIL_ADDRESS_1>; IINs < KZ_IIN_1 > and <kz_iin_2>; <PERSON_1> unknown."
    expected = f"Sent to {EMAIL}; IINs {IIN} and {OTHER_IIN}; <PERSON_1> unknown."
    resp = {"choices": [{"index": 0, "message": {"role": "assistant", "content": answer}}]}
    assert restore_json_response(resp, masked.vault)["choices"][0]["message"]["content"] == expected

    restorer = StreamRestorer(masked.vault)
    streamed = "".join(
        restorer.feed((0, "content"), answer[i : i + 3]) for i in range(0, len(answer), 3)
    )
    assert streamed + restorer.flush((0, "content")) == expected


def test_secret_blocks_the_request(detector):
    body = {"messages": [{"role": "user", "content": f"deploy with {TOKEN}"}]}
    scan = scan_request(body, "chat", detector=detector, custom=None)
    masked = mask_request(body, scan, rules=RULES, external=False, hash_key=KEY)
    assert masked.blocked_entities == ["SECRET"]
    assert TOKEN not in json.dumps(masked.body)


def test_custom_category_from_the_policy(detector):
    custom = detector.compile_custom(
        [
            CustomCategory(
                name="internal-project", patterns=(r"\bPRJ-\d{4}\b",), terms=("Nightingale",)
            )
        ]
    )
    body = {"messages": [{"role": "user", "name": "pm", "content": "Nightingale is PRJ-1234"}]}
    scan = scan_request(body, "chat", detector=detector, custom=custom)
    masked = mask_request(body, scan, rules=RULES, external=True, hash_key=KEY)
    assert masked.body["messages"][0]["content"] == "<INTERNAL_PROJECT> is <INTERNAL_PROJECT>"


def test_embeddings_and_completions_are_scanned(detector):
    body = {"model": "embed", "input": [f"client {EMAIL}", "nothing here", [1, 2]]}
    assert scan_request(body, "embeddings", detector=detector, custom=None).unscannable == [
        "tokens"
    ]
    with pytest.raises(InvalidRequestShape):
        scan_request({"input": [{"text": EMAIL}]}, "embeddings", detector=detector, custom=None)
    body["input"] = [f"client {EMAIL}", "nothing here"]
    scan = scan_request(body, "embeddings", detector=detector, custom=None)
    masked = mask_request(body, scan, rules=RULES, external=True, hash_key=KEY)
    assert masked.body["input"] == ["client <EMAIL_ADDRESS_1>", "nothing here"]

    scan = scan_request({"prompt": [1, 2, 3]}, "completions", detector=detector, custom=None)
    assert scan.slots == [] and scan.unscannable == ["tokens"]


def test_entities_filter_limits_the_scan(detector):
    body = {"messages": [{"role": "user", "content": f"{EMAIL} {IIN}"}]}
    scan = scan_request(
        body, "chat", detector=detector, custom=None, entities=frozenset({"KZ_IIN"})
    )
    assert scan.entity_counts() == {"KZ_IIN": 1}


class BrokenRecognizer(Recognizer):
    ENTITIES = ("KZ_IIN",)

    def scan(self, doc):
        raise ZeroDivisionError("a recognizer bug")


def test_a_broken_recognizer_refuses_the_request():
    detector = Detector([BrokenRecognizer()])
    body = {"messages": [{"role": "user", "content": f"IIN {IIN}"}]}
    with pytest.raises(DetectionError):
        scan_request(body, "chat", detector=detector, custom=None)


def test_output_scanning_masks_only_values_the_caller_did_not_send(detector):
    body = {"messages": [{"role": "user", "content": f"My mail is {EMAIL}"}]}
    scan = scan_request(body, "chat", detector=detector, custom=None)
    masked = mask_request(body, scan, rules=RULES, external=True, hash_key=KEY)
    restored = "Yours: IVAN.PETROV@example.kz; his: boss@corp.kz, +7 702 555 11 22"
    result = mask_output(
        restored,
        detector=detector,
        entities=frozenset({"EMAIL_ADDRESS", "PHONE_NUMBER"}),
        vault=masked.vault,
    )
    assert result.text == "Yours: IVAN.PETROV@example.kz; his: <EMAIL_ADDRESS>, <PHONE_NUMBER>"
    assert result.counts == {"EMAIL_ADDRESS": 1, "PHONE_NUMBER": 1}
    assert "boss" not in repr(result)
    # Values the caller sent but that were kept (not in the vault) can be declared as known.
    kept = mask_output(
        "boss@corp.kz",
        detector=detector,
        entities=frozenset({"EMAIL_ADDRESS"}),
        vault=Vault(),
        known=["boss@corp.kz"],
    )
    assert kept.text == "boss@corp.kz"


def test_output_scanning_in_a_stream_releases_by_line(detector):
    vault = Vault()
    vault.add("<EMAIL_ADDRESS_1>", EMAIL)
    scanner = OutputScanner(
        detector=detector, entities=frozenset({"EMAIL_ADDRESS", "PHONE_NUMBER"}), vault=vault
    )
    key = (0, "content")
    answer = f"Hello {EMAIL}\nCall +7 702 555 11 22 or write boss@co" + "rp.kz\nBye"
    released = [scanner.feed(key, answer[i : i + 5]) for i in range(0, len(answer), 5)]
    assert released[0] == ""  # nothing before the first line break
    out = "".join(released) + scanner.flush(key)
    assert out == f"Hello {EMAIL}\nCall <PHONE_NUMBER> or write <EMAIL_ADDRESS>\nBye"
    assert scanner.counts == {"PHONE_NUMBER": 1, "EMAIL_ADDRESS": 1}


def test_output_scanning_cuts_a_long_line_between_values(detector):
    scanner = OutputScanner(
        detector=detector, entities=frozenset({"PHONE_NUMBER"}), vault=Vault(), max_hold=40
    )
    key = (0, "content")
    words = "word " * 12 + "+7 702 555 11 22 " + "word " * 12
    out = "".join(scanner.feed(key, words[i : i + 7]) for i in range(0, len(words), 7))
    assert out  # released before any line break
    out += scanner.flush(key)
    assert out == "word " * 12 + "<PHONE_NUMBER> " + "word " * 12


def test_person_names_in_three_languages_round_trip_through_a_stream(detector):
    text = "Письмо от Иван Петров и John Smith, потом Асқар Жұмабаев. Ответь John Smith."
    body = {"messages": [{"role": "user", "content": text}]}
    scan = scan_request(body, "chat", detector=detector, custom=None)
    masked = mask_request(body, scan, rules=RULES, external=True, hash_key=KEY)
    sent = masked.body["messages"][0]["content"]
    assert sent == ("Письмо от <PERSON_1> и <PERSON_2>, потом <PERSON_3>. Ответь <PERSON_2>.")
    answer = "Готово: <PERSON_1>, < person_2 > и <PERSON_3>."
    restorer = StreamRestorer(masked.vault)
    out = "".join(restorer.feed((0, "content"), ch) for ch in answer)  # one character per chunk
    assert (
        out + restorer.flush((0, "content")) == "Готово: Иван Петров, John Smith и Асқар Жұмабаев."
    )
