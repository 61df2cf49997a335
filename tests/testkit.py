"""Helpers shared by the tests: real WebSocket clients and real subprocess servers.

Kept out of conftest.py so that `import testkit` is never shadowed by another conftest
(tests/e2e has its own).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tornado.ioloop
from tornado.websocket import WebSocketClientConnection, websocket_connect


def schedule(callback: Callable[[], None]) -> None:
    """The hub's scheduler inside a test's own loop."""
    tornado.ioloop.IOLoop.current().add_callback(callback)


class Client:
    """A real WebSocket client that reads messages one by one, batched (v2) or not."""

    def __init__(self, conn: WebSocketClientConnection) -> None:
        self.conn = conn
        self.inbox: list[dict[str, Any]] = []
        self.frames: list[str] = []

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        while not self.inbox:
            raw = await asyncio.wait_for(self.conn.read_message(), timeout)
            if raw is None:
                raise ConnectionError(f"closed: {self.conn.close_code} {self.conn.close_reason}")
            assert isinstance(raw, str)
            self.frames.append(raw)
            msg = json.loads(raw)
            self.inbox.extend(msg if isinstance(msg, list) else [msg])
        return self.inbox.pop(0)

    async def recv_type(self, kind: str, timeout: float = 5.0) -> dict[str, Any]:
        """The next message of `kind`, skipping presence and cursor chatter."""
        deadline = time.monotonic() + timeout
        while True:
            msg = await self.recv(max(0.05, deadline - time.monotonic()))
            if msg["type"] == kind:
                return msg

    async def nothing(self, kinds: set[str], wait: float = 0.3) -> None:
        """Assert that no message of these kinds arrives within `wait` seconds."""
        try:
            while True:
                msg = await self.recv(wait)
                assert msg["type"] not in kinds, msg
        except asyncio.TimeoutError:
            pass

    def send(self, kind: str, data: Any = None, **extra: Any) -> None:
        self.conn.write_message(json.dumps({"type": kind, "data": data, **extra}))

    def close(self) -> None:
        self.conn.close()


def line(eid: str, **over: Any) -> dict[str, Any]:
    """A seed-protocol line element."""
    el = {"id": eid, "elementType": "line", "x1": 1, "y1": 2, "x2": 3, "y2": 4,
          "strokeColor": "#e74c3c", "strokeWidth": 4}
    el.update(over)
    return el


# ---- real subprocess servers -----------------------------------------------------------

READY = re.compile(r"is running at http://[^:]+:(\d+)/")


class ServerProcess:
    def __init__(self, proc: subprocess.Popen[str], port: int, output: list[str]) -> None:
        self.proc = proc
        self.port = port
        self.output = output
        self.pump: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        self.release()
        return code

    def saw(self, text: str, timeout: float = 5.0) -> bool:
        """Whether the server printed `text`, waiting a little for its output to arrive."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.output):
                return True
            time.sleep(0.05)
        return False

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self.release()

    def release(self) -> None:
        """Let the output pump finish and close the pipe (unclosed pipes warn)."""
        if self.pump is not None:
            self.pump.join(5)
        if self.proc.stdout is not None and not self.proc.stdout.closed:
            self.proc.stdout.close()


def start_server(data_dir: Path, *args: str, env: dict[str, str] | None = None,
                 timeout: float = 15) -> ServerProcess:
    """Start `python -m lanboard --headless --no-mdns` on a free loopback port; wait until it
    serves."""
    cmd = [sys.executable, "-m", "lanboard", "--headless", "--no-mdns", "--host", "127.0.0.1",
           "--port", "0", "--data-dir", str(data_dir), *args]
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=full_env)
    output: list[str] = []
    server = attach(proc, output, timeout=timeout)
    if server is not None:
        return server
    proc.kill()
    proc.wait()
    assert proc.stdout is not None
    proc.stdout.close()
    raise AssertionError("server did not start:\n" + "".join(output))


