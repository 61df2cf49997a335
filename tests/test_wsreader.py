"""The direct frame reader (lanboard/wsreader.py) against a real server: frames that arrive
with the handshake, a frame cut into single bytes, many frames in one segment."""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import time
from collections.abc import Callable, Iterator

import pytest
from rawws import RawWS

ROOM = "reader"


@pytest.fixture
def opened() -> Iterator[Callable[[int, str], RawWS]]:
    """Every RawWS a test opens, closed when it ends."""
    made: list[RawWS] = []

    def open_ws(port: int, path: str) -> RawWS:
        ws = RawWS(port, path)
        made.append(ws)
        ws.recv()
        return ws

    yield open_ws
    for ws in made:
        ws.close()
        ws.sock.close()


def masked(payload: bytes) -> bytes:
    key = os.urandom(4)
    n = len(payload)
    head = struct.pack("!BB", 0x81, 0x80 | n) if n < 126 else \
        struct.pack("!BBH", 0x81, 0x80 | 126, n)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def draw(eid: str) -> bytes:
    return json.dumps({"type": "draw", "data": {
        "id": eid, "elementType": "line", "x1": 0, "y1": 0, "x2": 5, "y2": 5,
        "strokeColor": "#123456", "strokeWidth": 2}}).encode()


def ids_seen(ws: RawWS, want: set[str], timeout: float = 5.0) -> set[str]:
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while not want <= seen and time.monotonic() < deadline:
        for msg in ws.recv(max(0.1, deadline - time.monotonic())):
            if msg.get("type") == "draw":
                seen.add(msg["data"]["id"])
    return seen


def test_frames_sent_along_with_the_handshake_are_read(server_factory, opened):
    srv = server_factory()
    watcher = opened(srv.port, f"/ws/{ROOM}?userId=watch")
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    head = (f"GET /ws/{ROOM}?userId=eager HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n").encode()
    # One write: the server reads these frames in the same read as the request.
    sock.sendall(head + masked(draw("early1")) + masked(draw("early2")))
    try:
        assert ids_seen(watcher, {"early1", "early2"}) == {"early1", "early2"}
    finally:
        sock.close()


def test_a_frame_cut_into_single_bytes_is_read_whole(server_factory, opened):
    srv = server_factory()
    watcher = opened(srv.port, f"/ws/{ROOM}?userId=watch")
    slow = opened(srv.port, f"/ws/{ROOM}?userId=slow")
    # Long enough for a 2-byte extended length, so the header itself is cut too.
    eid = "dribbled" + "x" * 40
    frame = masked(draw(eid))
    assert frame[1] & 0x7F == 126
    for i in range(len(frame)):
        slow.sock.sendall(frame[i:i + 1])
        if i < 12:
            time.sleep(0.005)  # separate segments, so separate reads, through the header
    assert ids_seen(watcher, {eid}) == {eid}


def test_many_frames_in_one_segment_are_all_read_in_order(server_factory, opened):
    srv = server_factory()
    watcher = opened(srv.port, f"/ws/{ROOM}?userId=watch&v=2")
    burst = opened(srv.port, f"/ws/{ROOM}?userId=burst")
    names = [f"b{i:03d}" for i in range(150)]
    burst.sock.sendall(b"".join(masked(draw(n)) for n in names))
    order: list[str] = []
    deadline = time.monotonic() + 5
    while len(order) < len(names) and time.monotonic() < deadline:
        order += [m["data"]["id"] for m in watcher.recv(5) if m.get("type") == "draw"]
    assert order == names


# ---- the parser alone (lanboard/wsreader.py is pure) ----------------------------------------

def parse(*chunks: bytes) -> list[tuple]:
    from lanboard.wsreader import FrameParser

    got: list[tuple] = []
    parser = FrameParser(1024, lambda m: got.append(("msg", m)),
                         lambda c, r: got.append(("close", c, r)),
                         lambda op, d: got.append(("control", op, d)),
                         lambda c, r: got.append(("fail", c)))
    for chunk in chunks:
        parser.feed(chunk)
    return got


def frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    key = os.urandom(4)
    head = struct.pack("!BB", (0x80 if fin else 0) | opcode, 0x80 | len(payload))
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def test_the_parser_joins_fragments_around_a_ping_byte_by_byte():
    wire = frame(0x1, b'{"a":', fin=False) + frame(0x9, b"hi") + frame(0x0, b"1}")
    assert parse(*(wire[i:i + 1] for i in range(len(wire)))) == [
        ("control", 0x9, b"hi"), ("msg", '{"a":1}')]


def test_the_parser_stops_after_a_close_and_after_a_failure():
    assert parse(frame(0x8, struct.pack("!H", 1000) + b"ok") + frame(0x1, b"late")) == [
        ("close", 1000, "ok")]
    assert parse(frame(0x1, b"\xff") + frame(0x1, b"late")) == [("fail", 1007)]
    assert parse(frame(0x1, b"x" * 100) * 10 + frame(0x1, b"y" * 125, fin=False) * 9) == [
        ("msg", "x" * 100)] * 10 + [("fail", 1002)]
