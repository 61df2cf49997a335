"""Run the benchmark scenarios against LANBoard and the naive baseline, side by side.

    python -m benchmarks.run                 # every scenario (about 8 minutes on 2 cores)
    python -m benchmarks.run --only 50x60    # one scenario (names: see SCENARIOS)
    python -m benchmarks.run --smoke         # CI: tiny sizes, a few seconds, no speed claims

Each scenario starts a fresh server process per server kind (LANBoard, then the naive baseline),
drives it with load generator processes (benchmarks/loadgen.py), reads the server's CPU and RSS
from /proc/PID, and prints one table row per server. Results go to --out as JSON and the table
to stdout as Markdown. Loopback only; every wait is bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import select
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


# ---- servers under test ------------------------------------------------------------------


def is_lanboard(kind: str) -> bool:
    """LANBoard itself (this checkout or --ref-src), as opposed to naive or floor."""
    return kind.startswith(("lanboard", "ref"))


@dataclass
class Server:
    kind: str  # "lanboard", "lanboard-memory", "naive", "floor", or "ref"/"ref-memory"
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    port: int = 0
    tmp: tempfile.TemporaryDirectory[str] | None = None
    log: Path = Path("/dev/null")

    @property
    def v2(self) -> bool:
        return self.kind != "naive"

    def start(self) -> None:
        """Start on port 0 and read the port the server reports: a port probed free here
        could be taken by another process before the server binds it."""
        cwd = ROOT
        if self.kind.startswith("ref"):
            if REF_SRC is None:
                raise RuntimeError("the ref servers need --ref-src")
            cwd = REF_SRC  # python -m puts the working directory first on sys.path
        self.tmp = tempfile.TemporaryDirectory(prefix="lanboard-bench-")
        if self.kind == "floor":
            cmd = [sys.executable, "-m", "benchmarks.floor_server", "--port", "0"]
            said = re.compile(r"listening on \S*:(\d+)")
        elif is_lanboard(self.kind):
            cmd = [sys.executable, "-m", "lanboard", "--headless", "--no-mdns", "--host", HOST,
                   "--port", "0", "--data-dir", self.tmp.name]
            said = re.compile(r"running at \S*:(\d+)")
        else:
            cmd = [sys.executable, "-m", "benchmarks.naive_server", "--port", "0"]
            said = re.compile(r"listening on \S*:(\d+)")
        env = {**os.environ, "LANBOARD_LOG_LEVEL": "WARNING", **self.env}
        if self.kind.endswith("-memory"):
            env["LANBOARD_STORE"] = "memory"
        self.log = Path(self.tmp.name) / "server.log"
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out,
                                         stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            text = self.log.read_text(errors="replace")
            found = said.search(text)
            if found:
                self.port = int(found.group(1))
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited: {text[-500:]}")
            time.sleep(0.05)
        raise RuntimeError(f"{self.kind} server did not say its port within 20 s")

    def warnings(self) -> list[str]:
        """The server's own warning and error lines (slow peers, rejections, failures)."""
        try:
            lines = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return []
        return [ln[:200] for ln in lines if " WARNING " in ln or " ERROR " in ln]

    def cpu(self) -> float:
        """Seconds of CPU (user + system) the server has used so far."""
        assert self.proc is not None
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def rss(self) -> tuple[int, int]:
        """(current, peak) resident bytes."""
        assert self.proc is not None
        cur = peak = 0
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    cur = int(line.split()[1]) * 1024
                elif line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) * 1024
        return cur, peak

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(8)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.tmp is not None:
            self.tmp.cleanup()
        self.proc = None


# ---- load generator processes ------------------------------------------------------------


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    with open("/proc/stat") as f:
        vals = [int(v) for v in f.readline().split()[1:]]
    idle = vals[3] + vals[4]
    return (sum(vals) - idle) / TICK, sum(vals) / TICK


def wait_quiet(limit_pct: float, most_s: float) -> float:
    """Wait (at most `most_s`) until the rest of the machine uses under `limit_pct` of it:
    other work on a shared box skews every figure. Returns the last busy share seen."""
    deadline = time.monotonic() + most_s
    while True:
        b0 = machine_busy()
        time.sleep(1.0)
        b1 = machine_busy()
        busy = 100 * (b1[0] - b0[0]) / max(1e-9, b1[1] - b0[1])
        if busy < limit_pct or time.monotonic() > deadline:
            return busy


