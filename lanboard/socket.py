"""The WebSocket edge: one BoardSocket per client, passing every frame to its room."""

from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import logging
import secrets
import struct
from typing import Any

from tornado.ioloop import IOLoop
from tornado.iostream import IOStream
from tornado.websocket import WebSocketHandler, WebSocketProtocol

from lanboard import deflate, limits, packing, tornado_internals
from lanboard.errors import BAD_KEY, KICKED, RATE_LIMITED, ProtocolError
from lanboard.guard import ClientGuard, Guard, RejectionLog
from lanboard.hub import Hub, Verdict
from lanboard.peer import Peer
from lanboard.protocol import clean_user_id
from lanboard.room import Room
from lanboard.store import ORIGIN_PATTERN, StoreError
from lanboard.web import json_error, same_origin

log = logging.getLogger(__name__)

#: Close code for a client that kept flooding past its rate limits.
CLOSE_POLICY = 1008

#: Close code for a board that could not be loaded just after the upgrade.
CLOSE_TRY_LATER = 1013

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


class BoardSocket(WebSocketHandler):
    """`/ws/{roomId}?userId=NAME[&key=K][&clientId=C][&since=SEQ[&origin=O]][&v=2]`. Never
    raises out of on_message: Tornado would drop the client. Rejected input gets an `error`
    frame instead."""

    def initialize(self, hub: Hub, guard: Guard, rejections: RejectionLog) -> None:
        self.hub = hub
        self.guard = guard
        self.rejections = rejections
        self.room: Room | None = None
        self.peer: Peer | None = None
        self.limiter: ClientGuard | None = None
        self.counted = False
        self.role = "student"
        self.key: str | None = None  # the key it joined with: a rotation ends it (keys.py)
        self.user_id = ""
        #: permessage-deflate agreed (deflate.py): big messages go compressed, RSV1 is read.
        self.deflated = False
        #: Messages waiting behind a sync being compressed (the sync first), and their bytes
        #: less the sync's; None when nothing waits.
        self._held: list[list[bytes]] | None = None
        self._held_bytes = 0
        #: Bytes written to the stream up to the end of the last sync (see backlog()).
        self._sync_end = 0

    async def get(self, *args: Any, **kwargs: Any) -> None:
        room_id = args[0]
        # Everything is checked before anything is loaded: a plain GET, an <img> on another
        # site or a refused upgrade must never load or create a board.
        refusal = self._check_request(room_id) or self._admit_connection(room_id)
        if refusal is not None:
            status, code, message = refusal
            self.rejections.note(self.request.remote_ip or "?", code, message)
            if status == 426:
                self.set_header("Sec-WebSocket-Version", "13")
            self.set_status(status)
            self.finish({"error": code, "message": message})
            return
        answer = None
        if tornado_internals.fast():
            answer = deflate.negotiate(self.request.headers.get("Sec-WebSocket-Extensions"))
        if answer is not None:
            # Our own answer, not Tornado's (get_compression_options stays None): every message
            # compressed from a fresh state, so one compressed sync serves every joiner.
            self.deflated = True
            self.set_header("Sec-WebSocket-Extensions", answer)
        await super().get(*args, **kwargs)

    def _check_request(self, room_id: str) -> tuple[int, str, str] | None:
        """What Tornado checks of an upgrade, and ours, as a JSON answer a person can read."""
        if not limits.ROOM_ID_PATTERN.fullmatch(room_id):
            return 400, "bad_room", ("a room id is 1-64 characters of letters, digits, '_' "
                                     "and '-'")
        since = self.get_argument("since", None)
        if since is not None and not (since.isdigit() and len(since) < 19):
            return 400, "bad_since", "since must be a whole number >= 0"
        board_origin = self.get_argument("origin", None, strip=False)  # the board's, not Origin
        if board_origin is not None and not ORIGIN_PATTERN.fullmatch(board_origin):
            return 400, "bad_board_origin", "origin must be 1-32 lowercase hex digits, as sync gave"
        headers = self.request.headers
        if headers.get("Upgrade", "").lower() != "websocket":
            return 400, "not_websocket", (f"this address is a board's WebSocket; open "
                                          f"/room/{room_id} in a browser instead")
        if "upgrade" not in (t.strip().lower() for t in headers.get("Connection", "").split(",")):
            return 400, "not_websocket", "a WebSocket upgrade needs 'Connection: Upgrade'"
        origin = headers.get("Origin")
        if origin is not None and not self.check_origin(origin):
            return 403, "bad_origin", "sockets from other sites are refused"
        if headers.get("Sec-WebSocket-Version") != "13":
            return 426, "bad_version", "only WebSocket version 13 is spoken here"
        if not _valid_key(headers.get("Sec-WebSocket-Key", "")):
            return 400, "bad_key", "Sec-WebSocket-Key must be 16 bytes in base64"
        return None

    def _admit_connection(self, room_id: str) -> tuple[int, str, str] | None:
        """Caps on connections and rooms, checked before the upgrade so a refusal is a plain
        HTTP answer a person can read."""
        refusal = self.hub.refusal(room_id)
        if refusal is not None:
            return refusal
        ip = self.request.remote_ip or "?"
        why = self.guard.connect(ip)
        if why is not None:
            return 429, "too_many_connections", why
        try:
            # The key and a kick's ban are checked from the stored access: a refused
            # upgrade loads no board.
            refusal = self._check_role(room_id, ip)
            if refusal is None:
                self.hub.room(room_id)
                refusal = self.hub.seat(room_id)  # --redis: every process's count, exactly
        except (StoreError, ProtocolError) as exc:
            self.guard.disconnect(ip)
            if isinstance(exc, ProtocolError):
                return 503, exc.code, exc.message
            return 503, "storage_error", str(exc)
        if refusal is not None:
            self.guard.disconnect(ip)
            return refusal
        self.counted = True
        self.limiter = self.guard.client(ip)
        return None

    def _check_role(self, room_id: str, ip: str) -> tuple[int, str, str] | None:
        """The role the `key` gives (a wrong one is refused), and a kick's ban on the name."""
        raw_key = self.request.query_arguments.get("key")
        key = raw_key[-1].decode("utf-8", "replace") if raw_key else None
        role = self.hub.role_for(room_id, key)
        if role is None:
            return 403, BAD_KEY, ("this link's key is not this board's; ask the teacher for "
                                  "a new link")
        self.role, self.key = role, key if role != "student" else None
        # Raw query value: Tornado's get_argument turns control characters into spaces.
        raw = self.request.query_arguments.get("userId", [b""])[-1]
        self.user_id = clean_user_id(raw.decode("utf-8", "replace"))
        if self.user_id and role != "teacher" and self.hub.banned(room_id, self.user_id, ip):
            return 403, KICKED, ("the teacher removed this name from the board; try again in "
                                 f"{limits.KICK_BAN_SECONDS / 60:g} minutes")
        return None

    def check_origin(self, origin: str) -> bool:
        # Tornado's own check compares host and port only; the scheme must match too.
        return same_origin(origin, self.request)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # 405 and the like, before any upgrade: JSON like every other route.
        json_error(self, status_code, **kwargs)

    def on_finish(self) -> None:
        if self.get_status() != 101:  # Tornado "finishes" the upgrade's 101; on_close ends it
            self._uncount()

    def _uncount(self) -> None:
        if self.counted:
            self.counted = False
            self.guard.disconnect(self.request.remote_ip or "?")
            self.hub.seat(self.path_args[0], take=False)

    def get_websocket_protocol(self) -> WebSocketProtocol | None:
        return tornado_internals.protocol_for(self) or super().get_websocket_protocol()

    def get_compression_options(self) -> dict[str, Any] | None:
        # Tornado's compression keeps a context per connection, so nothing compressed could be
        # shared between peers; LANBoard negotiates and compresses itself (deflate.py).
        return None

    def open(self, *args: str, **kwargs: str) -> None:
        # The hub already sends at most one frame per peer per loop turn; Nagle would hold a
        # frame back up to a delayed-ACK timeout (~40 ms) while the previous one is unacked.
        self.set_nodelay(True)
        room_id = args[0]
        user_id = self.user_id or "user_" + secrets.token_hex(3)
        since = self.get_argument("since", None)
        origin = self.get_argument("origin", None, strip=False)
        client = self.get_argument("clientId", None)
        batched = self.get_argument("v", "1") == "2"
        # Packed stroke points in the sync (packing.py) only for v2 clients that ask; a seed
        # client's pack=1 is ignored (it could not read them).
        self.peer = Peer(user_id, self, batched=batched,
                         packed=batched and self.get_argument("pack", None) == "1",
                         since=int(since) if since is not None else None, guard=self.limiter,
                         role=self.role, client_id=client[:64] if client else None,
                         ip=self.request.remote_ip or "?", key=self.key)
        try:
            self.room = self.hub.room(room_id)  # loaded by get(), unless swept since
        except (StoreError, ProtocolError) as exc:
            self.close(CLOSE_TRY_LATER, str(exc)[:100])
            return
        if origin is not None and origin != self.room.origin:
            # That seq was counted on another board (a wiped data dir, a flushed Redis,
            # another server): it says nothing about this one, so a full sync.
            self.peer.since = None
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
        # Stop reading now. Tornado would otherwise decode and dispatch every frame the
        # flooder already queued until its close frame came back (or 5 s passed); the
        # close frame still goes out and the socket closes at 5 s.
        tornado_internals.stop_reading(conn)

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
        if len(frame) >= 65536 or self._held is not None:
            self.write_parts([frame])  # never copy a big frame just to put a header on it
            return
        stream = self._open_stream()
        if stream is not None:
            if self.deflated and len(frame) >= deflate.MIN_BYTES:
                tornado_internals.send(stream, deflate.shared_frame(frame))
            else:
                tornado_internals.send(stream, _wire(frame))

    def write_parts(self, parts: list[bytes]) -> None:
        if self._held is not None:  # behind a sync being compressed: keep the order
            self._held.append(parts)
            self._held_bytes += sum(len(p) for p in parts)
            return
        stream = self._open_stream()
        if stream is None:
            return
        room = self.room
        body = room.shared_body() if room is not None else None
        sync = body is not None and any(p is body for p in parts)
        if sync and self.peer is not None and self.peer.packed and not self.deflated:
            parts = [self._packed_body(body) if p is body else p for p in parts]
        if self.deflated and sum(len(p) for p in parts) >= deflate.MIN_BYTES:
            wire, sync = self._deflated(parts, body)
            if wire is None:
                return  # held until its sync is compressed
            for part in wire:
                tornado_internals.send(stream, part)
        else:
            # Tornado's stream keeps pieces over 2 KiB by reference, so every joiner of a big
            # board shares one copy of its elements instead of holding its own.
            tornado_internals.send(stream, _header(sum(len(p) for p in parts)))
            for part in parts:
                tornado_internals.send(stream, part)
        if sync:
            # A sync's own bytes never make a joiner "stalled" (the hub would resync it and
            # send the board twice over a slow link); what queues behind them still counts.
            self._sync_end = tornado_internals.written(stream)

    def _deflated(self, parts: list[bytes], body: bytes | None
                  ) -> tuple[list[bytes] | None, bool]:
        """A message compressed, header first, and whether it is a sync. The board's element
        bytes, when a sync holds them, become its cached chunks, compressed once per board
        version for every joiner; when that is much work it runs on a thread, and this
        joiner's frames wait for it (None)."""
        room = self.room
        if room is None:
            return deflate.message(parts), False
        chunks = deflate.chunks_for(room, self.peer is not None and self.peer.packed)
        for part in parts:  # the cached version (a held sync may be older than the board)
            found = chunks.ready(part) if len(part) >= 65536 else None
            if found is not None:
                chunks.hits += 1
                return deflate.message(parts, part, found), True
        if body is None or not any(p is body for p in parts):
            return deflate.message(parts), False
        if chunks.running is None:
            layout = chunks.layout(room.encoded_elements())
            if deflate.ElementChunks.missing(layout) < deflate.THREAD_MIN:
                segments = chunks.install(body, chunks.compress(layout))
                return deflate.message(parts, body, segments), True
            self._compress_later(chunks, body, layout)
        self._held = [parts]
        self._held_bytes = 0
        chunks.waiters.append(self._release)
        return None, True

    @staticmethod
    def _compress_later(chunks: deflate.ElementChunks, body: bytes,
                        layout: list[deflate.Chunk]) -> None:
        """Compress a board's chunks on the deflate thread; then wake whoever waits."""
        future = IOLoop.current().run_in_executor(_COMPRESSOR, chunks.compress, layout)
        chunks.running = future
        log.debug("sync compressing off the loop bytes=%d", len(body))

        def done(f: asyncio.Future[list[deflate.Chunk]]) -> None:
            chunks.running = None
            try:
                chunks.install(body, f.result())
            except Exception:  # MemoryError and the like: the waiters compress on the loop
                log.exception("compressing a sync failed")
            waiters, chunks.waiters = chunks.waiters, []
            for wake in waiters:
                wake()

        future.add_done_callback(done)

    def _packed_body(self, body: bytes) -> bytes:
        """The board's packed element array for a packed peer without deflate. Packing a
        whole big board at once would stall the loop (~50-100 us a stroke), so then this
        joiner gets the stored body (valid: packing is per element and optional) while the
        deflate thread packs it for the next ones."""
        room = self.room
        if room is None:
            return body
        cache = packing.cache_for(room)
        found = cache.ready(body)
        if found is not None:
            return found
        elements = [e for _, e in room.encoded_elements()]
        if cache.missing(elements) <= PACK_ON_LOOP_MAX:
            return cache.body(body, elements)
        if not cache.warming:
            cache.warming = True
            future = IOLoop.current().run_in_executor(_COMPRESSOR, cache.warm, elements)
            future.add_done_callback(lambda _: setattr(cache, "warming", False))
        return body

    def _release(self) -> None:
        """Its sync is compressed: write it and what queued behind it, in order."""
        held, self._held = self._held or [], None
        for i, parts in enumerate(held):
            self.write_parts(parts)
            if self._held is not None:  # a newer board version to compress first
                self._held += held[i + 1:]
                self._held_bytes = sum(sum(map(len, p)) for p in self._held[1:])
                return

    def backlog(self) -> int:
        stream = getattr(self.ws_connection, "stream", None)
        queued = tornado_internals.backlog(stream)
        if self._sync_end and stream is not None:
            queued = min(queued, max(0, tornado_internals.written(stream) - self._sync_end))
        return queued + self._held_bytes


