"""Change history: every configuration change, browsable by admins and auditors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from audit.models import ChangeEvent

PAGE_SIZE = 50


class ChangeEventFilterForm(forms.Form):
    target_type = forms.ChoiceField(label="Target type", required=False)
    actor = forms.CharField(label="Actor", required=False, max_length=150)
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "Any action"), *ChangeEvent.Action.choices]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        types = ChangeEvent.objects.order_by("target_type").values_list("target_type", flat=True)
        choices = [(t, t) for t in types.distinct()]
        self.fields["target_type"].choices = [("", "Any type"), *choices]  # type: ignore[attr-defined]

    def filtered(self, events: QuerySet[ChangeEvent]) -> QuerySet[ChangeEvent]:
        if not self.is_valid():
            return events
        data = self.cleaned_data
        if data["target_type"]:
            events = events.filter(target_type=data["target_type"])
        if data["actor"]:
            events = events.filter(actor_name__iexact=data["actor"].strip())
        if data["action"]:
            events = events.filter(action=data["action"])
        return events


@login_required
@permission_required("audit.view_changeevent", raise_exception=True)
@require_GET
def change_event_list(request: HttpRequest) -> HttpResponse:
    form = ChangeEventFilterForm(request.GET or None)
    events = form.filtered(ChangeEvent.objects.all())
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = "audit/change_event_list.html"
    if getattr(request, "htmx", False) and not request.htmx.boosted:  # type: ignore[attr-defined]
        template += "#rows"
    return render(request, template, context)
