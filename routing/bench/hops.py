"""Where a concurrency-1 request's time goes, hop by hop, from a loopback packet capture.

The load generator sees only a request's start and its answer; this reads the packets every
process sent, so the time between any two of them is a fact, not an estimate:

    tcpdump -i lo -w /tmp/kordon.pcap tcp &  BENCH_CONCURRENCY=1 make bench;  kill %1
    python -m routing.bench.hops /tmp/kordon.pcap

For each gateway request that had the gateway to itself (no other request to it in flight),
every milestone is printed as its median in ms after the request's packet reached the
gateway: the audit insert sent to PostgreSQL and its reply, the request to the upstream, the
upstream's first bytes and the gateway's first bytes to the client; for streams also the
upstream's first content (the first read after the headers) and the gateway's relay of it.
Requests are grouped as JSON back to back, paced JSON (idle before it) and streams.

The ports are found from the traffic: the upstream is where requests carrying Kordon's
user-agent go, the gateway is the other port that receives chat requests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dpkt

from routing.forward import USER_AGENT

POSTGRES_PORT = 5432
FULL_SNAPLEN = 65535  # a capture cut shorter can hide the [DONE] that ends a stream
CHAT_REQUEST = b"POST /v1/chat/completions "
KORDON_AGENT = b"\r\nuser-agent: " + USER_AGENT.encode() + b"\r\n"
BACK_TO_BACK_S = 0.005  # idle before a request, at most, to count as back to back
PACED_S = (0.050, 1.0)  # idle before a paced request; longer is a pause between bench runs
MILESTONES = (
    "insert sent",
    "insert reply",
    "upstream request",
    "upstream 1st bytes",
    "client 1st bytes",
    "upstream content",
    "client content",
)


@dataclass(frozen=True, slots=True)
class Segment:
    """One TCP segment with a payload."""

    at: float
    src: int
    dst: int
    payload: bytes


@dataclass(slots=True)
class CapturedRequest:
    """One client request to the gateway and what every process sent until the next one."""

    client_port: int
    at: float
    idle_before: float = 0.0
    stream: bool = False
    overlapped: bool = False
    segments: list[Segment] = field(default_factory=list)

    def to_client(self, gateway: int) -> list[Segment]:
        """What the gateway sent to this request's client."""
        return [s for s in self.segments if s.src == gateway and s.dst == self.client_port]

    def answered_at(self, gateway: int) -> float:
        """When the gateway last sent to this request's client (its arrival, if never)."""
        sent = self.to_client(gateway)
        return sent[-1].at if sent else self.at


def segments(path: Path) -> Iterator[Segment]:
    """The TCP segments with a payload, IPv4 or IPv6, from a pcap file (tcpdump -w)."""
    with path.open("rb") as f:
        reader = dpkt.pcap.Reader(f)
        if reader.snaplen < FULL_SNAPLEN:
            raise ValueError(
                f"the capture keeps only {reader.snaplen} bytes a packet: run tcpdump without -s"
            )
        for at, frame in reader:
            packet = _ip_packet(reader.datalink(), frame)
            tcp = getattr(packet, "data", None)
            if isinstance(tcp, dpkt.tcp.TCP) and tcp.data:
                yield Segment(float(at), tcp.sport, tcp.dport, bytes(tcp.data))


def _ip_packet(datalink: int, frame: bytes) -> object:
    if datalink == dpkt.pcap.DLT_EN10MB:
        return dpkt.ethernet.Ethernet(frame).data
    if datalink == dpkt.pcap.DLT_LINUX_SLL:
        return dpkt.sll.SLL(frame).data
    return dpkt.ip.IP(frame) if frame[:1] and frame[0] >> 4 == 4 else dpkt.ip6.IP6(frame)


def find_ports(captured: Iterable[Segment]) -> tuple[int, int]:
    """(gateway port, upstream port) as the traffic shows them."""
    upstream: Counter[int] = Counter()
    chat: Counter[int] = Counter()
    for s in captured:
        if s.payload.startswith(CHAT_REQUEST):
            (upstream if KORDON_AGENT in s.payload.lower() else chat)[s.dst] += 1
    if not upstream:
        raise ValueError("no request from Kordon to an upstream in the capture")
    up = upstream.most_common(1)[0][0]
    gateways = [(n, port) for port, n in chat.items() if port != up]
    if not gateways:
        raise ValueError("no chat request to a gateway in the capture")
    return max(gateways)[1], up


