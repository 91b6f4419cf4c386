"""The OpenAI-compatible proxy: /v1/chat/completions, /v1/embeddings, /v1/models.

One request, in order (STYLE.md, "The proxy hot path"):
authenticate → parse and validate → model allowed → limits → detection (worker thread, fail
closed) → decide → open the audit record (no record, no forwarding) → for each candidate: mask
for its residency, forward; fall back on connect error, timeout, 5xx or 429 before any byte
reached the client → restore the answer (JSON) or relay the stream → complete the audit record
and record the spend. Every refusal is a contract error; every response after authentication
carries `X-Request-Id` (the audit record id).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson
from adrf.views import APIView
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from audit import recorder
from keys import limits
from keys.authn import ApiKeyAuthentication, KeyInfo
from routing import engine, errors, forward, relay
from routing.asgi import BODY_TOO_LARGE
from routing.policy.store import ActivePolicy, PolicyUnavailable, active_policy
from routing.privacy import (
    InvalidRequestShape,
    Masked,
    MaskingError,
    OutputScanner,
    mask_output,
    mask_request,
    restore_json_response,
    scan_request,
)
from routing.requests import ProxyRequest, parse_chat, parse_embeddings

logger = logging.getLogger("kordon.proxy")

REFUSALS: dict[str, type[errors.ProxyError]] = {
    engine.MODEL_NOT_ALLOWED: errors.ModelNotAllowed,
    engine.BLOCKED: errors.BlockedByPolicy,
    engine.NO_BACKEND: errors.NoCompliantBackend,
}


class AuditUnavailable(errors.ProxyError):
    status, type, code = 503, "api_error", "audit_unavailable"
    message = "The audit record could not be written; nothing was forwarded."


@dataclass(slots=True)
class Exchange:
    """One proxy request as it moves through the pipeline (ids, names and counts only)."""

    key: KeyInfo
    endpoint: str
    started: float
    headers: dict[str, str] = field(default_factory=dict)
    req: ProxyRequest | None = None
    active: ActivePolicy | None = None
    decision: engine.Decision | None = None
    scan: Any = None  # routing.privacy.ScanResult
    entities: dict[str, int] = field(default_factory=dict)
    admission: limits.Admission | None = None
    first: Masked | None = None
    record_id: uuid.UUID | None = None
    fallbacks: list[str] = field(default_factory=list)

    @property
    def caller(self) -> recorder.Caller:
        user = self.req.user if self.req is not None else ""
        return recorder.Caller(
            team=self.key.team_slug,
            team_id=self.key.team_id,
            key_prefix=self.key.prefix,
            end_user=recorder.end_user_hash(user),
        )

    @property
    def model(self) -> str:
        return self.req.model if self.req is not None else ""

    @property
    def stream(self) -> bool:
        return self.req.stream if self.req is not None else False

    def ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000


class ProxyView(APIView):
    """adrf APIView with the proxy's authentication and error rendering, no thread hops."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes: list[Any] = []
    throttle_classes: list[Any] = []
    parser_classes: list[Any] = []  # the body is read and validated by routing.requests
    renderer_classes = [JSONRenderer]

    def get_exception_handler(self) -> Any:
        return errors.exception_handler

    async def async_dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # adrf runs `initial()` in a worker thread and bridges async authenticators back with
        # async_to_sync: two thread hops per request. The proxy awaits its authenticator here.
        self.args, self.kwargs = args, kwargs
        drf_request = self.initialize_request(request, *args, **kwargs)
        self.request = drf_request
        self.headers = self.default_response_headers
        try:
            principal, key = await ApiKeyAuthentication().authenticate(drf_request)
            drf_request.user, drf_request.auth = principal, key
            method = drf_request.method.lower()
            handler = getattr(self, method, None) if method in self.http_method_names else None
            if handler is None:
                raise errors.MethodNotAllowed()
            response = await handler(drf_request, *args, **kwargs)
        except Exception as exc:
            response = self.handle_exception(exc)
        self.response = self.finalize_response(drf_request, response, *args, **kwargs)
        return self.response


def _raw_body(request: Request) -> bytes:
    limit = settings.KORDON_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise errors.InvalidRequest("Invalid Content-Length.") from None
    if declared > limit or getattr(request._request, "scope", {}).get(BODY_TOO_LARGE):
        raise errors.PayloadTooLarge()
    try:
        return request._request.body
    except RequestDataTooBig:
        raise errors.PayloadTooLarge() from None


