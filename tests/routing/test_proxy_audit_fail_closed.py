"""An audit record that cannot be written fails the request: 503 `audit_unavailable`, nothing
forwarded. Once the database takes inserts again, the next request succeeds.

The live server's inserts are made to fail in the database itself (a trigger that raises on
INSERT into the audit table), so the proxy meets a real database error on its own connection,
not a patched function; dropping the trigger shows it recovers without a restart.
"""

from __future__ import annotations

import httpx
import openai
import pytest
from django.db import connection

MESSAGES = [{"role": "user", "content": "hello there"}]
TRIGGER = "kordon_test_audit_down"
SQL = {
    "postgresql": {
        "break": [
            f"CREATE FUNCTION {TRIGGER}() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit down'; END; $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER {TRIGGER} BEFORE INSERT ON audit_auditrecord "
            f"FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()",
        ],
        "repair": [
            f"DROP TRIGGER IF EXISTS {TRIGGER} ON audit_auditrecord",
            f"DROP FUNCTION IF EXISTS {TRIGGER}()",
        ],
    },
    "sqlite": {
        "break": [
            f"CREATE TRIGGER {TRIGGER} BEFORE INSERT ON audit_auditrecord "
            "BEGIN SELECT RAISE(ABORT, 'audit down'); END"
        ],
        "repair": [f"DROP TRIGGER IF EXISTS {TRIGGER}"],
    },
}


def _run(statements: list[str]) -> None:
    # Autocommit (transactional_db): the live server sees the trigger at once.
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@pytest.fixture
def audit_down(proxy):
    """Audit inserts fail until the returned `repair()` is called (always, at teardown)."""
    sql = SQL[connection.vendor]
    _run(sql["break"])
    yield lambda: _run(sql["repair"])
    _run(sql["repair"])  # also when the test failed first: later tests need a working audit


def _chat(proxy, *, stream: bool) -> str:
    """One chat request through the official client; the answer's text."""
    raw = proxy.client().chat.completions.with_raw_response.create(
        model="assistant", messages=MESSAGES, stream=stream
    )
    assert raw.http_response.status_code == 200
    answer = raw.parse()
    if stream:
        return "".join(c.choices[0].delta.content or "" for c in answer if c.choices)
    return answer.choices[0].message.content


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_an_audit_write_failure_refuses_forwards_nothing_and_the_next_request_recovers(
    proxy, audit_down, stream
):
    from audit.models import AuditRecord

    with pytest.raises(openai.InternalServerError) as caught:
        _chat(proxy, stream=stream)
    assert caught.value.status_code == 503
    assert caught.value.body["code"] == "audit_unavailable"
    assert caught.value.body["type"] == "api_error"
    assert proxy.all_bodies() == []
    assert AuditRecord.objects.count() == 0
    # No record exists, so the response names none.
    assert "x-request-id" not in caught.value.response.headers

    audit_down()  # the database takes inserts again; the proxy must not need a restart
    assert _chat(proxy, stream=stream) == "hello there"
    assert len(proxy.up.cloud.requests) == 1
    (record,) = proxy.records(1)
    assert (record.status_code, record.stream) == (200, stream)


def test_a_refusal_whose_record_cannot_be_written_is_audit_unavailable(proxy, audit_down):
    from audit.models import AuditRecord

    response = httpx.post(
        proxy.url + "/chat/completions",
        json={"model": "assistant", "messages": "not a list"},
        headers={"Authorization": f"Bearer {proxy.secret}"},
        timeout=20,
    )
    # Unaudited, the caller gets no verdict at all: not the 400 it would get otherwise.
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "audit_unavailable"
    assert "x-request-id" not in response.headers
    assert proxy.all_bodies() == []
    assert AuditRecord.objects.count() == 0

    audit_down()
    response = httpx.post(
        proxy.url + "/chat/completions",
        json={"model": "assistant", "messages": "not a list"},
        headers={"Authorization": f"Bearer {proxy.secret}"},
        timeout=20,
    )
    assert response.status_code == 400
    (record,) = proxy.records(1)
    assert response.headers["x-request-id"] == str(record.id)
