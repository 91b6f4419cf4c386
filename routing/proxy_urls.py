"""The OpenAI-compatible proxy's routes, mounted at /v1/ by console/urls.py."""

from __future__ import annotations

from django.urls import path

from routing import proxy

urlpatterns = [
    path("chat/completions", proxy.ChatCompletions.as_view(), name="proxy_chat_completions"),
    path("embeddings", proxy.Embeddings.as_view(), name="proxy_embeddings"),
    path("models", proxy.Models.as_view(), name="proxy_models"),
]
