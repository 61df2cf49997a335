"""One mDNS advertisement per machine with --redis (lanboard/mdnslease.py): processes sharing
a real Redis hold one lease per machine, only its holder runs zeroconf, and another takes
over when the holder stops or is killed. zeroconf is pinned to 127.0.0.1 (every server here
listens there, so LanPresence advertises and browses on 127.0.0.1 only), never multicasting
on this machine's real interfaces."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis
from redis_kit import RedisServer, redis_server  # noqa: F401 - a fixture
from testkit import attach
from zeroconf import IPVersion
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

from lanboard import mdnslease
from lanboard.discovery import SERVICE_TYPE
from lanboard.mdnslease import lease_key
from lanboard.server import Server
from lanboard.settings import Settings

#: Runs the CLI with a 2 s lease, so a kill -9 is seen quickly.
BOOT = ("import sys; from lanboard import mdnslease; mdnslease.LEASE_SECONDS = 2.0; "
        "mdnslease.RETRY_SECONDS = 0.2; from lanboard.cli import main; "
        "sys.exit(main(sys.argv[1:]))")


def holder_of(url: str) -> str | None:
    client = redis.Redis.from_url(url)
    value = client.get(lease_key())
    client.close()
    return value.decode() if value is not None else None


async def advertised(name: str, wait_ms: int = 1500) -> bool:
    """Whether someone on 127.0.0.1 answers for the `_lanboard` instance `name`."""
    zc = AsyncZeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    try:
        info = AsyncServiceInfo(SERVICE_TYPE, f"{name}.{SERVICE_TYPE}")
        return bool(await info.async_request(zc.zeroconf, wait_ms))
    finally:
        await zc.async_close()


async def until(check: Any, what: str, tries: int = 100) -> None:
    for _ in range(tries):
        if check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
async def test_only_the_holder_registers_and_the_other_takes_over_when_it_stops(
        redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    redis_server.flush()
    monkeypatch.setattr(mdnslease, "RETRY_SECONDS", 0.2)
    names = [f"Lease{i}-{uuid.uuid4().hex[:8]}" for i in range(2)]
    servers = [Server(Settings(host="127.0.0.1", port=0, name=n, redis_url=redis_server.url))
               for n in names]
    running: list[Server] = []
    try:
        for server in servers:
            await server.start()
            running.append(server)
        leases = [s.lan.discovery for s in servers]
        assert [getattr(d, "holding", None) for d in leases] == [True, False]
        assert holder_of(redis_server.url) == servers[0].cluster.name  # type: ignore[union-attr]
        assert await leases[0].wait_registered(10)
        assert not leases[1].registered and await leases[1].wait_registered(0.1) is False
        # On the wire: the holder answers for its name; nobody answers for the other's.
        assert await advertised(names[0], 3000)
        assert not await advertised(names[1])
        # The holder stops (it gives the lease back): the other advertises.
        await running.pop(0).stop()
        await until(lambda: getattr(leases[1], "holding", False), "the takeover")
        assert await leases[1].wait_registered(10)
        assert holder_of(redis_server.url) == servers[1].cluster.name  # type: ignore[union-attr]
        assert await advertised(names[1], 3000)
    finally:
        for server in running:
            await server.stop()


def start(tmp: Path, url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", BOOT, "--headless", "--host", "127.0.0.1", "--port", "0",
         "--data-dir", str(tmp), "--redis", url, "--name", f"Kill-{uuid.uuid4().hex[:8]}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})


@pytest.mark.slow
async def test_kill_9_of_the_holder_hands_the_advertisement_to_the_other_process(
        tmp_path, redis_server: RedisServer) -> None:  # noqa: F811
    redis_server.flush()
    procs = [start(tmp_path / f"d{i}", redis_server.url) for i in range(2)]
    outputs: list[list[str]] = [[], []]
    servers = []
    try:
        for proc, output in zip(procs, outputs, strict=True):
            server = attach(proc, output, timeout=30)
            assert server is not None, "".join(output)
            servers.append(server)
        holder = holder_of(redis_server.url)
        assert holder is not None
        pids = [p.pid for p in procs]
        first = pids.index(int(holder.split(":")[1]))
        other = 1 - first
        assert servers[first].saw("mdns registered", 15), "".join(outputs[first])
        os.kill(pids[first], signal.SIGKILL)
        procs[first].wait(10)
        await until(lambda: (holder_of(redis_server.url) or "").split(":")[1:2] == [
            str(pids[other])], "the other process to take the lease", tries=150)
        assert servers[other].saw("mdns registered", 15), "".join(outputs[other])
        # Before the kill, the other never advertised.
        taken = [i for i, line in enumerate(outputs[other]) if "mdns lease taken" in line]
        assert len(taken) == 1
        assert not any("mdns registered" in line for line in outputs[other][:taken[0]])
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(20)
        for server in servers:
            server.release()
