"""The peer cap with --redis counts every process's connections exactly (lanboard/seats.py).

Real subprocess servers share one real Redis; each is started through a two-line wrapper that
lowers `lanboard.limits.MAX_PEERS_PER_ROOM` and the presence heartbeat before the CLI runs,
so the product carries no test hook. The Redis-down case runs a server in-process, and so
do the address's shared upload budget and the point where a connection stops counting."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis_kit import RedisServer, redis_server  # noqa: F401 - a fixture
from testkit import ServerProcess, attach
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from lanboard import limits, presence
from lanboard.server import Server
from lanboard.settings import Settings

CAP = 4
STALE = 3.0
#: Sets the cap and a quick heartbeat, then runs the CLI with the remaining arguments.
BOOT = ("import sys; from lanboard import limits, presence; "
        "limits.MAX_PEERS_PER_ROOM = int(sys.argv.pop(1)); "
        f"presence.HEARTBEAT = 0.3; presence.STALE = {STALE}; "
        "from lanboard.cli import main; sys.exit(main(sys.argv[1:]))")


def start(tmp: Path, url: str, cap: int = CAP) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", BOOT, str(cap), "--headless", "--no-mdns", "--host",
         "127.0.0.1", "--port", "0", "--data-dir", str(tmp), "--redis", url],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})


@pytest.fixture(scope="module")
def trio(redis_server: RedisServer,  # noqa: F811
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ServerProcess]]:
    redis_server.flush()
    procs = [start(tmp_path_factory.mktemp("seats"), redis_server.url) for _ in range(3)]
    servers: list[ServerProcess] = []
    try:
        for proc in procs:  # all three start at once; then each is read until it serves
            output: list[str] = []
            server = attach(proc, output, timeout=30)
            assert server is not None, "".join(output)
            servers.append(server)
        yield servers
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)
        for server in servers:
            server.release()


async def join(port: int, room: str, user: str) -> WebSocketClientConnection | str:
    """A connection that got its sync, or the refusal's error code."""
    url = f"ws://127.0.0.1:{port}/ws/{room}?userId={user}"
    try:
        conn = await websocket_connect(HTTPRequest(url, request_timeout=20))
    except HTTPClientError as exc:
        body = exc.response.body if exc.response is not None else b"{}"
        return f"{exc.code} {json.loads(body).get('error')}"
    while True:
        msg = await asyncio.wait_for(conn.read_message(), 10)
        assert isinstance(msg, str), msg
        if any(m.get("type") == "sync" for m in _messages(msg)):
            return conn


def _messages(text: str) -> list[dict[str, Any]]:
    got = json.loads(text)
    return got if isinstance(got, list) else [got]


def seats(url: str, room: str) -> dict[str, int]:
    import redis

    client = redis.Redis.from_url(url)
    raw = client.hgetall(f"lb:{{{room}}}:seats")
    client.close()
    return {k.decode(): int(v.split(b":")[0]) for k, v in raw.items()}


async def until_admitted(port: int, room: str, user: str, tries: int = 75) -> Any:
    for _ in range(tries):
        got = await join(port, room, user)
        if not isinstance(got, str):
            return got
        assert got == "503 room_full", got
        await asyncio.sleep(0.2)
    raise AssertionError(f"{user} was never admitted")


async def test_simultaneous_joins_over_three_processes_admit_exactly_the_cap(
        trio, redis_server: RedisServer):  # noqa: F811
    got = await asyncio.gather(*(join(trio[i % 3].port, "full", f"u{i}") for i in range(15)))
    admitted = [c for c in got if not isinstance(c, str)]
    refused = [c for c in got if isinstance(c, str)]
    assert len(admitted) == CAP, refused
    assert refused == ["503 room_full"] * (15 - CAP)
    assert sum(seats(redis_server.url, "full").values()) == CAP
    # Closing connections frees their seats, on whichever process takes the next join.
    admitted[0].close()
    admitted[1].close()
    again = [await until_admitted(trio[1].port, "full", "v1"),
             await until_admitted(trio[2].port, "full", "v2")]
    assert await join(trio[0].port, "full", "v3") == "503 room_full"
    for conn in admitted[2:] + again:
        conn.close()
    for _ in range(50):
        if sum(seats(redis_server.url, "full").values()) == 0:
            break
        await asyncio.sleep(0.1)
    assert sum(seats(redis_server.url, "full").values()) == 0


