"""Chat completions through the live proxy with the official openai client (sync and async,
JSON and streaming): answers, headers, audit records, masking and restoring, pass-through."""

from __future__ import annotations

import asyncio

import pytest

CLEAN = "Summarize the trade-offs of optimistic locking in two sentences."
MESSAGES = [{"role": "user", "content": CLEAN}]


def test_json_chat_round_trip_with_headers_and_audit_record(proxy):
    raw = proxy.client().chat.completions.with_raw_response.create(
        model="assistant", messages=MESSAGES
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == CLEAN
    assert raw.headers["x-kordon-backend"] == "cloud"
    assert raw.headers["x-kordon-route"] == "default"
    (record,) = proxy.records(1)
    assert raw.headers["x-request-id"] == str(record.id)
    assert record.status_code == 200
    assert record.backend == "cloud"
    assert record.residency == "external"
    assert record.route == "default"
    assert record.key_prefix == proxy.key.prefix
    assert record.team == proxy.key.team.slug
    assert (record.prompt_tokens, record.completion_tokens) == (11, 7)
    assert float(record.cost) == pytest.approx((11 * 0.15 + 7 * 0.6) / 1000)
    assert record.latency_ms >= record.upstream_ms > 0
    # the upstream got the alias mapped to its model, and the backend's key from the env
    (sent,) = proxy.up.cloud.requests
    assert sent["path"] == "/v1/chat/completions"  # the backend's base URL keeps its path
    assert sent["body"]["model"] == "gpt-4o-mini"
    assert sent["auth"] == "Bearer cloud-upstream-secret"


def test_backend_cookies_are_never_sent_back(proxy):
    # One connection pool serves every team: a cookie a backend set while answering one
    # caller must not ride along on the next caller's request.
    proxy.up.cloud.set_cookie = "session=team-a-secret; Path=/"
    for _ in range(2):
        proxy.client().chat.completions.create(model="assistant", messages=MESSAGES)
    assert [r["cookie"] for r in proxy.up.cloud.requests] == [None, None]
    assert {r["user_agent"] for r in proxy.up.cloud.requests} == {"kordon"}


def test_stream_from_a_backend_that_compresses_when_allowed(proxy):
    # The relay passes SSE bytes on as they arrive, so it asks for them uncompressed: a
    # backend (or a CDN before it) that gzips whatever the caller accepts still streams.
    proxy.up.cloud.mode = "gzip"
    stream = proxy.client().chat.completions.create(
        model="assistant", messages=MESSAGES, stream=True
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == CLEAN
    assert proxy.up.cloud.requests[0]["accept_encoding"] == "identity"
    (record,) = proxy.records(1)
    assert record.status_code == 200


def test_streaming_chat_delivers_every_event(proxy):
    proxy.up.cloud.stream_pieces = 10
    stream = proxy.client().chat.completions.create(
        model="assistant", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == CLEAN
    assert chunks[-1].usage.completion_tokens == 7
    content_events = [c for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(content_events) >= 10
    (record,) = proxy.records(1)
    assert record.stream is True
    assert record.status_code == 200
    assert (record.prompt_tokens, record.completion_tokens) == (11, 7)
    (sent,) = proxy.up.cloud.requests
    assert sent["path"] == "/v1/chat/completions"


def test_async_client_json_and_stream(proxy):
    async def run():
        client = proxy.aclient()
        completion = await client.chat.completions.create(model="assistant", messages=MESSAGES)
        stream = await client.chat.completions.create(
            model="assistant", messages=MESSAGES, stream=True
        )
        parts = [c.choices[0].delta.content or "" async for c in stream if c.choices]
        await client.close()
        return completion.choices[0].message.content, "".join(parts)

    json_text, stream_text = asyncio.run(run())
    assert json_text == stream_text == CLEAN
    records = proxy.records(2)
    assert [r.stream for r in records] == [False, True]


def test_unneeded_fields_pass_through_untouched(proxy):
    tools = [
        {
            "type": "function",
            "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}},
        }
    ]
    proxy.client().chat.completions.create(
        model="assistant",
        messages=MESSAGES,
        temperature=0.25,
        tools=tools,
        response_format={"type": "json_object"},
        extra_body={"vendor_knob": {"a": [1, 2]}},
    )
    (body,) = proxy.up.cloud.bodies()
    assert body["temperature"] == 0.25
    assert body["tools"] == tools
    assert body["response_format"] == {"type": "json_object"}
    assert body["vendor_knob"] == {"a": [1, 2]}


def test_contact_values_are_masked_for_external_and_restored(proxy):
    prompt = "Write to maria.gonzalez@example.com about the delay."
    answer = proxy.client().chat.completions.create(
        model="assistant", messages=[{"role": "user", "content": prompt}]
    )
    (body,) = proxy.up.cloud.bodies()
    sent = body["messages"][0]["content"]
    assert "maria.gonzalez@example.com" not in sent
    assert "<EMAIL_ADDRESS_1>" in sent
    # the echo upstream answered with the placeholder; the caller sees the original
    assert answer.choices[0].message.content == prompt
    (record,) = proxy.records(1)
    assert record.entities == {"EMAIL_ADDRESS": 1}
    assert record.categories == ["contact"]
    assert record.actions.get("placeholder") == 1


def test_streamed_placeholders_are_restored_across_chunks(proxy):
    proxy.up.cloud.stream_pieces = 40  # placeholders split over several events
    prompt = "Please call maria.gonzalez@example.com and +1 212-555-0147 today."
    stream = proxy.client().chat.completions.create(
        model="assistant", messages=[{"role": "user", "content": prompt}], stream=True
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == prompt
    (body,) = proxy.up.cloud.bodies()
    assert "maria.gonzalez@example.com" not in body["messages"][0]["content"]


def test_echo_backend_answers_with_what_it_received(proxy):
    prompt = "Nightingale ships on Friday."
    client = proxy.client()
    raw = client.chat.completions.with_raw_response.create(
        model="echo", messages=[{"role": "user", "content": prompt}]
    )
    assert raw.headers["x-kordon-backend"] == "echo"
    assert raw.parse().choices[0].message.content == prompt
    stream = client.chat.completions.create(
        model="echo", messages=[{"role": "user", "content": prompt}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == prompt
    assert proxy.all_bodies() == []  # nothing reached any HTTP upstream
    records = proxy.records(2)
    assert {r.backend for r in records} == {"echo"}


def test_models_lists_the_aliases_the_key_may_use(proxy):
    from tests.routing.conftest import issue_key

    ids = sorted(m.id for m in proxy.client().models.list())
    assert ids == ["assistant", "echo", "embed"]
    _, secret = issue_key(models=["assistant"])
    assert [m.id for m in proxy.client(secret).models.list()] == ["assistant"]


def test_embeddings_are_forwarded(proxy):
    result = proxy.client().embeddings.create(model="embed", input=["hello", "world"])
    assert len(result.data) == 2
    (sent,) = proxy.up.local.requests
    assert sent["path"] == "/v1/embeddings"
    assert sent["body"]["model"] == "bge-m3"
    (record,) = proxy.records(1)
    assert record.endpoint == "embeddings" and record.status_code == 200


def test_end_user_is_stored_as_a_keyed_hash(proxy, settings):
    import hashlib
    import hmac

    proxy.client().chat.completions.create(model="assistant", messages=MESSAGES, user="alice@corp")
    (record,) = proxy.records(1)
    expected = hmac.new(
        settings.KORDON_HASH_KEY.encode(), b"alice@corp", hashlib.sha256
    ).hexdigest()
    assert record.end_user == expected
    assert "alice" not in str(record.__dict__)


@pytest.mark.parametrize("stream", [False, True])
def test_output_scanning_masks_values_the_caller_did_not_send(proxy, wait_until, stream):
    import time

    from tests.routing.conftest import publish

    document = {**proxy.document, "options": {"output_scan": ["contact"]}}
    publish(document)
    time.sleep(1.2)
    try:
        proxy.up.cloud.reply = "Ask maria@example.com or write to leak@evil.example.org\n"
        prompt = "Who should I ask? My address is maria@example.com."
        client = proxy.client()
        messages = [{"role": "user", "content": prompt}]
        if stream:
            chunks = client.chat.completions.create(
                model="assistant", messages=messages, stream=True
            )
            text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        else:
            answer = client.chat.completions.create(model="assistant", messages=messages)
            text = answer.choices[0].message.content
        assert "leak@evil.example.org" not in text
        assert "<EMAIL_ADDRESS>" in text
        # the upstream saw a placeholder; restoring put the caller's own address back
        assert "maria@example.com" in text
        (record,) = proxy.records(1)
        assert record.actions.get("output_redact") == 1
    finally:
        publish(proxy.document)
        time.sleep(1.2)


def test_key_last_used_is_recorded_off_the_hot_path(proxy, wait_until):
    from keys.models import ApiKey

    assert ApiKey.objects.get(pk=proxy.key.pk).last_used_at is None
    proxy.client().chat.completions.create(model="assistant", messages=MESSAGES)
    wait_until(lambda: ApiKey.objects.get(pk=proxy.key.pk).last_used_at is not None)


def test_a_reused_version_number_is_obeyed_with_its_new_content(proxy):
    # A restored or reset database numbers versions afresh: version 1 may come back as another
    # document. What a worker derives from a policy must follow the document, not the number.
    import time

    from routing.models import PolicyVersion
    from tests.routing.conftest import publish

    proxy.up.cloud.reply = "write to leak@evil.example.org"
    messages = [{"role": "user", "content": "Who should I ask?"}]
    first = proxy.client().chat.completions.create(model="assistant", messages=messages)
    assert "leak@evil.example.org" in first.choices[0].message.content  # no output scan in v1
    PolicyVersion.objects.all().delete()
    number = publish({**proxy.document, "options": {"output_scan": ["contact"]}})
    assert number == 1
    time.sleep(1.2)
    try:
        again = proxy.client().chat.completions.create(model="assistant", messages=messages)
        assert "leak@evil.example.org" not in again.choices[0].message.content
    finally:
        publish(proxy.document)
        time.sleep(1.2)
