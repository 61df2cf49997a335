"""The clients of benchmarks/wifi.py: a raw WebSocket client that offers permessage-deflate
as Chromium does (`Wire`), people drawing recorded strokes (`Drawers`) and many joiners at once
(`join_many`). Loopback or a namespace's own address only; every loop is bounded in time."""

from __future__ import annotations

import base64
import itertools
import math
import operator
import os
import random
import selectors
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

import orjson

OFFER = "permessage-deflate; client_max_window_bits"


class Wire:
    """A non-blocking WebSocket client: sends masked frames (zero key), reads server frames,
    inflates RSV1 messages from a fresh state, counts every byte it receives."""

    def __init__(self, host: str, port: int, path: str, offer: bool = True,
                 lazy: bool = False) -> None:
        #: Keep frames as they came ((compressed?, payload) in `raw`), inflating none yet.
        self.lazy = lazy
        self.raw: list[tuple[bool, bytes]] = []
        self.sock = socket.create_connection((host, port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        ext = f"Sec-WebSocket-Extensions: {OFFER}\r\n" if offer else ""
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           f"Sec-WebSocket-Version: 13\r\n{ext}\r\n").encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            buf += chunk
        head, _, rest = buf.partition(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(head.split(b"\r\n", 1)[0].decode())
        self.deflate = b"permessage-deflate" in head.lower()
        self.sock.setblocking(False)
        self.buf = bytearray(rest)
        self.received = len(rest)
        self.messages: list[bytes] = []  # whole payloads, inflated
        self.inflate_s = 0.0

    def send(self, payload: bytes) -> None:
        n = len(payload)
        head = struct.pack("!BB", 0x81, 0x80 | n) if n < 126 else (
            struct.pack("!BBH", 0x81, 0xFE, n) if n < 65536 else struct.pack("!BBQ", 0x81, 0xFF, n))
        data = head + b"\0\0\0\0" + payload
        self.sock.setblocking(True)
        try:
            self.sock.sendall(data)
        finally:
            self.sock.setblocking(False)

    def pump(self) -> bool:
        """Read what the kernel has; False once the server hung up."""
        while True:
            try:
                chunk = self.sock.recv(1 << 20)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                return False
            if not chunk:
                return False
            self.received += len(chunk)
            self.buf += chunk
        self._frames()
        return True

    def _frames(self) -> None:
        buf = self.buf
        pos = 0
        while len(buf) - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            n, off = b1 & 0x7F, 2
            if n == 126:
                if len(buf) - pos < 4:
                    break
                n, off = int.from_bytes(buf[pos + 2:pos + 4], "big"), 4
            elif n == 127:
                if len(buf) - pos < 10:
                    break
                n, off = int.from_bytes(buf[pos + 2:pos + 10], "big"), 10
            if len(buf) - pos < off + n:
                break
            payload = bytes(buf[pos + off:pos + off + n])
            pos += off + n
            if b0 & 0x0F not in (0x1, 0x2):
                continue  # pings and the close are not data
            if self.lazy:
                self.raw.append((bool(b0 & 0x40), payload))
                continue
            if b0 & 0x40:
                t = time.perf_counter()
                z = zlib.decompressobj(-15)
                payload = z.decompress(payload + b"\x00\x00\xff\xff")
                self.inflate_s += time.perf_counter() - t
            self.messages.append(payload)
        del buf[:pos]

    def until(self, test: Any, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        sel = selectors.DefaultSelector()
        sel.register(self.sock, selectors.EVENT_READ)
        try:
            while time.monotonic() < deadline:
                if test():
                    return True
                sel.select(0.05)
                if not self.pump():
                    return bool(test())
            return bool(test())
        finally:
            sel.close()

    def inflated(self) -> list[bytes]:
        """The lazily kept frames, inflated now (the time goes to inflate_s)."""
        out = []
        for compressed, payload in self.raw:
            if compressed:
                t = time.perf_counter()
                payload = zlib.decompressobj(-15).decompress(payload + b"\x00\x00\xff\xff")
                self.inflate_s += time.perf_counter() - t
            out.append(payload)
        return out

    def close(self) -> None:
        try:
            self.sock.setblocking(True)
            self.sock.sendall(b"\x88\x82\0\0\0\0\x03\xe8")
        except OSError:
            pass
        self.sock.close()


def has_type(wire: Wire, kind: bytes) -> bool:
    return any(b'"type":"' + kind + b'"' in m for m in wire.messages)


class Drawers:
    """`n` v2 clients that draw recorded strokes at 60 frames a second and count what they
    receive."""

    def __init__(self, host: str, port: int, room: str, n: int,
                 strokes: list[list[bytes]], since: int | None = None) -> None:
        # Joining with `since` (a resume): drawers need not download the board.
        tail = f"&since={since}" if since is not None else ""
        self.wires = [Wire(host, port, f"/ws/{room}?userId=pen{i:02d}&v=2{tail}")
                      for i in range(n)]
        for w in self.wires:
            w.until(lambda w=w: has_type(w, b"userlist"), 20)
        self.strokes = strokes
        self.sel = selectors.DefaultSelector()
        for i, w in enumerate(self.wires):
            self.sel.register(w.sock, selectors.EVENT_READ, i)
        self.made = 0

    def received(self) -> int:
        return sum(w.received for w in self.wires)

    def run(self, seconds: float) -> int:
        """Draw for `seconds`; the frames sent."""
        rng = random.Random(len(self.wires))
        start = time.monotonic()
        # Per drawer: (next send time, stroke frames left, stroke id).
        plan: list[list[Any]] = [[start + rng.uniform(0, 0.5), [], ""] for _ in self.wires]
        sent = 0
        end = start + seconds
        while time.monotonic() < end:
            now = time.monotonic()
            for i, p in enumerate(plan):
                if now < p[0]:
                    continue
                if not p[1]:
                    self.made += 1
                    p[1] = list(self.strokes[(i + self.made) % len(self.strokes)])
                    p[2] = f"s{i:02d}x{self.made:06d}".encode()
                frame = p[1].pop(0)
                self.wires[i].send(frame.replace(b"@ID@", p[2]))
                sent += 1
                p[0] = now + (1 / 60 if p[1] else 0.5)
            for key, _ in self.sel.select(0.002):
                w = self.wires[key.data]
                w.pump()
                w.messages.clear()
        return sent

    def drain(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for key, _ in self.sel.select(0.02):
                w = self.wires[key.data]
                w.pump()
                w.messages.clear()

    def close(self) -> None:
        self.sel.close()
        for w in self.wires:
            w.close()


def unpack(elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A packed sync's elements with their `points` back, as the page's packing.js does
    (lanboard/packing.py: "pk" coordinate deltas in tenths, "pp" pressure in hundredths)."""
    out = []
    for el in elements:
        pk = el.get("pk")
        if pk is None:
            out.append(el)
            continue
        pp = el.get("pp")
        # map/accumulate run in C, as close as Python gets to the page's loop
        cols = [map(operator.truediv, itertools.accumulate(pk[0::2]), itertools.repeat(10)),
                map(operator.truediv, itertools.accumulate(pk[1::2]), itertools.repeat(10))]
        if pp is not None:
            cols.append(map(operator.truediv, itertools.accumulate(pp), itertools.repeat(100)))
        points = list(map(list, zip(*cols, strict=True)))
        plain = {}
        for key, value in el.items():
            if key == "pk":
                plain["points"] = points
            elif key != "pp":
                plain[key] = value
        out.append(plain)
    return out


def parse_catch_up(frames: list[bytes], pack: bool) -> list[dict[str, Any]]:
    """A catch-up's messages parsed, a packed sync's elements expanded (part of parsing)."""
    msgs = [m for frame in frames for m in orjson.loads(frame)]
    if pack:
        for m in msgs:
            if m["type"] == "sync":
                m["data"]["elements"] = unpack(m["data"]["elements"])
    return msgs


#: One node process times what a browser does with a received catch-up: the UTF-8 text
#: decoded, each frame JSON.parse'd, the sync's elements expanded by the page's own packing.js.
_NODE_PARSE = r"""
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
const { unpackElements } = await import(process.argv[1]);
for await (const line of createInterface({ input: process.stdin })) {
  const frames = JSON.parse(line).map((f) => readFileSync(f));  // not timed: the wire's bytes
  const t = performance.now();
  let elements = 0;
  for (const buf of frames) {
    for (const m of JSON.parse(buf.toString('utf8'))) {
      if (m.type === 'sync') elements = unpackElements(m.data.elements).length;
    }
  }
  console.log(JSON.stringify({ ms: performance.now() - t, elements }));
}
"""


class NodeParser:
    """`seconds(frames)`: a browser-like parse (+ packing.js unpack) of one catch-up, timed in
    one long-lived node process; None everywhere when node is not installed."""

    def __init__(self) -> None:
        node = shutil.which("node")
        self._dir = tempfile.mkdtemp(prefix="lbw-parse-")
        self.elements = 0
        js = (Path(__file__).resolve().parent.parent / "static" / "app" / "packing.js").as_uri()
        self._proc = (subprocess.Popen([node, "--input-type=module", "-e", _NODE_PARSE, js],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                      if node else None)

    def seconds(self, frames: list[bytes]) -> float | None:
        proc = self._proc
        if proc is None or proc.stdin is None or proc.stdout is None:
            return None
        paths = []
        for i, frame in enumerate(frames):
            path = os.path.join(self._dir, f"f{i}")
            with open(path, "wb") as f:
                f.write(frame)
            paths.append(path)
        proc.stdin.write(orjson.dumps(paths).decode() + "\n")
        proc.stdin.flush()
        answer = proc.stdout.readline()
        for path in paths:
            os.unlink(path)
        if not answer:
            return None
        got = orjson.loads(answer)
        self.elements = int(got["elements"])  # the sync's elements after unpacking
        return float(got["ms"]) / 1000

    def close(self) -> None:
        if self._proc is not None:
            self._proc.stdin.close()  # type: ignore[union-attr]
            self._proc.wait(10)
            self._proc.stdout.close()  # type: ignore[union-attr]
        shutil.rmtree(self._dir, ignore_errors=True)


def join_many(host: str, port: int, room: str, n: int, timeout: float, pack: bool = False
              ) -> dict[str, Any]:
    """`n` joiners at once; each one's time to its catch-up received, then inflated and parsed.
    Inflating and parsing happen after every download (each tablet has its own CPU; here one
    process's parsing would hold back the others' reading), and each joiner's own inflate and
    parse time is added to its receive time. With `pack` they ask for packed stroke points
    (`pack=1`) and expand them while parsing."""
    t0 = time.monotonic()
    tail = "&pack=1" if pack else ""
    wires = [Wire(host, port, f"/ws/{room}?userId=j{i:02d}&v=2{tail}", lazy=True)
             for i in range(n)]
    sel = selectors.DefaultSelector()
    for i, w in enumerate(wires):
        sel.register(w.sock, selectors.EVENT_READ, i)
    arrived: dict[int, float] = {}
    while len(arrived) < n and time.monotonic() - t0 < timeout:
        for key, _ in sel.select(0.05):
            i = key.data
            w = wires[i]
            w.pump()
            if w.raw:  # a v2 joiner's catch-up is one frame: sync, userlist (and selections)
                arrived[i] = time.monotonic() - t0
                sel.unregister(w.sock)
    sel.close()
    done: dict[int, float] = {}
    parse: list[float] = []
    elements: list[int] = []
    #: The same, parsed as a browser would (node: JSON.parse + packing.js), after zlib's
    #: inflate (C, as in a browser): last byte + inflate + that parse, per joiner.
    js_done: list[float] = []
    js_parse: list[float] = []
    node = NodeParser()
    try:
        for i, at in arrived.items():
            w = wires[i]
            t = time.perf_counter()
            frames = w.inflated()
            inflate_s = time.perf_counter() - t
            msgs = parse_catch_up(frames, pack)
            spent = time.perf_counter() - t
            sync = next(m for m in msgs if m["type"] == "sync")
            elements.append(len(sync["data"]["elements"]))
            parse.append(spent)
            done[i] = at + spent
            js = node.seconds(frames)
            if js is not None:
                js_parse.append(js)
                js_done.append(at + inflate_s + js)
    finally:
        node.close()
    total = sum(w.received for w in wires)
    for w in wires:
        w.close()
    ordered = sorted(done.values())
    return {"synced": len(done), "clients": n, "slowest_s": max(ordered, default=math.inf),
            "median_s": ordered[len(ordered) // 2] if ordered else math.inf,
            "last_received_s": max(arrived.values(), default=math.inf),
            "parse_max_s": max(parse, default=0.0), "bytes_total": total,
            "elements_min": min(elements, default=0),
            "js_slowest_s": max(js_done, default=math.inf) if js_done else None,
            "js_median_s": sorted(js_done)[len(js_done) // 2] if js_done else None,
            "js_parse_max_s": max(js_parse, default=0.0) if js_parse else None}
