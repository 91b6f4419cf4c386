"""The policy document, version 1: typed, immutable, validated as a whole.

`parse_policy(doc)` takes the YAML/JSON document as plain data and either returns a `Policy` or
raises `PolicyInvalid` carrying EVERY error found, each as (`path.to.field`, reason). Nothing is
half-accepted: a document with one bad field is refused entirely (fail closed).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, cast

from routing.detection.custom import CustomCategory, compile_custom
from routing.detection.errors import PatternError
from routing.policy.entities import custom_entity_name, supported_entities
from routing.policy.patterns import pattern_problem, readable_reason
from routing.privacy import MaskRule

SCHEMA_VERSION = 1
RESIDENCIES = ("in-country", "external")
ACTIONS = ("placeholder", "redact", "hash", "partial", "block", "keep")
APPLY_TO = ("external", "all")
UNSCANNABLE = ("in-country-only", "allow", "refuse")
WHEN_KEYS = ("categories_any", "categories_none", "teams", "models", "key_tags")
DEFAULT_TIMEOUTS = {"connect": 5.0, "first_byte": 60.0, "total": 600.0}
ECHO_URL = "echo://"

# `\Z`, not `$`: `$` also matches before a trailing newline, which would let "name\n" through.
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}\Z")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}\Z")
_URL = re.compile(r"^https?://[^\s/?#]+(?:[/?#]\S*)?\Z")
# What a key may list as an allowed model (keys.validation.ALIAS_RE): Ollama's `qwen2.5:7b` and
# Hugging Face's `org/model` are common aliases.
_ALIAS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}\Z")
# Secrets pasted where the variable's name belongs: refuse them rather than store them.
_KEY_LOOKALIKES = ("sk_", "ghp_", "gho_", "github_pat_", "xox", "akia", "asia", "aiza")
_MAX_PATTERNS = 100
_MAX_TERMS = 1000
_MAX_TERM_LEN = 200


@dataclass(frozen=True)
class Backend:
    """An OpenAI-compatible upstream (or the built-in echo) and where it keeps data."""

    name: str
    base_url: str
    residency: Literal["in-country", "external"]
    models: Mapping[str, str]  # alias -> upstream model name
    api_key_env: str | None = None  # the NAME of an environment variable, never a key
    cost_input_per_1k: Decimal = Decimal(0)
    cost_output_per_1k: Decimal = Decimal(0)
    connect_timeout: float = DEFAULT_TIMEOUTS["connect"]
    first_byte_timeout: float = DEFAULT_TIMEOUTS["first_byte"]
    total_timeout: float = DEFAULT_TIMEOUTS["total"]
    max_concurrency: int | None = None

    @property
    def is_echo(self) -> bool:
        return self.base_url == ECHO_URL

    @property
    def external(self) -> bool:
        return self.residency == "external"


@dataclass(frozen=True)
class Category:
    """A named kind of sensitive data: built-in entities and/or the organisation's own matchers."""

    name: str
    entities: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    stays_in_country: bool = False

    @property
    def is_custom(self) -> bool:
        return bool(self.patterns or self.terms)

    @property
    def custom_entity(self) -> str:
        """The entity the custom matchers' findings carry (`internal-project` → INTERNAL_PROJECT)."""
        return custom_entity_name(self.name)

    def all_entities(self) -> tuple[str, ...]:
        return self._all_entities

    @functools.cached_property
    def _all_entities(self) -> tuple[str, ...]:
        # Read on every request (the categories a scan found): worked out once per policy.
        return (*self.entities, self.custom_entity) if self.is_custom else self.entities


@dataclass(frozen=True)
class Route:
    """One ordered rule: when every listed condition holds, try `backends` in order."""

    name: str
    backends: tuple[str, ...]
    categories_any: tuple[str, ...] = ()
    categories_none: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    key_tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Options:
    """Document-wide switches."""

    unscannable_parts: Literal["in-country-only", "allow", "refuse"] = "in-country-only"
    output_scan: tuple[str, ...] = ()  # categories scanned (and masked) in answers too


