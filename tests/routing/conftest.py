"""Fixtures for the proxy tests: recording upstreams, a live Kordon process, a published policy
and an issued key, all real (official `openai` client → uvicorn → HTTP upstreams on 127.0.0.1).

The live server is a separate process, so it only sees committed data: proxy tests use
`transactional_db`. On SQLite the test database is a file (console/settings.py TEST NAME).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import openai
import pytest

from tests.routing.proxy_support import LiveServer, RecordingUpstream

CLOUD_KEY = "cloud-upstream-secret"
FAST = {"connect": 2, "first_byte": 3, "total": 8}


def proxy_policy(up: SimpleNamespace) -> dict[str, Any]:
    """The contract's document, pointed at the recording upstreams, plus a backup and echo."""
    return {
        "version": 1,
        "backends": [
            {
                "name": "kz-local",
                "base_url": up.local.url,
                "residency": "in-country",
                "models": {"assistant": "qwen2.5-7b-instruct", "embed": "bge-m3"},
                "timeouts": FAST,
            },
            {
                "name": "kz-backup",
                "base_url": up.backup.url,
                "residency": "in-country",
                "models": {"assistant": "qwen-backup"},
                "timeouts": FAST,
            },
            {
                "name": "cloud",
                "base_url": up.cloud.url,
                "api_key_env": "CLOUD_API_KEY",
                "residency": "external",
                "models": {"assistant": "gpt-4o-mini"},
                "cost_per_1k_tokens": {"input": 0.15, "output": 0.6},
                "timeouts": FAST,
            },
            {
                "name": "echo",
                "base_url": "echo://",
                "residency": "in-country",
                "models": {"echo": "echo"},
            },
        ],
        "categories": [
            {
                "name": "national-id",
                "entities": ["KZ_IIN", "KZ_BIN", "US_SSN", "RU_INN", "RU_SNILS", "RU_PASSPORT"],
                "stays_in_country": True,
            },
            {"name": "payment", "entities": ["CREDIT_CARD", "IBAN_CODE"], "stays_in_country": True},
            {"name": "contact", "entities": ["EMAIL_ADDRESS", "PHONE_NUMBER", "PERSON"]},
            {"name": "secrets", "entities": ["SECRET"]},
            {
                "name": "internal-project",
                "patterns": [r"\bPRJ-\d{4}\b"],
                "terms": ["Nightingale"],
            },
        ],
        "masking": {
            "national-id": {"action": "placeholder", "apply_to": "external"},
            "payment": {"action": "partial", "apply_to": "all"},
            "contact": {"action": "placeholder", "apply_to": "external"},
            "secrets": {"action": "block"},
            "internal-project": {"action": "redact", "apply_to": "external"},
        },
        "routes": [
            {
                "name": "ids-stay-home",
                "when": {"categories_any": ["national-id", "payment"]},
                "backends": ["kz-local", "kz-backup"],
            },
            {"name": "echo", "when": {"models": ["echo"]}, "backends": ["echo"]},
            {"name": "default", "backends": ["cloud", "kz-local"]},
        ],
    }


@pytest.fixture(scope="session")
def upstreams() -> Iterator[SimpleNamespace]:
    up = SimpleNamespace(
        local=RecordingUpstream(), backup=RecordingUpstream(), cloud=RecordingUpstream()
    )
    yield up
    for server in vars(up).values():
        server.stop()


def _test_db_name() -> str:
    from django.conf import settings

    return str(settings.DATABASES["default"]["NAME"])


@pytest.fixture(scope="session")
def live_server_process(django_db_setup: None, upstreams: SimpleNamespace) -> Iterator[LiveServer]:
    server = LiveServer(_test_db_name(), extra_env={"CLOUD_API_KEY": CLOUD_KEY})
    yield server
    server.stop()


def publish(document: dict[str, Any], comment: str = "test") -> int:
    from routing.policy import services

    return services.policy_import(
        document=copy.deepcopy(document), actor=None, comment=comment
    ).number


def issue_key(team_name: str = "Payments", **options: Any) -> tuple[Any, str]:
    from keys import services
    from keys.models import Team

    team = Team.objects.filter(name=team_name).first() or services.team_create(
        name=team_name, actor=None
    )
    return services.key_create(team=team, name=f"key-{time.monotonic_ns()}", actor=None, **options)


class Proxy:
    """The live proxy as a caller sees it, plus the upstreams and the audit trail behind it."""

    def __init__(self, server: LiveServer, up: SimpleNamespace, document: dict[str, Any]):
        self.server = server
        self.up = up
        self.document = document
        self.url = server.url + "/v1"
        self.key, self.secret = issue_key()

    def client(self, secret: str | None = None, timeout: float = 20, **kw: Any) -> openai.OpenAI:
        return openai.OpenAI(
            base_url=self.url, api_key=secret or self.secret, max_retries=0, timeout=timeout, **kw
        )

    def aclient(self, secret: str | None = None) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(
            base_url=self.url, api_key=secret or self.secret, max_retries=0, timeout=20
        )

    def records(self, count: int, *, timeout: float = 10.0) -> list[Any]:
        """The audit records, oldest first, once `count` exist and all are completed."""
        from audit.models import AuditRecord

        deadline = time.monotonic() + timeout
        while True:
            rows = list(AuditRecord.objects.order_by("timestamp"))
            if len(rows) >= count and all(r.completed_at for r in rows):
                return rows
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"expected {count} completed audit records, have "
                    f"{[(r.status_code, r.completed_at is not None) for r in rows]}"
                )
            time.sleep(0.05)

    def all_bodies(self) -> list[dict[str, Any]]:
        return [b for server in vars(self.up).values() for b in server.bodies()]


@pytest.fixture
def proxy(
    live_server_process: LiveServer, transactional_db: None, upstreams: SimpleNamespace
) -> Iterator[Proxy]:
    for server in vars(upstreams).values():
        server.reset()
    document = proxy_policy(upstreams)
    publish(document)
    yield Proxy(live_server_process, upstreams, document)


@pytest.fixture
def wait_until() -> Callable[..., Any]:
    def wait(check: Callable[[], Any], timeout: float = 5.0, interval: float = 0.1) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            result = check()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            time.sleep(interval)

    return wait
