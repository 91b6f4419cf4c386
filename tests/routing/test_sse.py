"""The incremental SSE parser: however the backend's bytes are cut into reads, the events are
the ones the whole stream holds, with every line ending SSE allows (LF, CRLF, CR)."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from routing.sse import SseEvent, SseParser
from tests.generated import probe_settings


def _events(reads: list[bytes]) -> list[SseEvent]:
    parser = SseParser()
    found = [event for read in reads for event in parser.feed(read)]
    return found + list(parser.close())


def _cut(stream: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(stream), *(c % (len(stream) + 1) for c in cuts)})
    return [stream[a:b] for a, b in itertools.pairwise(points)]


_line = st.sampled_from([b"data: a", b"data:b", b'data: {"x": 1}', b"event: error", b": ping"])
_event = st.lists(_line, min_size=1, max_size=4)


@given(
    events=st.lists(_event, min_size=1, max_size=5),
    newline=st.sampled_from([b"\n", b"\r\n", b"\r"]),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=12),
)
@probe_settings(400)
def test_fuzz_any_cut_of_the_stream_gives_the_same_events(events, newline, cuts):
    stream = b"".join(newline.join(lines) + newline * 2 for lines in events)
    assert _events(_cut(stream, cuts)) == _events([stream])


def test_a_crlf_split_between_reads_keeps_a_multi_line_event_whole():
    reads = [b"event: error\r", b"\ndata: first\r", b"\ndata: second\r\n\r\n"]
    assert _events(reads) == [SseEvent(data=b"first\nsecond", event="error")]


def test_an_event_ended_by_cr_alone_is_flushed_at_close():
    assert _events([b"data: x\r\r"]) == [SseEvent(data=b"x")]
