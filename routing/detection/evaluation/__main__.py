"""`make eval`: run the detector over the committed corpus; print recall and precision per
entity and language, obfuscated recall, and whether each target is met (exit 1 if not)."""

from __future__ import annotations

import json
import sys

from routing.detection import ENTITIES, Detector
from routing.detection.evaluation import handwritten, heldout
from routing.detection.evaluation.generate import CORPUS
from routing.detection.evaluation.score import Counts, Tally, score_record

CHECKSUMMED = ("KZ_IIN", "KZ_BIN", "RU_INN", "RU_SNILS", "US_SSN", "CREDIT_CARD", "IBAN_CODE")
CONTACTS = ("EMAIL_ADDRESS", "PHONE_NUMBER", "IP_ADDRESS", "SECRET")
BASE_KINDS = ("positive", "person", "near_miss", "clean")
LANGS = ("en", "ru", "kk")


def _row(label: str, c: Counts) -> str:
    return f"{label:<34}{c.tp + c.fn:>6}{c.tp:>6}{c.fp:>6}{c.fn:>6}{c.recall:>9.3f}{c.precision:>11.3f}"


def run(out: list[str]) -> bool:
    detector = Detector()
    tally = Tally()
    records = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    for record in records:
        found = detector.detect(record["text"])
        score_record(tally, record["kind"], record["lang"], record["spans"], found)
    header = f"{'':<34}{'gold':>6}{'tp':>6}{'fp':>6}{'fn':>6}{'recall':>9}{'precision':>11}"
    out.append(f"Corpus: {len(records)} records ({CORPUS.name})")
    out.append("")
    out.append("Per entity (positive, person, near-miss and clean texts)")
    out.append(header)
    for entity in ENTITIES:
        out.append(_row(entity, tally.get(BASE_KINDS, "all", (entity,))))
        for lang in LANGS:
            c = tally.get(BASE_KINDS, lang, (entity,))
            if c.tp + c.fp + c.fn:
                out.append(_row(f"  {lang}", c))
    out.append("")
    out.append(
        "Obfuscated values (full-width, zero-width, split digits, homoglyphs, spelled e-mails)"
    )
    out.append(header)
    for entity in ENTITIES:
        c = tally.get(("obfuscated",), "all", (entity,))
        if c.tp + c.fp + c.fn:
            out.append(_row(entity, c))
    out.append("")
    out.append("Hand-written chat-like sentences, PERSON only (small; informational, not targets)")
    out.append(header)
    for label, sets in (("development", handwritten.SENTENCES), ("held out", handwritten.HELD_OUT)):
        hw = Tally()
        for lang, sentences in sets.items():
            for sentence in sentences:
                text, spans = handwritten.parse(sentence)
                found = [f for f in detector.detect(text) if f.entity == "PERSON"]
                score_record(hw, label, lang, spans, found)
        for lang in LANGS:
            out.append(_row(f"{label} {lang}", hw.get((label,), lang, ("PERSON",))))
    out.append("")
    out.append("Held-out PERSON set by a second author (heldout_person.jsonl; see heldout.py)")
    heldout.report(out, detector)
    heldout.report(out, detector, round_=2)
    checks = [
        ("checksummed ids", tally.get(BASE_KINDS, "all", CHECKSUMMED), 0.99, 0.99),
        ("email/phone/IP/secrets", tally.get(BASE_KINDS, "all", CONTACTS), 0.97, 0.97),
        *[
            (f"PERSON {lang}", tally.get(BASE_KINDS, lang, ("PERSON",)), 0.90, 0.90)
            for lang in LANGS
        ],
        ("obfuscated (recall)", tally.get(("obfuscated",), "all", ENTITIES), 0.95, 0.0),
    ]
    out.append("")
    out.append("Targets")
    out.append(f"{'':<34}{'recall':>9}{'target':>8}{'precision':>11}{'target':>8}  result")
    ok_all = True
    for label, c, r_target, p_target in checks:
        ok = c.recall >= r_target and c.precision >= p_target
        ok_all &= ok
        out.append(
            f"{label:<34}{c.recall:>9.3f}{r_target:>8.2f}{c.precision:>11.3f}{p_target:>8.2f}  "
            + ("PASS" if ok else "FAIL")
        )
    return ok_all


def main() -> int:
    out: list[str] = []
    ok = run(out)
    sys.stdout.write("\n".join(out) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
