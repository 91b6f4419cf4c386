"""Streams that end badly: an upstream dying mid-stream, a client walking away; and a policy
reloaded while the server runs."""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Iterator

import httpx
import openai
import pytest

from tests.routing.conftest import publish

PROMPT = "Tell me a long story about a lighthouse keeper and a storm at sea."
MESSAGES = [{"role": "user", "content": PROMPT}]


@contextlib.contextmanager
def _raw_stream(proxy) -> Iterator[httpx.Response]:
    """A streamed chat request read as raw SSE lines (the client sees exactly what is sent)."""
    with (
        httpx.Client(timeout=20) as client,
        client.stream(
            "POST",
            proxy.url + "/chat/completions",
            json={"model": "assistant", "messages": MESSAGES, "stream": True},
            headers={"Authorization": f"Bearer {proxy.secret}"},
        ) as response,
    ):
        yield response


def test_upstream_dying_mid_stream_ends_with_an_error_event(proxy):
    proxy.up.cloud.mode = "die"
    stream = proxy.client().chat.completions.create(
        model="assistant", messages=MESSAGES, stream=True
    )
    received = []
    with pytest.raises(openai.APIError) as caught:
        for chunk in stream:
            received.append(chunk)
    assert "failed while streaming" in str(caught.value)
    assert received  # what arrived before the failure was delivered
    assert proxy.up.local.requests == []  # bytes already reached the client: no fallback
    (record,) = proxy.records(1)
    assert (record.status_code, record.error_code) == (502, "upstream_error")
    assert record.backend == "cloud"


def test_client_disconnect_cancels_the_upstream_request(proxy, wait_until):
    proxy.up.cloud.mode = "slow"
    proxy.up.cloud.chunk_delay = 0.3
    proxy.up.cloud.stream_pieces = 30  # about 9 s if nobody hung up
    with _raw_stream(proxy) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if '"content"' in line and PROMPT[:3] in line:
                break  # got the first content, now walk away
    started = time.monotonic()
    wait_until(lambda: proxy.up.cloud.disconnects == 1, timeout=5)
    assert time.monotonic() - started < 5
    (record,) = proxy.records(1)
    assert (record.status_code, record.error_code) == (499, "client_disconnected")


def test_the_answer_ends_at_done_without_waiting_for_the_backend_to_end_its_body(proxy):
    proxy.up.cloud.mode = "linger"
    proxy.up.cloud.hang_seconds = 3.0  # longer than the relay's drain after [DONE] (0.5 s)
    with _raw_stream(proxy) as response:
        lines = []
        for line in response.iter_lines():
            lines.append(line)
            if line == "data: [DONE]":
                done_at = time.monotonic()
        ended_at = time.monotonic()
    assert lines[-2:] == ["data: [DONE]", ""] and sum("[DONE]" in x for x in lines) == 1
    # The body ends with [DONE]'s write; before, it ended after the drain's 0.5 s bound.
    assert ended_at - done_at < 0.4
    # The relay still drains and records the outcome after the client has its answer: the
    # disconnect the server reports once a response is complete is not a client hanging up.
    (record,) = proxy.records(1)
    assert (record.status_code, record.error_code) == (200, "")


def test_a_published_policy_is_used_within_two_seconds(proxy, wait_until):
    client = proxy.client()
    raw = client.chat.completions.with_raw_response.create(model="assistant", messages=MESSAGES)
    assert raw.headers["x-kordon-backend"] == "cloud"
    document = dict(proxy.document)
    document["routes"] = [{"name": "home-only", "backends": ["kz-local"]}]
    publish(document, comment="keep everything home")
    published = time.monotonic()

    def served_at_home():
        raw = client.chat.completions.with_raw_response.create(model="assistant", messages=MESSAGES)
        return raw.headers["x-kordon-backend"] == "kz-local"

    wait_until(served_at_home, timeout=2.0, interval=0.1)
    assert time.monotonic() - published <= 2.0
    records = proxy.records(2)
    assert records[-1].policy_version == records[0].policy_version + 1
    assert records[-1].route == "home-only"
    publish(proxy.document)
    wait_until(lambda: not served_at_home(), timeout=2.0)


def test_client_giving_up_on_a_json_answer_is_audited(proxy):
    proxy.up.cloud.mode = "hang"
    proxy.up.cloud.hang_seconds = 2
    with pytest.raises(openai.APITimeoutError):
        proxy.client(timeout=0.5).chat.completions.create(model="assistant", messages=MESSAGES)
    (record,) = proxy.records(1)
    assert (record.status_code, record.error_code) == (499, "client_disconnected")


def test_a_stream_is_cut_when_the_backends_total_timeout_passes(proxy):
    document = copy.deepcopy(proxy.document)
    cloud = next(b for b in document["backends"] if b["name"] == "cloud")
    cloud["timeouts"] = {"connect": 2, "first_byte": 3, "total": 1.5}
    publish(document, comment="short total timeout")
    time.sleep(1.2)  # the live server re-reads the policy stamp at most once a second
    proxy.up.cloud.mode = "slow"
    proxy.up.cloud.chunk_delay = 0.3
    proxy.up.cloud.stream_pieces = 30  # about 9 s: every chunk is on time, the whole is not
    started = time.monotonic()
    stream = proxy.client().chat.completions.create(
        model="assistant", messages=MESSAGES, stream=True
    )
    received = []
    with pytest.raises(openai.APIError) as caught:
        for chunk in stream:
            received.append(chunk)
    elapsed = time.monotonic() - started
    assert "failed while streaming" in str(caught.value)
    assert received  # what arrived in time was delivered
    assert 1.5 <= elapsed < 3.0  # cut at the first chunk after the deadline
    (record,) = proxy.records(1)
    assert (record.status_code, record.error_code) == (502, "upstream_error")


@pytest.mark.parametrize(
    "event",
    [
        b'{"choices": true}',
        b'{"choices": [{"index": [], "delta": {"content": "x"}}]}',
        b'{"choices": [{"index": 0, "delta": {"tool_calls": [{"index": {}, "function": '
        b'{"arguments": "{}"}}]}}]}',
    ],
)
def test_a_malformed_event_ends_the_stream_with_an_error_event(proxy, event):
    # Before: a TypeError inside the relay cut the connection mid-body (no error event). The
    # prompt holds an address, so the events go through restoring.
    proxy.up.cloud.mode = "raw"
    proxy.up.cloud.raw = (200, "text/event-stream", b"data: " + event + b"\n\n")
    response = httpx.post(
        proxy.url + "/chat/completions",
        json={
            "model": "assistant",
            "messages": [{"role": "user", "content": "Mail anna@example.kz the story."}],
            "stream": True,
        },
        headers={"Authorization": f"Bearer {proxy.secret}"},
        timeout=20,
    )
    text = response.text
    assert response.status_code == 200
    assert text.rstrip().endswith('"upstream_error"}}')
    (record,) = proxy.records(1)
    assert (record.status_code, record.error_code) == (502, "upstream_error")
