"""What durability costs: durable changes a second (SQLite against memory, same run), restart
time for a data dir holding 100,000 elements, and disk bytes per element.

    python benchmarks/durability.py [--elements 100000] [--changes 20000]

Talks only to servers it starts on 127.0.0.1; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tornado.websocket import websocket_connect

READY = re.compile(r"is running at http://127\.0\.0\.1:(\d+)/")
#: Rate limits off: this measures the store, not the per-client budget.
ENV = {"LANBOARD_RATE_CHANGES": "1000000", "PYTHONUNBUFFERED": "1"}


def start(data_dir: Path, store: str) -> tuple[subprocess.Popen[str], int, float]:
    began = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lanboard", "--headless", "--no-mdns", "--host", "127.0.0.1",
         "--port", "0", "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, **ENV, "LANBOARD_STORE": store})
    assert proc.stdout is not None
    for _ in range(200):
        line = proc.stdout.readline()
        m = READY.search(line)
        if m:
            return proc, int(m.group(1)), began
        if not line:
            break
    proc.kill()
    raise SystemExit(f"server did not start ({store})")


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    if proc.stdout:
        proc.stdout.close()


def element(i: int) -> dict[str, object]:
    return {"id": f"e{i}", "elementType": "line", "x1": i % 1000, "y1": i // 1000,
            "x2": i % 1000 + 5, "y2": i // 1000 + 5, "strokeColor": "#336699",
            "strokeWidth": 2}


async def changes_per_second(port: int, total: int, clients: int = 4) -> float:
    """Clients each send total/clients draws as fast as the server acks them (a window of
    200 in flight); the figure is acknowledged, hence durable, changes a second."""
    per = total // clients

    async def one(c: int) -> None:
        conn = await websocket_connect(f"ws://127.0.0.1:{port}/ws/bench?userId=c{c}")
        await conn.read_message()  # sync
        sent = acked = 0
        deadline = time.monotonic() + 120
        while acked < per and time.monotonic() < deadline:
            while sent < per and sent - acked < 200:
                conn.write_message(json.dumps({"type": "draw",
                                               "data": element(c * per + sent)}))
                sent += 1
            msg = await asyncio.wait_for(conn.read_message(), 30)
            if msg and '"type":"ack"' in msg:
                acked += 1
        conn.close()

    began = time.perf_counter()
    await asyncio.gather(*(one(c) for c in range(clients)))
    return per * clients / (time.perf_counter() - began)


async def first_sync(port: int) -> tuple[float, int]:
    began = time.perf_counter()
    conn = await websocket_connect(f"ws://127.0.0.1:{port}/ws/big?userId=late",
                                   max_message_size=256 * 2**20)
    raw = await asyncio.wait_for(conn.read_message(), 60)
    assert isinstance(raw, str)
    count = len(json.loads(raw)["data"]["elements"])
    conn.close()
    return time.perf_counter() - began, count


def import_board(port: int, n: int) -> None:
    body = json.dumps({"elements": [element(i) for i in range(n)]}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/rooms/big/import", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as resp:
        assert resp.status == 200


def disk_bytes(data_dir: Path) -> int:
    return sum(p.stat().st_size for p in data_dir.glob("boards.sqlite3*"))


def store_rate(data_dir: Path, per_turn: int, turns: int = 400) -> float:
    """Changes a second through Hub.flush into a real SqliteStore, in process: the cost of
    durability without the network or a client in the way."""
    from lanboard.hub import Hub
    from lanboard.peer import NullTransport, Peer
    from lanboard.sqlite_store import SqliteStore

    store = SqliteStore.open(data_dir)
    hub = Hub(store, lambda cb: None)
    room = hub.room("bench")
    peer = Peer("p", NullTransport())
    hub.join(room, peer)
    hub.flush()
    began = time.perf_counter()
    for t in range(turns):
        for i in range(per_turn):
            room.handle(peer, "draw", element(t * per_turn + i))
        hub.touch(room)
        hub.flush()
    rate = turns * per_turn / (time.perf_counter() - began)
    store.close()
    return rate


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--elements", type=int, default=100_000)
    ap.add_argument("--changes", type=int, default=20_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rates = {}
        for store in ("memory", "sqlite"):
            proc, port, _ = start(Path(tmp) / f"rate-{store}", store)
            try:
                rates[store] = await changes_per_second(port, args.changes)
            finally:
                stop(proc)
        for per_turn in (1, 10, 100):
            d = Path(tmp) / f"inproc-{per_turn}"
            d.mkdir()
            print(f"in-process durable changes/s with {per_turn:>3} per loop turn: "
                  f"{store_rate(d, per_turn):,.0f}")
        print(f"over sockets, 4 clients, durable changes/s: sqlite {rates['sqlite']:,.0f}"
              f"  memory {rates['memory']:,.0f}"
              f"  (sqlite/memory {rates['sqlite'] / rates['memory']:.2f})")

        data = Path(tmp) / "big"
        proc, port, _ = start(data, "sqlite")
        import_board(port, args.elements)
        stop(proc)  # a clean stop writes the snapshot
        size = disk_bytes(data)
        proc, port, began = start(data, "sqlite")
        try:
            served = time.perf_counter() - began
            sync_s, count = await first_sync(port)
            total = time.perf_counter() - began
        finally:
            stop(proc)
        assert count == args.elements, count
        print(f"restart with {count:,} elements: process start to listening {served:.3f} s, "
              f"join to sync parsed {sync_s:.3f} s, start to sync {total:.3f} s "
              f"(target <= 1 s to sync)")
        print(f"disk: {size:,} bytes for {count:,} elements = {size / count:.0f} bytes/element")


if __name__ == "__main__":
    asyncio.run(main())
