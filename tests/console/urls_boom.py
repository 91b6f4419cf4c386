"""A URLconf with a view that fails, to check what a user sees on a server error."""

from __future__ import annotations

from django.urls import path

from console.urls import urlpatterns as console_urlpatterns


def boom(request):
    raise RuntimeError("internal detail that must not reach the user: /srv/secret.py line 42")


urlpatterns = [path("boom/", boom), *console_urlpatterns]
handler500 = "console.views.server_error"
handler404 = "console.views.page_not_found"