def _with_headers(response: HttpResponseBase, headers: dict[str, str]) -> HttpResponseBase:
    for name, value in headers.items():
        response[name] = value
    return response


async def _scan_answer(ex: Exchange, payload: dict[str, Any], masked: Masked) -> int:
    """Output scanning of a JSON answer, in place; returns how many values were masked."""
    from routing.detection import get_detector

    assert ex.active is not None  # noqa: S101
    entities = ex.active.output_entities
    total = 0
    for choice in payload.get("choices") or []:
        message = choice.get("message") if isinstance(choice, dict) else None
        if isinstance(message, dict) and isinstance(message.get("content"), str):
            result = await asyncio.to_thread(
                functools.partial(
                    mask_output,
                    message["content"],
                    detector=get_detector(),
                    entities=entities,
                    vault=masked.vault,
                    custom=ex.active.custom,
                )
            )
            message["content"] = result.text
            total += sum(result.counts.values())
    return total


def _stream_scanner(ex: Exchange, masked: Masked) -> OutputScanner | None:
    from routing.detection import get_detector

    assert ex.active is not None  # noqa: S101
    entities = ex.active.output_entities
    if not entities:
        return None
    return OutputScanner(
        detector=get_detector(), entities=entities, vault=masked.vault, custom=ex.active.custom
    )


def _mask(ex: Exchange, candidate: engine.Candidate) -> Masked:
    assert ex.req is not None and ex.active is not None and ex.scan is not None  # noqa: S101
    return mask_request(
        ex.req.body,
        ex.scan,
        rules=ex.active.entity_rules,
        external=candidate.external,
        hash_key=settings.KORDON_HASH_KEY.encode(),
    )


def _scan_sync(body: dict[str, Any], endpoint: Any, custom: Any) -> Any:
    from routing.detection import get_detector

    return scan_request(body, endpoint, detector=get_detector(), custom=custom)


# Bodies up to this size are scanned on the event loop. Uncached detection costs at most about
# 4 ms here (0.15 ms for 200 B, 2.2 ms for 2 KB, 3.9 ms for 4 KB, one core), under the GIL's
# 5 ms switch interval: a worker thread running the same pure-Python work would hold the loop
# about as long, and the two thread hand-offs cost more than the scan of a short prompt
# (measured: 0.25 ms of a 2.4 ms request at concurrency 1, up to 8 ms at concurrency 32).
INLINE_SCAN_MAX_BYTES = 4096


async def _scan(ex: Exchange) -> Any:
    from routing.detection import detector_ready

    assert ex.req is not None and ex.active is not None  # noqa: S101
    scan = functools.partial(_scan_sync, ex.req.body, ex.req.endpoint, ex.active.custom)
    try:
        # Any failure refuses the request (fail closed). The first use builds the engine (CPU,
        # about 1 s): never on the event loop.
        if ex.req.size <= INLINE_SCAN_MAX_BYTES and detector_ready():
            return scan()
        return await asyncio.to_thread(scan)
    except InvalidRequestShape as exc:
        raise errors.InvalidRequest(f"Malformed request at {exc}.") from None
    except Exception as exc:
        logger.error("detection failed: %s", type(exc).__name__)
        raise errors.NoCompliantBackend(
            "The request could not be scanned, so it was not forwarded."
        ) from None


async def _prepare(ex: Exchange, request: Request) -> None:
    """Everything before the audit record opens; any failure here forwards nothing."""
    raw = _raw_body(request)
    limit = settings.KORDON_MAX_BODY_BYTES
    ex.req = (
        parse_chat(raw, max_bytes=limit)
        if ex.endpoint == "chat"
        else parse_embeddings(raw, max_bytes=limit)
    )
    try:
        ex.active = await active_policy()
    except PolicyUnavailable:
        raise errors.NoCompliantBackend("No policy is published.") from None
    if not ex.key.may_use(ex.req.model):
        raise errors.ModelNotAllowed()
    ex.admission = await limits.check(ex.key, ex.req.estimated_prompt_tokens())
    ex.scan = await _scan(ex)
    ex.entities = ex.scan.entity_counts()
    ex.decision = engine.decide(
        policy=ex.active.policy,
        scan=ex.scan,
        model_alias=ex.req.model,
        team_slug=ex.key.team_slug,
        team_name=ex.key.team_name,
        key_tags=ex.key.tags,
    )
    if ex.decision.route:
        ex.headers["X-Kordon-Route"] = ex.decision.route
    refusal = ex.decision.refusal
    if refusal is not None:
        raise REFUSALS.get(refusal.code, errors.NoCompliantBackend)(refusal.message)
    if not ex.decision.candidates:
        raise errors.NoCompliantBackend()
    try:
        ex.first = _mask(ex, ex.decision.candidates[0])
    except MaskingError:
        raise errors.NoCompliantBackend("The request could not be masked.") from None
    if ex.first.blocked_entities:
        raise errors.BlockedByPolicy()


