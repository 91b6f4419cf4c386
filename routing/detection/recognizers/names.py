# ruff: noqa: RUF001
"""PERSON without a downloadable model: capitalised-token sequences scored by name lists,
morphology, surname/patronymic endings, titles and context words (English, Russian, Kazakh).

One regex pass finds sequences of capitalised words and initials; each word is classified
once per process (cached). An operator-installed spaCy model is added by `ner.py`.
"""

from __future__ import annotations

import os
import re

from presidio_analyzer import Pattern, RecognizerResult

from routing.detection.context import words
from routing.detection.recognizers import name_lexicon as lex
from routing.detection.recognizers.base import Doc, Recognizer, result

_UP = "A-ZА-ЯЁӘҒҚҢӨҰҮҺІ"
_LO = "a-zа-яёәғқңөұүһі"
_WORD = rf"[{_UP}](?:['’][{_UP}])?[{_LO}’']*[{_LO}](?:[{_UP}][{_LO}]+)?(?:-[{_UP}][{_LO}]+)*"
_INITIALS = rf"[{_UP}]\.(?:[ ]?[{_UP}]\.)?"
_CAP = rf"(?:{_WORD}|{_INITIALS})"
SEQUENCE = Pattern(
    "capitalised_sequence",
    rf"(?<![\w\-]){_CAP}(?:[ \u00a0]{_CAP}){{0,5}}(?:[ \u00a0](?:ұлы|қызы|улы|кызы))?(?![\w])",
    0.5,
)
_SEQUENCE = re.compile(SEQUENCE.regex)
_INITIAL = re.compile(_INITIALS)
_TOKEN = re.compile(rf"{_INITIALS}|{_WORD}|ұлы|қызы|улы|кызы")

TITLES = re.compile(
    r"(?:mr|mrs|ms|miss|mx|dr|prof|sir|madam|mister|doctor|professor|dear|г-н|г-жа|господ\w*|"
    r"госпож\w*|граждан\w*|товарищ\w*|пациент\w*|клиент\w*|доктор\w*|врач\w*|сотрудни\w*|"
    r"уважаем\w*|менеджер\w*|директор\w*|коллег\w*|науқас\w*|мырза\w*|ханым\w*|азамат\w*|"
    r"дәрігер\w*|құрметті|қызметкер\w*|әріптес\w*)"
)
_TITLE_AFTER = re.compile(r"[ \u00a0]+(?:мырза|ханым|азамат|азаматша)\w*")
_TITLE_BEFORE = re.compile(r"([\w\-]+)\.?[ \u00a0]*\Z")
CONTEXT_BEFORE = words(
    r"name is",
    r"name:",
    r"named",
    r"called",
    r"i'm",
    r"i am",
    r"this is",
    r"hi\b",
    r"hello",
    r"thanks",
    r"regards",
    r"signed",
    r"contact",
    r"ask\b",
    r"tell\b",
    r"from:",
    r"to:",
    r"cc:",
    r"employee",
    r"colleague",
    r"customer",
    r"patient",
    r"manager",
    r"wife",
    r"husband",
    r"son\b",
    r"daughter",
    r"mother",
    r"father",
    r"friend",
    r"with\b",
    r"met\b",
    r"by\b",
    r"зовут",
    r"имя",
    r"фио",
    r"фамили",
    r"привет",
    r"здравствуй",
    r"спасибо",
    r"сотрудник",
    r"коллег",
    r"клиент",
    r"пациент",
    r"менеджер",
    r"жена",
    r"муж\b",
    r"сын",
    r"дочь",
    r"мать",
    r"отец",
    r"друг",
    r"подруг",
    r"для\b",
    r"от\b",
    r"у\b",
    r"с\b",
    r"передайте",
    r"позвоните",
    r"есімім",
    r"есімі",
    r"атым",
    r"аты",
    r"аты-жөні",
    r"сәлем",
    r"қызметкер",
    r"әріптес",
    r"науқас",
    r"әйелі",
    r"күйеуі",
    r"анасы",
    r"әкесі",
    r"досы",
    r"рахмет",
)
CONTEXT_STRONG = words(
    r"name is",
    r"named",
    r"called",
    r"colleague",
    r"wife",
    r"husband",
    r"son\b",
    r"daughter",
    r"mother",
    r"father",
    r"friend",
    r"зовут",
    r"коллег",
    r"жена",
    r"жене",
    r"муж\b",
    r"мужу",
    r"сын",
    r"дочь",
    r"дочери",
    r"друг",
    r"подруг",
    r"есімі",
    r"есімім",
    r"атым",
    r"әріптес",
    r"досы",
    r"досым",
    r"әйелі",
    r"күйеуі",
)
CONTEXT_AFTER = words(
    r"said",
    r"says",
    r"wrote",
    r"asked",
    r"called",
    r"will\b",
    r"is\b",
    r"was\b",
    r"has\b",
    r"сказал",
    r"написал",
    r"пишет",
    r"попросил",
    r"просит",
    r"звонил",
    r"придет",
    r"придёт",
    r"айтты",
    r"жазды",
    r"келді",
    r"келеді",
    r"сұрады",
)
_SENTENCE_END = frozenset('.!?\n:;"«(“')

_NAMEISH = lex.FIRST | lex.SURNAME | lex.PATR
SCORE_SURE = 0.85
SCORE_SINGLE = 0.7
SCORE_WEAK = 0.6


