"""The routing decision: (policy, what was found, who asks for which model) → where it may go.

Pure: no I/O, no globals, no clock. The proxy and the console's playground call the same
`decide()`, so what an officer sees in the playground is what the proxy does.

Order of checks (each may end the decision):
1. the model alias must be served by some backend         → 403 model_not_allowed
2. a `block` rule (apply_to: all) with a finding           → 403 blocked_by_policy
3. unscannable parts with `unscannable_parts: refuse`      → 403 blocked_by_policy
4. the first route whose conditions all hold               → else 503 no_compliant_backend
5. its backends that serve the alias, in the route's order
6. the residency invariant, applied LAST and independently of how routes are written: a
   stays_in_country category present, a `block` rule for external with a finding, or
   unscannable parts (unless the policy allows them) → every external candidate is dropped
7. nothing left                                            → 503 no_compliant_backend
   (403 blocked_by_policy when a block-for-external rule is what emptied the list)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from routing.policy.document import Backend, Policy, Route


class ScanLike(Protocol):
    """What decide() needs from routing.privacy.ScanResult (counts and kinds only, no values)."""

    @property
    def unscannable(self) -> list[str]: ...

    def entity_counts(self) -> dict[str, int]: ...


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str  # the contract's error code
    message: str  # safe to show: names categories and backends, never a value


@dataclass(frozen=True)
class Candidate:
    backend: Backend
    upstream_model: str
    external: bool


@dataclass(frozen=True)
class Decision:
    route: str | None
    categories: list[str]
    candidates: list[Candidate]
    refusal: Refusal | None
    # Why candidates were dropped, in words, for the playground and logs (no values).
    notes: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.refusal is None and bool(self.candidates)


MODEL_NOT_ALLOWED = "model_not_allowed"
BLOCKED = "blocked_by_policy"
NO_BACKEND = "no_compliant_backend"


def route_matches(
    route: Route,
    *,
    categories: Sequence[str],
    model_alias: str,
    team_slug: str,
    team_name: str = "",
    key_tags: Sequence[str] = (),
) -> bool:
    """Every listed condition must hold; an empty condition always holds."""
    present = set(categories)
    if route.categories_any and not present.intersection(route.categories_any):
        return False
    if route.categories_none and present.intersection(route.categories_none):
        return False
    if (
        route.teams
        and team_slug not in route.teams
        and (not team_name or team_name not in route.teams)
    ):
        return False
    if route.models and model_alias not in route.models:
        return False
    return not (route.key_tags and not set(key_tags).intersection(route.key_tags))


def decide(
    *,
    policy: Policy,
    scan: ScanLike,
    model_alias: str,
    team_slug: str,
    key_tags: Sequence[str] = (),
    team_name: str = "",
) -> Decision:
    """Where this request may go under `policy`, or why it may go nowhere."""
    categories = policy.categories_of(scan.entity_counts())
    if not any(model_alias in b.models for b in policy.backends.values()):
        return _refuse(categories, None, 403, MODEL_NOT_ALLOWED, f"unknown model {model_alias!r}")

    blocked_everywhere, blocked_external = _blocks(policy.masking, categories)
    if blocked_everywhere:
        names = ", ".join(blocked_everywhere)
        return _refuse(
            categories, None, 403, BLOCKED, f"the policy blocks requests containing: {names}"
        )
    unscannable = sorted(set(scan.unscannable))
    if unscannable and policy.options.unscannable_parts == "refuse":
        kinds = ", ".join(unscannable)
        return _refuse(
            categories, None, 403, BLOCKED, f"the policy refuses parts it cannot scan: {kinds}"
        )

    route = next(
        (
            r
            for r in policy.routes
            if route_matches(
                r,
                categories=categories,
                model_alias=model_alias,
                team_slug=team_slug,
                team_name=team_name,
                key_tags=key_tags,
            )
        ),
        None,
    )
    if route is None:
        return _refuse(categories, None, 503, NO_BACKEND, "no route matches this request")

    notes: list[str] = []
    candidates: list[Candidate] = []
    for name in route.backends:
        backend = policy.backends[name]
        if model_alias in backend.models:
            candidates.append(Candidate(backend, backend.models[model_alias], backend.external))
        else:
            notes.append(f"{name}: does not serve {model_alias!r}")

    # The residency invariant: separate from route matching on purpose, so no route (however
    # written) can send a stays_in_country value, a blocked-for-external value or an unscanned
    # part to an external backend.
    reasons = _external_forbidden(policy, categories, unscannable, blocked_external)
    if reasons:
        kept = [c for c in candidates if not c.external]
        notes.extend(
            f"{c.backend.name}: external, dropped ({reasons})" for c in candidates if c.external
        )
        candidates = kept
    if not candidates:
        if blocked_external and reasons:
            message = (
                f"the policy blocks sending {', '.join(blocked_external)} to external backends"
            )
            return _refuse(categories, route.name, 403, BLOCKED, message, notes)
        message = f"route {route.name!r} has no backend that may take this request"
        return _refuse(categories, route.name, 503, NO_BACKEND, message, notes)
    return Decision(route.name, categories, candidates, None, tuple(notes))


def _blocks(
    masking: Mapping[str, object], categories: Sequence[str]
) -> tuple[list[str], list[str]]:
    everywhere: list[str] = []
    external: list[str] = []
    for name in categories:
        rule = masking.get(name)
        if rule is not None and getattr(rule, "action", None) == "block":
            (external if getattr(rule, "apply_to", "all") == "external" else everywhere).append(
                name
            )
    return everywhere, external


def _external_forbidden(
    policy: Policy, categories: Sequence[str], unscannable: list[str], blocked_external: list[str]
) -> str:
    reasons: list[str] = []
    staying = [c for c in categories if c in policy.stays_in_country_categories()]
    if staying:
        reasons.append(f"{', '.join(staying)} stays in country")
    if blocked_external:
        reasons.append(f"{', '.join(blocked_external)} is blocked for external backends")
    if unscannable and policy.options.unscannable_parts != "allow":
        reasons.append(f"unscannable {', '.join(unscannable)} parts stay in country")
    return "; ".join(reasons)


def _refuse(
    categories: list[str],
    route: str | None,
    status: int,
    code: str,
    message: str,
    notes: Sequence[str] = (),
) -> Decision:
    return Decision(route, categories, [], Refusal(status, code, message), tuple(notes))
