"""Top-level routes: the proxy under /v1/, the management API under /api/, the console."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("keys/", include("keys.urls")),
    path("policies/", include("routing.urls")),
    path("audit/", include("audit.urls")),
]