class PersonRecognizer(Recognizer):
    ENTITIES = ("PERSON",)

    def scan(self, doc: Doc) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        text = doc.text
        for m in _SEQUENCE.finditer(text):
            tokens = [(t.start(), t.end()) for t in _TOKEN.finditer(text, m.start(), m.end())]
            self._sequence(doc, tokens, out)
        return out

    def _sequence(
        self, doc: Doc, tokens: list[tuple[int, int]], out: list[RecognizerResult]
    ) -> None:
        text = doc.text
        titled = _title_before(doc.lower, tokens[0][0]) or _title_after(doc.lower, tokens[-1][1])
        run: list[tuple[int, int, int]] = []
        for start, end in tokens:
            word = text[start:end]
            if TITLES.fullmatch(word.lower()):
                self._emit(doc, run, titled, out)
                run, titled = [], True
                continue
            if _INITIAL.fullmatch(word):
                flags = -1
            elif word in ("ұлы", "қызы", "улы", "кызы"):
                flags = lex.PATR
            else:
                flags = lex.classify(word)
            if flags != -1 and flags & lex.STOP:
                self._emit(doc, run, titled, out)
                run, titled = [], False
                continue
            run.append((start, end, flags))
        self._emit(doc, run, titled, out)

    def _emit(
        self, doc: Doc, run: list[tuple[int, int, int]], titled: bool, out: list[RecognizerResult]
    ) -> None:
        if not run:
            return
        best, score = run, _score(doc, run, titled)
        lead = run[0][2]
        by_position = (
            not titled
            and lead != -1
            and not lead & _NAMEISH
            and _sentence_initial(doc.text, run[0][0])
        )
        if by_position and len(run) == 1:
            return
        if by_position:  # "Contact Mary Johnson": a capital by position only
            trimmed = _score(doc, run[1:], titled)
            after = run[1][2]
            given = after == -1 or (after & lex.FIRST and not after & lex.PATR)
            if trimmed and (trimmed >= score or given):  # "Remind Tom" but "Сандуғаш Есенқызы"
                best, score = run[1:], trimmed
        if score:
            out.append(result("PERSON", best[0][0], best[-1][1], score))


def _title_after(lower: str, end: int) -> bool:
    """Kazakh puts the title after the name: "Томпсон мырза", "Әсел ханым"."""
    m = _TITLE_AFTER.match(lower, end, min(len(lower), end + 16))
    return m is not None


def _title_before(lower: str, start: int) -> bool:
    m = _TITLE_BEFORE.search(lower, max(0, start - 24), start)
    return bool(m and TITLES.fullmatch(m.group(1)))


def _sentence_initial(text: str, start: int) -> bool:
    i = start - 1
    while i >= 0 and text[i] in " \t\u00a0":
        i -= 1
    return i < 0 or text[i] in _SENTENCE_END


def _context(doc: Doc, start: int, end: int) -> bool:
    lower = doc.lower
    return bool(
        CONTEXT_BEFORE.search(lower, max(0, start - 32), start)
        or CONTEXT_AFTER.match(lower, end + 1, min(len(lower), end + 16))
    )


def _score(doc: Doc, run: list[tuple[int, int, int]], titled: bool) -> float:
    initials = sum(1 for _, _, f in run if f == -1)
    flags = [f for _, _, f in run if f != -1]
    k = len(run)
    if k == initials:
        return 0.0
    first = sum(1 for f in flags if f & lex.FIRST)
    sure_first = sum(1 for f in flags if f & lex.FIRST and not f & lex.AMBIG)
    patr = sum(1 for f in flags if f & lex.PATR)
    surname = sum(1 for f in flags if f & lex.SURNAME)
    strong = sum(1 for f in flags if f & lex.STRONG)
    unknown = sum(1 for f in flags if not f & (lex.FIRST | lex.SURNAME | lex.PATR))
    if titled:
        return SCORE_SURE if unknown <= 2 else 0.0
    if k >= 2:
        if (
            unknown == 0
            and (first or patr or initials)
            and (sure_first or patr or strong or initials or (first >= 2 and surname))
        ):
            return SCORE_SURE
        if unknown == 1 and k >= 2 and (sure_first or patr or strong or initials):
            return SCORE_SURE if k >= 3 or sure_first or patr or initials else SCORE_SINGLE
        if unknown == 0 and surname == k and strong and _context(doc, run[0][0], run[-1][1]):
            return SCORE_SURE
        if k <= 3 and unknown == k and _context(doc, run[0][0], run[-1][1]):
            return SCORE_WEAK  # "from Kenji Ocheltree": unknown words placed like a name
        return 0.0
    (f,) = flags
    start, end, _ = run[0]
    ctx = _context(doc, start, end)
    if f & lex.PATR:
        return SCORE_SINGLE
    if f & lex.FIRST and not f & lex.AMBIG:
        return SCORE_SURE if ctx else SCORE_SINGLE
    if f & (lex.FIRST | lex.STRONG) and ctx and not _sentence_initial(doc.text, start):
        return SCORE_SINGLE
    if f & lex.FIRST and ctx:
        return SCORE_SINGLE
    if not f and CONTEXT_STRONG.search(doc.lower, max(0, start - 24), start):
        return SCORE_WEAK  # "my colleague Aigerim": an unknown word in a name's place
    return 0.0


def person_recognizers() -> list[Recognizer]:
    """The fast recognizer, plus natasha when asked for, plus any installed spaCy model."""
    from routing.detection.recognizers.ner import installed_ner_recognizers

    recognizers: list[Recognizer] = [PersonRecognizer()]
    if os.environ.get("KORDON_PERSON_NATASHA", "") == "1":
        from routing.detection.recognizers.natasha_ner import NatashaPersonRecognizer

        recognizers.append(NatashaPersonRecognizer())
    return recognizers + installed_ner_recognizers()
