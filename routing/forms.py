"""HTML forms for the policy console. They turn input into document pieces; the policy's own
validation (parse_policy) has the last word, and its `path: reason` errors land on the fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.urls import reverse

from routing.policy.document import ACTIONS, DEFAULT_TIMEOUTS, Policy
from routing.policy.entities import ENTITY_DESCRIPTIONS


class LinesField(forms.CharField):
    """One item per line (patterns, terms)."""

    widget = forms.Textarea(attrs={"rows": 4})

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        return [line.strip() for line in text.splitlines() if line.strip()]

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list | tuple) else value


class CommaListField(forms.CharField):
    """A comma-separated list in one text input ("cloud, kz-local")."""

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        return [item.strip() for item in text.split(",") if item.strip()]

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list | tuple) else value


class PolicyItemForm(forms.Form):
    """A form for one entry of the document; `field_for` maps error paths onto its fields."""

    section = ""

    def to_item(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def initial_from(cls, item: dict[str, Any]) -> dict[str, Any]:
        return dict(item)

    def field_for(self, subpath: str) -> str | None:
        head = subpath.split(".", 1)[0].split("[", 1)[0]
        return head if head in self.fields else None

    def add_policy_errors(self, errors: Sequence[tuple[str, str]], prefix: str | None) -> None:
        """Attach `path: reason` errors: on a field when the path is inside this item."""
        for path, reason in errors:
            name = None
            if prefix and path.startswith(prefix + "."):
                name = self.field_for(path[len(prefix) + 1 :])
            if name:
                self.add_error(name, reason)
            else:
                self.add_error(None, f"{path}: {reason}")


class BackendForm(PolicyItemForm):
    section = "backends"
    name = forms.CharField(max_length=63, help_text="A short slug, e.g. kz-local.")
    base_url = forms.CharField(
        label="Base URL",
        max_length=500,
        help_text="The OpenAI-compatible API root (http:// or https://), or echo:// for the "
        "built-in echo backend.",
    )
    residency = forms.ChoiceField(choices=[("in-country", "In-country"), ("external", "External")])
    models = LinesField(
        label="Models",
        help_text="One per line: alias = upstream model, e.g. assistant = qwen2.5-7b-instruct.",
    )
    api_key_env = forms.CharField(
        label="API key environment variable",
        required=False,
        max_length=128,
        help_text="The NAME of the variable holding the key on the server (never the key).",
    )
    cost_input = forms.DecimalField(label="USD per 1K input tokens", required=False, min_value=0)
    cost_output = forms.DecimalField(label="USD per 1K output tokens", required=False, min_value=0)
    connect_timeout = forms.FloatField(
        label="Connect timeout (s)",
        required=False,
        min_value=0.01,
        initial=DEFAULT_TIMEOUTS["connect"],
    )
    first_byte_timeout = forms.FloatField(
        label="First byte timeout (s)",
        required=False,
        min_value=0.01,
        initial=DEFAULT_TIMEOUTS["first_byte"],
    )
    total_timeout = forms.FloatField(
        label="Total timeout (s)", required=False, min_value=0.01, initial=DEFAULT_TIMEOUTS["total"]
    )
    max_concurrency = forms.IntegerField(
        label="Max concurrent requests", required=False, min_value=1
    )

    _PATHS = {
        "cost_per_1k_tokens.input": "cost_input",
        "cost_per_1k_tokens.output": "cost_output",
        "timeouts.connect": "connect_timeout",
        "timeouts.first_byte": "first_byte_timeout",
        "timeouts.total": "total_timeout",
    }

    def field_for(self, subpath: str) -> str | None:
        for path, name in self._PATHS.items():
            if subpath.startswith(path):
                return name
        return super().field_for(subpath)

    def clean_models(self) -> dict[str, str]:
        models: dict[str, str] = {}
        for line in self.cleaned_data["models"]:
            alias, sep, upstream = line.partition("=")
            if not sep or not alias.strip() or not upstream.strip():
                raise forms.ValidationError(f"{line!r}: write alias = upstream model")
            models[alias.strip()] = upstream.strip()
        return models

    def to_item(self) -> dict[str, Any]:
        data = self.cleaned_data
        item: dict[str, Any] = {
            "name": data["name"],
            "base_url": data["base_url"],
            "residency": data["residency"],
            "models": data["models"],
        }
        if data.get("api_key_env"):
            item["api_key_env"] = data["api_key_env"]
        if data.get("cost_input") is not None or data.get("cost_output") is not None:
            item["cost_per_1k_tokens"] = {
                "input": str(data.get("cost_input") or 0),
                "output": str(data.get("cost_output") or 0),
            }
        timeouts = {
            key: data[f"{key}_timeout"]
            for key in ("connect", "first_byte", "total")
            if data.get(f"{key}_timeout") is not None
        }
        if timeouts:
            item["timeouts"] = timeouts
        if data.get("max_concurrency"):
            item["max_concurrency"] = data["max_concurrency"]
        return item

    @classmethod
    def initial_from(cls, item: dict[str, Any]) -> dict[str, Any]:
        costs = item.get("cost_per_1k_tokens", {})
        timeouts = {**DEFAULT_TIMEOUTS, **item.get("timeouts", {})}
        return {
            "name": item["name"],
            "base_url": item["base_url"],
            "residency": item["residency"],
            "models": [f"{a} = {m}" for a, m in item.get("models", {}).items()],
            "api_key_env": item.get("api_key_env", ""),
            "cost_input": costs.get("input"),
            "cost_output": costs.get("output"),
            "connect_timeout": timeouts["connect"],
            "first_byte_timeout": timeouts["first_byte"],
            "total_timeout": timeouts["total"],
            "max_concurrency": item.get("max_concurrency"),
        }


ENTITY_CHOICES = [(e, f"{e} — {d}") for e, d in ENTITY_DESCRIPTIONS.items()]


class CategoryForm(PolicyItemForm):
    section = "categories"
    name = forms.CharField(max_length=63, help_text="A short slug, e.g. internal-project.")
    entities = forms.MultipleChoiceField(
        choices=ENTITY_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    patterns = LinesField(
        required=False,
        help_text="Regular expressions, one per line (RE2 syntax: no look-arounds or "
        "back-references). Checked as you type.",
    )
    terms = LinesField(
        required=False, help_text="Words or phrases, one per line; case-insensitive, whole words."
    )
    stays_in_country = forms.BooleanField(
        required=False,
        label="Stays in country",
        help_text="Values of this category never reach an external backend, whatever the routes say.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Live validation as the officer types: detection's own compiler answers (htmx).
        self.fields["patterns"].widget.attrs.update(
            {
                "hx-post": reverse("routing:pattern_check"),
                "hx-trigger": "input changed delay:300ms, load",
                "hx-target": "#pattern-check",
                "aria-controls": "pattern-check",
            }
        )

    def to_item(self) -> dict[str, Any]:
        data = self.cleaned_data
        item: dict[str, Any] = {"name": data["name"]}
        for key in ("entities", "patterns", "terms"):
            if data.get(key):
                item[key] = list(data[key])
        if not (data.get("entities") or data.get("patterns") or data.get("terms")):
            item["entities"] = []
        if data.get("stays_in_country"):
            item["stays_in_country"] = True
        return item


class RouteForm(PolicyItemForm):
    section = "routes"
    name = forms.CharField(max_length=63)
    categories_any = forms.MultipleChoiceField(
        label="When any of these categories is found",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    categories_none = forms.MultipleChoiceField(
        label="And none of these categories is found",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    teams = CommaListField(
        required=False, help_text="Team slugs or names, comma-separated. Empty: any team."
    )
    models = forms.MultipleChoiceField(
        label="Model aliases",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Empty: any model.",
    )
    key_tags = CommaListField(required=False, help_text="Any of these key tags. Empty: any key.")
    backends = CommaListField(
        label="Backends, in order",
        help_text="Tried in this order, falling back on failure.",
    )

    def __init__(self, *args: Any, policy: Policy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        categories = [(c.name, c.name) for c in policy.categories]
        self.fields["categories_any"].choices = categories  # type: ignore[attr-defined]
        self.fields["categories_none"].choices = categories  # type: ignore[attr-defined]
        self.fields["models"].choices = [(a, a) for a in policy.aliases()]  # type: ignore[attr-defined]
        self.fields["backends"].help_text += " Available: " + ", ".join(policy.backends) + "."

    def field_for(self, subpath: str) -> str | None:
        if subpath.startswith("when."):
            subpath = subpath[len("when.") :]
        return super().field_for(subpath)

    def to_item(self) -> dict[str, Any]:
        data = self.cleaned_data
        when = {
            key: list(data[key])
            for key in ("categories_any", "categories_none", "teams", "models", "key_tags")
            if data.get(key)
        }
        item: dict[str, Any] = {"name": data["name"]}
        if when:
            item["when"] = when
        item["backends"] = list(data["backends"])
        return item

    @classmethod
    def initial_from(cls, item: dict[str, Any]) -> dict[str, Any]:
        return {"name": item["name"], "backends": item["backends"], **item.get("when", {})}


APPLY_CHOICES = [("external", "only to external backends"), ("all", "to every backend")]


class MaskingForm(forms.Form):
    """One action and destination per category."""

    def __init__(self, *args: Any, policy: Policy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.categories = [c.name for c in policy.categories]
        for name in self.categories:
            rule = policy.masking.get(name)
            self.fields[f"{name}__action"] = forms.ChoiceField(
                label=f"{name}: action",
                choices=[("", "no rule (keep values)"), *[(a, a) for a in ACTIONS]],
                required=False,
                initial=rule.action if rule else "",
            )
            self.fields[f"{name}__apply_to"] = forms.ChoiceField(
                label=f"{name}: applies",
                choices=APPLY_CHOICES,
                initial=rule.apply_to if rule else "all",
            )

    def rows(self) -> list[tuple[str, Any, Any]]:
        return [(n, self[f"{n}__action"], self[f"{n}__apply_to"]) for n in self.categories]

    def rules(self) -> dict[str, dict[str, str] | None]:
        out: dict[str, dict[str, str] | None] = {}
        for name in self.categories:
            action = self.cleaned_data.get(f"{name}__action")
            apply_to = self.cleaned_data.get(f"{name}__apply_to") or "all"
            out[name] = {"action": action, "apply_to": apply_to} if action else None
        return out


class OptionsForm(forms.Form):
    """Document-wide options."""

    unscannable_parts = forms.ChoiceField(
        label="Images, audio and files in requests",
        choices=[
            ("in-country-only", "may go to in-country backends only"),
            ("allow", "may go to any backend the route allows"),
            ("refuse", "are refused (403 blocked_by_policy)"),
        ],
        help_text="Kordon cannot scan these parts for sensitive values.",
    )
    output_scan = forms.MultipleChoiceField(
        label="Scan answers too for",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Categories also looked for (and masked) in the model's answers.",
    )

    def __init__(self, *args: Any, policy: Policy, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "unscannable_parts": policy.options.unscannable_parts,
                "output_scan": list(policy.options.output_scan),
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["output_scan"].choices = [(c.name, c.name) for c in policy.categories]  # type: ignore[attr-defined]

    def to_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"unscannable_parts": self.cleaned_data["unscannable_parts"]}
        if self.cleaned_data.get("output_scan"):
            options["output_scan"] = list(self.cleaned_data["output_scan"])
        return options


class PublishForm(forms.Form):
    comment = forms.CharField(
        max_length=500, widget=forms.Textarea(attrs={"rows": 2}), help_text="Why this change."
    )


class RejectForm(forms.Form):
    reason = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class ApproveForm(forms.Form):
    content_hash = forms.CharField(max_length=64, widget=forms.HiddenInput)


class RollbackForm(forms.Form):
    comment = forms.CharField(max_length=500, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label="Policy document (YAML or JSON)")

    MAX_BYTES = 1_048_576


class SettingsForm(forms.Form):
    maker_checker = forms.BooleanField(
        required=False,
        label="Maker-checker",
        help_text="A draft goes live only after a second compliance officer or an admin approves it.",
    )


class PlaygroundForm(forms.Form):
    text = forms.CharField(
        label="Prompt or request",
        widget=forms.Textarea(attrs={"rows": 8, "autocomplete": "off", "spellcheck": "false"}),
        max_length=200_000,
        help_text="Plain text is sent as one user message; or paste a whole chat or embeddings "
        "request as JSON. Nothing typed here is stored or sent to any model.",
    )
    source = forms.ChoiceField(label="Policy")
    model = forms.CharField(
        max_length=200, initial="assistant", help_text="The model alias requested."
    )
    team = forms.CharField(
        max_length=100, required=False, help_text="Team slug (for team conditions)."
    )
    key_tags = CommaListField(required=False, help_text="Key tags, comma-separated.")

    def __init__(self, *args: Any, sources: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = sources  # type: ignore[attr-defined]
