"""The seed conformance tests (tests/test_seed_protocol.py), unchanged, against two LANBoard
servers sharing one real Redis: each `connect` goes to the next server in turn, so every
test's clients sit on different processes' hubs (one loop, two hubs, two Redis clients)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from redis_kit import RedisServer, redis_server  # noqa: F401 - a fixture
from test_seed_protocol import *  # noqa: F403 - the same tests, with this module's connect
from testkit import Client
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from lanboard.server import Server
from lanboard.settings import Settings


@pytest.fixture
def connect(io_loop: Any, redis_server: RedisServer) -> Iterator[Callable[..., Any]]:  # noqa: F811
    redis_server.flush()
    settings = Settings(host="127.0.0.1", port=0, mdns=False, redis_url=redis_server.url)
    servers: list[Server] = []

    async def start() -> None:
        for _ in range(2):
            server = Server(settings)
            await server.start()
            servers.append(server)

    io_loop.run_sync(start)
    opened: list[Client] = []

    async def _connect(room: str, headers: dict[str, str] | None = None,
                       **query: Any) -> Client:
        server = servers[len(opened) % len(servers)]
        qs = "&".join(f"{k}={v}" for k, v in query.items())
        req = HTTPRequest(f"ws://127.0.0.1:{server.port}/ws/{room}?{qs}", headers=headers or {})
        client = Client(await websocket_connect(req))
        opened.append(client)
        return client

    yield _connect
    for c in opened:
        c.close()

    async def stop() -> None:
        for server in servers:
            await server.stop()

    io_loop.run_sync(stop)