async def _refuse(ex: Exchange, exc: Exception) -> errors.ProxyError:
    """Write the finished audit record of a request refused before forwarding."""
    err = errors.as_proxy_error(exc)
    decision = ex.decision
    try:
        record_id = await recorder.write_final(
            caller=ex.caller,
            endpoint=ex.endpoint,
            model_requested=ex.model,
            stream=ex.stream,
            status_code=err.status,
            error_code=err.code,
            latency_ms=ex.ms(),
            route=decision.route or "" if decision else "",
            policy_version=ex.active.version if ex.active else None,
            entities=ex.entities,
            categories=list(decision.categories) if decision else [],
        )
    except Exception as write_error:
        logger.error("audit write failed for a refusal: %s", type(write_error).__name__)
        return AuditUnavailable()
    ex.headers["X-Request-Id"] = str(record_id)
    return err


def _residency_violation(ex: Exchange, candidate: engine.Candidate) -> bool:
    """Last, independent check: no stays_in_country category ever goes to an external backend."""
    assert ex.active is not None and ex.decision is not None  # noqa: S101
    if not candidate.external:
        return False
    stays = ex.active.policy.stays_in_country_categories()
    return bool(stays.intersection(ex.decision.categories))


def _finish(
    ex: Exchange,
    candidate: engine.Candidate | None,
    masked: Masked | None,
    *,
    status: int,
    error_code: str = "",
    usage: relay.Usage | None = None,
    upstream_ms: float | None = None,
) -> None:
    cost: Decimal | None = None
    if usage is not None and candidate is not None:
        backend = candidate.backend
        cost = limits.cost_of(
            usage.prompt_tokens,
            usage.completion_tokens,
            backend.cost_input_per_1k,
            backend.cost_output_per_1k,
        )
        if ex.admission is not None:
            limits.record(ex.admission, usage.prompt_tokens + usage.completion_tokens, cost)
    assert ex.record_id is not None  # noqa: S101
    recorder.complete(
        ex.record_id,
        recorder.Completion(
            status_code=status,
            error_code=error_code,
            backend=candidate.backend.name if candidate else "",
            residency=candidate.backend.residency if candidate else "",
            fallbacks_tried=list(ex.fallbacks),
            actions=dict(masked.actions) if masked else {},
            prompt_tokens=usage.prompt_tokens if usage else None,
            completion_tokens=usage.completion_tokens if usage else None,
            cost=cost,
            latency_ms=ex.ms(),
            upstream_ms=upstream_ms,
        ),
    )


async def _forward(ex: Exchange) -> HttpResponseBase:
    assert ex.req is not None and ex.decision is not None and ex.active is not None  # noqa: S101
    try:
        ex.record_id = await recorder.open_record(
            caller=ex.caller,
            endpoint=ex.endpoint,
            model_requested=ex.req.model,
            stream=ex.req.stream,
            route=ex.decision.route or "",
            policy_version=ex.active.version,
            entities=ex.entities,
            categories=list(ex.decision.categories),
        )
    except Exception as exc:
        logger.error("audit record could not be opened: %s", type(exc).__name__)
        raise AuditUnavailable() from None
    ex.headers["X-Request-Id"] = str(ex.record_id)
    tried_any = False
    for candidate in ex.decision.candidates:
        name = candidate.backend.name
        if _residency_violation(ex, candidate):
            logger.error("residency check dropped external backend %s", name)
            continue
        try:
            masked = (
                ex.first
                if ex.first is not None and candidate.external == ex.decision.candidates[0].external
                else _mask(ex, candidate)
            )
        except MaskingError:
            _finish(ex, None, None, status=503, error_code=errors.NoCompliantBackend.code)
            raise errors.NoCompliantBackend("The request could not be masked.") from None
        if masked is None or masked.blocked_entities:
            continue
        body = {**masked.body, "model": candidate.upstream_model}
        tried_any = True
        try:
            if ex.req.stream:
                answer = await forward.open_stream(candidate.backend, body)
            else:
                reply = await forward.send_json(candidate.backend, ex.req.endpoint, body)
        except forward.UpstreamUnavailable as exc:
            logger.warning("backend %s unavailable (%s), trying the next", name, exc.reason)
            ex.fallbacks.append(name)
            continue
        except asyncio.CancelledError:
            # The client hung up while the backend was working: record it, then let the
            # cancellation close the upstream request.
            _finish(ex, candidate, masked, status=499, error_code="client_disconnected")
            raise
        except forward.UpstreamRejected as exc:
            ex.headers["X-Kordon-Backend"] = name
            err: errors.ProxyError = (
                errors.InvalidRequest(exc.message)
                if exc.status not in (401, 403, 404)
                else errors.UpstreamError()
            )
            _finish(ex, candidate, masked, status=err.status, error_code=err.code)
            raise err from None
        ex.headers["X-Kordon-Backend"] = name
        if ex.req.stream:
            return _stream_response(ex, candidate, masked, answer)
        return await _json_response(ex, candidate, masked, reply)
    err = errors.UpstreamError() if tried_any else errors.NoCompliantBackend()
    _finish(ex, None, None, status=err.status, error_code=err.code)
    raise err


