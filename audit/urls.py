from __future__ import annotations

from django.urls import path
from django.views.generic import RedirectView

from audit import change_views, views

app_name = "audit"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="audit:audit_record_list"), name="audit_home"),
    path("records/", views.audit_record_list, name="audit_record_list"),
    path("records/<uuid:record_id>/", views.audit_record_detail, name="audit_record_detail"),
    path("exports/", views.audit_export_create, name="audit_export_create"),
    path("exports/<uuid:export_id>/", views.audit_export_detail, name="audit_export_detail"),
    path(
        "exports/<uuid:export_id>/download/",
        views.audit_export_download,
        name="audit_export_download",
    ),
    path(
        "exports/<uuid:export_id>/manifest/",
        views.audit_export_manifest,
        name="audit_export_manifest",
    ),
    path("dashboard/", views.audit_dashboard, name="audit_dashboard"),
]
urlpatterns += [
    path("changes/", change_views.change_event_list, name="change_event_list"),
    path("changes/export/", change_views.change_event_export, name="change_event_export"),
]
