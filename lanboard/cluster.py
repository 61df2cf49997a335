"""Many LANBoard processes sharing boards through one Redis (`--redis`, `--workers`).

The hub calls four things here, and only when a shared store is configured:

- `before_change(room)` before a client's stored change is applied, so the board can go back
  to how it was if Redis orders another process's changes first;
- `commit(rooms, versions)` in place of `BoardStore.commit` in the flush: one round trip that
  numbers every room's changes in Redis (`redis_store.APPEND`) and returns what other
  processes appended meanwhile; the room then holds exactly the stream's order, and only then
  is anything relayed (committed before relayed, as with SQLite);
- `share(room, pending, ephemeral)` in the delivery: this process's cursors, selections,
  previews, joins and leaves go to the other processes on the board's pub/sub channel;
- `watch(room)` / `unwatch(room)` when a room loads and unloads.

A reader task follows the streams of the loaded boards (XREAD) and queues what it reads for
the next flush, which applies it through `Room.take_stored` (the same `apply` as a live
change and a replay), in seq order, skipping what the room already has, fetching any gap.
Presence (people, cursors, kicks, bans across processes) is `lanboard/presence.py`, which
`Cluster` builds on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import orjson
import redis
import redis.asyncio as aioredis

from lanboard import limits, presence
from lanboard.addressbudget import SharedUploads
from lanboard.errors import NOT_FOUND, STORAGE_ERROR, ProtocolError
from lanboard.journal import SharedRoom
from lanboard.keys import end_old_keys
from lanboard.peer import NullTransport, Peer
from lanboard.presence import Presence
from lanboard.protocol import error_frame
from lanboard.redis_store import RedisStore, body, entries, key
from lanboard.room import Room
from lanboard.seats import Seats
from lanboard.store import StoreError, Version

if TYPE_CHECKING:
    from collections.abc import Callable

    from lanboard.discovery import Discovery
    from lanboard.hub import Hub

log = logging.getLogger(__name__)

#: How long one XREAD waits for news before it looks again at which boards are loaded.
READ_BLOCK_MS = 100


class Cluster(Presence):
    """This process's part in a group of LANBoard processes sharing one Redis."""

    def __init__(self, hub: Hub, store: RedisStore) -> None:
        self.hub = hub
        self.store = store
        self.name = store.holder
        hub.cluster = self
        #: The board's seats in Redis: the peer cap counts every process's, exactly.
        self.seats = Seats(store, self.name, lambda: presence.STALE)
        #: Each address's upload budget, counted by every process (addressbudget.py).
        self.uploads = SharedUploads(store.client)
        #: Room id -> changes read from its stream, not yet applied.
        self._inbox: dict[str, list[tuple[int, bytes]]] = {}
        #: Room id -> the seq the reader has read up to.
        self._cursor: dict[str, int] = {}
        #: (room id, process) -> when it was last heard of (monotonic).
        self._seen: dict[tuple[str, str], float] = {}
        #: What this process last announced on each board: (people, connections).
        self._announced: dict[str, tuple[Any, ...]] = {}
        self._outbox: list[tuple[str, bytes]] = []
        self._sender: asyncio.Task[None] | None = None
        self._spawned: set[asyncio.Task[None]] = set()
        self._channels: set[str] = set()
        self._pubsub: Any = None
        self._tasks: list[asyncio.Task[None]] = []
        self._aio: Any = None
        #: Remote people's cursors and previews carry this transport, so `share` knows them.
        self._remote_transport = NullTransport()
        self.running = False

    # ---- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        self.running = True
        self._aio = aioredis.Redis.from_url(self.store.url, socket_timeout=None,
                                            socket_connect_timeout=2)
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._read()), loop.create_task(self._listen()),
                       loop.create_task(self._beat())]

    async def stop(self) -> None:
        self.running = False
        # No new work from here: people leaving while the server closes their sockets flush
        # again, and a publish started then would open a connection nobody closes.
        aio, self._aio = self._aio, None
        tasks = [*self._tasks, *self._spawned]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if aio is not None:
            try:
                # Leave every board at once, rather than presence.STALE seconds later (this
                # also stands for any presence news the cancelled publish still held).
                pipe = aio.pipeline(transaction=False)
                self.seats.leave_all(pipe)
                for rid in self.hub.rooms:
                    pipe.hdel(key(rid, "presence"), self.name)
                    pipe.publish(key(rid, "e"), orjson.dumps({"p": self.name, "u": [], "n": 0}))
                await pipe.execute()
            except redis.RedisError:
                pass
            finally:
                await aio.aclose()

    # ---- the hub's hooks ----------------------------------------------------------------

    def watch(self, room: Room) -> None:
        self._cursor[room.id] = room.seq
        self._channels.add(room.id)
        if self._pubsub is not None:  # at once: a join a moment later must be heard
            self._spawn(self._subscribe(key(room.id, "e")))
        self.refresh(room)

    def unwatch(self, room: Room) -> None:
        self._cursor.pop(room.id, None)
        self._inbox.pop(room.id, None)
        self._channels.discard(room.id)
        self._announced.pop(room.id, None)
        for seen in [k for k in self._seen if k[0] == room.id]:
            del self._seen[seen]
        if self._pubsub is not None:
            self._spawn(self._subscribe(key(room.id, "e"), False))

    def fresh_keys(self, room: Room) -> None:
        """The board's keys as stored: another process (another worker behind the same port)
        may have made them for the landing page's claim, or rotated them, a moment ago."""
        try:
            stored = self.store.access(room.id)
        except StoreError:
            return  # the keys this process knows
        if stored is not None and stored.teacher_key and stored.viewer_key:
            rotated = room.keys is not None and room.keys != (stored.teacher_key,
                                                              stored.viewer_key)
            room.keys = (stored.teacher_key, stored.viewer_key)
            room.teacher_joined = room.teacher_joined or stored.teacher_joined
            if rotated:  # rotated on another process: what the old keys opened here ends
                end_old_keys(room)

    def new_room(self, room_id: str) -> Room:
        return SharedRoom(room_id)

    def leased(self, make: Callable[[], Discovery]) -> Discovery:
        """mDNS, run only while this process holds its machine's lease (mdnslease.py)."""
        from lanboard.mdnslease import LeasedDiscovery

        return LeasedDiscovery(make, self.store.url, self.name)

    def _periodic(self, room_id: str) -> bool:
        try:
            return bool(self.store.client.set(
                key(room_id, "periodic"), self.name, nx=True,
                px=max(1, int(limits.VERSION_EVERY_SECONDS * 1000 * 0.9))))
        except redis.RedisError:
            return True  # the append will fail too, and say so

    def before_change(self, room: Room) -> None:
        assert isinstance(room, SharedRoom)
        if not room.journaling:
            # What the reader brought since the last flush goes first: this turn's changes
            # are then checked against it and numbered after it, and need no undoing unless
            # another process appends in the moment of this one's round trip.
            self._drain(room)
            room.begin()

    def commit(self, rooms: list[Room], versions: list[Version]) -> None:
        """Number and store every room's changes in Redis, put each room in the stream's
        order, and apply what the other processes wrote."""
        work = [r for r in rooms if r.uncommitted]
        # Every process busy on a board would keep its own version every 5 minutes: one
        # (whichever takes the board's turn first) keeps it for all.
        versions = [v for v in versions if v.reason != "periodic" or self._periodic(v.room_id)]
        batches = [(r.id, r.uncommitted[0][0] - 1, [body(f) for _, f in r.uncommitted])
                   for r in work]
        try:
            done = self.store.append(batches, versions) if batches or versions else []
        except StoreError as exc:
            for room in work:
                self._fail(room, str(exc))
        else:
            for room, (_, after, _), got in zip(work, batches, done, strict=True):
                if got.missed or got.first != after + 1:
                    self._reorder(room, after, got.first, got.missed)
                room.uncommitted.clear()
        for room in rooms:
            if isinstance(room, SharedRoom):
                room.end()
            self._drain(room)

    def _reorder(self, room: Room, after: int, first: int,
                 missed: list[tuple[int, bytes]]) -> None:
        """Another process's changes came first: back to before this turn, then the stream's
        order (theirs, then ours renumbered), each through the same apply."""
        own = [o for o in room.pending if o.seq is not None and o.seq > after]
        if not (isinstance(room, SharedRoom) and room.journaling) or (
                len(missed) != first - after - 1):
            self._reload(room)  # what came between was trimmed already: start afresh
            return
        room.restore()
        for seq, frame in missed:
            _take(room, seq, frame, None)
        for i, out in enumerate(own):
            _take(room, first + i, body(out.frame) + b',"seq":%d}' % (first + i), out.sender)
            if out.sender is not None and out.frame.startswith(b'{"type":"append"'):
                eid = orjson.loads(out.frame)["data"]["id"]
                if eid not in room.elements:  # erased first elsewhere: as one process says
                    room.tell(out.sender, error_frame(ProtocolError(
                        NOT_FOUND, "append to a stroke that does not exist (it was erased "
                        "or the board was cleared)", eid)))

    def _reload(self, room: Room) -> None:
        if isinstance(room, SharedRoom):
            room.end()
        try:
            room.reset_to(self.store.load(room.id))
        except StoreError as exc:
            log.error("could not reload room=%s: %s", room.id, exc)
        room.pending = [o for o in room.pending if o.seq is None]
        room.resync_everyone()

    def _fail(self, room: Room, reason: str) -> None:
        """Redis did not take the batch: nothing was relayed; the senders are told, the board
        goes back to before it, and everyone here gets a fresh sync."""
        log.error("commit failed room=%s: %s", room.id, reason)
        err = error_frame(ProtocolError(STORAGE_ERROR, f"the change was not saved: {reason}"))
        senders = {id(o.sender): o.sender for o in room.pending
                   if o.seq is not None and o.sender is not None}
        if isinstance(room, SharedRoom) and room.journaling:
            room.restore()
        else:
            self._reload(room)
        room.settings_due = False
        for sender in senders.values():
            assert sender is not None
            room.tell(sender, err)
        room.resync_everyone()

    def _drain(self, room: Room) -> None:
        """Apply the changes read from the room's stream that it does not have yet."""
        got = self._inbox.pop(room.id, None)
        if not got:
            return
        got.sort(key=lambda e: e[0])
        for seq, frame in got:
            if seq <= room.seq:
                continue
            if seq > room.seq + 1:  # the reader skipped some: read them now
                try:
                    for s, f in self.store.changes(room.id, room.seq, seq - 1):
                        _take(room, s, f, None)
                except StoreError as exc:
                    log.error("could not read room=%s: %s", room.id, exc)
                    self._inbox.setdefault(room.id, []).extend(e for e in got if e[0] >= seq)
                    return
            _take(room, seq, frame, None)

    # ---- the background tasks -------------------------------------------------------------

    async def _read(self) -> None:
        """Follow the streams of the loaded boards; queue what comes for the next flush."""
        assert self._aio is not None
        reader: Any = self._aio
        while self.running:
            streams = {key(rid, "log"): f"{seq}-0" for rid, seq in self._cursor.items()}
            if not streams:
                await asyncio.sleep(READ_BLOCK_MS / 1000)
                continue
            try:
                got = await reader.xread(streams, count=1000, block=READ_BLOCK_MS)
            except (redis.RedisError, OSError) as exc:
                log.warning("reading the boards from Redis failed: %s; retrying", exc)
                await asyncio.sleep(0.5)
                continue
            for stream, items in got or []:
                rid = stream.decode()[4:-5]  # lb:{ID}:log
                if rid not in self._cursor:
                    continue
                news = entries(items)
                self._cursor[rid] = max(self._cursor[rid], news[-1][0])
                room = self.hub.rooms.get(rid)
                if room is not None and news[-1][0] > room.seq:
                    self._inbox.setdefault(rid, []).extend(news)
                    self.hub.touch(room)

def _take(room: Room, seq: int, frame: bytes, sender: Peer | None) -> None:
    """`Room.take_stored`, for a change read from Redis; one that is not a LANBoard change
    (written there by something else) is logged and passed over, its seq kept, so the board
    goes on and every process passes it over alike."""
    try:
        room.take_stored(frame, sender)
    except (ValueError, KeyError, TypeError, AttributeError, AssertionError,
            ProtocolError) as exc:
        log.error("passed over a malformed change room=%s seq=%d: %r", room.id, seq, exc)
        room.seq = max(room.seq, seq)

