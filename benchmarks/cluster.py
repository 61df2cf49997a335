"""Several LANBoard processes sharing boards through Redis (issue 18), beside one process,
in the same run: deliveries per second and latency, and how far one Redis goes.

    python -m benchmarks.cluster                      # everything, ~2 min
    python -m benchmarks.cluster --only 10x60         # one scenario
    python -m benchmarks.cluster --smoke              # a few seconds, for CI
    python -m benchmarks.cluster --ref-src /tmp/ref-41f1ff6   # "today" = that checkout

Setups, all on this machine, with the load generators of benchmarks/run.py:

- `1proc-sqlite`: one process, the default SQLite store (with --ref-src: that checkout);
- `1proc-redis`: one process with --redis (the Redis hop alone);
- `2proc-redis`: two processes with --redis, the clients split between them (half the
  generators on each), every change crossing Redis to reach the other half.

redis-server runs in a temporary directory, appendonly yes with appendfsync always, the
policy under which "committed before relayed" means on disk. The Redis rows measure one
board's stream from one client: the numbering script per flush as the hub sends it, one
change and 10 changes a batch, and 100 boards a round trip.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import run
from benchmarks.run import Load, Server, run_load, table


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Redis:
    """A redis-server of our own, on a free loopback port, stopped by its PID."""

    def __init__(self, fsync: str = "always") -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="lanboard-redis-")
        self.port = free_port()
        self.fsync = fsync
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", fsync, "--dir", self.tmp.name,
             "--daemonize", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not self._ping():
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), 0.2) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def cpu(self) -> float:
        """Seconds of CPU redis-server has used so far."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / run.TICK

    def flush(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), 2) as s:
            s.sendall(b"FLUSHALL\r\n")
            s.recv(16)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self.tmp.cleanup()


class Group:
    """Several LANBoard servers seen as one by run_load: each generator gets the next one's
    port; CPU and memory are their sums."""

    def __init__(self, kind: str, servers: list[Server]) -> None:
        self.kind = kind
        self.servers = servers
        self.proc = None  # no py-spy for a group

    @property
    def v2(self) -> bool:
        return True

    @property
    def port(self) -> int:
        return self.servers[0].port

    @property
    def ports(self) -> list[int]:
        return [s.port for s in self.servers]

    def start(self) -> None:
        for s in self.servers:
            s.start()

    def stop(self) -> None:
        for s in self.servers:
            s.stop()

    def cpu(self) -> float:
        return sum(s.cpu() for s in self.servers)

    def rss(self) -> tuple[int, int]:
        got = [s.rss() for s in self.servers]
        return sum(g[0] for g in got), sum(g[1] for g in got)

    def warnings(self) -> list[str]:
        return [w for s in self.servers for w in s.warnings()]


def setup(name: str, redis: Redis) -> Any:
    env = {"LANBOARD_REDIS_URL": redis.url}
    if name == "1proc-sqlite":
        return Server("ref" if run.REF_SRC is not None else "lanboard")
    if name == "1proc-redis":
        return Group(name, [Server("lanboard", dict(env))])
    return Group(name, [Server("lanboard", dict(env)) for _ in range(2)])


def scenarios(smoke: bool) -> dict[str, Load]:
    if smoke:
        return {"4x20": Load(clients=4, rate=20, duration=1.0, gens=2, measure=4, drain=1.0,
                             quiet=0.3)}
    # Two generators everywhere, so the two-process setup gets half the clients on each.
    return {
        "10x60": Load(clients=10, rate=60, duration=4.0, gens=2, measure=10),
        "200x30": Load(clients=200, rate=30, duration=4.0),
        "1000c-10x30": Load(clients=1000, rate=30, duration=4.0, senders=10),
    }


