"""HTML forms for teams and keys. They parse input; services decide what is allowed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from keys.models import Team

GRACE_CHOICES = [
    (0, "None: the old key stops at once"),
    (3600, "1 hour"),
    (86400, "24 hours"),
    (7 * 86400, "7 days"),
]


class CommaListField(forms.CharField):
    """A comma-separated list in one text input ("assistant, embed")."""

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        return [item.strip() for item in text.split(",") if item.strip()]

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list | tuple) else value


def _users() -> Any:
    return get_user_model().objects.filter(is_active=True).order_by("username")


class TeamForm(forms.Form):
    """Everything about a team: admins only."""

    name = forms.CharField(max_length=100)
    rpm_limit = forms.IntegerField(
        label="Requests per minute", required=False, min_value=1, help_text="Empty: no limit."
    )
    tpm_limit = forms.IntegerField(
        label="Tokens per minute", required=False, min_value=1, help_text="Empty: no limit."
    )
    monthly_budget_usd = forms.DecimalField(
        label="Monthly budget (USD)",
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=4,
        help_text="Empty: no budget.",
    )
    allowed_models = CommaListField(
        label="Allowed models",
        required=False,
        help_text="Model aliases separated by commas. Empty: every alias the policy offers.",
    )
    leads = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leads manage the team's members and keys.",
    )
    members = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leads"].queryset = _users()  # type: ignore[attr-defined]
        self.fields["members"].queryset = _users()  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(team: Team) -> dict[str, Any]:
        return {
            "name": team.name,
            "rpm_limit": team.rpm_limit,
            "tpm_limit": team.tpm_limit,
            "monthly_budget_usd": team.monthly_budget_usd,
            "allowed_models": team.allowed_models,
            "leads": list(team.leads.all()),
            "members": list(team.members.all()),
        }


class TeamMembersForm(forms.Form):
    """What a team lead may change about their team: its members."""

    members = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = _users()  # type: ignore[attr-defined]


class KeyForm(forms.Form):
    """A key's settings; the service checks them against the team's limits."""

    name = forms.CharField(max_length=100, help_text="Unique within the team, e.g. the app's name.")
    allowed_models = CommaListField(
        label="Allowed models",
        required=False,
        help_text="Comma-separated aliases. Empty: every model the team may use.",
    )
    rpm_limit = forms.IntegerField(label="Requests per minute", required=False, min_value=1)
    tpm_limit = forms.IntegerField(label="Tokens per minute", required=False, min_value=1)
    monthly_budget_usd = forms.DecimalField(
        label="Monthly budget (USD)", required=False, min_value=0, max_digits=12, decimal_places=4
    )
    tags = CommaListField(required=False, help_text="Comma-separated, used by routing rules.")
    expires_on = forms.DateField(
        label="Expires on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The key works through this day (UTC). Empty: no expiry.",
    )

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.team = team
        limits = [
            ("rpm_limit", team.rpm_limit),
            ("tpm_limit", team.tpm_limit),
            ("monthly_budget_usd", team.monthly_budget_usd),
        ]
        for field, team_limit in limits:
            if team_limit is not None:
                self.fields[field].help_text = f"At most {team_limit} (the team's limit)."
        if team.allowed_models:
            self.fields[
                "allowed_models"
            ].help_text = (
                f"Within the team's: {', '.join(team.allowed_models)}. Empty: all of them."
            )

    def expires_at(self) -> dt.datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "models": data["allowed_models"],
            "rpm": data["rpm_limit"],
            "tpm": data["tpm_limit"],
            "budget": data["monthly_budget_usd"],
            "tags": data["tags"],
            "expires_at": self.expires_at(),
        }

    @staticmethod
    def initial_for(key: Any) -> dict[str, Any]:
        expires = key.expires_at
        return {
            "name": key.name,
            "allowed_models": key.allowed_models,
            "rpm_limit": key.rpm_limit,
            "tpm_limit": key.tpm_limit,
            "monthly_budget_usd": key.monthly_budget_usd,
            "tags": key.tags,
            "expires_on": (expires - dt.timedelta(seconds=1)).date() if expires else None,
        }


class RevokeForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the change history, e.g. “leaked in a ticket”.",
    )


class RotateForm(forms.Form):
    grace_seconds = forms.TypedChoiceField(
        label="Grace period for the old key",
        choices=GRACE_CHOICES,
        coerce=int,
        initial=0,
    )


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's field errors next to the form's fields (others at the top)."""
    renames = {"expires_at": "expires_on"}
    for field, messages in error.message_dict.items():
        name = renames.get(field, field)
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)
