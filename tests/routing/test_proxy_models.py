"""`GET /v1/models/{alias}` through the live proxy with the official openai client: the
aliases a key may use, a 404 that says nothing about the others, an audit record per call."""

from __future__ import annotations

import copy

import httpx
import openai
import pytest

from tests.routing.conftest import issue_key, publish


def test_retrieve_returns_an_alias_the_key_may_use(proxy):
    raw = proxy.client().models.with_raw_response.retrieve("assistant")
    model = raw.parse()
    assert (model.id, model.object, model.owned_by) == ("assistant", "model", "kordon")
    (record,) = proxy.records(1)
    assert raw.headers["x-request-id"] == str(record.id)
    assert (record.endpoint, record.model_requested, record.status_code) == (
        "models",
        "assistant",
        200,
    )
    assert proxy.all_bodies() == []  # nothing is forwarded for a catalogue call


@pytest.mark.parametrize("alias", ["not-a-model", "embed"])
def test_retrieve_answers_404_alike_for_unknown_and_forbidden_aliases(proxy, alias):
    _, secret = issue_key(models=["assistant"])
    with pytest.raises(openai.NotFoundError) as caught:
        proxy.client(secret).models.retrieve(alias)
    assert caught.value.code == "model_not_found"
    assert caught.value.body["message"] == "No such model for this key."
    (record,) = proxy.records(1)
    assert caught.value.response.headers["x-request-id"] == str(record.id)
    assert (record.model_requested, record.status_code, record.error_code) == (
        alias,
        404,
        "model_not_found",
    )


def test_retrieve_takes_an_alias_with_a_slash(proxy, wait_until):
    document = copy.deepcopy(proxy.document)
    document["backends"][0]["models"]["meta/llama-3"] = "llama-3-8b"
    publish(document)
    client = proxy.client()

    def fetch() -> str | None:
        try:  # the client sends the slash as %2F
            return client.models.retrieve("meta/llama-3").id
        except openai.NotFoundError:
            return None

    # running servers use a newly published version within 2 s
    assert wait_until(fetch, timeout=3.0) == "meta/llama-3"
    raw = httpx.get(
        f"{proxy.url}/models/meta/llama-3",
        headers={"Authorization": f"Bearer {proxy.secret}"},
        timeout=10,
    )
    assert raw.json()["id"] == "meta/llama-3"


def test_retrieve_without_a_key_is_401(proxy):
    response = httpx.get(f"{proxy.url}/models/assistant", timeout=10)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"
