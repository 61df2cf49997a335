"""Does a handout slow a live board? A drawer's round trip (a draw sent until its echo comes
back) on one board while another board's 10,000-stroke PDF is made, beside the same round
trips with no export running, in the same run.

    python benchmarks/export_stall.py [--strokes 10000] [--draws 300]

Starts its own server on 127.0.0.1 (rate limits off) and a temporary data dir; every loop is
bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from tornado.websocket import websocket_connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import serve  # noqa: E402
from benchmarks.handout import board  # noqa: E402


def start(data_dir: Path) -> tuple[subprocess.Popen[str], int]:
    return serve.start(ROOT, data_dir, {"LANBOARD_RATE_CHANGES": "1000000"})


async def round_trips(port: int, count: int, tag: str) -> list[float]:
    conn = await websocket_connect(f"ws://127.0.0.1:{port}/ws/live?userId={tag}&v=2")
    await conn.read_message()  # sync
    out = []
    for i in range(count):
        eid = f"{tag}-{i}"
        el = {"id": eid, "elementType": "line", "x1": i, "y1": 0, "x2": i + 5, "y2": 5,
              "strokeColor": "#000", "strokeWidth": 2}
        t = time.perf_counter()
        conn.write_message(json.dumps({"type": "draw", "data": el}))
        while True:
            msg = await asyncio.wait_for(conn.read_message(), 30)
            if msg is not None and f'"{eid}"' in msg:
                break
        out.append(time.perf_counter() - t)
        await asyncio.sleep(0.005)
    conn.close()
    return out


def summary(name: str, values: list[float]) -> str:
    ms = sorted(1000 * v for v in values)
    p99 = ms[int(0.99 * (len(ms) - 1))]
    return (f"{name}: median {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms, "
            f"worst {ms[-1]:.1f} ms ({len(ms)} draws)")


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--strokes", type=int, default=10_000)
    ap.add_argument("--draws", type=int, default=300)
    args = ap.parse_args()
    import random

    with tempfile.TemporaryDirectory() as tmp:
        proc, port = start(Path(tmp))
        try:
            base = f"http://127.0.0.1:{port}/api/rooms/big"
            doc = json.dumps({"elements": [json.loads(d) for _, d in
                                           board(args.strokes, 30, random.Random(16))]})
            req = urllib.request.Request(f"{base}/import", data=doc.encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
            urllib.request.urlopen(req, timeout=120).read()
            idle = await round_trips(port, args.draws, "idle")
            stop = threading.Event()
            made: list[float] = []

            def export_loop() -> None:
                while not stop.is_set():
                    t = time.perf_counter()
                    urllib.request.urlopen(f"{base}/export?format=pdf", timeout=120).read()
                    made.append(time.perf_counter() - t)

            exporter = threading.Thread(target=export_loop, daemon=True)
            exporter.start()
            busy = await round_trips(port, args.draws, "busy")
            stop.set()
            exporter.join(120)
            print(summary("round trip, no export (baseline)", idle))
            print(summary("round trip, PDFs made back to back", busy))
            print(f"PDFs made meanwhile: {len(made)}, each {statistics.median(made):.2f} s "
                  "(median, over HTTP)")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)


if __name__ == "__main__":
    asyncio.run(main())
