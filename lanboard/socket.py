"""The WebSocket edge: one BoardSocket per client, passing every frame to its room."""

from __future__ import annotations

import contextlib
import logging
import secrets
import struct
from typing import Any

from tornado.iostream import IOStream, StreamClosedError
from tornado.websocket import WebSocketHandler, WebSocketProtocol, _WebSocketParams

from lanboard import limits
from lanboard.errors import RATE_LIMITED
from lanboard.guard import ClientGuard, Guard, RejectionLog
from lanboard.hub import Hub, Verdict
from lanboard.peer import Peer
from lanboard.protocol import clean_user_id
from lanboard.room import Room
from lanboard.store import StoreError
from lanboard.wsreader import BatchReadingProtocol

log = logging.getLogger(__name__)

#: Close code for a client that kept flooding past its rate limits.
CLOSE_POLICY = 1008

#: The last frame written and its wire form. A room's shared frame goes to every v2 peer in one
#: flush, one after another, so its header is built (and the frame copied) once per flush.
_last_wire: tuple[bytes, bytes] = (b"", b"")


def _header(n: int) -> bytes:
    """A server text frame's header: FIN + text opcode, then the length (servers never mask)."""
    if n < 126:
        return struct.pack("!BB", 0x81, n)
    if n < 65536:
        return struct.pack("!BBH", 0x81, 126, n)
    return struct.pack("!BBQ", 0x81, 127, n)


def _wire(frame: bytes) -> bytes:
    """The frame with its header."""
    global _last_wire
    if _last_wire[0] is frame:
        return _last_wire[1]
    wire = _header(len(frame)) + frame
    _last_wire = (frame, wire)
    return wire


def _send(stream: IOStream, data: bytes) -> None:
    """Write to the socket at once when nothing is queued before it; queue what is left."""
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