def read_line(proc: subprocess.Popen[bytes], timeout: float) -> str:
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    buf = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            break
        ch = os.read(fd, 1 << 20)
        if not ch:
            break
        buf += ch
        if buf.endswith(b"\n"):
            return buf.decode()
    raise RuntimeError(f"load generator said nothing in {timeout:.0f} s: {buf[:200]!r}")


def split(n: int, parts: int) -> list[int]:
    return [n // parts + (1 if i < n % parts else 0) for i in range(parts)]


def percentile(sorted_values: list[int], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * q))] / 1000.0


@dataclass
class Load:
    clients: int
    rate: float = 30.0
    duration: float = 5.0
    senders: int = -1  # -1: every client draws
    gens: int = 2
    rooms: int = 1
    per_room: int = 0
    measure: int = 16
    drain: float = 5.0
    hold: float = 0.0  # idle scenario: seconds to wait after joining before reading RSS
    quiet: float = 1.0  # stop draining after this long with nothing arriving


#: Another LANBoard source tree (--ref-src), run as the "ref" servers for before/after figures.
REF_SRC: Path | None = None

#: When set (--profile DIR), py-spy records each LANBoard server during the load phase.
PROFILE_DIR: Path | None = None


def start_profile(server: Server, label: str, seconds: float) -> subprocess.Popen[bytes] | None:
    if PROFILE_DIR is None or not is_lanboard(server.kind) or server.proc is None:
        return None
    PROFILE_DIR.mkdir(parents=True, exist_ok=True)
    out = PROFILE_DIR / f"{label}-{server.kind}.txt"
    return subprocess.Popen(["py-spy", "record", "-p", str(server.proc.pid), "-d",
                             str(max(1, int(seconds))), "-r", "250", "-f", "raw", "-o", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summarize_profile(path: Path, top: int = 15) -> str:
    """Top functions by own samples and by inclusive samples, from py-spy's raw output."""
    own: dict[str, int] = {}
    incl: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        count = int(n)
        total += count
        frames = [re.sub(r" \((?:.*/)?([^/]+?):\d+\)$", r" (\1)", f)
                  for f in stack.split(";")]
        own[frames[-1]] = own.get(frames[-1], 0) + count
        for f in set(frames):
            incl[f] = incl.get(f, 0) + count
    lines = [f"{path.name}: {total} samples", "own%  incl%  function"]
    for f, n in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"{100 * n / total:5.1f} {100 * incl[f] / total:5.1f}  {f}")
    return "\n".join(lines)


def run_load(server: Server, load: Load, label: str = "") -> dict[str, Any]:
    """Connect every client, start them together, and gather their figures."""
    gens = max(1, min(load.gens, load.clients))
    senders = load.clients if load.senders < 0 else load.senders
    base_ns = time.monotonic_ns()
    procs: list[subprocess.Popen[bytes]] = []
    first = 0
    # A group of servers (benchmarks/cluster.py) gives each generator its own process's port.
    ports = getattr(server, "ports", None) or [server.port]
    for n, s in zip(split(load.clients, gens), split(senders, gens), strict=True):
        port = ports[len(procs) % len(ports)]
        cmd = [sys.executable, "-m", "benchmarks.loadgen", "--port", str(port),
               "--clients", str(n), "--first", str(first), "--senders", str(s),
               "--rate", str(load.rate), "--duration", str(load.duration),
               "--measure", str(max(1, load.measure // gens)), "--drain", str(load.drain),
               "--base-ns", str(base_ns), "--rooms", str(load.rooms),
               "--per-room", str(load.per_room), "--quiet", str(load.quiet)]
        if server.v2:
            cmd.append("--v2")
        procs.append(subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE))
        first += n
    try:
        for p in procs:
            line = read_line(p, 120)
            if line.strip() != "ready":
                raise RuntimeError(f"load generator: {line[:200]}")
        # What the rest of the machine is doing while this benchmark's processes are idle.
        b0 = machine_busy()
        time.sleep(max(load.hold, 0.5))
        b1 = machine_busy()
        rss_idle = server.rss()[0]
        cpu0, t0, m0 = server.cpu(), time.monotonic(), machine_busy()
        start_us = (time.monotonic_ns() - base_ns) // 1000 + 100_000
        for p in procs:
            assert p.stdin is not None
            p.stdin.write(f"go {start_us}\n".encode())
            p.stdin.flush()
        spy = start_profile(server, label, load.duration)
        time.sleep(0.1 + load.duration)
        cpu1, t1, m1 = server.cpu(), time.monotonic(), machine_busy()
        rss_busy = server.rss()
        results = [json.loads(read_line(p, load.duration + load.drain + 60)) for p in procs]
        cpu2 = server.cpu()
        if spy is not None:
            spy.wait(30)
    finally:
        for p in procs:
            if p.poll() is None:
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)
    rss_after = server.rss()
    lat = sorted(v for r in results for v in r["latencies_us"])
    sent = sum(r["sent"] for r in results)
    delivered = sum(r["delivered"] for r in results)
    receivers = load.per_room if load.rooms > 1 else load.clients
    expected = sent * (receivers - 1)
    active = max(max(r["last_rx_s"] for r in results), load.duration)
    gen_cpu = [r["cpu_frac"] for r in results]
    lag = max(r["send_lag_p99_ms"] for r in results)
    server_cpu = (cpu1 - cpu0) / (t1 - t0 - 0.1)
    # The generator was the limit when one of its processes used nearly a whole core, or the
    # machine's two cores were full and the generators' share was what delayed the sends.
    limited = max(gen_cpu) > 0.9 or (lag > 20 and server_cpu < 0.9)
    return {
        "server": server.kind,
        "clients": load.clients,
        "senders": senders,
        "rate": load.rate,
        "duration_s": load.duration,
        "sent": sent,
        "expected": expected,
        "delivered": delivered,
        "loss_pct": round(100.0 * (expected - delivered) / expected, 3) if expected else 0.0,
        "delivered_per_s": round(delivered / active) if expected else 0,
        "offered_per_s": round(expected / load.duration) if expected else 0,
        "last_delivery_s": round(active, 2),
        "lat_samples": len(lat),
        "p50_ms": percentile(lat, 0.50),
        "p95_ms": percentile(lat, 0.95),
        "p99_ms": percentile(lat, 0.99),
        "max_ms": lat[-1] / 1000.0 if lat else float("nan"),
        "server_cpu_pct": round(100 * server_cpu, 1),
        "idle_busy_pct": round(100 * (b1[0] - b0[0]) / max(1e-9, b1[1] - b0[1]), 1),
        "machine_busy_pct": round(100 * (m1[0] - m0[0]) / max(1e-9, m1[1] - m0[1]), 1),
        # Robust to a busy machine: the server's own CPU for the whole run, per change sent.
        "server_us_per_change": round(1e6 * (cpu2 - cpu0) / sent, 1) if sent else 0.0,
        "server_rss_mb": round(max(rss_busy[0], rss_after[0]) / 1e6, 1),
        "server_rss_peak_mb": round(rss_after[1] / 1e6, 1),
        "server_rss_idle_mb": round(rss_idle / 1e6, 1),
        "gen_procs": len(procs),
        "gen_cpu_pct": [round(100 * c, 1) for c in gen_cpu],
        "gen_send_lag_p99_ms": lag,
        "gen_limited": bool(limited),
        "closed": sum(r["closed"] for r in results),
        "resyncs": sum(r["resyncs"] for r in results),
        "server_warnings": server.warnings()[:5],
        # Batching at work: draws per v2 frame a client received (0 for the seed protocol).
        "draws_per_frame": round(sum(r["delivered"] + r["echoes"] for r in results)
                                 / max(1, sum(r["v2_frames"] for r in results)), 1)
        if server.v2 else 0.0,
    }


# ---- late joiner and memory per element ----------------------------------------------------


class BlockingClient:
    """A plain blocking WebSocket client that parses whole frames (for the late joiner)."""

    def __init__(self, port: int, path: str) -> None:
        self.sock = socket.create_connection((HOST, port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        from benchmarks.loadgen import handshake_request

        self.sock.sendall(handshake_request(HOST, port, path))
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self.buf += self._recv()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(f"handshake refused: {head[:80]!r}")

    def _recv(self) -> bytes:
        data = self.sock.recv(1 << 20)
        if not data:
            raise ConnectionError("server closed the connection")
        return data

    def frame(self) -> bytes | bytearray:
        while True:
            b = self.buf
            if len(b) >= 2:
                n, i = b[1] & 0x7F, 2
                if n == 126 and len(b) >= 4:
                    n, i = int.from_bytes(b[2:4], "big"), 4
                elif n == 127 and len(b) >= 10:
                    n, i = int.from_bytes(b[2:10], "big"), 10
                if n < 126 or i > 2:
                    if len(b) >= i + n:
                        self.buf = b[i + n:]
                        return b[i:i + n]
                    return self._rest(b[i:], n)
            self.buf += self._recv()

    def _rest(self, head: bytes, n: int) -> bytearray:
        """Read the rest of a large frame straight into one buffer (no repeated copies)."""
        out = bytearray(n)
        out[:len(head)] = head
        view, got = memoryview(out), len(head)
        while got < n:
            k = self.sock.recv_into(view[got:], n - got)
            if not k:
                raise ConnectionError("server closed the connection")
            got += k
        self.buf = b""
        return out

    def send_all(self, frames: list[bytes]) -> None:
        self.sock.sendall(b"".join(frames))

    def close(self) -> None:
        self.sock.close()


def fill(server: Server, count: int) -> dict[str, Any]:
    """Put `count` elements on one board; return the server's RSS growth per element."""
    from benchmarks.loadgen import DRAW, frame

    filler = BlockingClient(server.port, "/ws/late?userId=c99999")
    time.sleep(0.3)
    before = server.rss()[0]
    filler.sock.setblocking(False)
    t0 = time.monotonic()
    chunk = 2000
    for start in range(0, count, chunk):
        frames = [frame(DRAW % (99999, 99999, i)) for i in range(start, min(count, start + chunk))]
        data = b"".join(frames)
        while data:
            try:
                n = filler.sock.send(data)
                data = data[n:]
            except BlockingIOError:
                select.select([filler.sock], [filler.sock], [], 1.0)
            try:
                while filler.sock.recv(1 << 20):
                    pass
            except BlockingIOError:
                pass
    filler.sock.setblocking(True)
    filler.send_all([frame(b'{"type":"ping"}')])
    seen = b""
    deadline = time.monotonic() + 120
    while b'"type":"pong"' not in seen[-4096:] and time.monotonic() < deadline:
        seen = seen[-4096:] + filler._recv()
    fill_s = time.monotonic() - t0
    time.sleep(0.5)
    after = server.rss()[0]
    filler.close()
    return {"elements": count, "fill_s": round(fill_s, 2),
            "bytes_per_element": round((after - before) / count),
            "rss_mb": round(after / 1e6, 1)}


def late_join(server: Server, count: int, joins: int = 3) -> dict[str, Any]:
    """Connect `joins` times; time from TCP connect to the sync received, and to it parsed.
    Parsing uses orjson, nearer a browser's JSON.parse than Python's json module."""
    times, recv = [], []
    for j in range(joins):
        q = f"userId=late{j}" + ("&v=2" if server.v2 else "")
        t0 = time.perf_counter()
        c = BlockingClient(server.port, f"/ws/late?{q}")
        sync = None
        received = t0
        deadline = time.monotonic() + 60
        while sync is None and time.monotonic() < deadline:
            raw = c.frame()
            received = time.perf_counter()
            msg = orjson.loads(raw)
            for m in msg if isinstance(msg, list) else [msg]:
                if m.get("type") == "sync":
                    sync = m
        t1 = time.perf_counter()
        c.close()
        if sync is None or len(sync["data"]["elements"]) != count:
            got = None if sync is None else len(sync["data"]["elements"])
            raise RuntimeError(f"late joiner got {got} elements, not {count}")
        times.append((t1 - t0) * 1000)
        recv.append((received - t0) * 1000)
    return {"first_ms": round(times[0], 1), "median_ms": round(statistics.median(times), 1),
            "max_ms": round(max(times), 1), "first_received_ms": round(recv[0], 1),
            "median_received_ms": round(statistics.median(recv), 1)}


# ---- scenarios ---------------------------------------------------------------------------


def throughput(name: str, load: Load) -> Any:
    def run(kind: str, env: dict[str, str]) -> dict[str, Any]:
        s = Server(kind, env)
        s.start()
        try:
            return {"scenario": name, **run_load(s, load, name)}
        finally:
            s.stop()
    return run


def idle_rooms(name: str, rooms: int, per_room: int, hold: float = 1.0) -> Any:
    def run(kind: str, env: dict[str, str]) -> dict[str, Any]:
        s = Server(kind, env)
        s.start()
        try:
            load = Load(clients=rooms * per_room, rate=0, duration=0.1, rooms=rooms,
                        per_room=per_room, measure=0, drain=0.2, hold=hold, quiet=0.1)
            r = run_load(s, load)
            return {"scenario": name, "server": kind, "clients": r["clients"], "rooms": rooms,
                    "server_rss_mb": r["server_rss_idle_mb"], "closed": r["closed"]}
        finally:
            s.stop()
    return run


def late_joiner(name: str, count: int) -> Any:
    def run(kind: str, env: dict[str, str]) -> dict[str, Any]:
        if kind == "floor":
            raise ValueError("the floor relay keeps no board")
        # One client fills the board as fast as it can: lift LANBoard's per-client change
        # rate (400/s by default, loopback included) for this setup step only.
        s = Server(kind, {"LANBOARD_RATE_CHANGES": "1000000", **env})
        s.start()
        try:
            f = fill(s, count)
            return {"scenario": name, "server": kind, **f, **late_join(s, count)}
        finally:
            s.stop()
    return run


def saturation(name: str, steps: list[int], rate: float, duration: float) -> Any:
    """Raise the client count until p99 passes 50 ms or messages are lost."""
    def run(kind: str, env: dict[str, str]) -> dict[str, Any]:
        best, tried = None, []
        for n in steps:
            s = Server(kind, env)
            s.start()
            try:
                r = run_load(s, Load(clients=n, rate=rate, duration=duration, drain=3.0))
            finally:
                s.stop()
            ok = r["p99_ms"] <= 50 and r["loss_pct"] <= 0.1
            tried.append({k: r[k] for k in ("clients", "delivered_per_s", "p99_ms", "loss_pct",
                                            "server_cpu_pct", "gen_cpu_pct", "gen_limited")})
            if not ok:
                break
            best = r
        return {"scenario": name, "server": kind, "rate": rate,
                "saturation_per_s": best["delivered_per_s"] if best else 0,
                "at_clients": best["clients"] if best else 0,
                "gen_limited": bool(best and best["gen_limited"]), "steps": tried}
    return run


def scenarios(smoke: bool) -> dict[str, Any]:
    if smoke:
        return {
            "4x20": throughput("4x20", Load(clients=4, rate=20, duration=1.0, gens=1, measure=4,
                                            drain=1.0, quiet=0.3)),
            "late-200": late_joiner("late-200", 200),
            "rooms-5x2": idle_rooms("rooms-5x2", 5, 2, hold=0.3),
        }
    return {
        "10x60": throughput("10x60", Load(clients=10, rate=60, gens=1, measure=10)),
        "50x30": throughput("50x30", Load(clients=50, rate=30)),
        "50x60": throughput("50x60", Load(clients=50, rate=60)),
        "200x30": throughput("200x30", Load(clients=200, rate=30)),
        "1000c-10x30": throughput("1000c-10x30", Load(clients=1000, rate=30, senders=10)),
        "late-10k": late_joiner("late-10k", 10_000),
        "late-100k": late_joiner("late-100k", 100_000),
        "rooms-2000x2": idle_rooms("rooms-2000x2", 2000, 2),
        "saturation": saturation("saturation", [10, 20, 40, 60, 80, 120, 160, 200, 260],
                                 30, 3.0),
    }


# ---- output ------------------------------------------------------------------------------


def fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.2f}" if abs(v) < 100 else f"{v:.0f}"
    if isinstance(v, list):
        return "/".join(fmt(x) for x in v)
    return str(v)


def table(rows: list[dict[str, Any]]) -> str:
    out = []
    load_rows = [r for r in rows if "p99_ms" in r]
    if load_rows:
        cols = ["scenario", "server", "offered_per_s", "delivered_per_s", "loss_pct", "p50_ms",
                "p95_ms", "p99_ms", "max_ms", "server_cpu_pct", "server_us_per_change",
                "server_rss_mb", "gen_cpu_pct",
                "machine_busy_pct", "idle_busy_pct",
                "gen_limited"]
        out.append("| " + " | ".join(cols) + " |")
        out.append("|" + "---|" * len(cols))
        out += ["| " + " | ".join(fmt(r[c]) for c in cols) + " |" for r in load_rows]
        out.append("")
    for r in rows:
        if "p99_ms" not in r:
            rest = {k: v for k, v in r.items() if k not in ("scenario", "server")}
            out.append(f"- {r['scenario']} [{r['server']}]: " + ", ".join(
                f"{k}={fmt(v) if not isinstance(v, list) else json.dumps(v)}"
                for k, v in rest.items()))
    return "\n".join(out)


def side_by_side(rows: list[dict[str, Any]]) -> str:
    """One line per scenario, each server's key figure beside the others' (for the README)."""
    order = ["lanboard", "lanboard-memory", "naive", "floor"]
    by: dict[str, dict[str, dict[str, Any]]] = {}
    for r in rows:
        by.setdefault(r["scenario"], {})[r["server"]] = r

    def cell(r: dict[str, Any] | None) -> str:
        if r is None:
            return "-"
        if "error" in r:
            return f"error: {r['error'][:60]}"
        if "p99_ms" in r:
            return (f"{r['delivered_per_s']:,}/s, loss {r['loss_pct']:g} %, p50/p99 "
                    f"{r['p50_ms']:.1f}/{r['p99_ms']:.1f} ms, CPU {r['server_cpu_pct']:.0f} %, "
                    f"{r['server_us_per_change']:.0f} us/change, RSS {r['server_rss_mb']:.0f} MB")
        if "bytes_per_element" in r:
            return (f"sync {r['first_ms']:.0f} ms first / {r['median_ms']:.0f} ms median "
                    f"(received {r['first_received_ms']:.0f}/{r['median_received_ms']:.0f}), "
                    f"{r['bytes_per_element']} B/element")
        if "saturation_per_s" in r:
            return f"{r['saturation_per_s']:,}/s at {r['at_clients']} clients"
        return f"RSS {r['server_rss_mb']:.0f} MB, {r['closed']} closed"

    out = ["| scenario | " + " | ".join(order) + " |", "|---" * len(order) + "|---|"]
    for name, servers in by.items():
        out.append(f"| {name} | " + " | ".join(cell(servers.get(k)) for k in order) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="LANBoard benchmarks: LANBoard beside the naive "
                                "baseline, in one run")
    p.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    p.add_argument("--only", action="append", default=[], help="run only these scenarios")
    p.add_argument("--servers", default=None, help="comma-separated: lanboard (its default, "
                   "durable store), lanboard-memory (LANBOARD_STORE=memory), naive, floor (a bare "
                   "asyncio relay: the machine's own floor)")
    p.add_argument("--out", type=Path, default=None, help="write the results here as JSON")
    p.add_argument("--lanboard-env", action="append", default=[],
                   help="KEY=VALUE for the LANBoard server, e.g. LANBOARD_STORE=memory")
    p.add_argument("--profile", type=Path, default=None,
                   help="record LANBoard with py-spy during each load into this folder")
    p.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                   help="before each run, wait up to this long for the machine to be idle")
    p.add_argument("--ref-src", type=Path, default=None,
                   help="a LANBoard checkout (git worktree) to run as servers ref, ref-memory")
    p.add_argument("--report", type=Path, default=None,
                   help="print a results file (--out) side by side, and run nothing")
    args = p.parse_args(argv)
    if args.report:
        print(side_by_side(json.loads(args.report.read_text())["rows"]))
        return 0
    # A TERM unwinds through every `finally`, so no server or generator is left behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    global PROFILE_DIR, REF_SRC
    PROFILE_DIR = args.profile
    REF_SRC = args.ref_src.resolve() if args.ref_src else None
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # children inherit it
    table_of = scenarios(args.smoke)
    names = args.only or list(table_of)
    unknown = [n for n in names if n not in table_of]
    if unknown:
        p.error(f"unknown scenarios {unknown}; choose from {list(table_of)}")
    env = dict(kv.split("=", 1) for kv in args.lanboard_env)
    rows: list[dict[str, Any]] = []
    t0 = time.monotonic()
    servers = args.servers or ("lanboard,naive" if args.smoke else
                               "lanboard,lanboard-memory,naive,floor")
    for name in names:
        for kind in servers.split(","):
            if args.wait_quiet:
                wait_quiet(15.0, args.wait_quiet)
            started = time.monotonic()
            try:
                row = table_of[name](kind, env if is_lanboard(kind) else {})
            except (RuntimeError, OSError, ValueError) as exc:
                row = {"scenario": name, "server": kind, "error": str(exc)[:300]}
            row["wall_s"] = round(time.monotonic() - started, 1)
            rows.append(row)
            print(json.dumps({k: v for k, v in row.items()}), file=sys.stderr, flush=True)
    summary = {"when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
               "machine": f"{platform.machine()} {os.cpu_count()} cores, "
                          f"{platform.python_implementation()} {platform.python_version()}",
               "wall_s": round(time.monotonic() - t0, 1), "rows": rows}
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(summary, indent=1) + "\n")
    print(table(rows))
    print(f"\n{len(rows)} rows in {summary['wall_s']} s")
    if PROFILE_DIR is not None:
        for path in sorted(PROFILE_DIR.glob("*.txt")):
            print("\n" + summarize_profile(path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