def redis_capacity(redis: Redis, seconds: float) -> list[dict[str, Any]]:
    """Changes per second one Redis takes through the numbering script, from one client."""
    from lanboard.redis_store import RedisStore

    store = RedisStore(redis.url)
    msg = b'{"type":"draw","userId":"u","data":{"id":"e1","elementType":"line","x1":1,' \
          b'"y1":2,"x2":3,"y2":4,"strokeColor":"#000","strokeWidth":2}'
    rows = []
    runs = [(label, boards, per, fsync) for fsync in ("always", "everysec")
            for label, boards, per in (("1 board, 1 change a flush", 1, 1),
                                       ("1 board, 10 changes a flush", 1, 10),
                                       ("100 boards, 1 change each a flush", 100, 1))]
    for label, boards, per, fsync in runs:
        store.client.config_set("appendfsync", fsync)
        label = f"{label}, appendfsync {fsync}"
        redis.flush()
        seqs = dict.fromkeys(range(boards), 0)
        flushes = changes = 0
        lat: list[float] = []
        cpu0 = redis.cpu()
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            batch = [(f"b{b}", seqs[b], [msg] * per) for b in range(boards)]
            t = time.perf_counter()
            for (b, _), done in zip(seqs.items(), store.append(batch, []), strict=True):
                seqs[b] = done.first + per - 1
            lat.append(time.perf_counter() - t)
            flushes += 1
            changes += boards * per
        wall = time.monotonic() - t0
        cpu = redis.cpu() - cpu0
        lat.sort()
        rows.append({"scenario": "redis", "server": label, "flushes_per_s": round(flushes / wall),
                     "changes_per_s": round(changes / wall),
                     # What one change costs Redis itself: its one core's limit is 1e6 / this.
                     "redis_us_per_change": round(1e6 * cpu / changes, 1),
                     "rtt_p50_ms": round(1000 * lat[len(lat) // 2], 3),
                     "rtt_p99_ms": round(1000 * lat[int(len(lat) * 0.99)], 3)})
    store.client.config_set("appendfsync", redis.fsync)
    store.close()
    return rows


def memory_per_change(redis: Redis, changes: int) -> dict[str, Any]:
    """Redis memory a kept change costs, for strokes as the page sends them: one draw of a
    path, then appends of 3 points (a stroke every 10 changes)."""
    import random

    from lanboard.redis_store import RedisStore

    redis.flush()
    store = RedisStore(redis.url)
    base = store.client.info("memory")["used_memory"]
    r = random.Random(1)
    seq, size = 0, 0
    for i in range(changes // 100):
        bodies = []
        for j in range(100):
            if j % 10 == 0:
                data = {"id": f"u1-{i}-{j}", "elementType": "path", "strokeColor": "#e6194b",
                        "strokeWidth": 4, "userId": "student1",
                        "points": [[round(r.random() * 1000, 1), 5.5] for _ in range(2)]}
                kind = "draw"
            else:
                data = {"id": f"u1-{i}-{j - j % 10}",
                        "points": [[round(r.random() * 1000, 1), 5.5] for _ in range(3)]}
                kind = "append"
            bodies.append(b'{"type":"%s","userId":"student1","data":' % kind.encode()
                          + json.dumps(data, separators=(",", ":")).encode())
            size += len(bodies[-1])
        seq = store.append([("m", seq, bodies)], [])[0].first + 99
    used = store.client.info("memory")["used_memory"] - base
    store.close()
    return {"scenario": "redis", "server": "memory per kept change (strokes)",
            "bytes_per_change": round(used / changes), "message_bytes": round(size / changes)}


def stream_hop(redis: Redis, samples: int) -> dict[str, Any]:
    """How long a change appended by one client takes to wake another's blocking XREAD: the
    hop every other process's peers pay, and the one an owner-per-board design would add
    again to forward a change from the process that got it to the board's owner."""
    import threading

    import redis as redis_py

    writer = redis_py.Redis.from_url(redis.url)
    reader: Any = redis_py.Redis.from_url(redis.url)
    lat: list[float] = []
    ready = threading.Event()

    def read() -> None:
        last = "0-0"
        ready.set()
        while len(lat) < samples:
            got = reader.xread({"hop": last}, block=2000)
            now = time.perf_counter()
            for _, items in got or []:
                for eid, fields in items:
                    last = eid.decode()
                    lat.append(now - float(fields[b"t"]))

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    ready.wait()
    time.sleep(0.05)
    for _ in range(samples):
        writer.xadd("hop", {"t": repr(time.perf_counter())})
        time.sleep(0.002)
    thread.join(10)
    writer.close()
    reader.close()
    lat.sort()
    return {"scenario": "redis", "server": "stream hop (XADD to a blocked XREAD)",
            "samples": len(lat), "hop_p50_ms": round(1000 * lat[len(lat) // 2], 3),
            "hop_p99_ms": round(1000 * lat[int(len(lat) * 0.99)], 3)}


def seat_cost(redis: Redis, samples: int) -> dict[str, Any]:
    """What the exact peer cap adds to a join and a leave in Redis mode: one seat take and
    one give-back (lanboard/seats.py) on a board two other processes hold 100 seats each on,
    beside a bare PING from the same client (the floor of any Redis call)."""
    import redis as redis_py

    from lanboard import presence
    from lanboard.redis_store import RedisStore
    from lanboard.seats import Seats

    redis.flush()
    seats = [Seats(RedisStore(redis.url), f"proc{i}", lambda: presence.STALE) for i in range(3)]
    for other in seats[1:]:
        for _ in range(100):
            other.use("seats", True)
    calls: list[float] = []
    for _ in range(samples):
        t = time.perf_counter()
        if seats[0].use("seats", True) is not None:
            raise RuntimeError("a seat was refused under the cap")
        calls.append(time.perf_counter() - t)
        t = time.perf_counter()
        seats[0].use("seats", False)
        calls.append(time.perf_counter() - t)
    client = redis_py.Redis.from_url(redis.url)
    pings: list[float] = []
    for _ in range(samples):
        t = time.perf_counter()
        client.ping()
        pings.append(time.perf_counter() - t)
    client.close()
    calls.sort()
    pings.sort()

    def ms(v: list[float], q: float) -> float:
        return round(1000 * v[min(len(v) - 1, int(len(v) * q))], 3)

    return {"scenario": "redis", "server": "seat take or give-back (3 processes' seats)",
            "samples": len(calls), "seat_p50_ms": ms(calls, 0.5), "seat_p99_ms": ms(calls, 0.99),
            "ping_p50_ms": ms(pings, 0.5), "ping_p99_ms": ms(pings, 0.99)}


def designs(redis: Redis, samples: int) -> list[dict[str, Any]]:
    """The Redis path of a change from a client on process B to a peer on another process,
    with the board's changes ordered in Redis, in the two designs, with real Redis calls and
    no LANBoard work around them (threads of this one process stand for the processes, so
    they share one GIL: a cost the owner design's extra step pays once more):

    - sequencer (built): B numbers it with the APPEND script; the other process's XREAD on
      the board's log wakes (B's own peers get it when APPEND returns);
    - owner per board: B forwards it to the owner A (XADD to A's inbox), A's XREAD wakes, A
      numbers it with APPEND, and B's XREAD on the board's log wakes (B relays it then).
    """
    return [_design(redis, design, samples) for design in ("sequencer", "owner per board")]


def _design(redis: Redis, design: str, samples: int) -> dict[str, Any]:
    import threading

    import redis as redis_py

    from lanboard.redis_store import APPEND

    msg = b'{"type":"draw","userId":"u","data":{"id":"e1"}'
    redis.flush()
    b_client: Any = redis_py.Redis.from_url(redis.url)
    a_client: Any = redis_py.Redis.from_url(redis.url)
    watcher: Any = redis_py.Redis.from_url(redis.url)
    sha = b_client.script_load(APPEND)
    lat: list[float] = []
    sent: dict[int, float] = {}
    stop = threading.Event()
    keys = ("lb:{d}:seq", "lb:{d}:log", "lb:{d}:batch")

    def watch() -> None:  # the reader of the process the peer is on
        last = "0-0"
        while not stop.is_set():
            got = watcher.xread({"lb:{d}:log": last}, block=200)
            now = time.perf_counter()
            for _, items in got or []:
                for eid, _ in items:
                    last = eid.decode()
                    seq = int(last.split("-")[0])
                    if seq in sent:
                        lat.append(now - sent.pop(seq))

    def owner() -> None:  # A: takes forwarded changes and numbers them
        last, seq = "0-0", 0
        while not stop.is_set():
            got = a_client.xread({"lb:{d}:inbox": last}, block=200)
            for _, items in got or []:
                for eid, _ in items:
                    last = eid.decode()
                    a_client.evalsha(sha, 3, *keys, f"a/{seq}", seq, msg)
                    seq += 1

    threads = [threading.Thread(target=watch, daemon=True)]
    if design != "sequencer":
        threads.append(threading.Thread(target=owner, daemon=True))
    for t in threads:
        t.start()
    time.sleep(0.1)
    for i in range(samples):
        sent[i + 1] = time.perf_counter()
        if design == "sequencer":
            b_client.evalsha(sha, 3, *keys, f"b/{i}", i, msg)
        else:
            b_client.xadd("lb:{d}:inbox", {"f": msg})
        time.sleep(0.003)
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join(2)
    for c in (a_client, b_client, watcher):
        c.close()
    lat.sort()
    return {"scenario": "redis", "server": f"design: {design}", "samples": len(lat),
            "hop_p50_ms": round(1000 * lat[len(lat) // 2], 3) if lat else None,
            "hop_p99_ms": round(1000 * lat[int(len(lat) * 0.99)], 3) if lat else None}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    p.add_argument("--only", action="append", default=[], help="run only these scenarios")
    p.add_argument("--setups", default="1proc-sqlite,1proc-redis,2proc-redis")
    p.add_argument("--out", type=Path, default=None, help="write the results here as JSON")
    p.add_argument("--ref-src", type=Path, default=None,
                   help="a LANBoard checkout to run as the one-process SQLite setup")
    p.add_argument("--fsync", default="always", choices=["always", "everysec"])
    p.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                   help="before each run, wait up to this long for the machine to be idle")
    args = p.parse_args(argv)
    if shutil.which("redis-server") is None:
        print("benchmarks.cluster: redis-server is not installed", file=sys.stderr)
        return 2
    run.REF_SRC = args.ref_src.resolve() if args.ref_src else None
    loads = scenarios(args.smoke)
    names = args.only or list(loads)
    redis = Redis(args.fsync)
    rows: list[dict[str, Any]] = []
    t0 = time.monotonic()
    try:
        for name in names:
            for kind in args.setups.split(","):
                if args.wait_quiet:
                    run.wait_quiet(15.0, args.wait_quiet)
                redis.flush()
                target = setup(kind, redis)
                started = time.monotonic()
                try:
                    target.start()
                    row = {"scenario": name, **run_load(target, loads[name], name)}
                except (RuntimeError, OSError, ValueError) as exc:
                    row = {"scenario": name, "server": kind, "error": str(exc)[:300]}
                finally:
                    target.stop()
                row["server"] = kind
                row["wall_s"] = round(time.monotonic() - started, 1)
                rows.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
        rows += redis_capacity(redis, 0.2 if args.smoke else 3.0)
        rows.append(stream_hop(redis, 50 if args.smoke else 1000))
        rows += designs(redis, 50 if args.smoke else 600)
        rows.append(seat_cost(redis, 50 if args.smoke else 2000))
        rows.append(memory_per_change(redis, 1000 if args.smoke else 20_000))
    finally:
        redis.stop()
    summary = {"when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
               "machine": f"{os.cpu_count()} cores", "fsync": args.fsync,
               "wall_s": round(time.monotonic() - t0, 1), "rows": rows}
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(summary, indent=1) + "\n")
    print(table([r for r in rows if r["scenario"] != "redis"]))
    for r in rows:
        if "bytes_per_change" in r:
            print(f"redis {r['server']}: {r['bytes_per_change']} B "
                  f"(messages of {r['message_bytes']} B)")
        elif "seat_p50_ms" in r:
            print(f"redis {r['server']}: p50/p99 {r['seat_p50_ms']}/{r['seat_p99_ms']} ms; "
                  f"a PING {r['ping_p50_ms']}/{r['ping_p99_ms']} ms")
        elif "hop_p50_ms" in r:
            print(f"redis {r['server']}: p50/p99 {r['hop_p50_ms']}/{r['hop_p99_ms']} ms")
        elif r["scenario"] == "redis":
            print(f"redis {r['server']}: {r['changes_per_s']:,} changes/s, "
                  f"{r['flushes_per_s']:,} round trips/s, p50/p99 {r['rtt_p50_ms']}/"
                  f"{r['rtt_p99_ms']} ms, Redis CPU {r['redis_us_per_change']} us/change")
    print(f"\n{len(rows)} rows in {summary['wall_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
