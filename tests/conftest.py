"""Shared fixtures: a real LANBoard app on 127.0.0.1 and real WebSocket clients. The
helpers they use live in testkit.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import tornado.web
from testkit import _OPEN, Client, ServerProcess, schedule, start_server
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from lanboard.app import make_app
from lanboard.hub import Hub
from lanboard.store import MemoryStore


@pytest.fixture
def hub() -> Hub:
    return Hub(MemoryStore(), schedule)


@pytest.fixture
def app(hub: Hub) -> tornado.web.Application:
    return make_app(hub)


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


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


