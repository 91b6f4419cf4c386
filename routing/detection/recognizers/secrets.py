"""SECRET: provider keys and tokens (formats after the gitleaks rule set), JWTs, PEM private
keys, credentials in URLs, values after password/token/пароль/құпия сөз, and high-entropy
tokens next to a context word. Scanned on the homoglyph-folded view, case-sensitively."""

from __future__ import annotations

import math
import re
from collections import Counter

from presidio_analyzer import Pattern, RecognizerResult

from routing.detection import context
from routing.detection.recognizers.base import Doc, Recognizer, result

PATTERNS: tuple[Pattern, ...] = (
    Pattern("aws_access_key_id", r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z2-7]{16}(?![A-Z0-9])", 1.0),
    Pattern("github_token", r"(?<![A-Za-z0-9_])(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}(?![A-Za-z0-9_])", 1.0),
    Pattern("github_pat", r"github_pat_[A-Za-z0-9_]{22,255}", 1.0),
    Pattern("gitlab_token", r"(?<![A-Za-z0-9])gl(?:pat|dt|ptt|rt|cbt|oas)-[A-Za-z0-9_\-]{20,}", 1.0),
    Pattern("slack_token", r"(?<![A-Za-z0-9])xox[abposre]-[A-Za-z0-9\-]{10,}", 1.0),
    Pattern("slack_webhook", r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9+/]{20,}", 1.0),
    Pattern("stripe_key", r"(?<![A-Za-z0-9])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}", 1.0),
    Pattern("google_api_key", r"(?<![A-Za-z0-9])AIza[0-9A-Za-z_\-]{35}", 1.0),
    Pattern("openai_anthropic_key", r"(?<![A-Za-z0-9_\-])sk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}", 1.0),
    Pattern("jwt", r"(?<![A-Za-z0-9_\-])eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{16,}", 1.0),
    Pattern("pem_private_key", r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\s:\-,]*)", 1.0),
    Pattern("twilio_sendgrid", r"(?<![A-Za-z0-9])(?:SK[0-9a-f]{32}|SG\.[A-Za-z0-9_\-]{20,}\.[A-Za-z0-9_\-]{20,})", 1.0),
    Pattern("telegram_bot", r"(?<![0-9])[0-9]{8,10}:AA[A-Za-z0-9_\-]{33}", 1.0),
    Pattern("private_key_hex", r"(?i:private[_ ]?key)\s*[:=]\s*(?:0x)?[0-9a-fA-F]{64}", 1.0),
)  # fmt: skip
# Substrings one of which must occur before a pattern is run (`in` is a fast C scan).
_NEEDLES: dict[str, tuple[str, ...]] = {
    "aws_access_key_id": ("AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA", "APKA", "AROA", "ASCA"),
    "github_token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    "github_pat": ("github_pat_",),
    "gitlab_token": ("glpat-", "gldt-", "glptt-", "glrt-", "glcbt-", "gloas-"),
    "slack_token": ("xox",),
    "slack_webhook": ("hooks.slack.com",),
    "stripe_key": ("_live_", "_test_"),
    "google_api_key": ("AIza",),
    "openai_anthropic_key": ("sk-",),
    "jwt": ("eyJ",),
    "pem_private_key": ("PRIVATE KEY",),
    "twilio_sendgrid": ("SK", "SG."),
    "telegram_bot": (":AA",),
    "private_key_hex": ("rivate", "RIVATE"),
}  # fmt: skip
_FIXED = tuple((re.compile(p.regex), _NEEDLES[p.name]) for p in PATTERNS)
_KEYWORD_NEEDLES = (
    "pass", "pwd", "secret", "token", "key", "auth", "парол", "токен", "секрет", "ключ", "құпия",
    "кілт", "credential", "bearer", "api",
)  # fmt: skip

# `scheme://user:pass@host`: the credentials part is the secret.
URL_CREDENTIALS = Pattern(
    "url_credentials", r"[A-Za-z][A-Za-z0-9+.\-]*://([^\s:/@]+:[^\s/@]+)@", 1.0
)
_URL_CREDENTIALS = re.compile(URL_CREDENTIALS.regex)

