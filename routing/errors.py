"""The proxy's errors in the contract's OpenAI shape, and the one DRF exception handler.

Every refusal on the `/v1/` path is a `ProxyError`; the handler renders it (and any DRF or
unexpected exception) as `{"error": {"message", "type", "code"}}` plus the Kordon headers known
at that point. Messages never contain a prompt, an answer or a detected value.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from django.http import HttpResponse
from rest_framework import exceptions as drf_exceptions

from keys.authn import InvalidApiKey as KeyRefused
from keys.limits import LimitExceeded

logger = logging.getLogger("kordon.proxy")


class ProxyError(Exception):
    """A contract error: HTTP status, OpenAI `type`, contract `code`, a value-free message."""

    status: int = 500
    type: str = "api_error"
    code: str = "internal_error"
    message: str = "Internal error."

    def __init__(self, message: str | None = None, *, retry_after: int | None = None) -> None:
        super().__init__(message or self.message)
        if message:
            self.message = message
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}


class InvalidApiKey(ProxyError):
    status, type, code = 401, "invalid_request_error", "invalid_api_key"
    message = "Invalid API key."


class ModelNotAllowed(ProxyError):
    status, type, code = 403, "invalid_request_error", "model_not_allowed"
    message = "This key may not use that model."


class BlockedByPolicy(ProxyError):
    status, type, code = 403, "invalid_request_error", "blocked_by_policy"
    message = "The request contains data the policy blocks."


class RateLimited(ProxyError):
    status, type, code = 429, "rate_limit_error", "rate_limited"
    message = "Rate limit reached."


class BudgetExceeded(ProxyError):
    status, type, code = 429, "insufficient_quota", "budget_exceeded"
    message = "The monthly budget is spent."


class InvalidRequest(ProxyError):
    status, type, code = 400, "invalid_request_error", "invalid_request_error"
    message = "Malformed request body."


class PayloadTooLarge(ProxyError):
    status, type, code = 413, "invalid_request_error", "request_too_large"
    message = "Request body is over the size limit."


class NoCompliantBackend(ProxyError):
    status, type, code = 503, "api_error", "no_compliant_backend"
    message = "No backend may take this request under the policy."


class UpstreamError(ProxyError):
    status, type, code = 502, "api_error", "upstream_error"
    message = "The backend failed."


class InternalError(ProxyError):
    """Anything unexpected: fail closed, never forward, say nothing about the input."""


class MethodNotAllowed(ProxyError):
    status, type, code = 405, "invalid_request_error", "method_not_allowed"
    message = "Method not allowed."


class ModelNotFound(ProxyError):
    status, type, code = 404, "invalid_request_error", "model_not_found"
    message = "No such model for this key."


class UnknownEndpoint(ProxyError):
    status, type, code = 404, "invalid_request_error", "not_found"
    message = (
        "Unknown endpoint. Kordon serves POST /v1/chat/completions, POST /v1/embeddings, "
        "GET /v1/models and GET /v1/models/{model}."
    )


def error_payload(err: ProxyError) -> dict[str, Any]:
    return {"error": {"message": err.message, "type": err.type, "code": err.code}}


def error_response(err: ProxyError, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(
        orjson.dumps(error_payload(err)), status=err.status, content_type="application/json"
    )
    for name, value in {**err.headers(), **(headers or {})}.items():
        response[name] = value
    return response


def as_proxy_error(exc: BaseException) -> ProxyError:
    """Map DRF's and unexpected exceptions onto the contract's codes."""
    if isinstance(exc, ProxyError):
        return exc
    if isinstance(exc, KeyRefused):
        return InvalidApiKey(exc.message)
    if isinstance(exc, LimitExceeded):
        if exc.code == "budget_exceeded":
            return BudgetExceeded()
        return RateLimited(retry_after=exc.retry_after)
    if isinstance(exc, drf_exceptions.NotAuthenticated | drf_exceptions.AuthenticationFailed):
        return InvalidApiKey()
    if isinstance(exc, drf_exceptions.PermissionDenied):
        return ModelNotAllowed()
    if isinstance(exc, drf_exceptions.ParseError | drf_exceptions.UnsupportedMediaType):
        return InvalidRequest()
    if isinstance(exc, drf_exceptions.MethodNotAllowed):
        return MethodNotAllowed()
    if isinstance(exc, drf_exceptions.Throttled):
        return RateLimited(retry_after=int(exc.wait or 1))
    # Log the type only: an exception's text may quote customer data.
    logger.error("proxy internal error: %s", type(exc).__name__)
    return InternalError()


def exception_handler(exc: Exception, context: dict[str, Any]) -> HttpResponse:
    """DRF exception handler for the proxy views (set per view, not globally)."""
    err = as_proxy_error(exc)
    request = context.get("request")
    headers = getattr(request, "kordon_headers", None) if request is not None else None
    return error_response(err, headers)
