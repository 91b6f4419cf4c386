"""Fallback in route order before any byte reached the client, and the residency invariant
holding while backends fail."""

from __future__ import annotations

import openai
import pytest

IIN = "900101301005"
CARD = "4111 1111 1111 1111"
MESSAGES = [{"role": "user", "content": "Plan a short offsite agenda."}]


@pytest.mark.parametrize("mode", ["500", "429"])
def test_failing_backend_falls_back_to_the_next(proxy, mode):
    proxy.up.cloud.mode = mode
    raw = proxy.client().chat.completions.with_raw_response.create(
        model="assistant", messages=MESSAGES
    )
    assert raw.parse().choices[0].message.content == MESSAGES[0]["content"]
    assert raw.headers["x-kordon-backend"] == "kz-local"
    assert len(proxy.up.cloud.requests) == 1
    assert proxy.up.local.bodies()[0]["model"] == "qwen2.5-7b-instruct"
    (record,) = proxy.records(1)
    assert record.backend == "kz-local"
    assert record.residency == "in-country"
    assert record.fallbacks_tried == ["cloud"]


def test_hanging_backend_times_out_and_falls_back(proxy):
    proxy.up.cloud.mode = "hang"
    proxy.up.cloud.hang_seconds = 5  # the backend's first-byte timeout is 3 s
    answer = proxy.client().chat.completions.create(model="assistant", messages=MESSAGES)
    assert answer.choices[0].message.content == MESSAGES[0]["content"]
    (record,) = proxy.records(1)
    assert record.backend == "kz-local"
    assert record.fallbacks_tried == ["cloud"]


def test_streaming_falls_back_before_the_first_byte(proxy):
    proxy.up.cloud.mode = "500"
    raw = proxy.client().chat.completions.with_raw_response.create(
        model="assistant", messages=MESSAGES, stream=True
    )
    assert raw.headers["x-kordon-backend"] == "kz-local"
    text = "".join(c.choices[0].delta.content or "" for c in raw.parse() if c.choices)
    assert text == MESSAGES[0]["content"]


def test_national_id_stays_in_country_and_falls_back_in_country(proxy):
    proxy.up.local.mode = "500"
    prompt = f"Customer IIN {IIN} asks about card {CARD}."
    raw = proxy.client().chat.completions.with_raw_response.create(
        model="assistant", messages=[{"role": "user", "content": prompt}]
    )
    assert raw.headers["x-kordon-route"] == "ids-stay-home"
    assert raw.headers["x-kordon-backend"] == "kz-backup"
    assert proxy.up.cloud.requests == []
    # in-country: the IIN (placeholder for external only) goes as it is; the card is partial
    sent = proxy.up.backup.bodies()[0]["messages"][0]["content"]
    assert IIN in sent
    assert CARD not in sent and sent.count("*") >= 12
    (record,) = proxy.records(1)
    assert record.fallbacks_tried == ["kz-local"]
    assert set(record.categories) == {"national-id", "payment"}


@pytest.mark.parametrize("stream", [False, True])
def test_residency_holds_when_every_in_country_backend_fails(proxy, stream):
    proxy.up.local.mode = proxy.up.backup.mode = "500"
    with pytest.raises(openai.InternalServerError) as caught:
        result = proxy.client().chat.completions.create(
            model="assistant",
            messages=[{"role": "user", "content": f"My IIN is {IIN}"}],
            stream=stream,
        )
        list(result) if stream else None
    assert caught.value.status_code == 502
    assert proxy.up.cloud.requests == []  # never the external backend, whatever fails
    assert len(proxy.up.local.requests) == len(proxy.up.backup.requests) == 1
    (record,) = proxy.records(1)
    assert record.fallbacks_tried == ["kz-local", "kz-backup"]
    assert IIN not in str(record.__dict__)


def test_raw_value_never_reaches_external_even_if_a_route_sends_it_there(proxy, wait_until):
    """A route written to send national ids to the cloud is overridden by the invariant."""
    import time

    from tests.routing.conftest import publish

    document = dict(proxy.document)
    document["routes"] = [
        {
            "name": "careless",
            "when": {"categories_any": ["national-id"]},
            "backends": ["cloud", "kz-local"],
        },
        *proxy.document["routes"],
    ]
    publish(document)
    time.sleep(1.2)
    proxy.up.local.mode = "500"
    with pytest.raises(openai.InternalServerError):
        proxy.client().chat.completions.create(
            model="assistant", messages=[{"role": "user", "content": f"IIN {IIN}"}]
        )
    assert proxy.up.cloud.requests == []
    publish(proxy.document)
    time.sleep(1.2)
