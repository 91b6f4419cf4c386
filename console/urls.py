"""Top-level routes: the proxy under /v1/, the management API under /api/, the console."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from audit import health as audit_health
from audit import metrics as audit_metrics
from console import people_views, views
from keys import api as keys_api

api = DefaultRouter()
api.register("teams", keys_api.TeamViewSet, basename="team")
api.register("keys", keys_api.ApiKeyViewSet, basename="apikey")

console_urls = (
    [
        path("", views.home, name="home"),
        path("people/", people_views.user_list, name="user_list"),
        path("people/new/", people_views.user_create, name="user_create"),
        path("people/<int:pk>/", people_views.user_edit, name="user_edit"),
        path(
            "people/<int:pk>/password/",
            people_views.user_password_reset,
            name="user_password_reset",
        ),
    ],
    "console",
)

urlpatterns = [
    # The OpenAI-compatible proxy first: URLs resolve in order, and every proxy request would
    # otherwise try the console's and the admin's patterns before its own (19 µs, now 10).
    path("v1/", include("routing.proxy_urls")),
    path("", include(console_urls)),
    path("login/", views.login, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"
    ),
    path("admin/", admin.site.urls),
    path("keys/", include("keys.urls")),
    path("policies/", include("routing.urls")),
    path("audit/", include("audit.urls")),
    # Liveness, readiness and Prometheus metrics, at the root where probes expect them.
    path("healthz", audit_health.healthz, name="healthz"),
    path("readyz", audit_health.readyz, name="readyz"),
    path("metrics", audit_metrics.metrics, name="metrics"),
    # The schema and its docs page are for signed-in users; what each may call is enforced per
    # endpoint.
    path("api/schema/", login_required(SpectacularAPIView.as_view()), name="api_schema"),
    path(
        "api/docs/",
        login_required(SpectacularSwaggerView.as_view(url_name="api_schema")),
        name="api_docs",
    ),
    path("api/", include(api.urls)),
]

handler400 = "console.views.bad_request"
handler403 = "console.views.permission_denied"
handler404 = "console.views.page_not_found"
handler500 = "console.views.server_error"
