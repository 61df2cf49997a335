"""Many LANBoard processes sharing boards through one real Redis (lanboard/cluster.py):
real subprocess servers with --redis, real clients spread over them. The clients are the
convergence test's (tests/test_convergence.py `Sim`): each checks that it sees every seq
exactly once, with no gap and no duplicate, across reconnects to another process."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from typing import Any

import pytest
from redis_kit import RedisServer, free_port, redis_server  # noqa: F401 - a fixture
from test_convergence import Sim as StrictSim
from test_convergence import check_converged, server_board
from testkit import READY, attach, line, ws_client

from lanboard.room import Room


class Sim(StrictSim):
    """A client as the page is: with several processes, an append validated on one process
    may reach the stream after an erase of its stroke accepted on another; every process
    applies it as replay does (nothing to extend), and so does the page."""

    def apply(self, seq: int, kind: str, data: Any, user: str | None) -> None:
        if kind == "append" and data["id"] not in self.board:
            assert self.seq is not None and seq == self.seq + 1, (self.user, seq, self.seq)
            self.seq = seq
            return
        super().apply(seq, kind, data, user)


def stream_seqs(url: str, room: str) -> list[int]:
    import redis

    client = redis.Redis.from_url(url)
    seqs = [int(eid.split(b"-")[0]) for eid, _ in client.xrange(f"lb:{{{room}}}:log")]
    client.close()
    return seqs


def board_of_stream(url: str, room: str) -> list[dict[str, Any]]:
    """The board one process builds from Redis's change log alone, in its order."""
    import redis

    client = redis.Redis.from_url(url)
    ref = Room(room)
    for _, fields in client.xrange(f"lb:{{{room}}}:log"):
        ref.replay(fields[b"f"])
    client.close()
    return [json.loads(e) for _, e in ref.encoded_elements()]


async def run_drawing(sims: list[Sim], rng: random.Random, seconds: float,
                      on_round: Any = None) -> None:
    started = time.monotonic()
    rounds = 0
    while time.monotonic() - started < seconds and rounds < 200:
        rounds += 1
        for s in sims:
            if s.online and rng.random() < 0.5:
                s.act()
        if on_round is not None:
            on_round(rounds)
        await asyncio.sleep(0.025)
        for s in sims:
            if s.failure is not None:
                raise AssertionError(f"client {s.user} failed") from s.failure


async def settle_all(sims: list[Sim], bases: list[str], room: str,
                     timeout: float = 30) -> tuple[int, list[dict[str, Any]]]:
    """Reconnect anyone offline, then wait until every client and every process agree."""
    deadline = time.monotonic() + timeout
    while True:
        for s in sims:
            if s.failure is not None:
                raise AssertionError(f"client {s.user} failed") from s.failure
        offline = [s for s in sims if not s.online]
        await asyncio.wait_for(asyncio.gather(*(s.reconnect() for s in offline)), 30)
        boards = [await server_board(b, room) for b in bases]
        seq, elements = boards[0]
        pending = [s.user for s in sims if any(n > 0 and e in s.mine
                                               for e, n in s.unconfirmed.items())]
        behind = [s.user for s in sims if s.seq != seq]
        if not pending and not behind and all(b == boards[0] for b in boards):
            return seq, elements
        assert time.monotonic() < deadline, f"no convergence: pending {pending}, behind {behind}"
        await asyncio.sleep(0.2)


async def test_three_processes_converge_to_the_board_one_process_builds(
        server_factory, redis_server: RedisServer):  # noqa: F811
    redis_server.flush()
    servers = [server_factory("--redis", redis_server.url) for _ in range(3)]
    rng = random.Random(3)
    room = "spread"
    sims = [Sim(servers[i % 3].url, room, f"u{i:02d}", v2=i % 4 != 0,
                rng=random.Random(rng.random())) for i in range(6)]
    try:
        await asyncio.gather(*(s.connect() for s in sims))
        await asyncio.gather(*(asyncio.wait_for(s.caught_up.wait(), 10) for s in sims))
        await run_drawing(sims, rng, 2.0)
        seq, elements = await settle_all(sims, [s.url for s in servers], room)
        check_converged(sims, seq, elements)
        assert seq > 80 and elements
        # The same changes in the same order, replayed by one process, give the same board.
        assert board_of_stream(redis_server.url, room) == elements
        # Everyone on every process is in everyone's userlist.
        probe = await ws_client(servers[0].url + "/ws/" + room, userId="probe")
        await probe.recv_type("sync")
        users = (await probe.recv_type("userlist"))["data"]["users"]
        assert {u["userId"] for u in users} >= {s.user for s in sims}
    finally:
        for s in sims:
            s.drop()