_KEYWORD = (
    r"(?:password|passwd|passphrase|pwd|secret|token|api[_\- ]?key|access[_\- ]?key|"
    r"client[_\- ]?secret|auth|пароль|пароля|паролем|парол|токен|секрет|ключ|құпия\s?сөз|"
    r"құпиясөз|кілт)"
)
KEYWORD_VALUE = Pattern(
    "keyword_value",
    r"(?i)(?<!\w)"
    + _KEYWORD
    + r"[\w\-]*[\"']?\s{0,3}(?:is|=|:=|:|—|-|->|→|это|был|:\s*-)\s{0,3}[\"'`]?([^\s\"'`,;]{4,})",
    0.9,
)
_KEYWORD_VALUE = re.compile(KEYWORD_VALUE.regex)
BEARER = Pattern("bearer", r"(?i)\bbearer\s+([A-Za-z0-9\-._~+/]{16,}=*)", 1.0)
_BEARER = re.compile(BEARER.regex)
TOKEN = Pattern("high_entropy_token", r"(?<![A-Za-z0-9+/_\-=.])[A-Za-z0-9+/_\-=.]{20,}", 0.8)
_TOKEN = re.compile(TOKEN.regex)


def shannon_entropy(value: str) -> float:
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


_CODE_REFERENCE = re.compile(
    r"^(?:os\.|env\b|process\.|settings\.|config\.|self\.|\$|%|<|\{)|[(\[{]"
    r"|^(?:none|null|nil|true|false|undefined|required|optional|string|str|int)$",
    re.IGNORECASE,
)
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _keyword_value_ok(value: str) -> bool:
    """A value, not a word or a reference in code: has a digit or symbol, mixed case, or is long."""
    value = value.rstrip(".,)")
    if len(value) < 4 or _CODE_REFERENCE.search(value) or value.endswith(":"):
        return False  # a reference in code or a label ("Auth: Authorization: ...")
    if _ENV_NAME.fullmatch(value):
        return False  # the name of an environment variable, not its value
    has_digit = any(c.isdigit() for c in value)
    has_symbol = any(not c.isalnum() for c in value)
    mixed = any(c.isupper() for c in value[1:]) and any(c.islower() for c in value)
    return has_digit or has_symbol or mixed or len(value) >= 12


def _token_ok(value: str) -> bool:
    if _UUID.fullmatch(value):
        return False  # an identifier; a UUID used as a key is caught after its key word
    if "." in value and value.count(".") >= 2 and not value.startswith("eyJ"):
        return False  # dotted names (hosts, packages)
    letters = sum(c.isalpha() for c in value)
    digits = sum(c.isdigit() for c in value)
    return letters >= 4 and digits >= 2 and shannon_entropy(value) >= 3.5


class SecretRecognizer(Recognizer):
    ENTITIES = ("SECRET",)

    def scan(self, doc: Doc) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        text = doc.folded
        for rx, needles in _FIXED:
            if any(n in text for n in needles):
                for m in rx.finditer(text):
                    out.append(result("SECRET", m.start(), m.end(), 1.0))
        plain = doc.text  # keywords are words in any script: match them unfolded
        if "://" in plain:
            for m in _URL_CREDENTIALS.finditer(plain):
                if _CODE_REFERENCE.search(m.group(1)):
                    continue  # `{user}:{password}@`: a template, not credentials
                out.append(result("SECRET", m.start(1), m.end(1), 1.0))
        lower = doc.lower
        if not any(n in lower for n in _KEYWORD_NEEDLES):
            return out
        for m in _KEYWORD_VALUE.finditer(plain):
            value = m.group(1)
            if _keyword_value_ok(value):
                end = m.start(1) + len(value.rstrip(".,)"))
                out.append(result("SECRET", m.start(1), end, 0.9))
        for m in _BEARER.finditer(plain):
            out.append(result("SECRET", m.start(1), m.end(1), 1.0))
        for m in _TOKEN.finditer(text):
            value = m.group().rstrip(".")
            if _token_ok(value) and context.near(lower, m.start(), m.end(), context.SECRET):
                out.append(result("SECRET", m.start(), m.start() + len(value), 0.85))
        return out
