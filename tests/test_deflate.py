"""permessage-deflate (lanboard/deflate.py, wsreader.py, socket.py): the answer to an offer,
a compressed sync that decodes to the same board as the raw one (Tornado's client with and
without the extension, and a raw client reading the RSV1 bit and inflating each message from a
fresh state, as the shared sync requires), the capped inflater (a zip bomb gets 1009), and
fragmented compressed messages."""

from __future__ import annotations

import asyncio
import json
import random
import socket
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rawws import PING, TEXT, Closed, RawWS
from testkit import ServerProcess, start_server
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from lanboard import deflate, limits

CHROMIUM = "permessage-deflate; client_max_window_bits"
OFFER = {"Sec-WebSocket-Extensions": CHROMIUM}
ROOM = "squeeze"


# ---- pure parts -----------------------------------------------------------------------------

@pytest.mark.parametrize("offer, accepted", [
    (CHROMIUM, True),
    ("permessage-deflate", True),
    ("permessage-deflate; server_no_context_takeover; client_max_window_bits=10", True),
    ("permessage-deflate; server_max_window_bits=15", True),
    # A smaller server window cannot share the one compressed sync: uncompressed instead.
    ("permessage-deflate; server_max_window_bits=10", False),
    ("permessage-deflate; server_max_window_bits", False),
    ("permessage-deflate; client_max_window_bits=99", False),
    ("permessage-deflate; server_no_context_takeover=1", False),
    ("permessage-deflate; bogus", False),
    ("permessage-deflate; server_no_context_takeover; server_no_context_takeover", False),
    ("permessage-deflate; bogus, permessage-deflate", True),  # the second offer is fine
    ("x-webkit-deflate-frame", False),
    ("", False),
    (None, False),
    ("permessage-deflate;" + "x" * 5000, False),
])
def test_the_answer_to_an_offer(offer: str | None, accepted: bool) -> None:
    assert deflate.negotiate(offer) == (deflate.ANSWER if accepted else None)


