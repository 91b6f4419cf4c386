"""The policy console, under /policies/."""

from __future__ import annotations

from django.urls import path

from routing import views, views_versions

app_name = "routing"

urlpatterns = [
    path("", views.policy_home, name="policy_home"),
    path("draft/", views.draft_detail, name="draft_detail"),
    path("draft/start/", views.draft_start, name="draft_start"),
    path("draft/discard/", views.draft_discard, name="draft_discard"),
    path("draft/masking/", views.masking_edit, name="masking_edit"),
    path("draft/options/", views.options_edit, name="options_edit"),
    path("draft/patterns/check/", views.pattern_check, name="pattern_check"),
    path("draft/routes/<slug:name>/move/", views.route_move, name="route_move"),
    path("draft/<str:section>/new/", views.item_edit, name="item_add"),
    path("draft/<str:section>/<slug:name>/", views.item_edit, name="item_edit"),
    path("draft/<str:section>/<slug:name>/delete/", views.item_delete, name="item_delete"),
    path("draft/publish/", views_versions.draft_publish, name="draft_publish"),
    path("draft/approve/", views_versions.draft_approve, name="draft_approve"),
    path("draft/reject/", views_versions.draft_reject, name="draft_reject"),
    path("draft/impact/", views_versions.draft_impact, name="draft_impact"),
    path("draft/selftest/", views_versions.draft_selftest, name="draft_selftest"),
    path("backends/<slug:name>/health/", views_versions.backend_health, name="backend_health"),
    path("versions/", views_versions.version_list, name="version_list"),
    path("versions/diff/", views_versions.version_diff, name="version_diff"),
    path("versions/<int:number>/", views_versions.version_detail, name="version_detail"),
    path("versions/<int:number>/export/", views_versions.version_export, name="version_export"),
    path(
        "versions/<int:number>/rollback/", views_versions.version_rollback, name="version_rollback"
    ),
    path("import/", views_versions.policy_import, name="policy_import"),
    path("settings/", views_versions.policy_settings, name="policy_settings"),
    path("playground/", views_versions.playground, name="playground"),
]
