"""Held-out PERSON set, written by hand by someone other than the detector's author.

    python -m routing.detection.evaluation.heldout --build   # heldout_person.txt -> .jsonl

The source `heldout_person.txt` holds one text per line, `[[...]]` around each PERSON span and
`\\n` for a line break; a line without a marker is a hard negative (capitalised non-names).
Each record of `heldout_person.jsonl`: id, lang, kind ("person" or "negative"), text, spans.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "heldout_person.txt"
HELDOUT = HERE / "heldout_person.jsonl"
LANGS = ("en", "ru", "kk")

_MARK = re.compile(r"\[\[(.+?)\]\]")
_LANG = re.compile(r"#\s*lang:\s*(\w+)")


def parse_line(line: str) -> tuple[str, list[list]]:
    """`Hi [[Ann Lee]]!` -> ("Hi Ann Lee!", [[3, 10, "PERSON"]])."""
    line = line.replace("\\n", "\n")
    text, spans, pos = [], [], 0
    for m in _MARK.finditer(line):
        text.append(line[pos : m.start()])
        start = sum(len(t) for t in text)
        text.append(m.group(1))
        spans.append([start, start + len(m.group(1)), "PERSON"])
        pos = m.end()
    text.append(line[pos:])
    out = "".join(text)
    if "[[" in out or "]]" in out:
        raise ValueError(f"unbalanced marker in {line!r}")
    return out, spans


def build() -> list[dict]:
    records: list[dict] = []
    lang = None
    counters = dict.fromkeys(LANGS, 0)
    for raw in SOURCE.read_text(encoding="utf-8").splitlines():
        m = _LANG.match(raw)
        if m:
            lang = m.group(1)
            continue
        if not raw.strip() or raw.startswith("#"):
            continue
        if lang not in LANGS:
            raise ValueError("text before a '# lang:' line")
        text, spans = parse_line(raw)
        counters[lang] += 1
        records.append(
            {
                "id": f"heldout-{lang}-{counters[lang]:03d}",
                "lang": lang,
                "kind": "person" if spans else "negative",
                "text": text,
                "spans": spans,
            }
        )
    return records


def load() -> list[dict]:
    return [json.loads(line) for line in HELDOUT.read_text(encoding="utf-8").splitlines()]


def write() -> None:
    lines = [json.dumps(r, ensure_ascii=False) for r in build()]
    HELDOUT.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    if "--build" in argv:
        write()
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