#: Elements a packed sync without deflate may pack on the loop (about 0.1 s at most).
PACK_ON_LOOP_MAX = 1000

#: One thread compresses big syncs, so the loop never spends a second on a board's first one.
_COMPRESSOR = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="lanboard-deflate")

#: A board with no change for this long gets its packed, compressed sync built ahead of joiners.
WARM_AFTER_SECONDS = 1.0
#: Boards smaller than this are never warmed (their first joiner compresses them on the loop
#: in milliseconds); a board nobody is on is warmed only from WARM_IDLE_MIN_ELEMENTS.
WARM_MIN_ELEMENTS = 200
WARM_IDLE_MIN_ELEMENTS = 1000


class SyncWarmer:
    """Builds a quiet board's packed (pack=1), compressed sync on the deflate thread, so a
    crowd that joins later finds it ready. Without it the first joiners of a 10,000-stroke
    board wait 1-3 s behind packing and compressing it, and everyone else behind them.
    Bounded: one warming at a time, only boards quiet for WARM_AFTER_SECONDS, only big ones;
    a joiner who comes while it runs waits for it as it would for its own compression."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        #: Room id -> (the room, its seq when last seen changing, when).
        self._seen: dict[str, tuple[Room, int, float]] = {}
        self._timer: object | None = None
        self._busy = False
        #: Syncs built ahead (tests and logs read it).
        self.warmed = 0

    def flushed(self, rooms: list[Room]) -> None:
        now = IOLoop.current().time()
        for room in rooms:
            seen = self._seen.get(room.id)
            if seen is None or seen[0] is not room or seen[1] != room.seq:
                self._seen[room.id] = (room, room.seq, now)
        self._arm(WARM_AFTER_SECONDS)

    def _arm(self, wait: float | None) -> None:
        if wait is None or self._timer is not None or self._busy:
            return
        self._timer = IOLoop.current().call_later(max(wait, 0.0), self._fire)

    def _fire(self) -> None:
        self._timer = None
        now = IOLoop.current().time()
        wait: float | None = None
        for rid, (room, seq, when) in list(self._seen.items()):
            if self.hub.rooms.get(rid) is not room:
                del self._seen[rid]  # unloaded
                continue
            if room.seq != seq:  # changed since the last flush saw it: wait again
                self._seen[rid] = (room, room.seq, now)
                left = WARM_AFTER_SECONDS
            else:
                left = when + WARM_AFTER_SECONDS - now
            if left > 0:
                wait = left if wait is None else min(wait, left)
                continue
            del self._seen[rid]
            if self._start(room):
                return  # one at a time: the rest wait for it to end
        self._arm(wait)

    def _start(self, room: Room) -> bool:
        """Warm `room` if it is worth it; whether a warming started."""
        size = len(room.elements)
        if size < (WARM_MIN_ELEMENTS if room.peers else WARM_IDLE_MIN_ELEMENTS):
            return False
        chunks = deflate.chunks_for(room, packed=True)
        if chunks.running is not None:
            return False
        body = room.elements_json()
        if chunks.ready(body) is not None:
            return False
        BoardSocket._compress_later(chunks, body, chunks.layout(room.encoded_elements()))
        running = chunks.running
        if not isinstance(running, asyncio.Future):
            return False
        self._busy = True
        log.info("sync warming room=%s elements=%d", room.id, size)

        def done(_: object) -> None:
            self._busy = False
            self.warmed += 1
            self._arm(0.0)  # the next quiet board, if any

        running.add_done_callback(done)
        return True


def _valid_key(key: str) -> bool:
    """RFC 6455 4.1: the key is 16 random bytes, base64-encoded (24 characters)."""
    if len(key.strip()) != 24:
        return False
    try:
        return len(base64.b64decode(key.strip(), validate=True)) == 16
    except (binascii.Error, ValueError):
        return False
