"""The detector: normalise once, run every recognizer over the text, resolve overlaps, map
spans back to the original text, cache. Any exception becomes a `DetectionError`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence

from presidio_analyzer import RecognizerResult

from routing.detection.cache import FindingsCache
from routing.detection.custom import CustomCategory, CustomMatchers, compile_custom
from routing.detection.errors import DetectionError, PatternError
from routing.detection.normalize import normalize
from routing.detection.recognizers.base import Doc, Recognizer
from routing.detection.recognizers.cards_iban import IbanRecognizer
from routing.detection.recognizers.contacts import EmailRecognizer, IpRecognizer, PhoneRecognizer
from routing.detection.recognizers.ids import NumericIdRecognizer
from routing.detection.recognizers.secrets import SecretRecognizer
from routing.findings import Finding

ENTITIES: tuple[str, ...] = (
    "KZ_IIN", "KZ_BIN", "RU_INN", "RU_SNILS", "RU_PASSPORT", "US_SSN", "CREDIT_CARD",
    "IBAN_CODE", "EMAIL_ADDRESS", "PHONE_NUMBER", "IP_ADDRESS", "PERSON", "SECRET",
)  # fmt: skip
MIN_SCORE = 0.5
MAX_TEXT_CHARS = 4_000_000  # far above the body limit; guards against misuse

WARMUP_TEXT = (
    "Клиент Асқар Серікұлы Жұмабаев, ИИН 900101300128, тел. +7 701 123 45 67, "
    "Иван Петрович Сидоров, ИНН 7707083893, John Smith <john.smith@example.com>, "
    "card 4111 1111 1111 1111, IBAN KZ86125KZT5004100100, 10.0.0.1, token: sk-abc123def456ghi789jkl0."
)


def default_recognizers() -> list[Recognizer]:
    recognizers: list[Recognizer] = [
        NumericIdRecognizer(),
        IbanRecognizer(),
        EmailRecognizer(),
        PhoneRecognizer(),
        IpRecognizer(),
        SecretRecognizer(),
    ]
    try:
        from routing.detection.recognizers.names import person_recognizers
    except ImportError:  # PERSON not built yet in this checkout
        return recognizers
    return recognizers + person_recognizers()


class Detector:
    """Process-wide detector (see `get_detector`). Thread-safe; holds no per-request state."""

    supported_entities: tuple[str, ...] = ENTITIES

    def __init__(
        self,
        recognizers: Sequence[Recognizer] | None = None,
        *,
        cache_size: int = 8192,
    ) -> None:
        self._recognizers = tuple(recognizers if recognizers is not None else default_recognizers())
        self._cache = FindingsCache(cache_size)
        self._custom_tokens: dict[int, int] = {}

    @property
    def recognizers(self) -> tuple[Recognizer, ...]:
        return self._recognizers

    @property
    def cache(self) -> FindingsCache:
        return self._cache

    def compile_custom(
        self,
        categories: Sequence[CustomCategory],
        *,
        field_prefix: Callable[[int], str] | None = None,
    ) -> CustomMatchers:
        """Validate and compile a policy's categories; raises `PatternError` naming the field."""
        try:
            matchers = compile_custom(categories, field_prefix=field_prefix)
        except PatternError:
            raise
        except Exception as exc:
            raise DetectionError("custom categories could not be compiled") from exc
        return matchers

    def detect(
        self,
        text: str,
        *,
        entities: frozenset[str] | None = None,
        custom: CustomMatchers | None = None,
    ) -> list[Finding]:
        """Sorted, non-overlapping findings over the ORIGINAL text.

        `entities` limits the built-in entities (recognizers for none of them are skipped);
        findings of `custom` categories are always returned.
        """
        try:
            if not isinstance(text, str):
                raise TypeError("text must be a str")
            if not text:
                return []
            token = custom.token if custom is not None else None
            key = (self._cache.digest(text), entities, token)
            cached = self._cache.get(key)
            if cached is not None:
                return list(cached)
            findings = tuple(self._detect(text, entities, custom))
            self._cache.put(key, findings)
            return list(findings)
        except DetectionError:
            raise
        except Exception as exc:
            raise DetectionError(f"detection failed: {type(exc).__name__}") from exc

    def _detect(
        self, text: str, entities: frozenset[str] | None, custom: CustomMatchers | None
    ) -> list[Finding]:
        if len(text) > MAX_TEXT_CHARS:
            raise DetectionError("text too long to scan")
        norm = normalize(text)
        doc = Doc(norm)
        results: list[RecognizerResult] = []
        for recognizer in self._recognizers:
            if entities is not None and entities.isdisjoint(recognizer.ENTITIES):
                continue
            found = recognizer.scan(doc)
            if entities is not None:
                found = [r for r in found if r.entity_type in entities]
            results.extend(found)
        if custom is not None:
            results.extend(custom.scan(doc))
        chosen = resolve_overlaps(r for r in results if r.score >= MIN_SCORE)
        out = []
        for r in chosen:
            start, end = norm.span(r.start, r.end)
            out.append(Finding(r.entity_type, start, end, round(float(r.score), 3)))
        return out


def resolve_overlaps(results: Iterable[RecognizerResult]) -> list[RecognizerResult]:
    """Keep the best of overlapping results (higher score, then longer); sorted by start.

    Results are split into clusters of transitively overlapping spans (one sweep), and the
    greedy choice runs inside each cluster, so the cost stays O(n log n) for any input.
    """
    ordered = sorted((r for r in results if r.end > r.start), key=lambda r: (r.start, -r.end))
    kept: list[RecognizerResult] = []
    cluster: list[RecognizerResult] = []
    cluster_end = -1
    for r in ordered:
        if cluster and r.start >= cluster_end:
            kept.extend(_best_of(cluster))
            cluster = []
        cluster.append(r)
        cluster_end = max(cluster_end, r.end) if len(cluster) > 1 else r.end
    if cluster:
        kept.extend(_best_of(cluster))
    return kept


def _best_of(cluster: list[RecognizerResult]) -> list[RecognizerResult]:
    if len(cluster) == 1:
        return cluster
    ranked = sorted(cluster, key=lambda r: (-r.score, -(r.end - r.start), r.start))
    chosen: list[RecognizerResult] = []
    for r in ranked:
        if all(r.end <= c.start or c.end <= r.start for c in chosen):
            chosen.append(r)
    return sorted(chosen, key=lambda r: r.start)


_detector: Detector | None = None
_lock = threading.Lock()


def detector_ready() -> bool:
    """Whether the process-wide detector is built (so using it costs no start-up work)."""
    return _detector is not None


def get_detector() -> Detector:
    """The process-wide detector, built once and warmed up. Never reaches the network."""
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                detector = Detector()
                detector.detect(WARMUP_TEXT)
                detector.cache.clear()
                _detector = detector
    return _detector
