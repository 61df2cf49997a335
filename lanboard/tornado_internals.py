"""Every use of Tornado's private internals, in one place, checked at start.

The hot path needs two things Tornado's public API does not give:
- reading: answering a WebSocket's read events ourselves, so that one `recv` unmasks every
  complete frame of the read in the same loop turn (`BatchReadingProtocol`, with the parser of
  wsreader.py), instead of three or four Futures per frame;
- writing: putting a frame straight on the socket when nothing is queued before it (`send`),
  instead of a Future and a loop callback per write, and reading how much is still unsent
  (`backlog`) to spot a slow consumer.

Both lean on names Tornado may rename in any release (`WebSocketProtocol13._receive_frame_loop`
changed inside 6.x). `check()` looks for each one on real objects; when one is missing,
LANBoard logs a warning and runs on Tornado's stock reader and public writes (slower, and
close frames are then answered as Tornado answers them). Nothing else in LANBoard touches an
underscored Tornado name: tests/test_tornado_internals.py enforces it and runs the protocol,
flood and fuzz tests against the oldest and newest Tornado supported.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sys
import weakref
from typing import TYPE_CHECKING, Any

import tornado.util
from tornado.ioloop import IOLoop
from tornado.iostream import IOStream, StreamClosedError
from tornado.websocket import WebSocketHandler, WebSocketProtocol, WebSocketProtocol13

from lanboard import wsreader

if TYPE_CHECKING:
    # What Application.find_handler returns (for annotations only, never looked up at run time).
    from tornado.web import _HandlerDelegate as HandlerDelegate

    __all__ = ["HandlerDelegate"]

log = logging.getLogger(__name__)

#: Bytes asked of the socket per read event; a busy sender waits for the next loop turn.
READ_CHUNK = 64 * 1024

#: What the fast paths use: (what it is on, attribute).
NEEDED: tuple[tuple[str, str], ...] = (
    ("tornado.websocket", "_WebSocketParams"),
    ("tornado.util", "_websocket_mask"),
    ("WebSocketProtocol13", "_receive_frame_loop"),
    ("WebSocketProtocol13", "_handle_message"),
    ("WebSocketProtocol13", "_abort"),
    ("IOStream", "_read_buffer_size"),
    ("IOStream", "_read_future"),
    ("IOStream", "_handle_read"),
    ("IOStream", "_add_io_state"),
    ("IOStream", "_write_buffer"),
    ("IOStream", "_connecting"),
    ("IOStream", "_total_write_index"),
    ("IOStream", "_total_write_done_index"),
    ("IOLoop", "selector_loop"),
)

#: Whether the fast paths are on; set by check().
FAST = False
_checked = False


def missing() -> list[str]:
    """The private names the fast paths need that this Tornado lacks, looked up on real
    objects (a stream on a socket pair, a protocol, the running loop's IOLoop)."""
    import tornado.websocket

    found: dict[str, Any] = {"tornado.websocket": tornado.websocket, "tornado.util": tornado.util,
                             "WebSocketProtocol13": WebSocketProtocol13}
    a, b = socket.socketpair()
    stream = IOStream(a)
    try:
        found["IOStream"] = stream
        found["IOLoop"] = IOLoop.current()
        return [f"{on}.{name}" for on, name in NEEDED if not hasattr(found[on], name)]
    finally:
        stream.close()
        b.close()


def check() -> bool:
    """Turn the fast paths on when every name they need exists; warn once when not."""
    global FAST, _checked
    absent = missing()
    FAST = not absent
    if absent and not _checked:
        log.warning("tornado %s lacks %s: using Tornado's stock WebSocket reader and writes "
                    "(slower; close frames answered as Tornado answers them)",
                    tornado.version, ", ".join(absent))
    _checked = True
    return FAST


def fast() -> bool:
    """Whether the fast paths are on (checked once). permessage-deflate needs them: Tornado's
    stock reader knows nothing of LANBoard's compressed frames."""
    if not _checked:
        check()
    return FAST


def protocol_for(handler: WebSocketHandler) -> WebSocketProtocol | None:
    """The fast reader for this handler, or None for Tornado's own."""
    if not _checked:
        check()
    if not FAST:
        return None
    from tornado.websocket import _WebSocketParams

    params = _WebSocketParams(ping_interval=handler.ping_interval,
                              ping_timeout=handler.ping_timeout,
                              max_message_size=handler.max_message_size,
                              compression_options=handler.get_compression_options())
    return BatchReadingProtocol(handler, False, params)


# ---- writing -------------------------------------------------------------------------------

#: Unsent bytes per stream, counted on the public path (when the fast paths are off).
_unsent: weakref.WeakKeyDictionary[IOStream, int] = weakref.WeakKeyDictionary()


def send(stream: IOStream, data: bytes | memoryview) -> None:
    """Write to the socket at once when nothing is queued before it; queue what is left."""
    if not FAST:
        _send_public(stream, data)
        return
    sock = stream.socket if type(stream) is IOStream else None
    if sock is not None and not len(stream._write_buffer) and not stream._connecting:
        try:
            sent = sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            sent = 0  # the stream's own write below meets the error and closes cleanly
        if sent == len(data):
            return
        rest: bytes | memoryview = memoryview(data)[sent:] if sent else data
    else:
        rest = data
    with contextlib.suppress(StreamClosedError):
        stream.write(rest)


def _send_public(stream: IOStream, data: bytes | memoryview) -> None:
    try:
        done = stream.write(data)
    except StreamClosedError:
        return
    _unsent[stream] = _unsent.get(stream, 0) + len(data)

    def written(_: object, n: int = len(data)) -> None:
        if stream in _unsent:
            _unsent[stream] -= n

    done.add_done_callback(written)


def backlog(stream: IOStream | None) -> int:
    """Bytes handed to the stream and not yet taken by the kernel."""
    if stream is None or stream.closed():
        return 0
    if not FAST:
        return _unsent.get(stream, 0)
    return int(stream._total_write_index - stream._total_write_done_index)


def written(stream: IOStream) -> int:
    """Bytes handed to the stream since it opened (0 when the fast paths are off)."""
    if not FAST:
        return 0
    return int(stream._total_write_index)


def stop_reading(conn: WebSocketProtocol | None) -> None:
    """Read nothing more from a client the server gave up on (a flooder): its frames stay in
    the kernel, whose full buffers stop it sending, until the close goes out."""
    if conn is None:
        return
    if isinstance(conn, BatchReadingProtocol):
        conn.stop()
    else:
        conn.client_terminated = True  # Tornado's own loop ends at the next frame


# ---- reading -------------------------------------------------------------------------------

class BatchReadingProtocol(WebSocketProtocol13):
    """WebSocketProtocol13 with a reader that handles every complete frame per read (see
    wsreader.py), refuses unmasked client frames (RFC 6455 forbids them; Tornado lets them
    through), and sends 1002 or 1007 before dropping a client for a broken frame."""

    parser: wsreader.FrameParser

    async def _receive_frame_loop(self) -> None:
        stream = self.stream
        self.parser = wsreader.FrameParser(self.params.max_message_size, self._message,
                                           self._close_frame, self._control, self._fail,
                                           unmask=tornado.util._websocket_mask,
                                           deflate=bool(getattr(self.handler, "deflated",
                                                                False)))
        try:
            if stream._read_buffer_size:  # frames the client sent right behind its handshake
                self._take(await stream.read_bytes(stream._read_buffer_size))
            if not self.parser.stopped and not stream.closed():
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
        self.parser.feed(chunk)
        if self.parser.stopped and not self.stream.closed():
            self._stop_reading()

    def stop(self) -> None:
        """Parse nothing more, and stop reading the socket."""
        self.parser.stopped = True
        self.client_terminated = True
        if not self.stream.closed():
            self._stop_reading()

    def _stop_reading(self) -> None:
        # Tornado's loop still counts the fd as a reader, so it never registers it again;
        # closing the stream unregisters it as usual.
        loop = getattr(self.stream.io_loop, "selector_loop", None)
        with contextlib.suppress(ValueError, OSError):
            if loop is not None:
                loop.remove_reader(self.stream.fileno())

    # -- what the parser found ------------------------------------------------------------

    def _message(self, message: str | bytes) -> None:
        if self.client_terminated:
            return
        try:
            self.handler.on_message(message)
        except Exception:  # on_message never raises by design; if it does, drop this client
            self.handler.log_exception(*sys.exc_info())
            self._abort()

    def _close_frame(self, code: int | None, reason: str | None) -> None:
        self.client_terminated = True
        self.close_code, self.close_reason = code, reason
        self.close(code)  # echo the code (RFC 6455 5.5.1); the parser checked it may be sent

    def _control(self, opcode: int, data: bytes) -> None:
        self._handle_message(opcode, data)  # Tornado's ping and pong handling

    def _fail(self, code: int, reason: str) -> None:
        """Say why, then hang up: the close frame goes out now, and the connection closes
        when the client answers it or after Tornado's 5 s wait, reading nothing meanwhile."""
        self.close(code, reason)
