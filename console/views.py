"""Console pages of the project itself: home with real figures, sign-in, error pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from audit.models import AuditRecord, ChangeEvent
from console.htmx import AuthedHtmxRequest
from console.login import ThrottledAuthenticationForm
from console.roles import roles_of
from keys import selectors as key_selectors


@login_required
@require_GET
def home(request: AuthedHtmxRequest) -> HttpResponse:
    """Figures the user may see, counted now; nothing shown that is not true."""
    user = request.user
    context: dict[str, Any] = {"roles": roles_of(user), "figures": []}
    if user.has_perm("keys.view_team"):
        teams = key_selectors.team_list(user=user)
        keys = key_selectors.key_list(user=user).filter(key_selectors.active_keys_q())
        midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        records = AuditRecord.objects.filter(timestamp__gte=midnight)
        if not user.has_perm("keys.view_all_teams"):
            records = records.filter(team_id__in=teams.values("pk"))
        context["figures"] = [
            ("Teams", teams.count()),
            ("Active keys", keys.count()),
            ("Requests today (UTC)", records.count()),
        ]
        context["expiring"] = keys.filter(
            expires_at__isnull=False, expires_at__lte=timezone.now() + dt.timedelta(days=7)
        ).order_by("expires_at")[:5]
    if user.has_perm("audit.view_changeevent"):
        context["recent_changes"] = ChangeEvent.objects.all()[:8]
    return render(request, "console/home.html", context)


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True


login = LoginView.as_view()


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: whatever broke must not break the error page too.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render(), status=500)