def attach(proc: subprocess.Popen[str], output: list[str], pattern: re.Pattern[str] = READY,
           group: int = 1, timeout: float = 15) -> ServerProcess | None:
    """Read a starting server's output into `output` until its "is running at" line, then
    keep pumping the rest in the background. None when it never says so."""
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        text = proc.stdout.readline()
        if not text:
            break
        output.append(text)
        m = pattern.search(text)
        if m:
            server = ServerProcess(proc, int(m.group(group)), output)
            server.pump = _drain(proc, output)
            return server
    return None


def browser_script(tmp_path: Path) -> tuple[Path, Path]:
    """A BROWSER command that records the URL it is asked to open."""
    record = tmp_path / "browser.txt"
    script = tmp_path / "browser.sh"
    script.write_text(f'#!/bin/sh\necho "$1" >> "{record}"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, record


def _drain(proc: subprocess.Popen[str], output: list[str]) -> threading.Thread:
    """Keep reading a server's output so it never blocks on a full pipe; the pipe is closed
    when the server ends, however the test ended it."""

    def pump() -> None:
        assert proc.stdout is not None
        with proc.stdout:
            for text in proc.stdout:
                output.append(text)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return thread


_OPEN: list[Client] = []


async def ws_client(url: str, **query: Any) -> Client:
    """A client for a subprocess server; closed when the test ends."""
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    client = Client(await websocket_connect(url.replace("http", "ws", 1) + "?" + qs))
    _OPEN.append(client)
    return client


async def pair(connect: Any, room: str, **query: Any) -> tuple[Client, Client]:
    """ann (connected with `query`) and bob on one board, both past their sync."""
    ann = await connect(room, userId="ann", **query)
    await ann.recv_type("sync")
    bob = await connect(room, userId="bob")
    await bob.recv_type("sync")
    return ann, bob


async def still_works(ann: Client, bob: Client, eid: str = "ok-after") -> None:
    """The board carries on: a valid draw from ann still reaches bob."""
    ann.send("draw", line(eid))
    assert (await bob.recv_type("draw"))["data"]["id"] == eid


class CursorProbe:
    """While something hostile runs, ann moves her cursor every 20 ms and bob times each
    position's arrival. A position counts as seen when it or a later one arrives: cursors
    sent in one server turn are merged by design. ann's own inbox is drained, since a v2
    client gets every change the room accepts and an unread socket would stall it."""

    def __init__(self, ann: Client, bob: Client, patience: float) -> None:
        self.ann, self.bob, self.patience = ann, bob, patience
        self.sent_at: dict[int, float] = {}
        self.latencies: list[float] = []
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Future[None]] = []

    async def move_while(self, busy: Any, at_least: float, limit: float, y: int = 0) -> None:
        """Move the cursor while `busy()` is true and for at least `at_least` seconds."""
        self._tasks = [asyncio.ensure_future(self._watch()), asyncio.ensure_future(self._drain())]
        started = time.monotonic()
        k = 0
        while busy() or time.monotonic() - started < at_least:
            k += 1
            self.sent_at[k] = time.monotonic()
            self.ann.send("cursor", {"x": k, "y": y})
            await asyncio.sleep(0.02)
            assert time.monotonic() - started < limit, "the load never ended"

    async def finish(self) -> None:
        self._stop.set()
        await asyncio.wait_for(asyncio.gather(*self._tasks), 10)
        self.latencies.sort()

    @property
    def p95(self) -> float:
        lat = self.latencies
        return lat[int(0.95 * (len(lat) - 1))] if lat else float("inf")

    async def _watch(self) -> None:
        while not self._stop.is_set() or self.sent_at:
            try:
                m = await self.bob.recv(self.patience)
            except asyncio.TimeoutError:
                return
            if m["type"] == "cursor" and m["userId"] == "ann":
                now, j = time.monotonic(), int(m["data"]["x"])
                for k in [k for k in self.sent_at if k <= j]:
                    self.latencies.append(now - self.sent_at.pop(k))

    async def _drain(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await self.ann.recv(0.5)
            self.ann.inbox.clear()
