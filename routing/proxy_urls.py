"""The OpenAI-compatible proxy's routes, mounted at /v1/ by console/urls.py."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path, re_path

from routing import catalog, errors, proxy


async def unknown_endpoint(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other /v1/ path: the contract's JSON error, not the console's HTML 404 page."""
    return errors.error_response(errors.UnknownEndpoint())


urlpatterns = [
    path("chat/completions", proxy.ChatCompletions.as_view(), name="proxy_chat_completions"),
    path("embeddings", proxy.Embeddings.as_view(), name="proxy_embeddings"),
    path("models", catalog.Models.as_view(), name="proxy_models"),
    path("models/<path:model>", catalog.Model.as_view(), name="proxy_model"),
    re_path(r"^(?P<rest>.*)$", unknown_endpoint),
]
