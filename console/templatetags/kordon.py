"""Small template helpers for the console: current nav entry and accessible form fields."""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_current(context: dict[str, Any], prefix: str, exact: bool = False) -> SafeString:
    """`aria-current="page"` on the nav link whose URL prefix matches the request path."""
    request = context.get("request")
    path = getattr(request, "path", "")
    hit = path == prefix if exact else path.startswith(prefix)
    return mark_safe('aria-current="page"') if hit else SafeString("")


@register.filter
def accessible(field: BoundField) -> SafeString:
    """The field's widget with aria-invalid and aria-describedby pointing at help and errors."""
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}-help")
    if field.errors:
        described.append(f"{field.auto_id}-errors")
    attrs: dict[str, Any] = {}
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


def _show(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


@register.filter
def change_rows(event: Any) -> list[tuple[str, str, str]]:
    """(field, before, after) for the fields a change event changed (all fields on create)."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    rows = []
    for field in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(field), after.get(field)
        if before and after and old == new:
            continue
        if _show(old) == _show(new) == "—":
            continue  # e.g. an empty optional field on create: nothing to read
        rows.append((field, _show(old) if before else "", _show(new) if after else ""))
    return rows