@dataclass(frozen=True)
class Policy:
    """A whole, valid policy. Build it only through `parse_policy`."""

    backends: Mapping[str, Backend]  # in document order
    categories: tuple[Category, ...]
    masking: Mapping[str, MaskRule]  # category name -> rule
    routes: tuple[Route, ...]
    options: Options = field(default_factory=Options)

    def category(self, name: str) -> Category | None:
        return next((c for c in self.categories if c.name == name), None)

    def entity_rules(self) -> dict[str, MaskRule]:
        """ENTITY -> rule, expanded through categories (what masking consumes)."""
        rules: dict[str, MaskRule] = {}
        for category in self.categories:
            rule = self.masking.get(category.name)
            if rule is not None:
                for entity in category.all_entities():
                    rules[entity] = rule
        return rules

    def entity_categories(self) -> dict[str, str]:
        """ENTITY -> the category that claims it (each entity belongs to at most one)."""
        return {e: c.name for c in self.categories for e in c.all_entities()}

    def categories_of(self, entity_counts: Mapping[str, int]) -> list[str]:
        """Names of the categories with at least one finding, in document order."""
        present = {e for e, n in entity_counts.items() if n > 0}
        return [c.name for c in self.categories if not present.isdisjoint(c.all_entities())]

    def stays_in_country_categories(self) -> frozenset[str]:
        return frozenset(c.name for c in self.categories if c.stays_in_country)

    def aliases(self) -> list[str]:
        """Every model alias some backend serves, in first-seen order."""
        seen: dict[str, None] = {}
        for backend in self.backends.values():
            seen.update(dict.fromkeys(backend.models))
        return list(seen)


