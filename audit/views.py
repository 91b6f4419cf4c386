"""The auditor's console: browse records, a record's timeline, exports, the chain's state.

Read-only by construction: the only POST creates an export (a new row), nothing here updates or
deletes an audit record or a change event.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from audit import dashboard, exports, sealing, selectors, timeline
from audit.forms import AuditFilterForm
from audit.models import AuditExport, AuditRecord
from console.htmx import AuthedHtmxRequest

PAGE_SIZE = 50


@login_required
@permission_required("audit.view_auditrecord", raise_exception=True)
@require_GET
@vary_on_headers("HX-Request")  # the same URL serves the page and its #results fragment
def audit_record_list(request: AuthedHtmxRequest) -> HttpResponse:
    sealing.seal_if_eager()
    form = AuditFilterForm(request.GET)
    filters = form.cleaned_or_empty()
    records = selectors.audit_record_list(user=request.user, filters=filters)
    page = selectors.audit_record_page(
        records, sort=form.sort_order(), cursor=request.GET.get("cursor", ""), size=PAGE_SIZE
    )
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "chain": selectors.chain_state(),
        "can_export": request.user.has_perm("audit.export_auditrecord"),
        "recent_exports": AuditExport.objects.filter(actor=request.user)[:5],
    }
    template = "audit/audit_record_list.html"
    if request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request:
        template += "#results"
    return render(request, template, context)


@login_required
@permission_required("audit.view_auditrecord", raise_exception=True)
@require_GET
def audit_record_detail(request: AuthedHtmxRequest, record_id: uuid.UUID) -> HttpResponse:
    try:
        record = selectors.audit_record_get(user=request.user, record_id=record_id)
    except AuditRecord.DoesNotExist as exc:
        raise Http404("no such audit record") from exc
    context = {
        "record": record,
        "steps": timeline.record_timeline(record),
        "place": selectors.chain_place(record),
    }
    return render(request, "audit/audit_record_detail.html", context)


@login_required
@permission_required("audit.export_auditrecord", raise_exception=True)
@require_POST
def audit_export_create(request: AuthedHtmxRequest) -> HttpResponse:
    """Small exports download at once; large ones run as a task with a progress page."""
    form = AuditFilterForm(request.POST)
    fmt = request.POST.get("format", "csv")
    if fmt not in AuditExport.Format.values:
        return HttpResponse("format: must be csv or jsonl", status=400)
    if not form.is_valid():  # never export a wider set than the filters the user asked for
        errors = "; ".join(f"{field}: {' '.join(e)}" for field, e in form.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain")
    export = exports.export_create(
        actor=request.user,
        fmt=fmt,
        filters=form.cleaned_or_empty(),
        scope=selectors.audit_scope(user=request.user),
    )
    if export.total <= settings.KORDON_AUDIT_EXPORT_INLINE_MAX:
        export = exports.export_run(export_id=export.id)
        return _download(export)
    from audit.tasks import audit_export_task  # tasks import this app's services

    audit_export_task.delay_on_commit(str(export.id))
    return redirect("audit:audit_export_detail", export_id=export.id)


def _own_export(request: AuthedHtmxRequest, export_id: uuid.UUID) -> AuditExport:
    """An export is readable by whoever made it, or by someone who sees every team."""
    export = get_object_or_404(AuditExport, id=export_id)
    if export.actor_id != request.user.id and not request.user.has_perm("audit.view_all_teams"):
        raise Http404("no such export")
    return export


def _download(export: AuditExport) -> HttpResponse:
    path = exports.export_path(export)
    if path is None:
        raise Http404("export not ready")
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"audit-{export.created_at:%Y%m%d-%H%M%S}.{export.format}",
        content_type=exports.CONTENT_TYPES[export.format],
    )
    response["X-Kordon-Export-Id"] = str(export.id)
    response["X-Kordon-Export-Sha256"] = export.sha256
    response["X-Kordon-Export-Count"] = str(export.done)
    return response


@login_required
@permission_required("audit.export_auditrecord", raise_exception=True)
@require_GET
@vary_on_headers("HX-Request")
def audit_export_detail(request: AuthedHtmxRequest, export_id: uuid.UUID) -> HttpResponse:
    export = _own_export(request, export_id)
    template = "audit/audit_export_detail.html"
    if request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request:
        template += "#progress"
    context = {"export": export, "manifest": exports.manifest(export)}
    return render(request, template, context)


@login_required
@permission_required("audit.export_auditrecord", raise_exception=True)
@require_GET
def audit_export_download(request: AuthedHtmxRequest, export_id: uuid.UUID) -> HttpResponse:
    return _download(_own_export(request, export_id))


@login_required
@permission_required("audit.export_auditrecord", raise_exception=True)
@require_GET
def audit_export_manifest(request: AuthedHtmxRequest, export_id: uuid.UUID) -> HttpResponse:
    export = _own_export(request, export_id)
    response = JsonResponse(exports.manifest(export), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="audit-{export.id}.manifest.json"'
    return response


@login_required
@permission_required("audit.view_audit_dashboard", raise_exception=True)
@require_GET
def audit_dashboard(request: AuthedHtmxRequest) -> HttpResponse:
    sealing.seal_if_eager()
    window = request.GET.get("window", "24h")
    data = dashboard.dashboard_data(
        window=window,
        scope=selectors.audit_scope(user=request.user),
        budgets=dashboard.team_budgets(),
    )
    context = {
        "data": data,
        "chain": selectors.chain_state(),
        "can_browse": request.user.has_perm("audit.view_auditrecord"),
        "records_url": reverse("audit:audit_record_list"),
    }
    return render(request, "audit/audit_dashboard.html", context)
