"""A blocking WebSocket client on a bare TCP socket, written for hostile tests.

Tornado's client refuses to send what a hostile client sends (unmasked frames, invalid UTF-8,
set reserved bits, a forged Host header) and always reads what arrives. This one does only
what the test says: it can hand-craft any frame, send any headers, shrink its receive buffer,
and simply never call recv.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import struct
import time
from typing import Any

TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


class HandshakeRefused(Exception):
    """The server answered the upgrade with an HTTP status other than 101."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"HTTP {status}: {body[:200]!r}")
        self.status = status
        self.body = body


class Closed(Exception):
    """The connection is closed; `code` and `reason` come from the server's close frame."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed: {code} {reason}")
        self.code = code
        self.reason = reason


def http_request(port: int, path: str, headers: dict[str, str] | None = None,
                 timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    """One raw HTTP/1.1 GET, with headers sent exactly as given (Host included)."""
    hdrs = {"Host": f"127.0.0.1:{port}", "Connection": "close", **(headers or {})}
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        head = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
        sock.sendall(head.encode("latin-1") + b"\r\n")
        data = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    raw_head, _, body = data.partition(b"\r\n\r\n")
    lines = raw_head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    parsed = {}
    for h in lines[1:]:
        k, _, v = h.partition(":")
        parsed[k.strip().lower()] = v.strip()
    return status, parsed, body


class RawWS:
    """`RawWS(port, "/ws/room?userId=x")` opens and upgrades; raises HandshakeRefused."""

    def __init__(self, port: int, path: str, headers: dict[str, str] | None = None,
                 rcvbuf: int | None = None, timeout: float = 5.0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            # Must be set before connect so the advertised TCP window is small from the start.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.buf = b""
        self.close_code: int | None = None
        self.close_reason = ""
        self.last_head, self.last_wire = 0, 0  # of the last data frame read (recv_frame)
        key = base64.b64encode(os.urandom(16)).decode()
        hdrs = {"Host": f"127.0.0.1:{port}", "Upgrade": "websocket", "Connection": "Upgrade",
                "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13", **(headers or {})}
        head = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
        self.sock.sendall(head.encode("latin-1") + b"\r\n")
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            self.buf += chunk
        raw_head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        status_line = raw_head.split(b"\r\n", 1)[0].decode("latin-1")
        status = int(status_line.split()[1]) if len(status_line.split()) > 1 else 0
        if status != 101:
            body = self.buf
            self.sock.settimeout(1.0)
            try:
                while True:
                    chunk = self.sock.recv(65536)
                    if not chunk:
                        break
                    body += chunk
            except OSError:
                pass
            self.sock.close()
            raise HandshakeRefused(status, body)

    # ---- sending ------------------------------------------------------------------------

    def send_frame(self, opcode: int, payload: bytes, *, fin: bool = True, mask: bool = True,
                   rsv: int = 0) -> None:
        """Any frame at all, including ones a well-behaved client never sends."""
        first = (0x80 if fin else 0) | (rsv << 4) | opcode
        n = len(payload)
        mask_bit = 0x80 if mask else 0
        if n < 126:
            head = struct.pack("!BB", first, mask_bit | n)
        elif n < 1 << 16:
            head = struct.pack("!BBH", first, mask_bit | 126, n)
        else:
            head = struct.pack("!BBQ", first, mask_bit | 127, n)
        if mask:
            key = os.urandom(4)
            payload = _xor(payload, key)
            head += key
        self.sock.sendall(head + payload)

    def send_text(self, text: str | bytes) -> None:
        self.send_frame(TEXT, text if isinstance(text, bytes) else text.encode())

    def send(self, kind: str, data: Any = None) -> None:
        self.send_text(json.dumps({"type": kind, "data": data}))

    # ---- receiving ----------------------------------------------------------------------

    def _fill(self, n: int, deadline: float) -> None:
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(262144)
            except TimeoutError:
                raise
            except OSError as exc:
                raise Closed(self.close_code, f"socket error: {exc}") from None
            if not chunk:
                raise Closed(self.close_code, self.close_reason or "eof")
            self.buf += chunk

    def recv_frame(self, timeout: float = 5.0) -> tuple[int, bytes]:
        """The next data frame (opcode, payload); answers pings; raises Closed on close."""
        deadline = time.monotonic() + timeout
        while True:
            self._fill(2, deadline)
            b0, b1 = self.buf[0], self.buf[1]
            n, off = b1 & 0x7F, 2
            if n == 126:
                self._fill(4, deadline)
                n, off = struct.unpack("!H", self.buf[2:4])[0], 4
            elif n == 127:
                self._fill(10, deadline)
                n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
            self._fill(off + n, deadline)
            payload, self.buf = self.buf[off:off + n], self.buf[off + n:]
            opcode = b0 & 0x0F
            if opcode == CLOSE:
                self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                self.close_reason = payload[2:].decode("utf-8", "replace")
                raise Closed(self.close_code, self.close_reason)
            if opcode == PING:
                self.send_frame(PONG, payload)
                continue
            if opcode == PONG:
                continue
            # The frame's first byte (FIN, RSV bits) and its size on the wire, for readers of
            # extensions (tests/test_deflate.py reads RSV1).
            self.last_head, self.last_wire = b0, off + n
            return opcode, payload

    def recv(self, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The messages of the next text frame (a v2 array is unpacked)."""
        _, payload = self.recv_frame(timeout)
        msg = json.loads(payload)
        return msg if isinstance(msg, list) else [msg]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.send_frame(CLOSE, struct.pack("!H", 1000))
        self.sock.close()


def _xor(data: bytes, key: bytes) -> bytes:
    n = len(data)
    whole = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(whole, "little")).to_bytes(
        n, "little")
