"""The load generator: many WebSocket clients in one process, kept cheap.

One epoll loop, non-blocking sockets, no asyncio, no JSON parsing of what arrives:

- Every `draw` a client sends has the element id `cIIIIItTTTTTTTTTT`: the sender's index and its
  send time in microseconds since `--base-ns` (CLOCK_MONOTONIC, shared by every process here).
- Receivers count `"id":"c` in the raw bytes (a C-level `bytes.count`), minus their own echoes.
  No frame parsing is needed: a frame header never falls inside a message.
- A few "measuring" receivers, spread over the join order, also pull every (sender, time) pair
  out of the raw bytes with one regex and record the end-to-end latency.
- Client frames are masked with the all-zero key, so the payload goes out as is.

Talks to the runner over stdin/stdout: prints `ready` once every client has joined, waits for
`go`, runs, prints one JSON line with its figures and exits. Every loop is bounded in time.
Loopback only.
"""

from __future__ import annotations

import argparse
import errno
import heapq
import json
import os
import random
import re
import resource
import select
import socket
import struct
import sys
import time

HOSTS = ("127.0.0.1", "localhost", "::1")
PATTERN = b'"id":"c'
#: A `sync` after the start means the server resynced a client that fell behind (LANBoard's
#: slow-consumer policy); what it skipped shows up as loss.
SYNC = b'"type":"sync"'
#: How a v2 (batched) frame starts: counting these shows how many messages share a frame.
BATCH = b'[{"type"'
MATCH = re.compile(rb'"id":"c(\d{5})t(\d{10})')
#: A full MATCH is 23 bytes: the regex runs over the last 22 bytes of the previous read plus the
#: new ones, which finds matches cut between reads and can never find one twice.
TAIL = 22
RECV = 1 << 18
MAX_SAMPLES = 150_000
DRAW = (b'{"type":"draw","userId":"c%05d","data":{"id":"c%05dt%010d","elementType":"line",'
        b'"x1":10,"y1":20,"x2":30.5,"y2":40.25,"strokeColor":"#336699","strokeWidth":2}}')
CURSOR = b'{"type":"cursor","userId":"c%05d","data":{"x":%d,"y":%d}}'


def frame(payload: bytes) -> bytes:
    """A masked client text frame with the all-zero mask key (XOR with zero: payload as is)."""
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x81, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x81, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
    return head + b"\0\0\0\0" + payload


