"""`GET /v1/models` and `GET /v1/models/{alias}`: the aliases a key may use, each call audited."""

from __future__ import annotations

import time
from typing import Any

import orjson
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from rest_framework.request import Request

from audit import recorder
from keys.authn import KeyInfo
from routing import errors
from routing.policy.store import PolicyUnavailable, active_policy
from routing.proxy import ProxyView


def _model_object(alias: str) -> dict[str, Any]:
    return {"id": alias, "object": "model", "created": 0, "owned_by": "kordon"}


def _answer(payload: dict[str, Any], record_id: str) -> HttpResponse:
    response = HttpResponse(orjson.dumps(payload), content_type="application/json")
    response["X-Request-Id"] = record_id
    return response


async def _usable_aliases(key: KeyInfo) -> tuple[list[str], int | None]:
    """The aliases this key may use under the active policy, and that policy's version."""
    try:
        active = await active_policy()
    except PolicyUnavailable:
        return [], None
    return [a for a in active.policy.aliases() if key.may_use(a)], active.version


async def _record_models_call(
    key: KeyInfo, started: float, policy_version: int | None, *, model: str = "", status: int = 200
) -> str:
    record_id = await recorder.write_final(
        caller=recorder.Caller(team=key.team_slug, team_id=key.team_id, key_prefix=key.prefix),
        endpoint="models",
        model_requested=model,
        stream=False,
        status_code=status,
        error_code="" if status == 200 else errors.ModelNotFound.code,
        latency_ms=(time.perf_counter() - started) * 1000,
        policy_version=policy_version,
    )
    return str(record_id)


class Models(ProxyView):
    async def get(self, request: Request) -> HttpResponseBase:
        started = time.perf_counter()
        aliases, version = await _usable_aliases(request.auth)
        record_id = await _record_models_call(request.auth, started, version)
        return _answer({"object": "list", "data": [_model_object(a) for a in aliases]}, record_id)


class Model(ProxyView):
    """`GET /v1/models/{alias}`: the official client's `models.retrieve`."""

    async def get(self, request: Request, model: str) -> HttpResponseBase:
        started = time.perf_counter()
        aliases, version = await _usable_aliases(request.auth)
        # An alias the key may not use answers like one that does not exist: a key learns
        # nothing about the rest of the policy.
        status = 200 if model in aliases else errors.ModelNotFound.status
        record_id = await _record_models_call(
            request.auth, started, version, model=model, status=status
        )
        if status != 200:
            return errors.error_response(errors.ModelNotFound(), {"X-Request-Id": record_id})
        return _answer(_model_object(model), record_id)
