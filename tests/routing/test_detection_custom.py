"""Custom categories: RE2 patterns refused at validation time with the field, terms matched."""

from __future__ import annotations

import pytest

from routing.detection import CustomCategory, PatternError, get_detector


def _compile(*categories, **kwargs):
    return get_detector().compile_custom(list(categories), **kwargs)


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"(a+)+\1", "RE2"),  # backreference: not linear time
        (r"(?=x)y", "RE2"),  # lookahead
        (r"a{1000}{1000}", "RE2"),  # too large a program
        (r"x*", "empty"),
        ("(", "RE2"),
        ("a" * 2000, "longer"),
    ],
)
def test_unsafe_patterns_are_refused_naming_the_field(pattern, reason):
    with pytest.raises(PatternError) as exc:
        _compile(
            CustomCategory("ok", patterns=("PRJ-[0-9]+",)),
            CustomCategory("bad", patterns=("ok", pattern)),
        )
    assert exc.value.field == "categories[1].patterns[1]"
    assert reason in exc.value.reason


def test_field_prefix_is_used_in_errors():
    with pytest.raises(PatternError) as exc:
        _compile(
            CustomCategory("bad", terms=("",)), field_prefix=lambda i: f"policy.categories[{i + 3}]"
        )
    assert exc.value.field == "policy.categories[3].terms[0]"


def test_patterns_and_terms_produce_findings_with_the_category_entity():
    custom = _compile(
        CustomCategory(
            "internal-project",
            patterns=(r"PRJ-[0-9]{4}",),
            terms=("Project Falcon", "Сұңқар жобасы"),
        )
    )
    text = "See PRJ-1234 and project   falcon; also СҰҢҚАР ЖОБАСЫ. Not PRJ-12 or Falconry."
    found = [(f.entity, text[f.start : f.end]) for f in get_detector().detect(text, custom=custom)]
    assert found == [
        ("INTERNAL_PROJECT", "PRJ-1234"),
        ("INTERNAL_PROJECT", "project   falcon"),
        ("INTERNAL_PROJECT", "СҰҢҚАР ЖОБАСЫ"),
    ]


def test_a_pathological_pattern_compiles_and_scans_a_long_text():
    custom = _compile(CustomCategory("x", patterns=(r"(a|aa)+b",)))
    assert get_detector().detect("a" * 50_000, custom=custom) == []


def test_new_custom_matchers_are_not_served_from_the_cache_of_old_ones():
    text = "codename Falcon"
    first = _compile(CustomCategory("one", terms=("Falcon",)))
    second = _compile(CustomCategory("two", terms=("Falcon",)))
    assert get_detector().detect(text, custom=first)[0].entity == "ONE"
    assert get_detector().detect(text, custom=second)[0].entity == "TWO"