def squeeze(data: bytes) -> bytes:
    """`data` as one compressed message, at zlib's best level (a bomb's maker's choice)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    return (comp.compress(data) + comp.flush(zlib.Z_SYNC_FLUSH))[:-4]


def inflate_fresh(data: bytes) -> bytes:
    """One message as a browser inflates it, from a fresh state (no server context)."""
    z = zlib.decompressobj(-15)
    return z.decompress(data + deflate.TAIL) + z.flush()


def elements(n: int, seed: int = 7) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        pts = [[round(rng.uniform(0, 900), 2), round(rng.uniform(0, 900), 2)] for _ in range(60)]
        eid = f"e{i}-{rng.getrandbits(24):06x}"
        out.append((eid, json.dumps({"id": eid, "elementType": "path", "points": pts},
                                    separators=(",", ":")).encode()))
    return out


def body_of(els: list[tuple[str, bytes]]) -> bytes:
    return b"[" + b",".join(e for _, e in els) + b"]"


def test_element_chunks_inflate_to_the_body_and_one_change_recompresses_one_chunk() -> None:
    els = elements(600)
    cache = deflate.ElementChunks()
    body = body_of(els)
    first = cache.segments(body, lambda: els)
    assert len(first) > 4  # several chunks, then the closing bracket
    assert inflate_fresh(b"".join(first)[:-4]) == body
    assert cache.segments(body, lambda: els) is first  # same board version: no work
    # Erase one element in the middle: every chunk but its own is reused as is.
    changed = els[:300] + els[301:]
    body2 = body_of(changed)
    second = cache.segments(body2, lambda: changed)
    assert inflate_fresh(b"".join(second)[:-4]) == body2
    reused = sum(1 for s in second if any(s is f for f in first))
    assert reused >= len(second) - 3, (reused, len(second))
    # An empty board.
    assert inflate_fresh(b"".join(cache.segments(b"[]", lambda: []))[:-4]) == b"[]"


def test_a_message_in_pieces_with_a_shared_body() -> None:
    els = elements(200)
    body = body_of(els)
    chunks = deflate.ElementChunks()
    parts = [b'{"type":"sync","data":{"elements":', body, b',"seq":3}}']
    out = deflate.message(parts, body, chunks.segments(body, lambda: els))
    head, payload = out[0], b"".join(out[1:])
    assert head[0] == 0xC1  # FIN + RSV1 + text
    assert inflate_fresh(payload) == b"".join(parts)
    assert len(payload) < len(b"".join(parts)) / 2


def test_the_inflater_caps_a_zip_bomb_and_refuses_garbage() -> None:
    bomb = squeeze(b"\0" * (64 * 1024 * 1024))  # 64 MiB of zeros in ~64 KB
    assert len(bomb) < 100_000
    with pytest.raises(deflate.InflateError) as too_big:
        deflate.Inflater().inflate(bomb, limits.MAX_FRAME_BYTES)
    assert too_big.value.code == 1009
    with pytest.raises(deflate.InflateError) as bad:
        deflate.Inflater().inflate(b"\xff\xff\xff\xff not deflate", 1000)
    assert bad.value.code == 1007
    ok = deflate.Inflater()
    # A client that keeps its context between messages (Tornado's does) is read too.
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    for text in (b'{"type":"ping"}', b'{"type":"ping"}{"type":"ping"}'):
        data = comp.compress(text) + comp.flush(zlib.Z_SYNC_FLUSH)
        assert ok.inflate(data[:-4], 1000) == text


# ---- against a real server ---------------------------------------------------------------

@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_server(tmp_path_factory.mktemp("deflatedata"),
                          env={"LANBOARD_STORE": "memory"})
    yield server
    server.kill()


class DeflateWS(RawWS):
    """RawWS that offers permessage-deflate, reads the RSV1 bit and inflates each compressed
    message from a fresh state (what server_no_context_takeover promises)."""

    def __init__(self, port: int, path: str, offer: bool = True) -> None:
        super().__init__(port, path, OFFER if offer else None)
        self.compressed: list[int] = []  # wire size of each compressed data frame

    def message(self, timeout: float = 5.0) -> tuple[bool, bytes, int]:
        """(compressed?, payload as inflated, bytes on the wire) of the next data frame."""
        _, payload = self.recv_frame(timeout)
        assert self.last_head & 0x80, "the server sends whole messages"
        rsv1 = bool(self.last_head & 0x40)
        return rsv1, inflate_fresh(payload) if rsv1 else payload, self.last_wire

    def messages(self, timeout: float = 5.0) -> list[dict[str, Any]]:
        _, payload, _ = self.message(timeout)
        msg = json.loads(payload)
        return msg if isinstance(msg, list) else [msg]

    def send_deflated(self, text: bytes, *, split: int = 0, rsv_on_continuation: bool = False
                      ) -> None:
        data = squeeze(text)
        if not split:
            self.send_frame(TEXT, data, rsv=0b100)
            return
        self.send_frame(TEXT, data[:split], fin=False, rsv=0b100)
        self.send_frame(0x0, data[split:], rsv=0b100 if rsv_on_continuation else 0)


def stroke(i: int, rng: random.Random) -> dict[str, Any]:
    x, y = rng.uniform(0, 800), rng.uniform(0, 800)
    pts = []
    for _ in range(100):
        x += rng.uniform(-3, 4)
        y += rng.uniform(-3, 4)
        pts.append([round(x, 2), round(y, 2)])
    return {"id": f"st{i}", "elementType": "path", "points": pts, "strokeColor": "#1e1e1e",
            "strokeWidth": 2}


@pytest.fixture(scope="module")
def board(srv: ServerProcess) -> int:
    """A board of 120 pen strokes, drawn by a client that offers nothing."""
    ws = RawWS(srv.port, f"/ws/{ROOM}?userId=drawer&v=2")
    ws.recv()
    rng = random.Random(3)
    for i in range(120):
        ws.send("draw", stroke(i, rng))
        time.sleep(0.004)  # under the draw rate limit
    ws.send("ping")
    deadline = time.monotonic() + 10
    seq = 0
    while time.monotonic() < deadline and seq < 120:
        for msg in ws.recv():
            if msg["type"] == "pong":
                seq = msg["seq"]
    ws.close()
    assert seq == 120
    return seq


def sync_of(ws: DeflateWS) -> tuple[bool, dict[str, Any], int]:
    rsv1, payload, wire = ws.message()
    msgs = json.loads(payload)
    assert msgs[0]["type"] == "sync"
    return rsv1, msgs[0]["data"], wire


def test_a_compressed_sync_is_the_same_board_as_the_raw_one(srv: ServerProcess,
                                                             board: int) -> None:
    raw = DeflateWS(srv.port, f"/ws/{ROOM}?userId=plain&v=2", offer=False)
    squeezed = DeflateWS(srv.port, f"/ws/{ROOM}?userId=squeezed&v=2")
    twice = DeflateWS(srv.port, f"/ws/{ROOM}?userId=again&v=2")
    try:
        raw_rsv1, raw_sync, raw_wire = sync_of(raw)
        rsv1, sync, wire = sync_of(squeezed)
        _, sync2, _ = sync_of(twice)  # the shared compressed body, for a second joiner
        assert not raw_rsv1 and rsv1
        assert len(raw_sync["elements"]) == board
        assert sync["elements"] == raw_sync["elements"] == sync2["elements"]
        assert sync["seq"] == raw_sync["seq"] == board
        assert wire < raw_wire / 2, (wire, raw_wire)
        # Small live frames stay uncompressed, on a connection that agreed to deflate.
        squeezed.send("ping")
        while True:
            rsv1, payload, _ = squeezed.message()
            if b'"pong"' in payload:
                break
        assert not rsv1
    finally:
        for ws in (raw, squeezed, twice):
            ws.close()


def test_tornados_client_with_and_without_the_extension_sees_the_same_board(
        srv: ServerProcess, board: int) -> None:
    async def join(compress: bool) -> tuple[str | None, list[Any]]:
        url = f"ws://127.0.0.1:{srv.port}/ws/{ROOM}?userId=t{int(compress)}&v=2"
        conn = await websocket_connect(HTTPRequest(url),
                                       compression_options={} if compress else None)
        try:
            raw = await asyncio.wait_for(conn.read_message(), 5)
            assert isinstance(raw, str)
            # Its own compressed message is read too (Tornado's client keeps its context).
            await conn.write_message(json.dumps({"type": "ping"}))
            await conn.write_message(json.dumps({"type": "ping", "data": {"pad": "x" * 400}}))
            pongs = 0
            while pongs < 2:
                frame = await asyncio.wait_for(conn.read_message(), 5)
                assert isinstance(frame, str)
                pongs += frame.count('"type":"pong"')
            return conn.headers.get("Sec-WebSocket-Extensions"), json.loads(raw)
        finally:
            conn.close()

    async def both() -> None:
        ext_on, with_ext = await join(True)
        ext_off, without = await join(False)
        assert ext_on == deflate.ANSWER and ext_off is None
        assert with_ext[0]["data"]["elements"] == without[0]["data"]["elements"]
        assert len(with_ext[0]["data"]["elements"]) == board

    asyncio.run(both())


def test_compressed_messages_from_the_client_whole_and_fragmented(srv: ServerProcess) -> None:
    ws = DeflateWS(srv.port, f"/ws/{ROOM}-in?userId=sender&v=2")
    try:
        ws.messages()
        rng = random.Random(5)
        ws.send_deflated(json.dumps({"type": "draw", "data": stroke(1, rng)}).encode())
        ws.send_deflated(json.dumps({"type": "draw", "data": stroke(2, rng)}).encode(),
                         split=40)
        seen: set[str] = set()
        deadline = time.monotonic() + 5
        while seen != {"st1", "st2"} and time.monotonic() < deadline:
            for msg in ws.messages():
                if msg["type"] == "draw":
                    seen.add(msg["data"]["id"])
        assert seen == {"st1", "st2"}
    finally:
        ws.close()


def close_code(ws: DeflateWS) -> int | None:
    try:
        for _ in range(50):
            ws.message()
    except Closed as closed:
        return closed.code
    finally:
        ws.sock.close()
    raise AssertionError("the server neither closed nor stopped talking")


@pytest.mark.parametrize("name, send, code", [
    # 64 MiB of spaces inside a JSON string, ~64 KB on the wire: over the 1 MiB message limit.
    ("zip-bomb", lambda ws: ws.send_deflated(
        b'{"type":"ping","data":{"pad":"' + b" " * (64 << 20) + b'"}}'), 1009),
    ("fragmented-bomb", lambda ws: ws.send_deflated(b" " * (8 << 20), split=1000), 1009),
    ("rsv1-on-a-continuation", lambda ws: ws.send_deflated(b'{"type":"ping"}', split=4,
                                                            rsv_on_continuation=True), 1002),
    ("rsv1-on-a-ping", lambda ws: ws.send_frame(PING, b"x", rsv=0b100), 1002),
    ("not-deflate", lambda ws: ws.send_frame(TEXT, b"\xff\xfe\xfd garbage", rsv=0b100), 1007),
    ("inflates-to-bad-utf8", lambda ws: ws.send_deflated(b'"\xff\xfe"'), 1007),
])
def test_bad_compressed_input_is_refused_cleanly(srv: ServerProcess, name: str, send: Any,
                                                 code: int) -> None:
    ws = DeflateWS(srv.port, f"/ws/{ROOM}-bad?userId={name}")
    ws.messages()
    send(ws)
    assert close_code(ws) == code
    # The server goes on serving.
    other = DeflateWS(srv.port, f"/ws/{ROOM}-bad?userId=after-{name}")
    try:
        assert other.messages()[0]["type"] == "sync"
    finally:
        other.close()
    assert "Traceback" not in "".join(srv.output)


def test_rsv1_without_the_extension_is_a_protocol_error(srv: ServerProcess) -> None:
    ws = DeflateWS(srv.port, f"/ws/{ROOM}-bad?userId=no-offer", offer=False)
    ws.messages()
    ws.send_deflated(b'{"type":"ping"}')
    assert close_code(ws) == 1002


def test_a_big_boards_first_sync_compressed_off_the_loop_keeps_the_order(
        srv: ServerProcess) -> None:
    """Over deflate.THREAD_MIN of strokes: the first joiners' sync is compressed on a thread
    and their frames wait behind it; changes made meanwhile follow it, in seq order."""
    rng = random.Random(11)
    strokes = [stroke(i, rng) for i in range(900)]
    assert len(json.dumps(strokes)) > deflate.THREAD_MIN
    body = json.dumps({"elements": strokes}).encode()
    status, _, reply = http_post(srv.port, f"/api/rooms/{ROOM}-big/import", body)
    assert status == 200, reply
    drawer = DeflateWS(srv.port, f"/ws/{ROOM}-big?userId=drawer&v=2", offer=False)
    drawer.messages()
    joiners = [DeflateWS(srv.port, f"/ws/{ROOM}-big?userId=j{i}&v=2") for i in range(3)]
    for i in range(5):  # changes while the first sync may still be compressing
        drawer.send("draw", {**stroke(1000 + i, rng), "id": f"late{i}"})
    try:
        for ws in joiners:
            board: dict[str, Any] = {}
            seq = None
            while not {f"late{i}" for i in range(5)} <= set(board):
                for msg in ws.messages():
                    if msg["type"] == "sync":
                        board = {e["id"]: e for e in msg["data"]["elements"]}
                        seq = msg["data"]["seq"]
                    elif msg["type"] == "draw":
                        assert seq is not None and msg["seq"] == seq + 1, (msg["seq"], seq)
                        seq = msg["seq"]
                        board[msg["data"]["id"]] = msg["data"]
            assert len(board) == 905
            assert [board[s["id"]]["points"] for s in strokes] == [s["points"] for s in strokes]
    finally:
        drawer.close()
        for ws in joiners:
            ws.close()


def http_post(port: int, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, body, {"Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def test_a_sync_bigger_than_the_backlog_limit_does_not_stall_a_slow_joiner(
        srv: ServerProcess) -> None:
    """A board over PEER_BACKLOG_BYTES: a joiner still reading its sync while others draw is
    not marked stalled (and sent the board again once drained); it gets one sync, then every
    draw in order."""
    rng = random.Random(13)
    # Past the limit even after the kernel's send buffer took its share.
    kernel = int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])
    one = len(json.dumps(stroke(0, rng), separators=(",", ":")))
    strokes = [stroke(i, rng) for i in range((limits.PEER_BACKLOG_BYTES + kernel) // one + 500)]
    body = json.dumps({"elements": strokes}, separators=(",", ":")).encode()
    assert len(body) > limits.PEER_BACKLOG_BYTES + kernel
    status, _, reply = http_post(srv.port, f"/api/rooms/{ROOM}-huge/import", body)
    assert status == 200, reply
    slow = RawWS(srv.port, f"/ws/{ROOM}-huge?userId=slow&v=2", rcvbuf=4096)
    drawer = RawWS(srv.port, f"/ws/{ROOM}-huge?userId=drawer2&v=2")
    try:
        time.sleep(0.5)  # the slow joiner's sync is queued, barely read
        for i in range(3):
            drawer.send("draw", {**stroke(5000 + i, rng), "id": f"while{i}"})
            time.sleep(0.3)  # a flush each, each looking at the slow joiner's backlog
        slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)  # read it fast now
        kinds: list[str] = []
        deadline = time.monotonic() + 20
        while kinds.count("draw") < 3 and time.monotonic() < deadline:
            kinds += [m["type"] for m in slow.recv(20) if m["type"] in ("sync", "draw")]
        assert kinds == ["sync", "draw", "draw", "draw"], kinds
    finally:
        slow.close()
        drawer.close()