def exchanges(captured: Iterable[Segment], gateway: int) -> list[CapturedRequest]:
    """The gateway's requests in order, each with every segment sent until the next began."""
    found: list[CapturedRequest] = []
    for s in captured:
        if s.dst == gateway and s.payload.startswith(CHAT_REQUEST):
            if found:
                previous = found[-1]
                # Still in flight: the previous answer had not ended when this request came.
                if not _answer_ended(previous, gateway):
                    previous.overlapped = True
                    found.append(CapturedRequest(s.src, s.at, overlapped=True))
                    continue
                idle = s.at - previous.answered_at(gateway)
                found.append(CapturedRequest(s.src, s.at, idle_before=idle))
            else:
                found.append(CapturedRequest(s.src, s.at, idle_before=float("inf")))
            continue
        if found:
            current = found[-1]
            if s.src == gateway and s.dst == current.client_port:
                current.stream = current.stream or b"text/event-stream" in s.payload
            current.segments.append(s)
    return found


def _answer_ended(ex: CapturedRequest, gateway: int) -> bool:
    to_client = ex.to_client(gateway)
    if not to_client:
        return False
    last = to_client[-1].payload
    return not ex.stream or b"data: [DONE]" in last or last.endswith(b"0\r\n\r\n")


def milestones(ex: CapturedRequest, gateway: int, upstream: int) -> dict[str, float]:
    """Each milestone's time after the request reached the gateway, in ms (the ones it had)."""
    sent_up = [s for s in ex.segments if s.dst == upstream and KORDON_AGENT in s.payload.lower()]
    if not sent_up:
        return {}
    forwarded = sent_up[0].at
    # The insert the request waited on is the last statement before it was forwarded (a
    # completion batched from an earlier request may go out earlier in the same window).
    before = [s for s in ex.segments if s.at <= forwarded]
    inserts = [s for s in before if s.dst == POSTGRES_PORT]
    replies = [s for s in before if s.src == POSTGRES_PORT]
    from_up = [s for s in ex.segments if s.src == upstream and s.at > forwarded]
    to_client = ex.to_client(gateway)
    times = {"upstream request": forwarded}
    if inserts:
        times["insert sent"] = inserts[-1].at
    if replies:
        times["insert reply"] = replies[-1].at
    if from_up:
        times["upstream 1st bytes"] = from_up[0].at
    if to_client:
        times["client 1st bytes"] = to_client[0].at
    if ex.stream and len(from_up) > 1:
        content = from_up[1].at
        times["upstream content"] = content
        relayed = [s.at for s in to_client if s.at >= content]
        if relayed:
            times["client content"] = relayed[0]
    return {name: (at - ex.at) * 1000 for name, at in times.items()}


def grouped(found: list[CapturedRequest]) -> dict[str, list[CapturedRequest]]:
    groups: dict[str, list[CapturedRequest]] = {
        "json back to back": [],
        "json paced": [],
        "stream": [],
    }
    for ex in found:
        if ex.overlapped:
            continue
        if ex.stream:
            groups["stream"].append(ex)
        elif ex.idle_before <= BACK_TO_BACK_S:
            groups["json back to back"].append(ex)
        elif PACED_S[0] <= ex.idle_before <= PACED_S[1]:
            groups["json paced"].append(ex)
    return groups


def report(path: Path) -> str:
    captured = list(segments(path))
    gateway, upstream = find_ports(captured)
    groups = grouped(exchanges(captured, gateway))
    lines = [f"gateway port {gateway}, upstream port {upstream}; p50 ms after the request"]
    lines.append(f"{'milestone':20}" + "".join(f"{name:>19}" for name in groups))
    per_group = {
        name: [milestones(ex, gateway, upstream) for ex in members]
        for name, members in groups.items()
    }
    lines.append(f"{'requests':20}" + "".join(f"{len(v):>19}" for v in groups.values()))
    idle = [
        statistics.median([ex.idle_before * 1000 for ex in members]) if members else None
        for members in groups.values()
    ]
    lines.append(f"{'idle before':20}" + "".join(_cell(v) for v in idle))
    for milestone in MILESTONES:
        cells = []
        for rows in per_group.values():
            values = [row[milestone] for row in rows if milestone in row]
            cells.append(_cell(statistics.median(values) if values else None))
        lines.append(f"{milestone:20}" + "".join(cells))
    return "\n".join(lines)


def _cell(value: float | None) -> str:
    return f"{'-' if value is None else f'{value:.3f}':>19}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("capture", type=Path, help="a pcap file of the bench on lo (tcpdump -w)")
    args = parser.parse_args(argv)
    try:
        sys.stdout.write(report(args.capture) + "\n")
    except ValueError as exc:
        sys.stderr.write(f"hops: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
