"""Limits and budgets shared by two live server processes through Redis."""

from __future__ import annotations

import time

import openai
import pytest

from tests.routing.conftest import CLOUD_KEY, issue_key
from tests.routing.proxy_support import LiveServer
from tests.services import need

MESSAGES = [{"role": "user", "content": "hello"}]


@pytest.fixture(scope="module")
def second_server(live_server_process):
    need("REDIS_URL")
    from tests.routing.conftest import _test_db_name

    server = LiveServer(_test_db_name(), extra_env={"CLOUD_API_KEY": CLOUD_KEY})
    yield server
    server.stop()


def clients(proxy, second_server, secret):
    other = openai.OpenAI(
        base_url=second_server.url + "/v1", api_key=secret, max_retries=0, timeout=20
    )
    return [proxy.client(secret), other]


def test_rpm_is_shared_by_two_processes(proxy, second_server):
    _, secret = issue_key(rpm=6)
    pair = clients(proxy, second_server, secret)
    outcomes = []
    for i in range(10):
        try:
            pair[i % 2].chat.completions.create(model="assistant", messages=MESSAGES)
            outcomes.append("ok")
        except openai.RateLimitError as exc:
            assert exc.body["code"] == "rate_limited"
            outcomes.append("429")
    # Both processes count into one window (unless the minute rolled over mid-test).
    assert outcomes.count("ok") in (6, 7) if time.time() % 60 < 2 else outcomes.count("ok") == 6
    assert len(proxy.up.cloud.requests) == outcomes.count("ok")


def test_budget_is_shared_by_two_processes(proxy, second_server):
    _, secret = issue_key(budget="0.01")  # each answer costs 0.00585 USD
    first, second = clients(proxy, second_server, secret)
    first.chat.completions.create(model="assistant", messages=MESSAGES)
    time.sleep(0.3)
    second.chat.completions.create(model="assistant", messages=MESSAGES)
    time.sleep(0.3)
    for client in (first, second):
        with pytest.raises(openai.RateLimitError) as caught:
            client.chat.completions.create(model="assistant", messages=MESSAGES)
        assert caught.value.body["code"] == "budget_exceeded"
    assert len(proxy.up.cloud.requests) == 2
