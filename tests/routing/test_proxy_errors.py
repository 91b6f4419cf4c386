"""Every contract error through the live proxy: status, OpenAI error shape and code, nothing
forwarded, and an audit record for every request that passed authentication."""

from __future__ import annotations

import asyncio
import datetime as dt
import http.client
import json
import socket
import time

import httpx
import openai
import pytest
from django.utils import timezone

from tests.routing.conftest import issue_key

IIN = "900101301005"
MESSAGES = [{"role": "user", "content": "hello there"}]


def error_of(response: httpx.Response) -> dict:
    payload = response.json()
    assert set(payload) == {"error"}
    assert set(payload["error"]) >= {"message", "type", "code"}
    return payload["error"]


def post(proxy, body, *, secret=None, path="/chat/completions", headers=None):
    return httpx.post(
        proxy.url + path,
        content=body if isinstance(body, bytes) else None,
        json=None if isinstance(body, bytes) else body,
        headers={
            "Authorization": f"Bearer {secret or proxy.secret}",
            "Content-Type": "application/json",
            **(headers or {}),
        },
        timeout=20,
    )


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Basic abc", "Bearer kdn_unknownprefix_and_the_rest_of_a_secret_value"],
)
def test_missing_or_unknown_key_is_401(proxy, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = httpx.post(
        proxy.url + "/chat/completions",
        json={"model": "assistant", "messages": MESSAGES},
        headers=headers,
        timeout=20,
    )
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_api_key"
    assert proxy.all_bodies() == []


def test_wrong_secret_with_a_real_prefix_is_the_same_401(proxy):
    forged = proxy.secret[:12] + "x" * (len(proxy.secret) - 12)
    unknown = "kdn_zzzzzzzz" + "x" * (len(proxy.secret) - 12)
    a = post(proxy, {"model": "assistant", "messages": MESSAGES}, secret=forged)
    b = post(proxy, {"model": "assistant", "messages": MESSAGES}, secret=unknown)
    assert a.status_code == b.status_code == 401
    assert error_of(a) == error_of(b)
    with pytest.raises(openai.AuthenticationError):
        proxy.client(forged).chat.completions.create(model="assistant", messages=MESSAGES)
    assert proxy.all_bodies() == []


def test_revoked_key_is_refused_within_two_seconds(proxy, wait_until):
    from keys import services

    client = proxy.client()
    client.chat.completions.create(model="assistant", messages=MESSAGES)  # cached as valid
    services.key_revoke(key=proxy.key, actor=None, reason="leaked")
    revoked_at = time.monotonic()

    def refused():
        try:
            client.chat.completions.create(model="assistant", messages=MESSAGES)
        except openai.AuthenticationError as exc:
            return exc.body["code"] == "invalid_api_key"
        return False

    wait_until(refused, timeout=2.0, interval=0.05)
    assert time.monotonic() - revoked_at <= 2.0


def test_expired_key_is_401(proxy, wait_until):
    _, secret = issue_key(expires_at=timezone.now() + dt.timedelta(seconds=1.5))
    client = proxy.client(secret)
    client.chat.completions.create(model="assistant", messages=MESSAGES)
    time.sleep(1.6)
    with pytest.raises(openai.AuthenticationError) as caught:
        client.chat.completions.create(model="assistant", messages=MESSAGES)
    assert caught.value.body["code"] == "invalid_api_key"
    assert len(proxy.up.cloud.requests) == 1


@pytest.mark.parametrize(
    ("raw", "case"),
    [
        (b"{not json", "malformed JSON"),
        (
            b'{"model": "assistant", "messages": [{"role": "user", "content": "caf\xe9"}]}',
            "latin-1",
        ),
        (b"\xff\xfe\x00garbage", "binary"),
        (b"[]", "not an object"),
        (b"", "empty"),
        (b'{"messages": [{"role": "user", "content": "hi"}]}', "missing model"),
        (b'{"model": "assistant"}', "missing messages"),
        (b'{"model": 42, "messages": [{"role": "user", "content": "hi"}]}', "model type"),
        (
            b'{"model": "assistant\\u0000", "messages": [{"role": "user", "content": "hi"}]}',
            "NUL in model",
        ),
        (
            b'{"model": "assis\\ntant", "messages": [{"role": "user", "content": "hi"}]}',
            "newline in model",
        ),
        (b'{"model": "assistant", "messages": "hi"}', "messages type"),
        (b'{"model": "assistant", "messages": []}', "no messages"),
        (b'{"model": "assistant", "messages": [{"content": "hi"}]}', "missing role"),
        (b'{"model": "assistant", "messages": [{"role": [], "content": "hi"}]}', "role a list"),
        (b'{"model": "assistant", "messages": [{"role": {}, "content": "hi"}]}', "role an object"),
        (b'{"model": "assistant", "messages": [{"role": "user", "content": 5}]}', "content type"),
        (
            b'{"model": "assistant", "messages": [{"role": "user", "content": "x"}], "stream": "yes"}',
            "stream type",
        ),
        (
            b'{"model": "assistant", "messages": [{"role": "user", "content": [{"type": "text"}]}]}',
            "text part without text",
        ),
    ],
)
def test_bad_bodies_are_400_audited_and_not_forwarded(proxy, raw, case):
    response = post(proxy, raw)
    assert response.status_code == 400, case
    assert error_of(response)["code"] == "invalid_request_error"
    assert proxy.all_bodies() == []
    (record,) = proxy.records(1)
    assert (record.status_code, record.error_code) == (400, "invalid_request_error")
    assert response.headers["x-request-id"] == str(record.id)


def test_a_hostile_model_cannot_fail_other_callers_requests(proxy):
    # Audit inserts arriving together go in one statement: one unstorable record would sink
    # every record of its batch. A NUL in the model is refused before any record is written.
    async def run():
        client = proxy.aclient()
        calls = [
            client.chat.completions.create(
                model="assistant\u0000" if i % 6 == 0 else "assistant", messages=MESSAGES
            )
            for i in range(30)
        ]
        results = await asyncio.gather(*calls, return_exceptions=True)
        await client.close()
        return results

    results = asyncio.run(run())
    hostile, others = results[::6], [r for i, r in enumerate(results) if i % 6]
    assert all(isinstance(r, openai.BadRequestError) for r in hostile), hostile
    assert all(r.choices[0].message.content == "hello there" for r in others), others
    assert len(proxy.up.cloud.requests) == len(others)
    records = proxy.records(30)
    assert sorted(r.status_code for r in records) == [200] * 25 + [400] * 5
    assert {r.model_requested for r in records} == {"assistant", ""}


def test_bad_embeddings_input_is_400(proxy):
    response = post(proxy, {"model": "embed", "input": [1.5, {}]}, path="/embeddings")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_request_error"
    assert proxy.all_bodies() == []


def test_oversized_body_is_413(proxy, settings):
    big = "a" * (1_048_576 + 10)
    response = post(proxy, {"model": "assistant", "messages": [{"role": "user", "content": big}]})
    assert response.status_code == 413
    assert error_of(response)["type"] == "invalid_request_error"
    assert proxy.all_bodies() == []
    (record,) = proxy.records(1)
    assert record.status_code == 413


def _raw_exchange(proxy, head: bytes, body_parts: list[bytes]) -> tuple[int, bytes]:
    """Send a request's head and some body over a plain socket, never finishing the body, and
    read the server's answer: it must answer without waiting for the rest (a server that waits
    times out here, after 10 s)."""
    url = httpx.URL(proxy.url)
    with socket.create_connection((url.host, url.port), timeout=10) as conn:
        conn.sendall(head)
        for part in body_parts:
            conn.sendall(part)
        answer = http.client.HTTPResponse(conn)
        answer.begin()
        return answer.status, answer.read()


def _head(proxy, framing: str) -> bytes:
    return (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {proxy.secret}\r\nContent-Type: application/json\r\n"
        f"{framing}\r\n\r\n"
    ).encode()


def test_a_chunked_body_past_the_limit_is_413_before_it_ends(proxy):
    # No Content-Length: the limit is found while reading. The server answers as soon as the
    # body passes the limit, without the client ever ending it (nothing is kept meanwhile).
    chunk = b"a" * 65536
    framed = b"%x\r\n%s\r\n" % (len(chunk), chunk)
    status, body = _raw_exchange(proxy, _head(proxy, "Transfer-Encoding: chunked"), [framed] * 17)
    assert status == 413
    assert json.loads(body)["error"]["code"] == "request_too_large"
    assert proxy.all_bodies() == []
    (record,) = proxy.records(1)
    assert record.status_code == 413


def test_a_declared_huge_body_is_413_without_being_read(proxy):
    status, body = _raw_exchange(proxy, _head(proxy, "Content-Length: 10737418240"), [b"{"])
    assert status == 413
    assert json.loads(body)["error"]["code"] == "request_too_large"
    assert proxy.all_bodies() == []
    (record,) = proxy.records(1)
    assert record.status_code == 413


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/completions"), ("GET", "/files/file-1"), ("POST", "/chat/completions/")],
)
def test_unknown_endpoints_are_json_404s_in_the_contract_shape(proxy, method, path):
    response = httpx.request(
        method, proxy.url + path, headers={"Authorization": f"Bearer {proxy.secret}"}, timeout=20
    )
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert proxy.all_bodies() == []


