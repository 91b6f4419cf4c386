"""`routing.bench.hops` over a capture written here with known packets at known times.

The capture is the shape tcpdump writes on lo (pcap, Ethernet framing, IPv4): a load generator
calling the gateway and the upstream directly, the gateway's audit insert and its forwarding.
"""

from __future__ import annotations

import socket
from pathlib import Path

import dpkt
import pytest

from routing.bench import hops

GATEWAY, UPSTREAM, PG = 8000, 9000, 5432
# The gateway's own ends of its connections: to the upstream, the pipelined insert and the
# background completion writer.
TO_UPSTREAM, INSERTS, COMPLETIONS = 50000, 50010, 50011
CHAT = b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n{}"
FORWARDED = b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nuser-agent: kordon\r\n\r\n{}"
JSON_ANSWER = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{}"
SSE_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\ndata: {}\n\n"
SSE_CONTENT = b'data: {"choices":[{"delta":{"content":"hi"}}]}\n\n'
SSE_DONE = b"data: [DONE]\n\n"

Packet = tuple[float, int, int, bytes]  # seconds, source port, destination port, payload


def json_request(at: float, client: int, offsets_ms: tuple[float, ...]) -> list[Packet]:
    insert, reply, forward, answer, relayed = (at + ms / 1000 for ms in offsets_ms)
    return [
        (at, client, GATEWAY, CHAT),
        (insert, INSERTS, PG, b"P\x00insert"),
        (reply, PG, INSERTS, b"1\x00ok"),
        (forward, TO_UPSTREAM, UPSTREAM, FORWARDED),
        (answer, UPSTREAM, TO_UPSTREAM, JSON_ANSWER),
        (relayed, GATEWAY, client, JSON_ANSWER),
    ]


def stream_request(at: float, client: int) -> list[Packet]:
    def ms(value: float) -> float:
        return at + value / 1000

    return [
        (at, client, GATEWAY, CHAT),
        # An earlier request's completion, batched: not the insert this request waits on.
        (ms(0.4), COMPLETIONS, PG, b"P\x00update"),
        (ms(1.0), INSERTS, PG, b"P\x00insert"),
        (ms(2.0), PG, INSERTS, b"1\x00ok"),
        (ms(3.0), TO_UPSTREAM, UPSTREAM, FORWARDED),
        (ms(3.2), UPSTREAM, TO_UPSTREAM, SSE_HEAD),
        (ms(3.5), GATEWAY, client, SSE_HEAD),
        (ms(8.2), UPSTREAM, TO_UPSTREAM, SSE_CONTENT),
        (ms(8.6), GATEWAY, client, SSE_CONTENT),
        (ms(80.0), UPSTREAM, TO_UPSTREAM, SSE_DONE),
        (ms(80.3), GATEWAY, client, SSE_DONE),
    ]


def write_capture(path: Path, packets: list[Packet], snaplen: int = 262144) -> Path:
    with path.open("wb") as f:
        writer = dpkt.pcap.Writer(f, snaplen=snaplen)
        for at, src, dst, payload in sorted(packets):
            tcp = dpkt.tcp.TCP(sport=src, dport=dst, flags=dpkt.tcp.TH_ACK | dpkt.tcp.TH_PUSH)
            tcp.data = payload
            ip = dpkt.ip.IP(src=socket.inet_aton("127.0.0.1"), dst=socket.inet_aton("127.0.0.1"))
            ip.p, ip.data = dpkt.ip.IP_PROTO_TCP, tcp
            ip.len = len(ip)
            frame = dpkt.ethernet.Ethernet(type=dpkt.ethernet.ETH_TYPE_IP, data=ip)
            writer.writepkt(bytes(frame), ts=at)
    return path


def bench_traffic() -> list[Packet]:
    packets: list[Packet] = []
    # The direct call to the upstream: no Kordon user-agent, never a gateway request.
    packets += [(9.0, 41000, UPSTREAM, CHAT), (9.0001, UPSTREAM, 41000, JSON_ANSWER)]
    # Warm-up at concurrency 2: the second request comes before the first is answered.
    packets += [(5.0, 42000, GATEWAY, CHAT), (5.0002, 42001, GATEWAY, CHAT)]
    packets += [(5.001, GATEWAY, 42000, JSON_ANSWER), (5.0012, GATEWAY, 42001, JSON_ANSWER)]
    # Back to back JSON (idle 0.3 ms before each), then one paced (idle ~98 ms).
    packets += json_request(10.000, 40000, (0.5, 1.0, 1.3, 1.4, 1.7))
    packets += json_request(10.002, 40000, (0.7, 1.2, 1.5, 1.6, 1.9))
    packets += json_request(10.100, 40001, (1.0, 2.0, 2.5, 2.7, 3.1))
    packets += stream_request(10.200, 40002)
    packets += stream_request(10.2806, 40002)  # 0.3 ms after the last stream's [DONE]
    return packets


def test_ports_come_from_the_traffic(tmp_path: Path) -> None:
    captured = list(hops.segments(write_capture(tmp_path / "c.pcap", bench_traffic())))
    assert hops.find_ports(captured) == (GATEWAY, UPSTREAM)


def test_requests_are_grouped_and_timed_hop_by_hop(tmp_path: Path) -> None:
    captured = list(hops.segments(write_capture(tmp_path / "c.pcap", bench_traffic())))
    groups = hops.grouped(hops.exchanges(captured, GATEWAY))
    assert {name: len(members) for name, members in groups.items()} == {
        "json back to back": 1,  # the first came 5 s after the warm-up: neither kind
        "json paced": 1,
        "stream": 2,
    }
    back_to_back = groups["json back to back"][0]
    assert back_to_back.idle_before == pytest.approx(0.0003, abs=1e-6)
    assert hops.milestones(back_to_back, GATEWAY, UPSTREAM) == pytest.approx(
        {
            "insert sent": 0.7,
            "insert reply": 1.2,
            "upstream request": 1.5,
            "upstream 1st bytes": 1.6,
            "client 1st bytes": 1.9,
        },
        abs=1e-3,
    )
    later_stream = groups["stream"][1]
    assert later_stream.idle_before == pytest.approx(0.0003, abs=1e-6)
    assert hops.milestones(later_stream, GATEWAY, UPSTREAM) == pytest.approx(
        {
            "insert sent": 1.0,  # not the completion sent at 0.4
            "insert reply": 2.0,
            "upstream request": 3.0,
            "upstream 1st bytes": 3.2,
            "client 1st bytes": 3.5,
            "upstream content": 8.2,
            "client content": 8.6,
        },
        abs=1e-3,
    )


def test_report_prints_each_group_median(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert hops.main([str(write_capture(tmp_path / "c.pcap", bench_traffic()))]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"gateway port {GATEWAY}, upstream port {UPSTREAM}")
    rows = {line[:20].strip(): line[20:].split() for line in lines[2:]}
    assert rows["requests"] == ["1", "1", "2"]
    assert rows["insert sent"] == ["0.700", "1.000", "1.000"]
    assert rows["client content"] == ["-", "-", "8.600"]


def test_a_cut_capture_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = write_capture(tmp_path / "cut.pcap", bench_traffic(), snaplen=256)
    assert hops.main([str(path)]) == 1
    assert "run tcpdump without -s" in capsys.readouterr().err


def test_a_capture_without_the_gateway_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = write_capture(tmp_path / "direct.pcap", [(1.0, 41000, UPSTREAM, CHAT)])
    assert hops.main([str(path)]) == 1
    assert "no request from Kordon to an upstream" in capsys.readouterr().err
