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
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from rawws import RawWS
from testkit import ws_client

from lanboard import limits

ROOM = "slow"
MIB = 1024 * 1024
#: The drawer's load: big freehand strokes, under the per-client rate limit.
DRAWS = 360
POINTS_PER_DRAW = 1500
DRAWS_PER_SECOND = 240


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
            with contextlib.suppress(OSError):
                self.samples.append((time.monotonic(), rss(self.pid)))
            time.sleep(0.05)

    @property
    def peak(self) -> int:
        return max(s for _, s in self.samples)


def stroke(i: int) -> bytes:
    points = [[(i * 7 + k) % 5000 + 0.25, (k * 13) % 3000 + 0.5] for k in range(POINTS_PER_DRAW)]
    return json.dumps({"type": "draw", "data": {
        "id": f"s{i}", "elementType": "path", "points": points, "strokeColor": "#123456",
        "strokeWidth": 3}}).encode()


def draw_a_lot(port: int, result: dict[str, Any]) -> None:
    """One honest but busy drawer (v1: it gets small acks, not its own strokes back)."""
    ws = RawWS(port, f"/ws/{ROOM}?userId=drawer")
    frames = [stroke(i) for i in range(DRAWS)]
    started = time.monotonic()
    for i, f in enumerate(frames):
        ahead = started + i / DRAWS_PER_SECOND - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
        ws.send_text(f)
    result["bytes"] = sum(len(f) for f in frames)
    acks = 0
    with contextlib.suppress(Exception):
        deadline = time.monotonic() + 20
        while acks < DRAWS and time.monotonic() < deadline:
            for m in ws.recv(deadline - time.monotonic()):
                assert m["type"] != "error", m
                acks += m["type"] == "ack"
    result["acks"] = acks
    ws.close()


def read_until_sync(slow: RawWS, timeout: float) -> dict[str, Any]:
    """Read what the server queued before the stall, then the fresh sync it sends once the
    backlog has drained."""
    before: list[dict[str, Any]] = []
    nbytes = 0
    deadline = time.monotonic() + timeout
    while True:
        _, payload = slow.recv_frame(max(0.1, deadline - time.monotonic()))
        nbytes += len(payload)
        for m in json.loads(payload):
            if m["type"] == "sync":
                return {"before": before, "bytes": nbytes, "sync": m, "slow": slow}
            before.append(m)


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
    drawer = threading.Thread(target=draw_a_lot, args=(srv.port, drawn), daemon=True)
    latencies: list[float] = []
    sent_at: dict[int, float] = {}
    stop = asyncio.Event()

    async def watch_bob() -> None:
        while not stop.is_set() or sent_at:
            try:
                m = await bob.recv(3.0)
            except TimeoutError:
                return
            if m["type"] == "cursor" and m["userId"] == "ann":
                now, j = time.monotonic(), int(m["data"]["x"])
                for k in [k for k in sent_at if k <= j]:
                    latencies.append(now - sent_at.pop(k))

    async def drain_ann() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await ann.recv(0.5)
            ann.inbox.clear()

    watchers = [asyncio.ensure_future(watch_bob()), asyncio.ensure_future(drain_ann())]
    drawer.start()
    started = time.monotonic()
    k = 0
    while drawer.is_alive() or time.monotonic() - started < 3.0:
        k += 1
        sent_at[k] = time.monotonic()
        ann.send("cursor", {"x": k, "y": 1})
        await asyncio.sleep(0.02)
        assert time.monotonic() - started < 30
    stall_peak = sampler.peak
    stop.set()
    await asyncio.wait_for(asyncio.gather(*watchers), 10)
    drawer.join(10)
    assert drawn.get("acks") == DRAWS, drawn
    mid = sampler.samples[-1][1]

    # The slow client reads again: first what was queued before it stalled, then a fresh sync.
    loop = asyncio.get_running_loop()
    caught_up = await loop.run_in_executor(None, read_until_sync, slow, 15.0)
    sampler.stop.set()
    sampler.join(2)
    after = rss(pid)

    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    sent_mib = drawn["bytes"] / MIB
    print(f"\nslow consumer: drew {DRAWS} strokes, {sent_mib:.1f} MiB; server RSS baseline "
          f"{baseline / MIB:.1f} MiB, peak during stall {stall_peak / MIB:.1f} MiB "
          f"(+{(stall_peak - baseline) / MIB:.1f}), after drawing {mid / MIB:.1f} MiB, after "
          f"resync {after / MIB:.1f} MiB; slow client got {caught_up['bytes'] / MIB:.2f} MiB "
          f"({len(caught_up['before'])} messages) before its sync; honest cursor p95 "
          f"{p95 * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms over {len(latencies)}")

    # Bounded: before the stall it was sent at most its backlog limit plus what the kernel
    # buffers hold (up to 4 MiB send buffer here) and one flush; never the whole drawing.
    assert caught_up["bytes"] < limits.PEER_BACKLOG_BYTES + 6 * MIB
    assert caught_up["bytes"] < drawn["bytes"] / 2
    # Server memory: the board and its resume log hold the strokes (twice each at most, as
    # encoded bytes), plus one bounded backlog, plus slack for the interpreter.
    assert stall_peak - baseline < 3 * drawn["bytes"] + limits.PEER_BACKLOG_BYTES + 48 * MIB
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
    fresh = await ws_client(srv.url + f"/ws/{ROOM}", userId="auditor")
    expected = (await fresh.recv_type("sync"))["data"]["elements"]
    assert list(board) == [e["id"] for e in expected]
    assert list(board.values()) == expected
    # The honest pair saw no delay (a sanity bound; the figure is printed above).
    assert not sent_at and p95 < 1.0
    slow.close()