def handshake_request(host: str, port: int, path: str) -> bytes:
    return (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n").encode()


class Client:
    __slots__ = (
        "bytes_in",
        "closed",
        "count",
        "frames",
        "hdr",
        "idx",
        "measure",
        "out",
        "own",
        "own_pat",
        "sent",
        "sock",
        "state",
        "syncs",
        "tail",
    )

    def __init__(self, idx: int, sock: socket.socket, measure: bool) -> None:
        self.idx = idx
        self.sock = sock
        self.state = "handshake"
        self.hdr = b""
        self.tail = b""
        self.count = 0
        self.own = 0
        self.syncs = 0
        self.frames = 0
        self.own_pat = b'"id":"c%05d' % idx
        self.measure = measure
        self.out = b""
        self.sent = 0
        self.closed = False
        self.bytes_in = 0


class Generator:
    def __init__(self, args: argparse.Namespace) -> None:
        if args.host not in HOSTS:
            raise SystemExit("loadgen: loopback only")
        self.a = args
        self.base_ns: int = args.base_ns or time.monotonic_ns()
        self.ep = select.epoll()
        self.clients: dict[int, Client] = {}
        self.latencies: list[int] = []
        self.stride = 1
        self.seen = 0
        self.last_rx = 0.0
        self.lag: list[float] = []
        self.send_blocked = 0
        self.blocked: set[Client] = set()

    def now_us(self) -> int:
        return (time.monotonic_ns() - self.base_ns) // 1000

    # ---- connecting --------------------------------------------------------------------

    def path(self, idx: int) -> str:
        rooms = max(1, self.a.rooms)
        room = f"{self.a.room}{idx // max(1, self.a.per_room)}" if rooms > 1 else self.a.room
        query = f"userId=c{idx:05d}" + ("&v=2" if self.a.v2 else "")
        return f"/ws/{room}?{query}"

    def connect_all(self) -> None:
        """Open every client with at most `--window` handshakes in flight."""
        n, first = self.a.clients, self.a.first
        measure_every = max(1, n // self.a.measure) if self.a.measure else 0
        pending: dict[int, Client] = {}
        nxt = 0
        deadline = time.monotonic() + self.a.connect_timeout
        while nxt < n or pending:
            if time.monotonic() > deadline:
                raise SystemExit(f"loadgen: {len(self.clients)}/{n} clients joined in time")
            while nxt < n and len(pending) < self.a.window:
                idx = first + nxt
                s = socket.create_connection((self.a.host, self.a.port), timeout=10)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                s.sendall(handshake_request(self.a.host, self.a.port, self.path(idx)))
                s.setblocking(False)
                c = Client(idx, s, bool(measure_every) and nxt % measure_every == 0)
                pending[s.fileno()] = c
                self.clients[s.fileno()] = c
                self.ep.register(s.fileno(), select.EPOLLIN)
                nxt += 1
            for fd, _ in self.ep.poll(0.05):
                c = self.clients[fd]
                self.on_readable(c, time.monotonic())
                if c.state != "handshake":
                    pending.pop(fd, None)
                if c.closed:
                    raise SystemExit(f"loadgen: client {c.idx} was refused")

    # ---- receiving -----------------------------------------------------------------------

    def on_readable(self, c: Client, now: float) -> None:
        try:
            data = c.sock.recv(RECV)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            c.closed = True
            self.ep.unregister(c.sock.fileno())
            return
        c.bytes_in += len(data)
        if c.state == "handshake":
            c.hdr += data
            end = c.hdr.find(b"\r\n\r\n")
            if end < 0:
                return
            if not c.hdr.startswith(b"HTTP/1.1 101"):
                c.closed = True
                sys.stderr.write(f"loadgen: handshake refused: {c.hdr[:80]!r}\n")
                return
            c.state = "open"
            data = c.hdr[end + 4:]
            c.hdr = b""
        self.last_rx = now
        tail = c.tail
        # An occurrence cut between two reads lies in the last L-1 bytes before and the first
        # L-1 after; that short window holds at most one, and never one counted already.
        c.count += data.count(PATTERN) + (tail[-6:] + data[:6]).count(PATTERN)
        c.own += data.count(c.own_pat) + (tail[-11:] + data[:11]).count(c.own_pat)
        c.syncs += data.count(SYNC) + (tail[-13:] + data[:13]).count(SYNC)
        c.frames += data.count(BATCH) + (tail[-7:] + data[:7]).count(BATCH)
        buf = tail + data
        if c.measure:
            t = self.now_us()
            me = b"%05d" % c.idx
            for who, sent in MATCH.findall(buf):
                if who != me:
                    self.seen += 1
                    if self.seen % self.stride == 0:
                        self.latencies.append(t - int(sent))
                        if len(self.latencies) >= MAX_SAMPLES:
                            # Keep a uniform sample: drop every other one, sample half as often.
                            self.latencies = self.latencies[::2]
                            self.stride *= 2
        c.tail = buf[-TAIL:]

    # ---- sending ---------------------------------------------------------------------

    def send(self, c: Client, payload: bytes) -> None:
        data = c.out + frame(payload)
        try:
            n = c.sock.send(data)
        except BlockingIOError:
            n = 0
        except OSError as exc:
            if exc.errno in (errno.EPIPE, errno.ECONNRESET):
                c.closed = True
                return
            raise
        c.out = data[n:]
        if c.out:
            self.send_blocked += 1
            self.blocked.add(c)

    def run(self, start_us: int) -> dict[str, object]:
        a = self.a
        senders = [c for c in sorted(self.clients.values(), key=lambda c: c.idx)][: a.senders]
        period_us = int(1e6 / a.rate) if a.rate > 0 else 0
        end_us = start_us + int(a.duration * 1e6)
        ru0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.monotonic()
        fds = self.ep.poll
        clients = self.clients
        cursor_every = max(1, a.cursor_every) if a.cursor_every else 0
        total_sent = 0
        # Sending phase: a heap of (due time, sender), one draw per sender per period.
        heap = [(start_us + (i * period_us) // max(1, len(senders)), i)
                for i in range(len(senders))] if period_us else []
        heapq.heapify(heap)
        blocked = self.blocked
        while True:
            now_us = self.now_us()
            if now_us >= end_us or time.monotonic() - t0 > a.duration + 5:
                break
            while heap and heap[0][0] <= now_us:
                d, i = heapq.heappop(heap)
                c = senders[i]
                if c.closed:
                    continue
                self.lag.append((now_us - d) / 1000.0)
                ts = self.now_us()
                self.send(c, DRAW % (c.idx, c.idx, ts))
                c.sent += 1
                total_sent += 1
                if cursor_every and c.sent % cursor_every == 0:
                    self.send(c, CURSOR % (c.idx, c.sent % 1000, ts % 1000))
                d += period_us
                if d < now_us - 100 * period_us:
                    d = now_us  # far behind: do not burst to catch up
                heapq.heappush(heap, (d, i))
            nxt = heap[0][0] if heap else end_us
            timeout = max(0.0, (min(nxt, end_us) - self.now_us()) / 1e6)
            now = time.monotonic()
            for fd, _ in fds(min(timeout, 0.05)):
                self.on_readable(clients[fd], now)
            if blocked:
                for c in list(blocked):
                    self.flush_out(c)
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
        send_wall = time.monotonic() - t0
        # Drain: keep reading until nothing arrives for `--quiet` s, at most `--drain` s.
        t_end = time.monotonic()
        while time.monotonic() - t_end < a.drain:
            now = time.monotonic()
            events = fds(0.02)
            for fd, _ in events:
                self.on_readable(clients[fd], now)
            if not events and now - max(self.last_rx, t_end) > a.quiet:
                break
        drained_s = time.monotonic() - t_end
        cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        lag = sorted(self.lag)
        delivered = sum(c.count - c.own for c in clients.values())
        received_all = sum(c.count for c in clients.values())
        return {
            "clients": len(clients),
            "closed": sum(c.closed for c in clients.values()),
            "sent": total_sent,
            "delivered": delivered,
            "echoes": received_all - delivered,
            "resyncs": sum(c.syncs for c in clients.values()),
            "v2_frames": sum(c.frames for c in clients.values()),
            "bytes_in": sum(c.bytes_in for c in clients.values()),
            "send_wall_s": round(send_wall, 3),
            "last_rx_s": round(self.last_rx - t0, 3),
            "drained_s": round(drained_s, 3),
            "cpu_s": round(cpu, 3),
            "cpu_frac": round(cpu / send_wall, 3) if send_wall else 0.0,
            "send_lag_p99_ms": round(lag[int(len(lag) * 0.99)] if lag else 0.0, 2),
            "send_blocked": self.send_blocked,
            "latency_stride": self.stride,
            "latencies_us": self.latencies,
        }

    def flush_out(self, c: Client) -> None:
        try:
            n = c.sock.send(c.out)
        except BlockingIOError:
            return
        except OSError:
            c.closed = True
            self.blocked.discard(c)
            return
        c.out = c.out[n:]
        if not c.out:
            self.blocked.discard(c)

    def pump(self, seconds: float) -> None:
        """Keep reading (joins and userlists) for a while without sending."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            now = time.monotonic()
            for fd, _ in self.ep.poll(0.02):
                self.on_readable(self.clients[fd], now)


def wait_for_line(gen: Generator, timeout: float) -> str:
    """Read a command from stdin while keeping every client's socket drained."""
    stdin = sys.stdin.fileno()
    os.set_blocking(stdin, False)
    buf = b""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([stdin], [], [], 0)
        if r:
            chunk = os.read(stdin, 4096)
            if not chunk:
                return ""
            buf += chunk
            if b"\n" in buf:
                return buf.split(b"\n", 1)[0].decode()
        gen.pump(0.02)
    return ""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--room", default="bench")
    p.add_argument("--rooms", type=int, default=1, help="spread clients over this many rooms")
    p.add_argument("--per-room", type=int, default=0, help="clients per room when --rooms > 1")
    p.add_argument("--clients", type=int, required=True, help="clients in this process")
    p.add_argument("--first", type=int, default=0, help="index of this process's first client")
    p.add_argument("--senders", type=int, default=-1, help="how many of them draw (-1: all)")
    p.add_argument("--rate", type=float, default=30.0, help="draws per second per sender")
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--cursor-every", type=int, default=0, help="a cursor after every Nth draw")
    p.add_argument("--measure", type=int, default=16, help="receivers that record latency")
    p.add_argument("--v2", action="store_true", help="ask for the batched protocol")
    p.add_argument("--window", type=int, default=64, help="handshakes in flight")
    p.add_argument("--connect-timeout", type=float, default=60.0)
    p.add_argument("--drain", type=float, default=5.0, help="most seconds to wait after sending")
    p.add_argument("--quiet", type=float, default=1.0, help="stop draining after this silence")
    p.add_argument("--base-ns", type=int, default=0, help="CLOCK_MONOTONIC origin of ids")
    p.add_argument("--wait", type=float, default=120.0, help="most seconds to wait for go")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    if args.senders < 0:
        args.senders = args.clients
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    random.seed(args.seed)
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    gen = Generator(args)
    gen.connect_all()
    gen.pump(0.2)
    print("ready", flush=True)
    line = wait_for_line(gen, args.wait)
    if not line.startswith("go"):
        print(json.dumps({"error": "no go from the runner"}), flush=True)
        return 1
    parts = line.split()
    start_us = int(parts[1]) if len(parts) > 1 else gen.now_us()
    # What arrived before now (syncs, userlists) is not a delivery. Reset here, before the
    # start: another generator process may start sending a moment before this one does.
    for c in gen.clients.values():
        c.count = c.own = c.syncs = c.frames = 0
    while gen.now_us() < start_us:
        gen.pump(min(0.02, (start_us - gen.now_us()) / 1e6))
    result = gen.run(start_us)
    print(json.dumps(result), flush=True)
    for c in gen.clients.values():
        c.sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