def test_a_wrong_method_is_a_json_405(proxy):
    response = httpx.get(
        proxy.url + "/chat/completions", headers={"Authorization": f"Bearer {proxy.secret}"}
    )
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_model_not_allowed_for_the_key_and_unknown_models_are_403(proxy):
    _, secret = issue_key(models=["embed"])
    with pytest.raises(openai.PermissionDeniedError) as caught:
        proxy.client(secret).chat.completions.create(model="assistant", messages=MESSAGES)
    assert caught.value.body["code"] == "model_not_allowed"
    with pytest.raises(openai.PermissionDeniedError) as caught:
        proxy.client().chat.completions.create(model="gpt-9-ultra", messages=MESSAGES)
    assert caught.value.body["code"] == "model_not_allowed"
    assert proxy.all_bodies() == []
    records = proxy.records(2)
    assert [r.error_code for r in records] == ["model_not_allowed"] * 2
    assert records[1].model_requested == "gpt-9-ultra"


def test_secrets_are_blocked_by_policy(proxy):
    prompt = "deploy with ghp_1234567890abcdefghijABCDEFGHIJ123456 please"
    with pytest.raises(openai.PermissionDeniedError) as caught:
        proxy.client().chat.completions.create(
            model="assistant", messages=[{"role": "user", "content": prompt}]
        )
    assert caught.value.body["code"] == "blocked_by_policy"
    assert proxy.all_bodies() == []
    (record,) = proxy.records(1)
    assert record.error_code == "blocked_by_policy"
    assert record.entities == {"SECRET": 1}
    assert "ghp_" not in str(record.__dict__)