@pytest.mark.parametrize("seed", [1, 2])
async def test_a_busy_board_on_four_processes_gives_every_client_every_seq_once(
        server_factory, redis_server: RedisServer, seed: int):  # noqa: F811
    """Sixteen clients on four processes: the reader's news and this process's own turns
    meet on most flushes, so turns are often undone and put in the stream's order. Before
    the fix in journal.py, 4 of 6 such runs had a client see a seq skipped."""
    redis_server.flush()
    servers = [server_factory("--redis", redis_server.url) for _ in range(4)]
    rng = random.Random(100 + seed)
    room = f"busy{seed}"
    sims = [Sim(servers[i % 4].url, room, f"b{i:02d}", v2=i % 4 != 0,
                rng=random.Random(rng.random())) for i in range(16)]
    try:
        await asyncio.gather(*(s.connect() for s in sims))
        await asyncio.gather(*(asyncio.wait_for(s.caught_up.wait(), 10) for s in sims))
        await run_drawing(sims, rng, 3.0)
        seq, elements = await settle_all(sims, [s.url for s in servers], room)
        check_converged(sims, seq, elements)
        assert board_of_stream(redis_server.url, room) == elements
        assert stream_seqs(redis_server.url, room) == list(range(1, seq + 1))
    finally:
        for s in sims:
            s.drop()


async def test_kill_9_of_one_process_loses_and_duplicates_nothing(
        server_factory, redis_server: RedisServer):  # noqa: F811
    redis_server.flush()
    servers = [server_factory("--redis", redis_server.url) for _ in range(3)]
    rng = random.Random(9)
    room = "crash"
    sims = [Sim(servers[i % 2].url, room, f"k{i:02d}", v2=i % 3 != 0,
                rng=random.Random(rng.random())) for i in range(8)]
    victims = [s for i, s in enumerate(sims) if i % 2 == 0]  # those on servers[0]
    try:
        await asyncio.gather(*(s.connect() for s in sims))
        await asyncio.gather(*(asyncio.wait_for(s.caught_up.wait(), 10) for s in sims))

        def kill_midway(rounds: int) -> None:
            if rounds == 40:
                os.kill(servers[0].proc.pid, signal.SIGKILL)
                for s in victims:  # their next connection goes to the third process
                    s.url = s.url.replace(servers[0].url.replace("http", "ws", 1),
                                          servers[2].url.replace("http", "ws", 1))
                    s.drop()
        await run_drawing(sims, rng, 3.0, kill_midway)
        seen = {s.user: s.seq for s in victims}
        seq, elements = await settle_all(sims, [servers[1].url, servers[2].url], room)
        check_converged(sims, seq, elements)
        # Each moved client came back with since and got resume, not a fresh sync.
        assert all(s.stats["resumes"] >= 1 for s in victims), [s.stats for s in victims]
        assert all(s.seq is not None and s.seq >= (seen[s.user] or 0) for s in victims)
        assert board_of_stream(redis_server.url, room) == elements
        # The log holds every seq once, 1..seq: nothing a client saw was lost or doubled.
        assert stream_seqs(redis_server.url, room) == list(range(1, seq + 1))
    finally:
        for s in sims:
            s.drop()


async def test_a_redis_restart_fails_only_what_it_must_and_keeps_the_board(
        server_factory, redis_server: RedisServer):  # noqa: F811
    redis_server.flush()
    a = server_factory("--redis", redis_server.url)
    b = server_factory("--redis", redis_server.url)
    ann = await ws_client(a.url + "/ws/rr", userId="ann")
    await ann.recv_type("sync")
    bob = await ws_client(b.url + "/ws/rr", userId="bob")
    await bob.recv_type("sync")
    ann.send("draw", line("before"))
    assert (await ann.recv_type("ack"))["data"]["id"] == "before"
    assert (await bob.recv_type("draw"))["data"]["id"] == "before"
    redis_server.stop()
    ann.send("draw", line("lost"))
    err = await ann.recv_type("error")
    assert err["data"]["code"] == "storage_error"
    redis_server.start()  # the same directory: its append-only file brings the board back
    deadline = time.monotonic() + 15
    while True:  # the client re-sends until a commit succeeds, as the page does
        ann.send("draw", line("after"))
        msg = await ann.recv(5)
        while msg["type"] not in ("ack", "error"):  # the resync after a failure
            msg = await ann.recv(5)
        if msg["type"] == "ack":
            assert msg["data"]["id"] == "after"
            break
        assert msg["data"]["code"] == "storage_error", msg
        assert time.monotonic() < deadline, msg
        await asyncio.sleep(0.3)
    # The other process reads the board's stream again: the change reaches bob, once.
    got = await bob.recv_type("draw", timeout=10)
    assert got["data"]["id"] == "after"
    await bob.nothing({"draw"}, 0.5)
    carol = await ws_client(b.url + "/ws/rr", userId="carol")
    ids = [e["id"] for e in (await carol.recv_type("sync"))["data"]["elements"]]
    assert ids == ["before", "after"]