async def test_a_killed_processs_seats_stop_counting_within_the_staleness(
        trio, redis_server: RedisServer):  # noqa: F811
    victim, other = trio[2], trio[0]
    held = [await join(victim.port, "dies", f"k{i}") for i in range(CAP)]
    assert not any(isinstance(c, str) for c in held), held
    assert await join(other.port, "dies", "late") == "503 room_full"
    os.kill(victim.proc.pid, signal.SIGKILL)
    victim.proc.wait(10)
    # Still counted until their deadline (Redis's clock + STALE)...
    assert await join(other.port, "dies", "early") == "503 room_full"
    # ...then they stop counting, with no goodbye from the dead process.
    conn = await until_admitted(other.port, "dies", "after")
    assert list(seats(redis_server.url, "dies").values()) == [1]
    conn.close()
    for c in held:
        assert not isinstance(c, str)
        c.close()


async def test_redis_down_at_a_join_admits_on_this_processs_own_count(
        tmp_path, monkeypatch: pytest.MonkeyPatch):
    if not (Path("/usr/bin/redis-server").exists() or Path("/usr/local/bin/redis-server")
            .exists()):
        pytest.skip("redis-server is not installed (tools/test.sh installs it)")
    monkeypatch.setattr(limits, "MAX_PEERS_PER_ROOM", 2)
    monkeypatch.setattr(presence, "HEARTBEAT", 0.2)
    monkeypatch.setattr(presence, "STALE", 2.0)
    redis = RedisServer(tmp_path)
    redis.start()
    server = Server(Settings(host="127.0.0.1", port=0, mdns=False, redis_url=redis.url))
    await server.start()
    try:
        ann = await join(server.port, "down", "ann")
        assert not isinstance(ann, str), ann
        redis.stop()
        # The board is loaded here: a join is taken on this process's count, still capped.
        bob = await join(server.port, "down", "bob")
        assert not isinstance(bob, str), bob
        assert await join(server.port, "down", "carol") == "503 room_full"
        # A board this process has not loaded cannot be read: refused, nothing loaded.
        assert await join(server.port, "other", "dan") == "503 storage_error"
        redis.start()  # the heartbeat writes the count Redis missed
        assert server.cluster is not None
        for _ in range(100):
            if seats(redis.url, "down") == {server.cluster.name: 2}:
                break
            await asyncio.sleep(0.05)
        assert seats(redis.url, "down") == {server.cluster.name: 2}
        ann.close()
        bob.close()
    finally:
        await server.stop()
        redis.stop()


def test_an_addresss_upload_budget_counts_every_process(
        redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch):  # noqa: F811
    from testkit import schedule

    from lanboard.assetapi import UploadBudget
    from lanboard.cluster import Cluster
    from lanboard.hub import Hub
    from lanboard.redis_store import RedisStore

    monkeypatch.setattr(limits, "UPLOAD_BURST_BYTES", 3000)
    monkeypatch.setattr(limits, "UPLOAD_BYTES_PER_SECOND", 1)
    redis_server.flush()
    stores = [RedisStore(redis_server.url, holder=f"p{i}") for i in range(2)]
    clusters = [Cluster(Hub(s, schedule), s) for s in stores]
    budgets = [UploadBudget(), UploadBudget()]  # one per process
    try:
        assert budgets[0].take("10.0.0.5", 2000, clusters[0])
        # The same device on the other process: the same budget, 1,000 bytes left.
        assert not budgets[1].take("10.0.0.5", 2000, clusters[1])
        assert budgets[1].take("10.0.0.5", 900, clusters[1])
        assert budgets[1].take("10.0.0.6", 2000, clusters[1])  # another device has its own
        # Without --redis each process has its own (as before).
        assert budgets[0].take("10.0.0.7", 2000) and budgets[1].take("10.0.0.7", 2000)
        redis_server.stop()  # Redis down: this process's own bucket decides
        assert budgets[1].take("10.0.0.8", 2000, clusters[1])
        assert not budgets[1].take("10.0.0.8", 2000, clusters[1])
    finally:
        redis_server.start()
        for s in stores:
            s.close()


async def test_a_connection_is_counted_until_it_closes_not_until_its_upgrade(
        monkeypatch: pytest.MonkeyPatch):
    """The seat and the connection caps are given back at the same point, the socket's end;
    Tornado also "finishes" the upgrade's 101 response, which must not count as the end."""
    from lanboard.store import MemoryStore

    monkeypatch.setattr(limits, "MAX_CONNECTIONS", 2)
    server = Server(Settings(host="127.0.0.1", port=0, mdns=False), store=MemoryStore())
    await server.start()
    try:
        held = [await join(server.port, "count", f"c{i}") for i in range(2)]
        assert await join(server.port, "count", "third") == "429 too_many_connections"
        first = held[0]
        assert not isinstance(first, str)
        first.close()
        for _ in range(50):
            got = await join(server.port, "count", "third")
            if not isinstance(got, str):
                break
            await asyncio.sleep(0.1)
        assert not isinstance(got, str), got
        for c in (held[1], got):
            assert not isinstance(c, str)
            c.close()
    finally:
        await server.stop()