async def _json_response(
    ex: Exchange, candidate: engine.Candidate, masked: Masked, reply: forward.JsonAnswer
) -> HttpResponse:
    assert ex.req is not None and ex.active is not None  # noqa: S101
    try:
        payload = (
            restore_json_response(reply.payload, masked.vault) if masked.vault else reply.payload
        )
        if ex.req.endpoint == "chat" and ex.active.output_entities:
            found = await _scan_answer(ex, payload, masked)
            if found:
                masked.actions["output_redact"] = masked.actions.get("output_redact", 0) + found
    except MaskingError:
        _finish(ex, candidate, masked, status=502, error_code="upstream_error")
        raise errors.UpstreamError("The answer could not be restored.") from None
    usage = relay.usage_of(
        reply.payload, ex.req.estimated_prompt_tokens(), relay.completion_chars(reply.payload)
    )
    _finish(ex, candidate, masked, status=200, usage=usage, upstream_ms=reply.upstream_ms)
    response = HttpResponse(orjson.dumps(payload), content_type="application/json")
    _with_headers(response, ex.headers)
    return response


def _stream_response(
    ex: Exchange, candidate: engine.Candidate, masked: Masked, answer: forward.StreamAnswer
) -> StreamingHttpResponse:
    assert ex.req is not None  # noqa: S101
    estimate = ex.req.estimated_prompt_tokens()
    out = relay.StreamOutcome()
    scanner = _stream_scanner(ex, masked)

    async def content() -> AsyncIterator[bytes]:
        ended = False
        try:
            async for part in relay.relay_stream(answer, masked.vault, out, scanner):
                yield part
            ended = True
        finally:
            # Also reached when the client disconnects (the task is cancelled): closing the
            # upstream response cancels the backend's work too.
            try:
                await answer.aclose()
            except BaseException as exc:  # closing must never hide how the stream ended
                logger.debug("closing upstream stream: %s", type(exc).__name__)
            if not ended and out.status_code == 200:
                out.status_code, out.error_code = 499, "client_disconnected"
            if scanner is not None and scanner.counts:
                masked.actions["output_redact"] = sum(scanner.counts.values())
            usage = relay.usage_of({"usage": out.usage}, estimate, out.chars)
            upstream_ms = (time.perf_counter() - answer.started) * 1000
            _finish(
                ex,
                candidate,
                masked,
                status=out.status_code,
                error_code=out.error_code,
                usage=usage,
                upstream_ms=upstream_ms,
            )

    response = StreamingHttpResponse(content(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    _with_headers(response, ex.headers)
    return response


async def _handle(request: Request, endpoint: str) -> HttpResponseBase:
    ex = Exchange(key=request.auth, endpoint=endpoint, started=time.perf_counter())
    request.kordon_headers = ex.headers  # the exception handler adds them to error responses
    try:
        await _prepare(ex, request)
    except Exception as exc:
        raise await _refuse(ex, exc) from None
    return await _forward(ex)


class ChatCompletions(ProxyView):
    async def post(self, request: Request) -> HttpResponseBase:
        return await _handle(request, "chat")


class Embeddings(ProxyView):
    async def post(self, request: Request) -> HttpResponseBase:
        return await _handle(request, "embeddings")
