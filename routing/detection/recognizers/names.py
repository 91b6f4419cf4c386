# ruff: noqa: RUF001
"""PERSON without a downloadable model: capitalised-token sequences scored by name lists,
morphology, surname/patronymic endings, titles and context words (English, Russian, Kazakh).

One regex pass finds sequences of capitalised words and initials; each word is classified
once per process (cached). An operator-installed spaCy model is added by `ner.py`.
"""

from __future__ import annotations

import bisect
import os
import re

from presidio_analyzer import Pattern, RecognizerResult

from routing.detection.context import words
from routing.detection.recognizers import name_lexicon as lex
from routing.detection.recognizers.base import Doc, Recognizer, result

# Latin letters include Latin-1 and Extended-A (Fernández, Sørensen, Wałęsa).
_UP = "A-ZÀ-ÖØ-ÞĀĂĄĆĈĊČĎĐĒĔĖĘĚĜĞĠĢĤĦĨĪĬĮİĴĶĹĻĽĿŁŃŅŇŊŌŎŐŒŔŖŘŚŜŞŠŢŤŦŨŪŬŮŰŲŴŶŸŹŻŽА-ЯЁӘҒҚҢӨҰҮҺІ"
_LO = "a-zß-öø-ÿāăąćĉċčďđēĕėęěĝğġģĥħĩīĭįıĵķĺļľŀłńņňŋōŏőœŕŗřśŝşšţťŧũūŭůűųŵŷźżžа-яёәғқңөұүһі"
_WORD = rf"[{_UP}](?:['’][{_UP}])?[{_LO}’']*[{_LO}](?:[{_UP}][{_LO}]+)?(?:-[{_UP}][{_LO}]+)*"
_INITIALS = rf"[{_UP}]\.(?:[ ]?[{_UP}]\.)?"
_CAP = rf"(?:{_WORD}|{_INITIALS})"
SEQUENCE = Pattern(
    "capitalised_sequence",
    rf"(?<![\w\-]){_CAP}(?:[ \u00a0]{_CAP}){{0,5}}(?:[ \u00a0](?:ұлы|қызы|улы|кызы))?(?![\w]|-\w)",
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
# Roles, jobs and kin written before a name ("Кассир Ләззат", "Detective Alan Price", "Анасы
# Кәмшат"). Weaker than a title: in Latin script the name after them must have a name cue.
ROLES = re.compile(
    r"(?:detective|officer|inspector|sergeant|constable|agent|nurse|judge|captain|lieutenant|"
    r"colonel|reverend|rev|policyholder|cardholder|beneficiary|applicant|borrower|tenant|"
    r"landlord|caller|technician|courier|driver|notary|cashier|operator|adviser|advisor|"
    r"attendee|approver|requester|executor|"
    r"следовател\w*|инспектор\w*|судь\w*|нотариус\w*|кассир\w*|курьер\w*|оператор\w*|"
    r"водител\w*|медсестр\w*|медбрат\w*|юрист\w*|бухгалтер\w*|специалист\w*|консультант\w*|"
    r"агент\w*|педиатр\w*|терапевт\w*|хирург\w*|стоматолог\w*|кардиолог\w*|абонент\w*|"
    r"заявител\w*|получател\w*|отправител\w*|владел\w*|заемщик\w*|заёмщик\w*|вкладчик\w*|"
    r"исполнител\w*|ответственн\w*|руководител\w*|начальник\w*|заведующ\w*|секретар\w*|"
    r"наследник\w*|свидетел\w*|представител\w*|доверител\w*|кассир\w*|"
    r"мама|папа|бабушк\w*|дедушк\w*|брат\w*|сестр\w*|"
    r"жүргізуші\w*|хатшы\w*|есепші\w*|мұғалім\w*|басшы\w*|аудармашы\w*|көмекші\w*|"
    r"маман\w*|тергеуші\w*|заңгер\w*|медбике\w*|мейірбике\w*|анасы|әкесі|әйелі|"
    r"күйеуі|баласы|інісі|ағасы|әпкесі|қарындасы|жиені|немересі|ұстаз\w*|оқытушы\w*)"
)
# After these words a capitalised word names a street, place or institution, not a person:
# "улица Гоголя", "проспекте Абая", "имени Боткина", "St. Mary's", "Christmas Eve".
PLACE_BEFORE = frozenset(
    str.split(
        "улица улице улицу улицы улицей ул проспект проспекте проспекта проспектом пр переулок "
        "переулке переулка бульвар бульваре бульвара площадь площади шоссе набережная набережной "
        "город города городе городу г село селе села посёлок поселок посёлке поселке станция "
        "станции метро имени им район района районе микрорайон микрорайоне мкр аэропорт "
        "аэропорта mount mt lake fort saint st cape christmas easter"
    )
)
# A capitalised word right before these heads belongs to an organisation or a place:
# "Lincoln Memorial Hospital", "Cleveland Clinic", "Lewis Street", "Сәтбаев көшесі".
ORG_AFTER = frozenset(
    str.split(
        "street st avenue ave road rd boulevard blvd drive square plaza station "
        "airport terminal hospital clinic centre center medical health pharmacy bank banking "
        "credit union group inc ltd llc plc corp corporation company co holdings partners "
        "associates trust foundation institute university college school academy "
        "cathedral memorial hotel inn resort motel restaurant cafe mall market marketplace store "
        "shop stores gardens valley mail insurance telecom airlines airways motors systems "
        "solutions technologies software media studios labs laboratory agency bureau ministry "
        "department council committee prison police stadium arena club fc"
    )
)
_ORG_AFTER_KK = re.compile(
    r"[ \u00a0]+(?:көшес|даңғыл|ауданы|ауданд|облыс|қаласы|қаласын|ауылы|ауылын|шағынаудан|"
    r"мейрам|клуб|банкі|университет|орталығ|бағдарламас|монумент|телеарнас|компаниясы|"
    r"мектеб|ауруханас|емханас|аэропорт|вокзал|станциясы|атындағы|мұз|футбол|сауда|әуежай)"
)
_TITLE_AFTER = re.compile(
    r"[ \u00a0]+(?:мырза|ханым|азамат|азаматша|апай|ағай|аға|әпке|апа|ата|әже|жеңге)\w*"
)
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
    r"payee",
    r"recipient",
    r"beneficiary",
    r"holder",
    r"signatory",
    r"с уважением",
    r"получател",
    r"құрметпен",
    r"алушы",
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
    r"brother",
    r"sister",
    r"cousin",
    r"aunt",
    r"uncle",
    r"partner",
    r"fianc",
    r"nephew",
    r"niece",
    r"брат",
    r"сестр",
    r"ағасы",
    r"інісі",
    r"әпкесі",
    r"қарындасы",
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
NO_TITLE, TITLE, ROLE = 0, 1, 2

_CYR = re.compile(r"[А-ЯЁӘҒҚҢӨҰҮҺІа-яёәғқңөұүһі]")
_CONTEXT_ADJACENT = re.compile(CONTEXT_BEFORE.pattern + r"\w*[\s,:.\-—–]{0,4}\Z", re.IGNORECASE)
# A greeting right before a single capitalised word that ends the clause: "Thanks, Priya!"
_GREETING = re.compile(
    r"(?<!\w)(?:thanks|thank you|hi|hello|hey|dear|good (?:morning|afternoon|evening)|"
    r"спасибо|благодарю|привет|здравствуйте|добрый (?:день|вечер)|доброе утро|"
    r"рахмет|сәлем|сәлеметсіз бе|құттықтаймыз)[ \u00a0]*[,!]?[ \u00a0]*\Z"
)
_CLAUSE_END = re.compile(r"[ \u00a0]*(?:[,!.?:;\n]|\Z)")
# The gap between two members of a list of people: "A, B and C", "Ivanov i Petrov", "Ә мен Б".
_COORDINATION = re.compile(
    r"[ \u00a0]*(?:,|;|&|and|or|и|или|мен|бен|пен|және)(?:[ \u00a0]*(?:and|и|және))?[ \u00a0]*",
    re.IGNORECASE,
)
# Lower-case names in chat: only right after a cue ("hi this is tom", "привет, это маша",
# "сәлем дина") or right before a speech verb ("jessica said", "саша просил", "ерлан айтты").
_LC = r"[a-zß-öø-ÿа-яёәғқңөұүһі]+(?:['’][a-zа-я]+)?"
_LC_BEFORE = re.compile(
    r"(?<!\w)(?:this is|it's|its|it is|i'm|im|i am|my name is|hi|hey|hello|dear|thanks|thank you|"
    r"manager|boss|colleague|brother|sister|wife|husband|friend|son|daughter|mom|dad|"
    r"cc|ask|tell|ping|customer|client|это|зовут|привет|спасибо|напиши|напишите|скажи|"
    r"скажите|спроси|позвони|передай|передайте|клиент|бұл|есімім|атым|сәлем|рахмет)"
    rf"[,:!]?[ \u00a0]+({_LC})(?:[ \u00a0]+({_LC}))?"
)
_SPEECH_VERB = re.compile(
    r"(?<=[ \u00a0])(?:said|says|asked|wrote|told|сказал\w*|написал\w*|просил\w*|"
    r"попросил\w*|звонил\w*|айтты|жазды|сұрады)(?!\w)"
)
_LC_BEFORE_VERB = re.compile(rf"(?<![\w'’])({_LC})[ \u00a0]+\Z")
_LC_NEXT = re.compile(rf"[ \u00a0]*(?:,|and|и|мен|және)[ \u00a0]+({_LC})(?:[ \u00a0]+({_LC}))?")


# Headline or advertising Title Case ("Free Shipping On Orders Over $50"): capitals carry no
# signal there, so only runs made entirely of listed names count on such a line.
_LATIN_WORD = re.compile(r"(?<![\w'])[A-Za-z][a-z']+")
_FUNCTION_WORDS = frozenset(
    str.split(
        "On Over Your By For Of And With Is Are To The In At From Our You Will Be Now Off Up "
        "Every Today All Get Save More New Best Only This That Here Than Just Not As Or If"
    )
)


def _title_case_line(text: str, pos: int, cache: dict[int, bool]) -> bool:
    start = text.rfind("\n", 0, pos) + 1
    if start not in cache:
        end = text.find("\n", pos)
        words = _LATIN_WORD.findall(text, start, end if end != -1 else len(text))
        caps = [w for w in words if w[0].isupper()]
        function = sum(1 for w in caps[1:] if w in _FUNCTION_WORDS)
        cache[start] = len(words) >= 4 and (
            (function >= 2 and len(caps) >= 0.7 * len(words))
            or (function >= 1 and len(words) >= 6 and len(caps) >= 0.9 * len(words))
        )
    return cache[start]


# Names in capitals, as in forms and bank documents: "ИВАНОВ ИВАН ИВАНОВИЧ", "KOWALSKI, ANNA".
_CAPS_WORD = rf"[{_UP}]{{2,}}(?:['’][{_UP}]{{2,}})?"
_CAPS = re.compile(
    rf"(?<![\w\-])({_CAPS_WORD})(,?[ \u00a0]+)({_CAPS_WORD})(?:[ \u00a0]+({_CAPS_WORD}))?(?![\w\-])"
)


def _capitals(doc: Doc, out: list[RecognizerResult]) -> None:
    text = doc.text
    taken = [(r.start, r.end) for r in out]
    for m in _CAPS.finditer(text):
        if "," in m.group(2) and m.group(4):
            continue  # "SMITH, JOHN" only as a pair
        groups = [g for g in (1, 3, 4) if m.group(g)]
        run = []
        for g in groups:
            word = m.group(g)
            flags = lex.classify(word[0] + word[1:].lower())
            if flags & lex.STOP:
                break
            run.append((m.start(g), m.end(g), flags))
        else:
            if not any(f & (lex.FIRST | lex.PATR) for _, _, f in run):
                continue
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            score = _score(doc, run, NO_TITLE)
            if score >= SCORE_SINGLE:
                out.append(result("PERSON", m.start(), m.end(), score))


class PersonRecognizer(Recognizer):
    ENTITIES = ("PERSON",)

    def scan(self, doc: Doc) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        lines: dict[int, bool] = {}  # Title Case verdict per line start, for this text only
        rejected: list[tuple[int, int]] = []
        text = doc.text
        for m in _SEQUENCE.finditer(text):
            tokens = [(t.start(), t.end()) for t in _TOKEN.finditer(text, m.start(), m.end())]
            self._sequence(doc, tokens, out, rejected, lines)
        if rejected and out:
            _coordinated(doc, out, rejected)
        _lowercase(doc, out)
        _capitals(doc, out)
        return out

    def _sequence(
        self,
        doc: Doc,
        tokens: list[tuple[int, int]],
        out: list[RecognizerResult],
        rejected: list[tuple[int, int]],
        lines: dict[int, bool],
    ) -> None:
        text, lower = doc.text, doc.lower
        prev = _TITLE_BEFORE.search(lower, max(0, tokens[0][0] - 24), tokens[0][0])
        titled = _title_before(prev) or (TITLE if _title_after(lower, tokens[-1][1]) else NO_TITLE)
        poisoned = _place_before(lower, prev)  # "улица Гоголя", "имени Боткина"
        run: list[tuple[int, int, int]] = []
        for start, end in tokens:
            word = text[start:end]
            low = word.lower()
            if low.rstrip(".") in ORG_AFTER and run:  # "Cleveland Clinic", "Lewis Street"
                run, titled, poisoned = [], NO_TITLE, False
                continue
            if low.rstrip(".") in PLACE_BEFORE:
                self._emit(doc, run, titled, out, rejected, poisoned, lines)
                run, titled, poisoned = [], NO_TITLE, True
                continue
            if TITLES.fullmatch(low) or ROLES.fullmatch(low):
                self._emit(doc, run, titled, out, rejected, poisoned, lines)
                run, poisoned = [], False
                titled = TITLE if TITLES.fullmatch(low) else ROLE
                continue
            if _INITIAL.fullmatch(word):
                flags = -1
            elif word in ("ұлы", "қызы", "улы", "кызы"):
                flags = lex.PATR
            else:
                flags = lex.classify(word)
            if flags != -1 and flags & lex.STOP:
                self._emit(doc, run, titled, out, rejected, poisoned, lines)
                run, titled, poisoned = [], NO_TITLE, False
                continue
            run.append((start, end, flags))
        if run and _ORG_AFTER_KK.match(lower, run[-1][1]):  # "Сәтбаев көшесі", "Қайрат клубы"
            return
        self._emit(doc, run, titled, out, rejected, poisoned, lines)

    def _emit(
        self,
        doc: Doc,
        run: list[tuple[int, int, int]],
        titled: int,
        out: list[RecognizerResult],
        rejected: list[tuple[int, int]],
        poisoned: bool,
        lines: dict[int, bool],
    ) -> None:
        if not run or poisoned:
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
            rejected.append((run[0][0], -run[0][1]))  # negative end: joined by a conjunction only
            return
        if by_position:  # "Contact Mary Johnson": a capital by position only
            trimmed = _score(doc, run[1:], titled)
            after = run[1][2]
            given = after == -1 or (after & lex.FIRST and not after & lex.PATR)
            # On a tie keep "Siobhan Gallagher" whole, but not "Құжатты Нұрбекке" (an object noun)
            tie = trimmed == score and (len(run) > 2 or bool(_CYR.match(doc.text, run[0][0])))
            if trimmed and (
                trimmed > score or tie or given
            ):  # "Remind Tom" but "Сандуғаш Есенқызы"
                best, score = run[1:], trimmed
        if (
            score
            and not titled
            and not _CYR.match(doc.text, best[0][0])
            and _title_case_line(doc.text, best[0][0], lines)
            and any(f == -1 or not f & _NAMEISH or f & lex.AMBIG for _, _, f in best)
        ):
            score = 0.0  # "Summer Sale", "Free Shipping" in a Title Case headline
        if score:
            out.append(result("PERSON", best[0][0], best[-1][1], score))
        elif len(run) <= 3 and any(f != -1 for _, _, f in run):
            rejected.append((run[0][0], run[-1][1]))


def _coordinated(doc: Doc, out: list[RecognizerResult], rejected: list[tuple[int, int]]) -> None:
    """A capitalised run listed next to a found person is a person too: "Raj Iyer" in
    "Chloe Martin, Raj Iyer, Tobias Klein", "Дариға" in "Дариға мен Тимурдың"."""
    text = doc.text
    found = sorted((r.start, r.end) for r in out)
    pending = sorted((start, abs(end), end > 0) for start, end in rejected)
    for _ in range(3):  # lists of up to three unknown names in a row
        added = []
        for start, end, comma in pending:
            i = bisect.bisect_left(found, (start, end))
            before = found[i - 1] if i else None
            after = found[i] if i < len(found) else None
            near = (before and _joined(text, before[1], start, comma)) or (
                after and _joined(text, end, after[0], comma)
            )
            if near:
                added.append((start, end, comma))
        if not added:
            return
        for item in added:
            out.append(result("PERSON", item[0], item[1], SCORE_WEAK))
            bisect.insort(found, (item[0], item[1]))
            pending.remove(item)


def _joined(text: str, left_end: int, right_start: int, comma: bool) -> bool:
    if not 0 < right_start - left_end <= 9:
        return False
    m = _COORDINATION.fullmatch(text, left_end, right_start)
    return m is not None and (comma or text[left_end:right_start].strip() not in (",", ";"))


def _lowercase(doc: Doc, out: list[RecognizerResult]) -> None:
    text, lower = doc.text, doc.lower
    taken = {r.start for r in out}
    hits: list[tuple[int, int]] = []
    pos = 0
    while m := _LC_BEFORE.search(lower, pos):  # "hi this is tom": both cues are tried
        hits.extend(_lc_name(text, m))
        pos = m.start(1)
    for verb in _SPEECH_VERB.finditer(lower):  # "jessica said": the word before the verb
        m = _LC_BEFORE_VERB.search(lower, max(0, verb.start() - 40), verb.start())
        if m:
            hits.extend(_lc_name(text, m, second=False))
    for start, end in hits:
        if start not in taken:
            taken.add(start)
            out.append(result("PERSON", start, end, SCORE_SINGLE))
            nxt = _LC_NEXT.match(lower, end)
            if nxt:
                for s, e in _lc_name(text, nxt):
                    if s not in taken:
                        taken.add(s)
                        out.append(result("PERSON", s, e, SCORE_SINGLE))


def _lc_name(text: str, m: re.Match[str], second: bool = True) -> list[tuple[int, int]]:
    start, end = m.span(1)
    if not text[start].islower() or not lex.lowercase_given(text[start:end]):
        return []
    if second and m.group(2) and text[m.start(2)].islower() and lex.lowercase_surname(m.group(2)):
        end = m.end(2)
    return [(start, end)]


def _title_after(lower: str, end: int) -> bool:
    """Kazakh puts the title after the name: "Томпсон мырза", "Әсел ханым"."""
    m = _TITLE_AFTER.match(lower, end, min(len(lower), end + 16))
    return m is not None


def _title_before(m: re.Match[str] | None) -> int:
    if not m:
        return NO_TITLE
    if TITLES.fullmatch(m.group(1)):
        return TITLE
    return ROLE if ROLES.fullmatch(m.group(1)) else NO_TITLE


def _place_before(lower: str, m: re.Match[str] | None) -> bool:
    if not m or m.group(1) not in PLACE_BEFORE:
        return False
    return not lower.endswith("от ", 0, m.start(1))  # "от имени Григория": on behalf of a person


def _sentence_initial(text: str, start: int) -> bool:
    i = start - 1
    while i >= 0 and text[i] in " \t\u00a0":
        i -= 1
    return i < 0 or text[i] in _SENTENCE_END


def _window_start(text: str, start: int, width: int) -> int:
    """Context is looked for on the name's own line (or the line before, when the name starts
    its line, as in a signature), never across an earlier name or heading."""
    line = text.rfind("\n", 0, start) + 1
    if not text[line:start].strip() and line:
        line = text.rfind("\n", 0, line - 1) + 1
    return max(line, start - width)


def _context(doc: Doc, start: int, end: int) -> bool:
    lower = doc.lower
    return bool(
        CONTEXT_BEFORE.search(lower, _window_start(lower, start, 32), start)
        or CONTEXT_AFTER.match(lower, end + 1, min(len(lower), end + 16))
    )


def _score(doc: Doc, run: list[tuple[int, int, int]], titled: int) -> float:
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
    cyrillic = bool(_CYR.match(doc.text, run[0][0]))
    if titled == ROLE and not cyrillic and not (first or surname or patr or initials):
        return 0.0  # "Customer Success", "Operator Beeline": a role before a non-name
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
        if (
            k == 2
            and strong == 2
            and not any(f & lex.AMBIG for f in flags)
            and not _sentence_initial(doc.text, run[0][0])
        ):
            return SCORE_WEAK  # "referred Malik Johnson": two surname-list words mid-sentence
        if (
            k <= 3
            and unknown == k
            and _CONTEXT_ADJACENT.search(doc.lower, max(0, run[0][0] - 40), run[0][0])
        ):
            return SCORE_WEAK  # "from Kenji Ocheltree": unknown words placed like a name
        return 0.0
    (f,) = flags
    start, end, _ = run[0]
    ctx = _context(doc, start, end)
    initial = _sentence_initial(doc.text, start)
    if f & lex.PATR:
        return SCORE_SINGLE
    if f & lex.FIRST and not f & lex.AMBIG:
        return SCORE_SURE if ctx else SCORE_SINGLE
    if cyrillic and not initial:  # mid-sentence capitals are proper nouns in Russian and Kazakh
        if (
            f & lex.FIRST
            and not f & lex.COMMON
            and (f & (lex.LISTED | lex.SHAPE) or not f & lex.AMBIG)
        ):
            return SCORE_SINGLE  # "Шағымды Гүлнұр тіркеді", "Бүгін Бақытқа"
        if f & lex.SURNAME and f & lex.STRONG and not f & lex.AMBIG:
            return SCORE_SINGLE  # "адресовано Волкову и Зайцевой"
    if f & (lex.FIRST | lex.STRONG) and ctx and not initial:
        return SCORE_SINGLE
    if f & lex.FIRST and ctx:
        return SCORE_SINGLE
    if cyrillic and f & lex.FIRST and lex.kk_case_inflected(doc.lower[start:end]):
        return SCORE_WEAK  # "Абылайханның құжаттары": a Kazakh case ending on a name
    if not f and CONTEXT_STRONG.search(doc.lower, max(0, start - 24), start):
        return SCORE_WEAK  # "my colleague Aigerim": an unknown word in a name's place
    if (
        not f & lex.STRONG
        and not f & lex.COMMON
        and _GREETING.search(doc.lower, max(0, start - 24), start)
        and _CLAUSE_END.match(doc.text, end)
    ):
        return SCORE_WEAK  # "Thanks, Priya!", "Рахмет, Ақмарал!"
    return 0.0


def person_recognizers() -> list[Recognizer]:
    """The fast recognizer, plus natasha when asked for, plus any installed spaCy model."""
    from routing.detection.recognizers.ner import installed_ner_recognizers

    recognizers: list[Recognizer] = [PersonRecognizer()]
    if os.environ.get("KORDON_PERSON_NATASHA", "") == "1":
        from routing.detection.recognizers.natasha_ner import NatashaPersonRecognizer

        recognizers.append(NatashaPersonRecognizer())
    return recognizers + installed_ner_recognizers()
