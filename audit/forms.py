"""The audit browser's filters: one GET form, shared by the browser, exports and the dashboard."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from audit.selectors import DEFAULT_SORT, SORTS

STATUS_CHOICES = [
    ("", "any status"),
    ("2xx", "2xx served"),
    ("4xx", "4xx refused"),
    ("5xx", "5xx failed"),
    ("open", "still open"),
]
SEALED_CHOICES = [("", "sealed or not"), ("sealed", "sealed"), ("unsealed", "unsealed")]


class AuditFilterForm(forms.Form):
    since = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    until = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    team = forms.CharField(required=False, max_length=100)
    key_prefix = forms.CharField(required=False, max_length=16, label="Key prefix")
    backend = forms.CharField(required=False, max_length=100)
    route = forms.CharField(required=False, max_length=100)
    policy_version = forms.IntegerField(required=False, min_value=1, label="Policy version")
    category = forms.CharField(required=False, max_length=100)
    entity = forms.CharField(required=False, max_length=50)
    status = forms.CharField(required=False, max_length=4)
    error_code = forms.CharField(required=False, max_length=40, label="Error code")
    sealed = forms.ChoiceField(required=False, choices=SEALED_CHOICES)
    sort = forms.ChoiceField(required=False, choices=list(SORTS.items()))

    def clean_status(self) -> str:
        value: str = self.cleaned_data.get("status") or ""
        if value and value not in {"2xx", "4xx", "5xx", "open"} and not value.isdigit():
            raise forms.ValidationError("a status code, 2xx, 4xx, 5xx or open")
        return value

    def clean_entity(self) -> str:
        return (self.cleaned_data.get("entity") or "").upper()

    def cleaned_or_empty(self) -> dict[str, Any]:
        """The valid, non-empty filters; an invalid form filters nothing it did not understand."""
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in ("", None) and k != "sort"}

    def sort_order(self) -> str:
        value = self.cleaned_data.get("sort") if self.is_valid() else ""
        return value or DEFAULT_SORT


def filters_to_json(filters: dict[str, Any]) -> dict[str, Any]:
    """Filters as JSON for the export manifest and the stored export."""
    return {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in filters.items()}


def filters_from_json(data: dict[str, Any]) -> dict[str, Any]:
    return {
        k: dt.datetime.fromisoformat(v) if k in {"since", "until"} else v for k, v in data.items()
    }
