"""Change history: every configuration change, browsable by admins and auditors."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from audit.changes import Target, change_event_record
from audit.exports import FORMULA_STARTS
from audit.models import ChangeEvent

PAGE_SIZE = 50
EXPORT_MAX = 100_000
CSV_FIELDS = ["timestamp", "actor_name", "action", "target_type", "target_id", "target_repr"]


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


@login_required
@permission_required("audit.view_changeevent", raise_exception=True)
@require_POST
def change_event_export(request: HttpRequest) -> HttpResponse:
    """The filtered change history as CSV. Taking it out is itself a change event."""
    form = ChangeEventFilterForm(request.POST or None)
    events = list(form.filtered(ChangeEvent.objects.all())[:EXPORT_MAX])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*CSV_FIELDS, "before", "after", "note"])
    for event in events:
        row = [getattr(event, field) for field in CSV_FIELDS]
        row[0] = event.timestamp.isoformat()
        dumps = [
            json.dumps(v, sort_keys=True) if v is not None else ""
            for v in (event.before, event.after)
        ]
        writer.writerow([_cell(value) for value in (*row, *dumps, event.note)])
    filters = {k: v for k, v in (form.cleaned_data if form.is_valid() else {}).items() if v}
    with transaction.atomic():
        change_event_record(
            actor=request.user,
            action=ChangeEvent.Action.EXPORT,
            target=Target(type="audit.ChangeEvent", id="", repr="change history"),
            after={"filters": filters, "count": len(events)},
            note=f"{len(events)} change events as CSV",
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="kordon-changes-{stamp}.csv"'
    return response


def _cell(value: Any) -> Any:
    # Names and notes are typed by people: never let a spreadsheet run one as a formula.
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
