"""RFC 6455 client frames parsed from a byte stream, every complete frame of a read in one
pass. Pure code: no Tornado (the glue that feeds it from the socket is in tornado_internals.py).

Tornado reads each frame with three or four awaits (header, length, mask, payload), each a
Future and a loop callback. With thirty people drawing, most of the server's time went there,
so the server answers the socket's read events itself and hands each chunk to `feed`, which
unmasks every complete frame in the buffer in the same loop turn.

A broken frame is answered by the book: `fail(1002)` for a protocol error (reserved bits, an
unmasked client frame, a long or fragmented control frame, a stray continuation, an unknown
opcode, a bad close frame), `fail(1007)` for text or a close reason that is not UTF-8, and
`fail(1009)` for a message over the size limit. After a failure or a close frame, nothing more
is parsed.

With permessage-deflate agreed (`deflate=True`), RSV1 on a message's first frame means the
message is compressed: its frames are gathered (the compressed size under the limit), then
inflated with the inflated size capped at the same limit (deflate.py), so a zip bomb gets
1009 after at most limit + 1 bytes of output. RSV1 on a continuation or a control
frame, and RSV2 or RSV3 ever, are 1002; data that does not inflate is 1007.
"""

from __future__ import annotations

from collections.abc import Callable

from lanboard import deflate as deflate_

#: Close codes a peer may send and so may be echoed back (RFC 6455 7.4 and the IANA registry):
#: 1004-1006 and 1015 are reserved and never sent, 1016-2999 are unassigned, 5000+ undefined.
SENDABLE_CODES = frozenset({1000, 1001, 1002, 1003, *range(1007, 1015)})

#: Close codes for the failures this parser detects.
PROTOCOL_ERROR = 1002
INVALID_PAYLOAD = 1007
TOO_BIG = 1009

TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


def sendable(code: int) -> bool:
    """Whether a close code may appear on the wire."""
    return code in SENDABLE_CODES or 3000 <= code <= 4999


class FrameError(Exception):
    """A frame that ends the connection: the close code and reason to send first."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code} {reason}")
        self.code = code
        self.reason = reason


def parse_close(payload: bytes) -> tuple[int | None, str | None]:
    """The code and reason of a close frame's payload; FrameError when it is malformed (a
    1-byte payload or a code that must not be sent: 1002; a reason not UTF-8: 1007)."""
    if not payload:
        return None, None
    if len(payload) == 1:
        raise FrameError(PROTOCOL_ERROR, "a close payload is empty or at least 2 bytes")
    code = int.from_bytes(payload[:2], "big")
    if not sendable(code):
        raise FrameError(PROTOCOL_ERROR, f"close code {code} must not be sent")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise FrameError(INVALID_PAYLOAD, "the close reason is not UTF-8") from None
    return code, reason or None


class FrameParser:
    """Feed it bytes from a client; it calls `message(str | bytes)` for each whole text or
    binary message, `close(code, reason)` for a valid close frame, `control(opcode, payload)`
    for a ping or pong, and `fail(code, reason)` once for a frame that ends the connection."""

    __slots__ = ("_buf", "_frag", "_frag_deflated", "_frag_opcode", "_inflater", "_unmask",
                 "close", "control", "deflate", "fail", "max_size", "message", "stopped")

    def __init__(self, max_size: int, message: Callable[[str | bytes], object],
                 close: Callable[[int | None, str | None], object],
                 control: Callable[[int, bytes], object],
                 fail: Callable[[int, str], object],
                 unmask: Callable[[bytes, bytes], bytes] | None = None,
                 deflate: bool = False) -> None:
        self._buf = bytearray()
        self.max_size = max_size
        self.message = message
        self.close = close
        self.control = control
        self.fail = fail
        #: Set after a failure or a close frame, or by the owner (a flooder): parse no more.
        self.stopped = False
        self._frag_opcode = 0
        self._frag: bytearray | None = None
        self._frag_deflated = 0
        #: Whether permessage-deflate was agreed: RSV1 marks a compressed message.
        self.deflate = deflate
        self._inflater: deflate_.Inflater | None = None
        self._unmask = unmask or unmask_bytes

    def feed(self, chunk: bytes) -> None:
        if self.stopped:
            return
        buf = self._buf
        buf += chunk
        try:
            used = self._frames(buf)
        except FrameError as err:
            self.stopped = True
            buf.clear()
            self.fail(err.code, err.reason)
            return
        if used > 0:
            del buf[:used]

    def _frames(self, buf: bytearray) -> int:
        """Handle the complete frames at the start of `buf`; return the bytes used."""
        pos, size = 0, len(buf)
        while not self.stopped and size - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            fin, opcode, length = b0 & 0x80, b0 & 0x0F, b1 & 0x7F
            rsv1 = b0 & 0x40
            if b0 & 0x30 or (rsv1 and not self.deflate):
                raise FrameError(PROTOCOL_ERROR, "reserved bits set (no extension agreed)")
            if rsv1 and (opcode & 0x8 or opcode == 0):
                raise FrameError(PROTOCOL_ERROR, "RSV1 is only for a message's first frame")
            if not b1 & 0x80:
                raise FrameError(PROTOCOL_ERROR, "client frames must be masked")
            if opcode & 0x8:
                if length >= 126 or not fin:
                    raise FrameError(PROTOCOL_ERROR, "control frames are short and whole")
                if opcode not in (CLOSE, PING, PONG):
                    raise FrameError(PROTOCOL_ERROR, f"unknown opcode {opcode}")
            elif opcode > BINARY:
                raise FrameError(PROTOCOL_ERROR, f"unknown opcode {opcode}")
            head = 2
            if length == 126:
                if size - pos < 4:
                    break
                length, head = int.from_bytes(buf[pos + 2:pos + 4], "big"), 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, head = int.from_bytes(buf[pos + 2:pos + 10], "big"), 10
            pending = self._frag
            if length + (len(pending) if pending is not None else 0) > self.max_size:
                raise FrameError(TOO_BIG, "message too big")
            start = pos + head + 4
            end = start + length
            if end > size:
                break
            data = self._unmask(bytes(buf[start - 4:start]), bytes(buf[start:end]))
            pos = end
            if opcode & 0x8:
                if opcode == CLOSE:
                    code, reason = parse_close(data)
                    self.stopped = True
                    self.close(code, reason)
                else:
                    self.control(opcode, data)
                continue
            if opcode == 0:  # continuation
                if pending is None:
                    raise FrameError(PROTOCOL_ERROR, "a continuation frame continues nothing")
                pending.extend(data)
                if not fin:
                    continue
                opcode, data = self._frag_opcode, bytes(pending)
                rsv1 = self._frag_deflated
                self._frag = None
            elif pending is not None:
                raise FrameError(PROTOCOL_ERROR, "a new message before the last one ended")
            elif not fin:
                self._frag_opcode, self._frag = opcode, bytearray(data)
                self._frag_deflated = rsv1
                continue
            if rsv1:
                if self._inflater is None:
                    self._inflater = deflate_.Inflater()
                try:
                    data = self._inflater.inflate(data, self.max_size)
                except deflate_.InflateError as err:
                    raise FrameError(err.code, err.reason) from None
            if opcode == TEXT:
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    raise FrameError(INVALID_PAYLOAD, "text frames must be UTF-8") from None
                self.message(text)
            else:
                self.message(data)
        return pos


def unmask_bytes(key: bytes, data: bytes) -> bytes:
    """XOR `data` with the 4-byte `key` (the reader passes Tornado's C version instead)."""
    n = len(data)
    whole = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(whole, "little")).to_bytes(
        n, "little")
