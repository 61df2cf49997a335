"""A WebSocket frame reader that parses every frame a read brings in, in one pass, straight
from the socket's readiness callback.

Tornado reads each frame with three or four awaits (header, length, mask, payload), each a
Future and a loop callback, and even one `read_bytes` per socket read costs a Future, a task
wake-up on the next loop turn and, most of the time, a second `recv` that finds nothing.
With thirty people drawing, most of the server's time went there. This reader keeps the
stream's event registration but answers its read events itself: one `recv` of up to
READ_CHUNK bytes, then every complete frame in the buffer, in the same loop turn. Dispatch
(text decoding, close, ping, pong) stays Tornado's own `_handle_message`, and writes stay the
stream's. It relies on WebSocketProtocol13's and IOStream's internals (tornado>=6.4,<7; the
protocol, flood, slow-consumer and fuzz tests cover it).
"""

from __future__ import annotations

import asyncio

from tornado.ioloop import IOLoop
from tornado.iostream import StreamClosedError
from tornado.util import _websocket_mask
from tornado.websocket import WebSocketProtocol13

#: Bytes asked of the socket per read event; a busy sender waits for the next loop turn.
READ_CHUNK = 64 * 1024


class BatchReadingProtocol(WebSocketProtocol13):
    """WebSocketProtocol13 with a reader that handles every complete frame per read. It also
    refuses unmasked client frames, which RFC 6455 forbids and Tornado lets through."""

    async def _receive_frame_loop(self) -> None:
        stream = self.stream
        self._buf = bytearray()
        try:
            if stream._read_buffer_size:  # frames the client sent right behind its handshake
                self._take(await stream.read_bytes(stream._read_buffer_size))
            if not self.client_terminated and not stream.closed():
                # A read the stream thinks is pending keeps it listening for reads even while
                # it has writes queued; the stream fails this future when it closes.
                closed: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
                stream._read_future = closed
                stream._handle_read = self._on_readable  # type: ignore[method-assign]
                stream._add_io_state(IOLoop.READ)
                await closed
        except StreamClosedError:
            self._abort()
        finally:
            self.handler.on_ws_connection_close(self.close_code, self.close_reason)

    def _on_readable(self) -> None:
        stream = self.stream
        try:
            chunk = stream.socket.recv(READ_CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            stream.close(exc_info=exc)
            return
        if not chunk:
            stream.close()
            return
        self._take(chunk)

    def _take(self, chunk: bytes) -> None:
        self._wire_bytes_in += len(chunk)
        buf = self._buf
        buf += chunk
        used = self._frames(buf)
        if used > 0:
            del buf[:used]
        if self.client_terminated and not self.stream.closed():
            self._stop_reading()

    def _stop_reading(self) -> None:
        """Read nothing more from a client the server gave up on (a flooder): its frames stay
        in the kernel, whose full buffers stop it sending, until the close goes out. Tornado's
        loop still counts the fd as a reader, so it never registers it again; closing the
        stream unregisters it as usual."""
        loop = getattr(self.stream.io_loop, "asyncio_loop", None)
        if loop is not None:
            loop.remove_reader(self.stream.fileno())

    def _frames(self, buf: bytearray) -> int:
        """Handle the complete frames at the start of `buf`; return the bytes used, or -1
        when the connection was aborted."""
        pos, size = 0, len(buf)
        while not self.client_terminated and size - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            fin, opcode, length = b0 & 0x80, b0 & 0x0F, b1 & 0x7F
            if b0 & 0x70 or not b1 & 0x80:
                # Reserved bits (no extension was agreed), or an unmasked client frame.
                self._abort()
                return -1
            if opcode & 0x8 and (length >= 126 or not fin):
                self._abort()  # control frames are short and never fragmented
                return -1
            head = 2
            if length == 126:
                if size - pos < 4:
                    break
                length, head = int.from_bytes(buf[pos + 2:pos + 4], "big"), 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, head = int.from_bytes(buf[pos + 2:pos + 10], "big"), 10
            pending = self._fragmented_message_buffer
            if length + (len(pending) if pending is not None else 0) > \
                    self.params.max_message_size:
                self.close(1009, "message too big")
                self._abort()
                return -1
            start = pos + head + 4
            end = start + length
            if end > size:
                break
            data = _websocket_mask(bytes(buf[start - 4:start]), bytes(buf[start:end]))
            pos = end
            if not opcode & 0x8:
                if opcode == 0:  # continuation
                    if pending is None:
                        self._abort()
                        return -1
                    pending.extend(data)
                    if not fin:
                        continue
                    opcode, data = int(self._fragmented_message_opcode), bytes(pending)  # type: ignore[call-overload]
                    self._fragmented_message_buffer = None
                elif pending is not None:
                    self._abort()  # a new message before the last one finished
                    return -1
                elif not fin:
                    self._fragmented_message_opcode = opcode  # type: ignore[assignment]
                    self._fragmented_message_buffer = bytearray(data)
                    continue
            self._handle_message(opcode, data)
        return pos
