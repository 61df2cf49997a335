"""The floor: the least work a Python relay can do, to show what this machine allows.

A bare asyncio protocol with no Tornado, no JSON and no validation. It answers the WebSocket
handshake, unmasks each client frame and relays its payload untouched: every room gets one
batch frame (`[payload,payload,...]`, the sender's own included, as LANBoard's `v=2` does)
per loop turn. Whatever latency the load generator measures against it is the machine's and
the harness's, not a server's. Benchmark use only; loopback only.

    python -m benchmarks.floor_server --port 0
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import signal
import struct

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Relay:
    """Rooms of connections, and the messages each room got this loop turn."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.rooms: dict[bytes, list[Conn]] = {}
        self.queued: dict[bytes, list[bytes]] = {}
        self.flush_due = False

    def add(self, room: bytes, payload: bytes) -> None:
        self.queued.setdefault(room, []).append(payload)
        if not self.flush_due:
            self.flush_due = True
            self.loop.call_soon(self.flush)

    def flush(self) -> None:
        self.flush_due = False
        queued, self.queued = self.queued, {}
        for room, payloads in queued.items():
            body = b"[" + b",".join(payloads) + b"]"
            n = len(body)
            head = (struct.pack("!BB", 0x81, n) if n < 126 else
                    struct.pack("!BBH", 0x81, 126, n) if n < 65536 else
                    struct.pack("!BBQ", 0x81, 127, n))
            wire = head + body
            for conn in self.rooms.get(room, ()):
                conn.transport.write(wire)


class Conn(asyncio.Protocol):
    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self.buf = bytearray()
        self.room: bytes | None = None
        self.transport: asyncio.Transport

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self.room is not None:
            peers = self.relay.rooms.get(self.room, [])
            if self in peers:
                peers.remove(self)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.room is None and not self.handshake():
            return
        self.frames()

    def handshake(self) -> bool:
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self.buf[:end]).split(b"\r\n")
        del self.buf[:end + 4]
        path = head[0].split(b" ")[1]
        key = b""
        for line in head[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"sec-websocket-key":
                key = value.strip()
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        self.transport.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                             b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept +
                             b"\r\n\r\n")
        self.room = path.split(b"?")[0]
        self.relay.rooms.setdefault(self.room, []).append(self)
        return True

    def frames(self) -> None:
        buf, pos = self.buf, 0
        while len(buf) - pos >= 6:
            opcode, length = buf[pos] & 0x0F, buf[pos + 1] & 0x7F
            head = 2
            if length == 126:
                length, head = int.from_bytes(buf[pos + 2:pos + 4], "big"), 4
            elif length == 127:
                length, head = int.from_bytes(buf[pos + 2:pos + 10], "big"), 10
            start = pos + head + 4
            if start + length > len(buf):
                break
            mask = bytes(buf[start - 4:start])
            payload = bytes(buf[start:start + length])
            if mask != b"\0\0\0\0":
                m = int.from_bytes(mask * (length // 4 + 1), "big") >> (8 * (-length % 4))
                payload = (int.from_bytes(payload, "big") ^ m).to_bytes(length, "big")
            pos = start + length
            if opcode == 8:
                self.transport.close()
                return
            if opcode == 1 and self.room is not None:
                self.relay.add(self.room, payload)
        del buf[:pos]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0)
    args = p.parse_args()
    loop = asyncio.new_event_loop()
    relay = Relay(loop)
    server = loop.run_until_complete(
        loop.create_server(lambda: Conn(relay), "127.0.0.1", args.port))
    port = server.sockets[0].getsockname()[1]
    print(f"floor listening on 127.0.0.1:{port}", flush=True)
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    loop.add_signal_handler(signal.SIGINT, loop.stop)
    loop.run_forever()
    server.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