def test_redis_unreachable_at_start_is_one_line_and_exit_2(tmp_path):
    port = free_port()
    proc = subprocess.run(
        [sys.executable, "-m", "lanboard", "--headless", "--no-mdns", "--host", "127.0.0.1",
         "--port", "0", "--data-dir", str(tmp_path), "--redis", f"redis://127.0.0.1:{port}/0"],
        capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach Redis" in lines[0], proc.stderr


def test_workers_with_redis_unreachable_say_it_once_and_exit_2(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "lanboard", "--headless", "--no-mdns", "--host", "127.0.0.1",
         "--port", "0", "--data-dir", str(tmp_path), "--workers", "2", "--redis",
         f"redis://127.0.0.1:{free_port()}/0"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "cannot reach Redis" in proc.stderr and "worker" not in proc.stdout


def test_workers_need_redis(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "lanboard", "--headless", "--workers", "2",
                           "--data-dir", str(tmp_path)], capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode == 2 and "--workers needs --redis" in proc.stderr


async def test_two_workers_serve_one_port_and_a_dead_one_comes_back(
        tmp_path, redis_server: RedisServer):  # noqa: F811
    redis_server.flush()
    port = free_port()
    cmd = [sys.executable, "-m", "lanboard", "--headless", "--no-mdns", "--host", "127.0.0.1",
           "--port", str(port), "--data-dir", str(tmp_path), "--redis", redis_server.url,
           "--workers", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    output: list[str] = []
    server = attach(proc, output, READY, timeout=30)
    try:
        assert server is not None, "".join(output)
        # The port the parent held (the one asked for, or the next free one if another
        # program took it meanwhile), and both workers on it.
        assert f"2 workers on port {server.port}" in "".join(output), "".join(output)
        deadline = time.monotonic() + 30
        while sum(f":{server.port}/" in x and "is running at" in x for x in output) < 2:
            assert time.monotonic() < deadline, "".join(output)
            await asyncio.sleep(0.1)
        # Many connections to the one port: the kernel spreads them over both workers, and
        # every client sees every other's draw whichever worker holds it.
        clients = [await ws_client(server.url + "/ws/w", userId=f"c{i}") for i in range(8)]
        for c in clients:
            await c.recv_type("sync")
        clients[0].send("draw", line("x1"))
        for c in clients[1:]:
            assert (await c.recv_type("draw"))["data"]["id"] == "x1"
        pids = [int(x.split("worker pid ")[1].split()[0]) for x in output if "worker pid" in x]
        assert len(set(pids)) == 2, "".join(output)
        os.kill(pids[1], signal.SIGKILL)
        assert server.saw("restarting", 20), "".join(output)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
        if server is not None:
            server.release()


@pytest.mark.parametrize("argv, env, message", [
    (["--workers", "0"], {}, "workers must be a number from 1 to 64"),
    (["--workers", "two"], {}, "workers must be a number from 1 to 64"),
    ([], {"LANBOARD_WORKERS": "99"}, "LANBOARD_WORKERS: workers must be a number"),
    (["--workers", "3"], {}, "--workers needs --redis"),
    (["--workers", "3"], {"LANBOARD_REDIS_URL": ""}, "--workers needs --redis"),
])
def test_bad_worker_and_redis_settings_are_one_line_usage_errors(argv, env, message):
    from lanboard.cli import UsageError, parse_settings

    with pytest.raises(UsageError, match=message):
        parse_settings(argv, env)


def test_redis_settings_from_the_flag_or_the_environment():
    from lanboard.cli import parse_settings

    url = "redis://10.0.0.5:6379/2"
    assert parse_settings(["--redis", url], {}).redis_url == url
    got = parse_settings(["--workers", "4"], {"LANBOARD_REDIS_URL": url})
    assert (got.redis_url, got.workers) == (url, 4)
    assert parse_settings([], {}).redis_url is None  # nothing changes without it


def test_a_malformed_redis_url_is_one_line_and_exit_2(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "lanboard", "--headless", "--no-mdns", "--host", "127.0.0.1",
         "--port", "0", "--data-dir", str(tmp_path), "--redis", "mongodb://x"],
        capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach Redis at mongodb://x" in lines[0], proc.stderr


def test_only_worker_0_advertises_and_opens_a_browser():
    from lanboard.workers import _worker_args

    argv = ["--redis", "redis://h/0", "--workers", "3", "--port=8080"]
    assert _worker_args(argv, 8123, 0) == ["--redis", "redis://h/0", "--port", "8123"]
    assert _worker_args(argv, 8123, 2) == ["--redis", "redis://h/0", "--port", "8123",
                                           "--no-mdns", "--headless"]


def test_without_redis_py_the_flag_says_what_to_install(tmp_path):
    # A Python that cannot import redis (as a build without the extra): one line, exit 2.
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "redis.py").write_text("raise ImportError('no redis here')\n")
    env = {**os.environ, "PYTHONPATH": f"{shadow}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    for extra in ([], ["--workers", "2"]):
        proc = subprocess.run(
            [sys.executable, "-m", "lanboard", "--headless", "--no-mdns", "--host",
             "127.0.0.1", "--port", "0", "--data-dir", str(tmp_path), "--redis",
             "redis://127.0.0.1:1/0", *extra], capture_output=True, text=True, timeout=30,
            env=env)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.strip().splitlines() == [
            "lanboard: error: --redis needs redis-py: pip install 'lanboard[redis]'"]
