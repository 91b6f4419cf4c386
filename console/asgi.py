"""ASGI entry point: the proxy and the console in one application."""

from __future__ import annotations

import os

from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

from console.body_limit import with_body_limit

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

# Console and management bodies are read with a ceiling (Django's own read has none); the
# proxy's /v1/ path has its own (KORDON_MAX_BODY_BYTES, answered in the contract's shape).
application = with_body_limit(application, settings.KORDON_CONSOLE_MAX_BODY_BYTES)

# The proxy's /v1/ path skips the console's middleware (see routing/asgi.py).
from routing.asgi import with_proxy  # noqa: E402 - needs the app registry loaded above

application = with_proxy(application)
