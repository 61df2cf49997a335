"""A client that stops reading costs the server at most its bounded backlog; it is resynced
with a fresh `sync` when it drains, and the others in its room see no delay.

The slow client is a bare TCP socket with a tiny receive buffer that does the WebSocket
handshake by hand and then simply never calls recv, exactly like a frozen tab or a phone
that lost its radio without closing the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from rawws import RawWS
from testkit import CursorProbe, ws_client

from lanboard import limits

ROOM = "slow"
MIB = 1024 * 1024
#: The load: two drawers each put DRAWS_EACH big text boxes (4,000 four-byte characters,
#: 16 KB each: cheap to validate, so the server's CPU is not what is measured) on the board,
#: under the per-client rate limit.
DRAWERS = 2
DRAWS_EACH = 450
DRAWS = DRAWERS * DRAWS_EACH
DRAWS_PER_SECOND = 150


def rss(pid: int) -> int:
    """Resident set size of a process, in bytes, from /proc/PID/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


class RssSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, int]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.samples.append((time.monotonic(), rss(self.pid)))
            except (OSError, AssertionError):
                return  # the server has gone; the test reports why
            time.sleep(0.05)

    @property
    def peak(self) -> int:
        return max(s for _, s in self.samples)


def text_box(name: str, i: int) -> bytes:
    text = chr(0x1F600 + i % 64) * limits.MAX_TEXT_CHARS
    return json.dumps({"type": "draw", "data": {
        "id": f"{name}-{i}", "elementType": "text", "x": i, "y": 0, "text": text,
        "fontSize": 12, "strokeColor": "#123456", "strokeWidth": 1}},
        ensure_ascii=False).encode()


def draw_a_lot(port: int, name: str, result: dict[str, Any]) -> None:
    """One honest but busy drawer (v1: small acks for its own draws, the other's draws in
    full), reading everything it is sent on a second thread."""
    ws = RawWS(port, f"/ws/{ROOM}?userId={name}")
    frames = [text_box(name, i) for i in range(DRAWS_EACH)]
    acks = 0
    errors: list[Any] = []

    def reader() -> None:
        nonlocal acks
        with contextlib.suppress(Exception):
            deadline = time.monotonic() + 30
            while acks < DRAWS_EACH and time.monotonic() < deadline:
                for m in ws.recv(deadline - time.monotonic()):
                    if m["type"] == "error":
                        errors.append(m)
                    acks += m["type"] == "ack"

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    started = time.monotonic()
    for i, f in enumerate(frames):
        ahead = started + i / DRAWS_PER_SECOND - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
        ws.send_text(f)
    t.join(30)
    result[name] = {"bytes": sum(len(f) for f in frames), "acks": acks, "errors": errors}
    ws.close()


def read_until_sync(slow: RawWS, timeout: float) -> dict[str, Any]:
    """Read what the server queued before the stall, then the fresh sync it sends once the
    backlog has drained."""
    # A 4 KiB window would make the multi-megabyte sync crawl; a woken-up client reads fast.
    slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * MIB)
    before: list[dict[str, Any]] = []
    nbytes = 0
    deadline = time.monotonic() + timeout
    while True:
        _, payload = slow.recv_frame(max(0.1, deadline - time.monotonic()))
        for m in json.loads(payload):
            if m["type"] == "sync":
                return {"before": before, "bytes": nbytes, "sync": m}
            before.append(m)
            nbytes += len(json.dumps(m, ensure_ascii=False).encode())


def apply(board: dict[str, dict[str, Any]], m: dict[str, Any]) -> None:
    kind, data = m["type"], m["data"]
    if kind == "draw":
        board[data["id"]] = data
    elif kind == "erase":
        for i in data["ids"]:
            board.pop(i, None)
    elif kind == "clear":
        board.clear()
    elif kind == "append":
        board[data["id"]]["points"] += data["points"]


