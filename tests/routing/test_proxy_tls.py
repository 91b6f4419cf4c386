"""https:// backends: a server behind the organisation's own CA is reached when
KORDON_BACKEND_CA_FILE names that CA, and is never reached (the backend counts as unavailable)
when its certificate does not verify. A real TLS upstream on 127.0.0.1, a throwaway CA made
with the openssl command, the official openai client against live Kordon processes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import openai
import pytest

from tests.routing.conftest import _test_db_name, issue_key, publish
from tests.routing.proxy_support import ROOT, LiveServer, RecordingUpstream

MESSAGES = [{"role": "user", "content": "Summarize optimistic locking in one sentence."}]


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _make_ca_and_server_cert(folder: Path) -> SimpleNamespace:
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=Kordon Test Internal CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)  # fmt: skip
    _openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=127.0.0.1", cwd=folder)  # fmt: skip
    (folder / "server.ext").write_text(
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
        "extendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid,issuer\n"
    )
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "server.pem", "-days", "2",
             "-extfile", "server.ext", cwd=folder)  # fmt: skip
    return SimpleNamespace(
        ca=str(folder / "ca.pem"), cert=str(folder / "server.pem"), key=str(folder / "server.key")
    )


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    return _make_ca_and_server_cert(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tls_upstream(pki: SimpleNamespace) -> Iterator[RecordingUpstream]:
    upstream = RecordingUpstream(tls=(pki.cert, pki.key))
    yield upstream
    upstream.stop()


@pytest.fixture(scope="module")
def trusting_server(django_db_setup: None, pki: SimpleNamespace) -> Iterator[LiveServer]:
    server = LiveServer(_test_db_name(), extra_env={"KORDON_BACKEND_CA_FILE": pki.ca})
    yield server
    server.stop()


@pytest.fixture
def tls_policy(transactional_db: None, tls_upstream: RecordingUpstream) -> RecordingUpstream:
    tls_upstream.reset()
    publish(
        {
            "version": 1,
            "backends": [
                {
                    "name": "kz-tls",
                    "base_url": tls_upstream.url,
                    "residency": "in-country",
                    "models": {"assistant": "qwen2.5-7b-instruct"},
                    "timeouts": {"connect": 2, "first_byte": 3, "total": 8},
                }
            ],
            "routes": [{"name": "default", "backends": ["kz-tls"]}],
        }
    )
    return tls_upstream


def _client(server: LiveServer, secret: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "/v1", api_key=secret, max_retries=0, timeout=20)


def test_a_backend_behind_the_configured_ca_is_reached_json_and_streaming(
    tls_policy, trusting_server
):
    _, secret = issue_key()
    client = _client(trusting_server, secret)
    raw = client.chat.completions.with_raw_response.create(model="assistant", messages=MESSAGES)
    assert raw.headers["x-kordon-backend"] == "kz-tls"
    assert raw.parse().choices[0].message.content == MESSAGES[0]["content"]
    stream = client.chat.completions.create(model="assistant", messages=MESSAGES, stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == MESSAGES[0]["content"]
    assert [b["model"] for b in tls_policy.bodies()] == ["qwen2.5-7b-instruct"] * 2


@pytest.mark.parametrize("stream", [False, True])
def test_a_backend_whose_certificate_does_not_verify_is_never_sent_the_request(
    tls_policy, live_server_process, stream
):
    # The suite's main server trusts only the public roots: the handshake fails, nothing of
    # the request is sent, and with no other backend the caller gets the contract's 502.
    _, secret = issue_key()
    with pytest.raises(openai.APIStatusError) as caught:
        _client(live_server_process, secret).chat.completions.create(
            model="assistant", messages=MESSAGES, stream=stream
        )
    assert caught.value.status_code == 502
    assert caught.value.code == "upstream_error"
    assert tls_policy.bodies() == []


@pytest.mark.parametrize("content", [None, "not a certificate\n"])
def test_a_ca_file_that_cannot_be_loaded_stops_the_server_at_start(tmp_path, content):
    path = tmp_path / "ca.pem"
    if content is not None:
        path.write_text(content)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "KORDON_BACKEND_CA_FILE": str(path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "KORDON_BACKEND_CA_FILE: no PEM certificates could be loaded" in result.stderr
