"""ASGI entry point: the proxy and the console in one application."""

from __future__ import annotations

import os

from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

django_application = get_asgi_application()

# The console's few vendored assets are served by the app itself so `make run` needs no web
# server in front; a deployment behind nginx/a CDN can turn this off (KORDON_SERVE_STATIC=0).
# Only paths under STATIC_URL take this branch; proxy requests pass straight through.
application = (
    ASGIStaticFilesHandler(django_application)
    if settings.KORDON_SERVE_STATIC
    else django_application
)

# The proxy's /v1/ path skips the console's middleware (see routing/asgi.py).
from routing.asgi import with_proxy  # noqa: E402 - needs the app registry loaded above

application = with_proxy(application)