@pytest.mark.slow
async def test_a_client_that_never_reads_is_bounded_then_resynced_and_others_see_no_delay(
        server_factory):
    srv = server_factory()
    pid = srv.proc.pid
    ann = await ws_client(srv.url + f"/ws/{ROOM}", userId="ann", v=2)
    bob = await ws_client(srv.url + f"/ws/{ROOM}", userId="bob", v=2)
    await ann.recv_type("sync")
    await bob.recv_type("sync")
    # The slow client takes its sync and then stops reading, with a 4 KiB receive buffer.
    slow = RawWS(srv.port, f"/ws/{ROOM}?userId=slow&v=2", rcvbuf=4096)
    assert slow.recv()[0]["type"] == "sync"
    await bob.recv_type("userlist")

    sampler = RssSampler(pid)
    sampler.start()
    await asyncio.sleep(0.3)
    baseline = sampler.peak

    drawn: dict[str, Any] = {}
    drawers = [threading.Thread(target=draw_a_lot, args=(srv.port, f"drawer{d}", drawn),
                                daemon=True) for d in range(DRAWERS)]
    probe = CursorProbe(ann, bob, patience=3.0)
    for d in drawers:
        d.start()
    await probe.move_while(lambda: any(d.is_alive() for d in drawers), at_least=3.0, limit=30,
                           y=1)
    stall_peak = sampler.peak
    await probe.finish()
    for d in drawers:
        d.join(10)
    assert [r["acks"] for r in drawn.values()] == [DRAWS_EACH] * DRAWERS, drawn
    assert not any(r["errors"] for r in drawn.values()), drawn
    drawn_bytes = sum(r["bytes"] for r in drawn.values())
    mid = sampler.samples[-1][1]

    # The slow client reads again: first what was queued before it stalled, then a fresh sync.
    loop = asyncio.get_running_loop()
    caught_up = await loop.run_in_executor(None, read_until_sync, slow, 15.0)
    sampler.stop.set()
    sampler.join(2)
    after = rss(pid)

    latencies, p95 = probe.latencies, probe.p95
    sent_mib = drawn_bytes / MIB
    print(f"\nslow consumer: drew {DRAWS} text boxes, {sent_mib:.1f} MiB; server RSS baseline "
          f"{baseline / MIB:.1f} MiB, peak during stall {stall_peak / MIB:.1f} MiB "
          f"(+{(stall_peak - baseline) / MIB:.1f}), after drawing {mid / MIB:.1f} MiB, after "
          f"resync {after / MIB:.1f} MiB; slow client got {caught_up['bytes'] / MIB:.2f} MiB "
          f"({len(caught_up['before'])} messages) before its sync; honest cursor p95 "
          f"{p95 * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms over {len(latencies)}")

    # Bounded: before the stall it was queued at most its backlog limit, plus what the
    # kernel's send buffer holds, plus one flush; never the whole drawing.
    kernel = int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])
    assert caught_up["bytes"] < limits.PEER_BACKLOG_BYTES + kernel + 2 * MIB
    # Server memory: the board and its resume log hold every text box (as encoded bytes, once
    # each), plus one bounded backlog, plus slack for the interpreter.
    assert stall_peak - baseline < 2 * drawn_bytes + limits.PEER_BACKLOG_BYTES + 32 * MIB
    # What came before the sync is a gap-free run of changes; the sync then has the board.
    seqs = [m["seq"] for m in caught_up["before"] if "seq" in m]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))) if seqs else True
    sync = caught_up["sync"]["data"]
    assert sync["userId"] == "slow"
    assert len(sync["elements"]) == DRAWS
    # Its board from then on equals a fresh client's.
    board = {e["id"]: e for e in sync["elements"]}
    ann.send("draw", {"id": "after-stall", "elementType": "line", "x1": 0, "y1": 0, "x2": 1,
                      "y2": 1, "strokeColor": "#000", "strokeWidth": 1})

    def read_on(ws: RawWS) -> None:
        deadline = time.monotonic() + 10
        while "after-stall" not in board:
            for m in ws.recv(deadline - time.monotonic()):
                apply(board, m)

    await loop.run_in_executor(None, read_on, slow)
    # (A raw client: the board's sync is larger than Tornado's client accepts by default.)
    fresh = RawWS(srv.port, f"/ws/{ROOM}?userId=auditor")
    expected = (await loop.run_in_executor(None, fresh.recv, 10.0))[0]["data"]["elements"]
    fresh.close()
    assert list(board) == [e["id"] for e in expected]
    assert list(board.values()) == expected
    # The honest pair saw no delay (a sanity bound; the figure is printed above).
    assert not probe.sent_at and p95 < 2.0
    slow.close()


@pytest.mark.slow
def test_joiners_that_never_read_cost_at_most_their_backlog_each(server_factory):
    """A client that joins a big board and never reads must cost at most its bounded queue
    (PEER_BACKLOG_BYTES). The sync is queued whole for every joiner regardless of that limit,
    as a fresh copy per joiner, so a few connections that never read hold many copies of
    the board: a cheap way to exhaust the server's memory (32 per LAN address are allowed)."""
    # Rate limits off: the drawer fills a 12 MB board fast; the lurkers are what is tested.
    srv = server_factory(env={"LANBOARD_STORE": "memory", "LANBOARD_RATE_CHANGES": "100000"})
    pid = srv.proc.pid
    drawer = RawWS(srv.port, f"/ws/{ROOM}?userId=drawer")
    drawer.recv()
    boxes = 750  # 12 MB of board, sent within the per-client burst
    for i in range(boxes):
        drawer.send_text(text_box("big", i))
    acks = 0
    deadline = time.monotonic() + 30
    while acks < boxes and time.monotonic() < deadline:
        acks += sum(m["type"] == "ack" for m in drawer.recv(30))
    assert acks == boxes
    board_bytes = boxes * len(text_box("big", 0))
    time.sleep(0.5)
    before = rss(pid)
    lurkers = [RawWS(srv.port, f"/ws/{ROOM}?userId=lurker{i}&v=2", rcvbuf=4096)
               for i in range(16)]
    time.sleep(2.0)
    after = rss(pid)
    for lurker in lurkers:
        lurker.close()
    drawer.close()
    growth = after - before
    print(f"\n16 joiners that never read, on a {board_bytes / MIB:.1f} MiB board: server RSS "
          f"{before / MIB:.1f} -> {after / MIB:.1f} MiB (+{growth / MIB:.1f})")
    assert growth < 16 * limits.PEER_BACKLOG_BYTES + board_bytes + 32 * MIB
