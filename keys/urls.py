from __future__ import annotations

from django.urls import path

from keys import views

app_name = "keys"

urlpatterns = [
    path("", views.team_list, name="team_list"),
    path("teams/new/", views.team_create, name="team_create"),
    path("teams/<slug:slug>/", views.team_detail, name="team_detail"),
    path("teams/<slug:slug>/edit/", views.team_edit, name="team_edit"),
    path("teams/<slug:slug>/keys/new/", views.key_create, name="key_create"),
    path("<int:pk>/", views.key_detail, name="key_detail"),
    path("<int:pk>/edit/", views.key_edit, name="key_edit"),
    path("<int:pk>/revoke/", views.key_revoke, name="key_revoke"),
    path("<int:pk>/rotate/", views.key_rotate, name="key_rotate"),
]