def test_rate_limit_is_429_with_retry_after(proxy):
    _, secret = issue_key(rpm=2)
    client = proxy.client(secret)
    for _ in range(2):
        client.chat.completions.create(model="assistant", messages=MESSAGES)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="assistant", messages=MESSAGES)
    assert caught.value.body["code"] == "rate_limited"
    assert 1 <= int(caught.value.response.headers["retry-after"]) <= 60
    assert len(proxy.up.cloud.requests) == 2
    records = proxy.records(3)
    assert [r.status_code for r in records] == [200, 200, 429]


def test_team_rate_limit_applies_across_its_keys(proxy):
    from keys import services

    team = services.team_create(name="Tiny", actor=None, rpm_limit=1)
    _, first = services.key_create(team=team, name="a", actor=None)
    _, second = services.key_create(team=team, name="b", actor=None)
    proxy.client(first).chat.completions.create(model="assistant", messages=MESSAGES)
    with pytest.raises(openai.RateLimitError):
        proxy.client(second).chat.completions.create(model="assistant", messages=MESSAGES)


def test_budget_exceeded_once_spent(proxy):
    _, secret = issue_key(budget="0.001")
    client = proxy.client(secret)
    # 11 prompt + 7 completion tokens at 0.15/0.6 per 1K = 0.00585 USD: over the budget.
    client.chat.completions.create(model="assistant", messages=MESSAGES)
    time.sleep(0.3)  # spend is recorded when the request ends
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="assistant", messages=MESSAGES)
    assert caught.value.body["code"] == "budget_exceeded"
    assert len(proxy.up.cloud.requests) == 1


def test_no_compliant_backend_is_503(proxy):
    from tests.routing.conftest import publish

    document = dict(proxy.document)
    document["routes"] = [
        {"name": "outsourced", "when": {"teams": ["outsourced"]}, "backends": ["cloud"]},
        *proxy.document["routes"],
    ]
    publish(document)
    _, secret = issue_key(team_name="Outsourced")
    client = proxy.client(secret)
    time.sleep(1.2)  # the live server picks up the new version within a second
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(
            model="assistant", messages=[{"role": "user", "content": f"My IIN is {IIN}"}]
        )
    assert caught.value.status_code == 503
    assert caught.value.body["code"] == "no_compliant_backend"
    assert caught.value.response.headers["x-kordon-route"] == "outsourced"
    assert proxy.all_bodies() == []
    publish(proxy.document)  # leave the live server on the suite's policy
    time.sleep(1.2)


def test_all_backends_failing_is_502(proxy):
    proxy.up.cloud.mode = proxy.up.local.mode = "500"
    with pytest.raises(openai.InternalServerError) as caught:
        proxy.client().chat.completions.create(model="assistant", messages=MESSAGES)
    assert caught.value.status_code == 502
    assert caught.value.body["code"] == "upstream_error"
    (record,) = proxy.records(1)
    assert (record.status_code, record.error_code) == (502, "upstream_error")
    assert record.fallbacks_tried == ["cloud", "kz-local"]


def test_backend_rejecting_the_request_is_passed_on_as_400(proxy):
    proxy.up.cloud.mode = "400"
    with pytest.raises(openai.BadRequestError):
        proxy.client().chat.completions.create(model="assistant", messages=MESSAGES)
    assert proxy.up.local.requests == []  # a 4xx is the request's fault: no fallback
