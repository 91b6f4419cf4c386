"""Shared Hypothesis pieces for the generated-input tests: hostile JSON values, probe settings."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Hand-picked trouble every generated test mixes in: NUL, a lone surrogate (only a JSON escape
# carries it), bidi override, a catastrophic regex, numbers no parser should trust.
TROUBLE = ["\u0000", "x\u0000y", "\ud800", "\u202eabc", "(a+)+$", "1e999", "-0", "9" * 40]


def json_leaves(*samples: str, text_size: int = 30, nan: bool = False) -> st.SearchStrategy[Any]:
    """Scalars of every JSON type: big integers, floats, text and the given hand-picked strings."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**80), max_value=2**80),
        st.floats(allow_nan=nan, allow_infinity=nan),
        st.text(max_size=text_size),
        st.sampled_from([*TROUBLE, *samples]),
    )


def json_values(leaves: st.SearchStrategy[Any], *, max_leaves: int = 6) -> st.SearchStrategy[Any]:
    """Any JSON value built from `leaves`: nested lists and objects of a few members."""
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
        ),
        max_leaves=max_leaves,
    )


def optional_fields(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """An object holding any subset of `fields`."""
    return st.fixed_dictionaries({}, optional=fields)


# CI runs the same examples every time (a landing gate must not turn red by chance); a hunt
# for new failures: KORDON_FUZZ_RANDOM=1 KORDON_FUZZ_SCALE=10 pytest tests -k fuzz
_RANDOM = os.environ.get("KORDON_FUZZ_RANDOM") == "1"
_SCALE = max(1, int(os.environ.get("KORDON_FUZZ_SCALE") or 1))


def probe_settings(max_examples: int, *, checks: Sequence[HealthCheck] = ()) -> settings:
    """For a probe run inside one test against live servers or a database set up once: no
    deadline (a request's time is not the property), no example database between runs."""
    return settings(
        max_examples=max_examples * _SCALE,
        derandomize=not _RANDOM,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, *checks],
    )