class BoardSocket(WebSocketHandler):
    """`/ws/{roomId}?userId=NAME[&since=SEQ][&v=2]`. Never raises out of on_message: Tornado
    would drop the client. Rejected input gets an `error` frame instead."""

    def initialize(self, hub: Hub, guard: Guard, rejections: RejectionLog) -> None:
        self.hub = hub
        self.guard = guard
        self.rejections = rejections
        self.room: Room | None = None
        self.peer: Peer | None = None
        self.limiter: ClientGuard | None = None
        self.counted = False

    async def get(self, *args: Any, **kwargs: Any) -> None:
        room_id = args[0]
        if not limits.ROOM_ID_PATTERN.fullmatch(room_id):
            self.set_status(400)
            self.finish({"error": "bad_room", "message": "a room id is 1-64 characters of "
                         "letters, digits, '_' and '-'"})
            return
        since = self.get_argument("since", None)
        if since is not None and not (since.isdigit() and len(since) < 19):
            self.set_status(400)
            self.finish({"error": "bad_since", "message": "since must be a whole number >= 0"})
            return
        refusal = self._admit_connection(room_id)
        if refusal is not None:
            status, code, message = refusal
            self.rejections.note(self.request.remote_ip or "?", code, message)
            self.set_status(status)
            self.finish({"error": code, "message": message})
            return
        await super().get(*args, **kwargs)

    def _admit_connection(self, room_id: str) -> tuple[int, str, str] | None:
        """Caps on connections and rooms, checked before the upgrade so a refusal is a plain
        HTTP answer a person can read."""
        refusal = self.hub.refusal(room_id)
        if refusal is not None:
            return refusal
        try:
            self.hub.room(room_id)
        except StoreError as exc:
            return 503, "storage_error", str(exc)
        ip = self.request.remote_ip or "?"
        why = self.guard.connect(ip)
        if why is not None:
            return 429, "too_many_connections", why
        self.counted = True
        self.limiter = self.guard.client(ip)
        return None

    def on_finish(self) -> None:
        self._uncount()

    def _uncount(self) -> None:
        if self.counted:
            self.counted = False
            self.guard.disconnect(self.request.remote_ip or "?")

    def get_websocket_protocol(self) -> WebSocketProtocol | None:
        if self.request.headers.get("Sec-WebSocket-Version") != "13":
            return None
        params = _WebSocketParams(ping_interval=self.ping_interval,
                                  ping_timeout=self.ping_timeout,
                                  max_message_size=self.max_message_size,
                                  compression_options=self.get_compression_options())
        return BatchReadingProtocol(self, False, params)

    def get_compression_options(self) -> dict[str, Any] | None:
        # Live frames are small and latency-bound; compressing each costs more than it saves.
        return None

    def open(self, *args: str, **kwargs: str) -> None:
        # The hub already sends at most one frame per peer per loop turn; Nagle would hold a
        # frame back up to a delayed-ACK timeout (~40 ms) while the previous one is unacked.
        self.set_nodelay(True)
        room_id = args[0]
        # Raw query value: Tornado's get_argument turns control characters into spaces.
        raw = self.request.query_arguments.get("userId", [b""])[-1]
        user_id = clean_user_id(raw.decode("utf-8", "replace"))
        if not user_id:
            user_id = "user_" + secrets.token_hex(3)
        since = self.get_argument("since", None)
        self.peer = Peer(user_id, self, batched=self.get_argument("v", "1") == "2",
                         since=int(since) if since is not None else None, guard=self.limiter)
        self.room = self.hub.room(room_id)
        self.hub.join(self.room, self.peer)
        log.debug("room joined room=%s user=%s", room_id, user_id)

    def on_message(self, message: str | bytes) -> None:
        room, peer = self.room, self.peer
        if room is None or peer is None:
            return
        verdict = self.hub.submit(room, peer, message, self.guard.clock())
        if verdict == Verdict.OK or verdict == Verdict.DROPPED:
            return
        ip = self.request.remote_ip or "?"
        if verdict == Verdict.LIMITED:
            self.rejections.note(ip, RATE_LIMITED, f"user={peer.user_id}")
            return
        self.rejections.note(ip, "flood", f"user={peer.user_id} disconnected")
        conn = self.ws_connection  # close() forgets it
        self.close(CLOSE_POLICY, "flooding: too many messages too fast")
        if conn is not None:
            # Stop reading now. Tornado would otherwise decode and dispatch every frame the
            # flooder already queued until its close frame came back (or 5 s passed); the
            # close frame still goes out and the socket closes at 5 s.
            conn.client_terminated = True

    def on_close(self) -> None:
        self._uncount()
        if self.room is not None and self.peer is not None:
            self.hub.leave(self.room, self.peer)
            log.debug("room left room=%s user=%s", self.room.id, self.peer.user_id)

    # ---- Transport, as the room sees this socket ---------------------------------------

    def _open_stream(self) -> IOStream | None:
        conn = self.ws_connection
        if conn is None or conn.is_closing():
            return None
        stream: IOStream | None = conn.stream
        return stream

    def write_frame(self, frame: bytes) -> None:
        # write_message() wraps every write in an asyncio Task, and IOStream.write() makes a
        # Future and a loop callback per call. Fan-out writes tens of thousands of frames a
        # second, so when nothing is queued the frame goes straight to the socket, and only
        # what the kernel does not take goes through the stream (tornado>=6.4,<7).
        if len(frame) >= 65536:
            self.write_parts([frame])  # never copy a big frame just to put a header on it
            return
        stream = self._open_stream()
        if stream is not None:
            _send(stream, _wire(frame))

    def write_parts(self, parts: list[bytes]) -> None:
        stream = self._open_stream()
        if stream is None:
            return
        # Tornado's stream keeps pieces over 2 KiB by reference, so every joiner of a big
        # board shares one copy of its elements instead of holding its own.
        _send(stream, _header(sum(len(p) for p in parts)))
        for part in parts:
            _send(stream, part)

    def backlog(self) -> int:
        conn = self.ws_connection
        stream = getattr(conn, "stream", None)
        if stream is None or stream.closed():
            return 0
        return int(stream._total_write_index - stream._total_write_done_index)