class PolicyInvalid(Exception):
    """The document is refused; `errors` lists every problem as (path.to.field, reason)."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{p}: {r}" for p, r in errors[:5]))

    def lines(self) -> list[str]:
        return [f"{path}: {reason}" for path, reason in self.errors]


class _Errors:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, path: str, reason: str) -> None:
        self.items.append((path, reason))


# Names, slugs and model aliases (`qwen2.5:7b`, `meta-llama/Llama-3.1-8B`) print as they are.
_PLAIN_KEY = re.compile(r"(?=.*\w)[\w.:/-]+", re.ASCII)


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if not _PLAIN_KEY.fullmatch(key):
        # Quoted: an empty key, one with spaces or quotes, or with control characters (which
        # would reach the terminal of whoever runs importpolicy) stays one readable step.
        return f"{path}[{json.dumps(key)}]"
    return f"{path}.{key}" if path else key


def _mapping(value: Any, path: str, errors: _Errors, allowed: Sequence[str]) -> dict[str, Any]:
    """A mapping with only `allowed` keys; unknown keys are errors (typos must not pass)."""
    if not isinstance(value, Mapping):
        errors.add(path, "must be a mapping")
        return {}
    for key in value:
        if key not in allowed:
            errors.add(_join(path, str(key)), "unknown key")
    return {k: v for k, v in value.items() if k in allowed}


def _list(value: Any, path: str, errors: _Errors) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        errors.add(path, "must be a list")
        return []
    return value


def _strings(value: Any, path: str, errors: _Errors) -> tuple[str, ...]:
    out: dict[str, None] = {}  # ordered and O(1) lookups: documents may be large and hostile
    for i, item in enumerate(_list(value, path, errors)):
        if not isinstance(item, str) or not item.strip():
            errors.add(_join(path, i), "must be a non-empty string")
        elif item in out:
            errors.add(_join(path, i), f"duplicate {item!r}")
        else:
            out[item] = None
    return tuple(out)


def _slug(value: Any, path: str, errors: _Errors) -> str:
    if not isinstance(value, str) or not _SLUG.match(value):
        errors.add(path, "must be a slug: lower-case letters, digits, '-' or '_', 1-63 characters")
        return ""
    return value


def _number(value: Any, path: str, errors: _Errors, *, positive: bool) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        errors.add(path, "must be a number")
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        errors.add(path, "must be a number")
        return None
    if not number.is_finite() or number < 0 or (positive and number == 0):
        errors.add(path, "must be greater than 0" if positive else "must be 0 or more")
        return None
    return number


def _backend(raw: Any, path: str, errors: _Errors) -> Backend | None:
    allowed = ("name", "base_url", "residency", "models", "api_key_env", "cost_per_1k_tokens")
    data = _mapping(raw, path, errors, (*allowed, "timeouts", "max_concurrency"))
    before = len(errors.items)
    name = _slug(data.get("name"), _join(path, "name"), errors)
    base_url = data.get("base_url")
    if not isinstance(base_url, str) or not (base_url == ECHO_URL or _URL.match(base_url)):
        errors.add(_join(path, "base_url"), "must be an http:// or https:// URL, or echo://")
    residency = data.get("residency")
    if residency not in RESIDENCIES:
        errors.add(_join(path, "residency"), "must be one of: in-country, external")
    if base_url == ECHO_URL and residency == "external":
        errors.add(_join(path, "residency"), "the built-in echo backend is in-country")
    models: dict[str, str] = {}
    raw_models = data.get("models")
    if not isinstance(raw_models, Mapping) or not raw_models:
        errors.add(_join(path, "models"), "must map at least one alias to an upstream model")
    else:
        for alias, upstream in raw_models.items():
            mpath = _join(_join(path, "models"), str(alias))
            if not isinstance(alias, str) or not _ALIAS.match(alias):
                errors.add(
                    mpath,
                    "alias must start with a letter or digit and use only letters, digits, "
                    "'.', '_', ':', '/' or '-' (at most 100 characters)",
                )
            elif not isinstance(upstream, str) or not upstream.strip():
                errors.add(mpath, "must be the upstream model's name")
            else:
                models[alias] = upstream
    api_key_env = data.get("api_key_env")
    if api_key_env is not None and (
        not isinstance(api_key_env, str)
        or not _ENV_NAME.match(api_key_env)
        or api_key_env.lower().startswith(_KEY_LOOKALIKES)
    ):
        errors.add(
            _join(path, "api_key_env"),
            "must be the NAME of an environment variable (e.g. CLOUD_API_KEY), never a key",
        )
    costs = {"input": Decimal(0), "output": Decimal(0)}
    if "cost_per_1k_tokens" in data:
        cpath = _join(path, "cost_per_1k_tokens")
        raw_costs = _mapping(data["cost_per_1k_tokens"], cpath, errors, ("input", "output"))
        for key, value in raw_costs.items():
            number = _number(value, _join(cpath, key), errors, positive=False)
            costs[key] = number if number is not None else Decimal(0)
    timeouts = dict(DEFAULT_TIMEOUTS)
    if "timeouts" in data:
        tpath = _join(path, "timeouts")
        for key, value in _mapping(data["timeouts"], tpath, errors, tuple(timeouts)).items():
            number = _number(value, _join(tpath, key), errors, positive=True)
            if number is not None:
                timeouts[key] = float(number)
    max_concurrency = data.get("max_concurrency")
    if max_concurrency is not None and (
        isinstance(max_concurrency, bool)
        or not isinstance(max_concurrency, int)
        or max_concurrency < 1
    ):
        errors.add(_join(path, "max_concurrency"), "must be a whole number of 1 or more")
    if len(errors.items) != before:
        return None
    return Backend(
        name=name,
        base_url=str(base_url),
        residency=cast(Literal["in-country", "external"], residency),
        models=models,
        api_key_env=api_key_env,
        cost_input_per_1k=costs["input"],
        cost_output_per_1k=costs["output"],
        connect_timeout=timeouts["connect"],
        first_byte_timeout=timeouts["first_byte"],
        total_timeout=timeouts["total"],
        max_concurrency=max_concurrency,
    )


def _category(raw: Any, path: str, errors: _Errors, supported: Sequence[str]) -> Category | None:
    allowed = ("name", "entities", "patterns", "terms", "stays_in_country")
    data = _mapping(raw, path, errors, allowed)
    before = len(errors.items)
    name = _slug(data.get("name"), _join(path, "name"), errors)
    entities = _strings(data.get("entities"), _join(path, "entities"), errors)
    for i, entity in enumerate(entities):
        if entity not in supported:
            errors.add(
                _join(_join(path, "entities"), i),
                f"unknown entity {entity!r}; supported: {', '.join(supported)}",
            )
    patterns = _strings(data.get("patterns"), _join(path, "patterns"), errors)
    if len(patterns) > _MAX_PATTERNS:
        errors.add(_join(path, "patterns"), f"at most {_MAX_PATTERNS} patterns")
    for i, pattern in enumerate(patterns[:_MAX_PATTERNS]):  # bounded work on hostile input
        problem = pattern_problem(pattern)
        if problem:
            errors.add(_join(_join(path, "patterns"), i), problem)
    terms = _strings(data.get("terms"), _join(path, "terms"), errors)
    if len(terms) > _MAX_TERMS:
        errors.add(_join(path, "terms"), f"at most {_MAX_TERMS} terms")
    for i, term in enumerate(terms[:_MAX_TERMS]):
        if len(term) > _MAX_TERM_LEN:
            errors.add(_join(_join(path, "terms"), i), f"at most {_MAX_TERM_LEN} characters")
    stays = data.get("stays_in_country", False)
    if not isinstance(stays, bool):
        errors.add(_join(path, "stays_in_country"), "must be true or false")
    if not (entities or patterns or terms) and "entities" not in data:
        errors.add(path, "needs at least one of entities, patterns or terms")
    if name and (patterns or terms) and custom_entity_name(name) in supported:
        errors.add(
            _join(path, "name"),
            f"a category with patterns or terms may not be named like the entity "
            f"{custom_entity_name(name)}",
        )
    if len(errors.items) != before:
        return None
    return Category(
        name=name, entities=entities, patterns=patterns, terms=terms, stays_in_country=stays
    )


def _masking(raw: Any, errors: _Errors, categories: set[str]) -> dict[str, MaskRule]:
    rules: dict[str, MaskRule] = {}
    if raw is None:
        return rules
    if not isinstance(raw, Mapping):
        errors.add("masking", "must be a mapping of category name to {action, apply_to}")
        return rules
    for name, value in raw.items():
        path = _join("masking", str(name))
        if name not in categories:
            errors.add(path, f"unknown category {name!r}")
        data = _mapping(value, path, errors, ("action", "apply_to"))
        action = data.get("action")
        apply_to = data.get("apply_to", "all")
        if action not in ACTIONS:
            errors.add(_join(path, "action"), f"must be one of: {', '.join(ACTIONS)}")
        if apply_to not in APPLY_TO:
            errors.add(_join(path, "apply_to"), "must be one of: external, all")
        if name in categories and action in ACTIONS and apply_to in APPLY_TO:
            rules[str(name)] = MaskRule(action=action, apply_to=apply_to)
    return rules


def _route(
    raw: Any,
    path: str,
    errors: _Errors,
    categories: set[str],
    backends: set[str],
    served: set[str],
) -> Route | None:
    data = _mapping(raw, path, errors, ("name", "when", "backends"))
    before = len(errors.items)
    name = _slug(data.get("name"), _join(path, "name"), errors)
    conditions: dict[str, tuple[str, ...]] = {}
    if data.get("when") is not None:
        wpath = _join(path, "when")
        for key, value in _mapping(data["when"], wpath, errors, WHEN_KEYS).items():
            conditions[key] = _strings(value, _join(wpath, key), errors)
    for key in ("categories_any", "categories_none"):
        for i, category in enumerate(conditions.get(key, ())):
            if category not in categories:
                errors.add(
                    _join(_join(_join(path, "when"), key), i), f"unknown category {category!r}"
                )
    for i, alias in enumerate(conditions.get("models", ())):
        if alias not in served:
            errors.add(_join(_join(path, "when.models"), i), f"no backend serves alias {alias!r}")
    bpath = _join(path, "backends")
    names = _strings(data.get("backends"), bpath, errors)
    if data.get("backends") is None:
        errors.add(bpath, "required: an ordered, non-empty list of backend names")
    elif not names and isinstance(data["backends"], list) and not data["backends"]:
        errors.add(bpath, "must list at least one backend")
    for i, backend in enumerate(names):
        if backend not in backends:
            errors.add(_join(bpath, i), f"unknown backend {backend!r}")
    if len(errors.items) != before:
        return None
    return Route(name=name, backends=names, **conditions)


def _options(raw: Any, errors: _Errors, categories: set[str]) -> Options:
    if raw is None:
        return Options()
    data = _mapping(raw, "options", errors, ("unscannable_parts", "output_scan"))
    unscannable = data.get("unscannable_parts", "in-country-only")
    if unscannable not in UNSCANNABLE:
        errors.add("options.unscannable_parts", f"must be one of: {', '.join(UNSCANNABLE)}")
        unscannable = "in-country-only"
    output_scan = _strings(data.get("output_scan"), "options.output_scan", errors)
    for i, category in enumerate(output_scan):
        if category not in categories:
            errors.add(f"options.output_scan[{i}]", f"unknown category {category!r}")
    return Options(unscannable_parts=unscannable, output_scan=output_scan)


def _unique(names: list[str], section: str, errors: _Errors) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name and name in seen:
            errors.add(f"{section}[{i}].name", f"duplicate name {name!r}")
        seen.add(name)


def parse_policy(doc: Any) -> Policy:
    """Validate a whole version-1 document; raise PolicyInvalid with every error found."""
    errors = _Errors()
    sections = ("version", "backends", "categories", "masking", "routes", "options")
    if not isinstance(doc, Mapping):
        raise PolicyInvalid([("document", "must be a mapping with version, backends and routes")])
    data = _mapping(doc, "", errors, sections)
    if type(data.get("version")) is not int or data["version"] != SCHEMA_VERSION:  # not 1.0, True
        errors.add("version", f"must be {SCHEMA_VERSION}")

    raw_backends = _list(data.get("backends"), "backends", errors)
    _required(data, "backends", errors)
    parsed_b = [_backend(b, f"backends[{i}]", errors) for i, b in enumerate(raw_backends)]
    _unique(_names(raw_backends), "backends", errors)
    backends = {b.name: b for b in parsed_b if b is not None}

    supported = supported_entities()
    raw_categories = _list(data.get("categories"), "categories", errors)
    parsed_c = [
        _category(c, f"categories[{i}]", errors, supported) for i, c in enumerate(raw_categories)
    ]
    _unique(_names(raw_categories), "categories", errors)
    _single_owner(parsed_c, errors)
    categories = tuple(c for c in parsed_c if c is not None)
    # Names of invalid entries still count as known, so one typo is reported once, not cascaded.
    category_names = set(_names(raw_categories)) - {""}

    masking = _masking(data.get("masking"), errors, category_names)

    raw_routes = _list(data.get("routes"), "routes", errors)
    _required(data, "routes", errors)
    backend_names = set(_names(raw_backends)) - {""}
    served = {alias for b in backends.values() for alias in b.models}
    if len(backends) != len(raw_backends):
        served |= {
            str(a)
            for b in raw_backends
            if isinstance(b, Mapping) and isinstance(b.get("models"), Mapping)
            for a in b["models"]
        }
    parsed_r = [
        _route(r, f"routes[{i}]", errors, category_names, backend_names, served)
        for i, r in enumerate(raw_routes)
    ]
    _unique(_names(raw_routes), "routes", errors)
    options = _options(data.get("options"), errors, category_names)

    if not errors.items:
        _compile_check(categories, errors)
    if errors.items:
        raise PolicyInvalid(errors.items)
    return Policy(
        backends=backends,
        categories=categories,
        masking=masking,
        routes=tuple(r for r in parsed_r if r is not None),
        options=options,
    )


def _names(items: list[Any]) -> list[str]:
    return [
        i["name"] if isinstance(i, Mapping) and isinstance(i.get("name"), str) else ""
        for i in items
    ]


def _required(data: Mapping[str, Any], section: str, errors: _Errors) -> None:
    if data.get(section) is None:  # absent, or `backends:` left empty in YAML
        errors.add(section, "required")
    elif isinstance(data[section], list) and not data[section]:
        errors.add(section, "must list at least one entry")


def _single_owner(parsed: list[Category | None], errors: _Errors) -> None:
    """An entity belongs to one category, else its masking rule and residency would be ambiguous."""
    owner: dict[str, str] = {}
    for i, category in enumerate(parsed):
        if category is None:
            continue
        for j, entity in enumerate(category.entities):
            if entity in owner:
                errors.add(
                    f"categories[{i}].entities[{j}]",
                    f"{entity} already belongs to category {owner[entity]!r}",
                )
            owner.setdefault(entity, category.name)
        if category.is_custom:
            entity = category.custom_entity
            if entity in owner:  # `p-x` and `p_x` both become P_X
                errors.add(
                    f"categories[{i}].name",
                    f"its findings would be labelled {entity}, which category "
                    f"{owner[entity]!r} already uses",
                )
            owner.setdefault(entity, category.name)


def _compile_check(categories: tuple[Category, ...], errors: _Errors) -> None:
    """Compile the custom matchers as the proxy will: detection has the last word on them."""
    custom = [c for c in categories if c.is_custom]
    if not custom:
        return
    index = {c.name: i for i, c in enumerate(categories)}
    try:
        compile_custom(
            [CustomCategory(name=c.name, patterns=c.patterns, terms=c.terms) for c in custom],
            field_prefix=lambda k: f"categories[{index[custom[k].name]}]",
        )
    except PatternError as exc:
        errors.add(str(exc.field), readable_reason(str(exc.reason)))
