"""Shared fixtures: a real LANBoard app on 127.0.0.1 and real WebSocket clients."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import tornado.ioloop
import tornado.web
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from lanboard.app import make_app
from lanboard.hub import Hub
from lanboard.store import MemoryStore


def schedule(callback: Callable[[], None]) -> None:
    tornado.ioloop.IOLoop.current().add_callback(callback)


@pytest.fixture
def hub() -> Hub:
    return Hub(MemoryStore(), schedule)


@pytest.fixture
def app(hub: Hub) -> tornado.web.Application:
    return make_app(hub)


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
        except TimeoutError:
            pass

    def send(self, kind: str, data: Any = None, **extra: Any) -> None:
        self.conn.write_message(json.dumps({"type": kind, "data": data, **extra}))

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def connect(http_server_client: Any) -> Callable[..., Any]:
    """`client = await connect("room", userId="ann")` opens a real socket to the test server."""
    opened: list[Client] = []

    async def _connect(room: str, headers: dict[str, str] | None = None,
                       **query: Any) -> Client:
        qs = "&".join(f"{k}={v}" for k, v in query.items())
        url = http_server_client.get_url(f"/ws/{room}?{qs}").replace("http", "ws", 1)
        req = HTTPRequest(url, headers=headers or {})
        client = Client(await websocket_connect(req))
        opened.append(client)
        return client

    yield _connect
    for c in opened:
        c.close()


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
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        text = proc.stdout.readline()
        if not text:
            break
        output.append(text)
        m = READY.search(text)
        if m:
            server = ServerProcess(proc, int(m.group(1)), output)
            server.pump = _drain(proc, output)
            return server
    proc.kill()
    proc.wait()
    proc.stdout.close()
    raise AssertionError("server did not start:\n" + "".join(output))


def _drain(proc: subprocess.Popen[str], output: list[str]) -> threading.Thread:
    def pump() -> None:
        assert proc.stdout is not None
        for text in proc.stdout:
            output.append(text)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    started: list[ServerProcess] = []

    def factory(*args: str, data_dir: Path | None = None, **kw: Any) -> ServerProcess:
        server = start_server(data_dir or tmp_path / "data", *args, **kw)
        started.append(server)
        return server

    yield factory
    for s in started:
        s.kill()


_OPEN: list[Client] = []


async def ws_client(url: str, **query: Any) -> Client:
    """A client for a subprocess server; closed when the test ends."""
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    client = Client(await websocket_connect(url.replace("http", "ws", 1) + "?" + qs))
    _OPEN.append(client)
    return client


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


