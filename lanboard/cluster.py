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
Presence is per process and board: the people and connection count, published on change and
every HEARTBEAT seconds, and dropped by the others once STALE seconds pass without it (a
killed process's people leave).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

import orjson
import redis
import redis.asyncio as aioredis

from lanboard import limits
from lanboard.errors import NOT_FOUND, STORAGE_ERROR, ProtocolError
from lanboard.journal import SharedRoom
from lanboard.peer import NullTransport, Peer
from lanboard.protocol import dumps, envelope, error_frame
from lanboard.redis_store import RedisStore, body, entries, key
from lanboard.room import Outgoing, Room
from lanboard.store import StoreError, Version

if TYPE_CHECKING:
    from lanboard.hub import Hub

log = logging.getLogger(__name__)

#: Seconds between presence heartbeats, and after which a silent process's people leave.
HEARTBEAT = 2.0
STALE = 7.0
#: How long one XREAD waits for news before it looks again at which boards are loaded.
READ_BLOCK_MS = 100


class Cluster:
    """This process's part in a group of LANBoard processes sharing one Redis."""

    def __init__(self, hub: Hub, store: RedisStore) -> None:
        self.hub = hub
        self.store = store
        self.name = store.holder
        hub.cluster = self
        #: Room id -> changes read from its stream, not yet applied.
        self._inbox: dict[str, list[tuple[int, bytes]]] = {}
        #: Room id -> the seq the reader has read up to.
        self._cursor: dict[str, int] = {}
        #: (room id, process) -> when it was last heard of (monotonic).
        self._seen: dict[tuple[str, str], float] = {}
        #: What this process last announced on each board: (people, connections).
        self._announced: dict[str, tuple[Any, ...]] = {}
        self._outbox: list[tuple[str, bytes]] = []
        self._sending = False
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
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._aio is not None:
            try:
                # Leave every board at once, rather than STALE seconds later.
                pipe = self._aio.pipeline(transaction=False)
                for rid in self.hub.rooms:
                    pipe.hdel(key(rid, "presence"), self.name)
                    pipe.publish(key(rid, "e"), orjson.dumps({"p": self.name, "u": [], "n": 0}))
                await pipe.execute()
            except redis.RedisError:
                pass
            await self._aio.aclose()

    # ---- the hub's hooks ----------------------------------------------------------------

    def watch(self, room: Room) -> None:
        self._cursor[room.id] = room.seq
        self._channels.add(room.id)
        if self._pubsub is not None:  # at once: a join a moment later must be heard
            asyncio.get_event_loop().create_task(self._subscribe(key(room.id, "e")))
        self.refresh(room)

    def refresh(self, room: Room) -> None:
        """Read who is on the board on the other processes (before a join picks a color)."""
        try:
            raw = self.store.client.hgetall(key(room.id, "presence"))
        except redis.RedisError:
            return
        now = time.time()
        for proc, value in raw.items():
            proc_name = proc.decode()
            got = orjson.loads(value)
            if proc_name != self.name and now - got.get("t", 0) < STALE and got["n"]:
                room.remote[proc_name] = (got["u"], got["n"])
                if isinstance(room, SharedRoom):
                    room.remote_clients[proc_name] = got.get("c", {})
                self._seen[(room.id, proc_name)] = time.monotonic()

    def unwatch(self, room: Room) -> None:
        self._cursor.pop(room.id, None)
        self._inbox.pop(room.id, None)
        self._channels.discard(room.id)
        self._announced.pop(room.id, None)
        for seen in [k for k in self._seen if k[0] == room.id]:
            del self._seen[seen]
        if self._pubsub is not None:
            asyncio.get_event_loop().create_task(self._subscribe(key(room.id, "e"), False))

    def count(self, room_id: str) -> int:
        """Connections other processes hold on a board this one has not loaded."""
        try:
            raw = self.store.client.hgetall(key(room_id, "presence"))
        except redis.RedisError:
            return 0
        now = time.time()
        return sum(got["n"] for got in map(orjson.loads, raw.values())
                   if now - got.get("t", 0) < STALE)

    def fresh_keys(self, room: Room) -> None:
        """The board's keys as stored: another process (another worker behind the same port)
        may have made them for the landing page's claim, or rotated them, a moment ago."""
        try:
            stored = self.store.access(room.id)
        except StoreError:
            return  # the keys this process knows
        if stored is not None and stored.teacher_key and stored.viewer_key:
            room.keys = (stored.teacher_key, stored.viewer_key)
            room.teacher_joined = room.teacher_joined or stored.teacher_joined

    def new_room(self, room_id: str) -> Room:
        return SharedRoom(room_id)

    def keep_bans(self, room_id: str, kicked: list[tuple[str, str]]) -> None:
        """A kick's bans, for every process (they expire by themselves)."""
        if not kicked:
            return
        pipe = self.store.client.pipeline(transaction=False)
        for name, ip in kicked:
            pipe.set(key(room_id, f"ban:{ip}:{name}"), 1, px=int(limits.KICK_BAN_SECONDS * 1000))
        try:
            pipe.execute()
        except redis.RedisError as exc:
            log.error("could not share the bans room=%s: %s", room_id, exc)

    def banned(self, room_id: str, name: str, ip: str) -> bool:
        try:
            return bool(self.store.client.exists(key(room_id, f"ban:{ip}:{name}")))
        except redis.RedisError:
            return False  # this process's own bans still hold

    def _periodic(self, room_id: str) -> bool:
        try:
            return bool(self.store.client.set(
                key(room_id, "periodic"), self.name, nx=True,
                px=max(1, int(limits.VERSION_EVERY_SECONDS * 1000 * 0.9))))
        except redis.RedisError:
            return True  # the append will fail too, and say so

    def before_change(self, room: Room) -> None:
        assert isinstance(room, SharedRoom)
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
        own = [o for o in room.pending if o.seq is not None]
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

    def share(self, room: Room, pending: list[Outgoing],
              ephemeral: list[tuple[Peer, bytes]]) -> None:
        """Send this process's presence, joins, leaves and never-stored messages to the
        other processes on the board."""
        news: dict[str, Any] = {}
        moves = [[p.user_id, _type(f), f.decode()] for p, f in ephemeral
                 if p.transport is not self._remote_transport]
        if moves:
            news["e"] = moves
        comings = [o.frame.decode() for o in pending if o.seq is None and o.sender is not None
                   and o.frame.startswith((b'{"type":"join"', b'{"type":"leave"'))]
        if comings:
            news["j"] = comings
        if isinstance(room, SharedRoom) and room.kicks_out:
            news["k"], room.kicks_out = room.kicks_out, []
        local = _local_users(room)
        if self._announced.get(room.id) != local:
            self._announced[room.id] = local
            news["u"], news["n"], news["c"] = local
            news["t"] = time.time()
        if news:
            news["p"] = self.name
            message = orjson.dumps(news)
            if "u" in news:  # what a process loading the board later reads
                self._send(key(room.id, "presence"), message)
            self._send(key(room.id, "e"), message)

    # ---- sending ------------------------------------------------------------------------

    def _send(self, channel: str, message: bytes) -> None:
        self._outbox.append((channel, message))
        if not self._sending and self._aio is not None:
            self._sending = True
            asyncio.get_event_loop().create_task(self._publish())

    async def _publish(self) -> None:
        """One pipeline at a time, so the other processes get this one's news in order."""
        assert self._aio is not None
        try:
            while self._outbox:
                out, self._outbox = self._outbox, []
                pipe = self._aio.pipeline(transaction=False)
                for channel, message in out:
                    if channel.endswith(":presence"):
                        pipe.hset(channel, self.name, message)
                    else:
                        pipe.publish(channel, message)
                try:
                    await pipe.execute()
                except redis.RedisError as exc:
                    log.warning("could not publish presence: %s", exc)
        finally:
            self._sending = False

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

    async def _listen(self) -> None:
        """Other processes' presence and never-stored messages, per loaded board."""
        assert self._aio is not None
        while self.running:
            pubsub = self._aio.pubsub()
            try:
                # A channel that nobody uses keeps the connection subscribed from the start.
                await pubsub.subscribe(key("", "e"), *[key(r, "e") for r in self._channels])
                self._pubsub = pubsub
                while self.running:
                    msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if msg is not None and msg["type"] == "message":
                        try:
                            self._heard(msg["channel"].decode()[4:-3], msg["data"])
                        except (ValueError, KeyError, TypeError, AttributeError) as exc:
                            # Not a LANBoard's message (another program on the channel).
                            log.warning("dropped a malformed message on %s: %r",
                                        msg["channel"][:80], exc)
            except (redis.RedisError, OSError) as exc:
                log.warning("presence from Redis failed: %s; retrying", exc)
                await asyncio.sleep(0.5)
            finally:
                self._pubsub = None
                with contextlib.suppress(redis.RedisError, OSError):
                    await pubsub.aclose()
            # Reconnected: everyone hears this process's presence again.
            self._announced.clear()

    async def _subscribe(self, channel: str, on: bool = True) -> None:
        pubsub = self._pubsub
        if pubsub is None:
            return  # the listener subscribes to every loaded board when it reconnects
        try:
            await (pubsub.subscribe(channel) if on else pubsub.unsubscribe(channel))
        except (redis.RedisError, OSError) as exc:
            log.warning("could not follow %s: %s", channel, exc)

    def _heard(self, rid: str, raw: bytes) -> None:
        room = self.hub.rooms.get(rid)
        news = orjson.loads(raw)
        proc = news.get("p")
        if room is None or proc == self.name:
            return
        self._seen[(rid, proc)] = time.monotonic()
        for user, kind, frame in news.get("e", ()):
            peer = self._ghost(user)
            data = frame.encode()
            room.ephemeral[(user, kind)] = (peer, data)
            if kind == "select":
                if b'"ids":[]' in data:
                    room.selections.pop(user, None)
                else:
                    room.selections[user] = data
        for user in news.get("k", ()):
            # The plain kick: only this process's connections (the sender told the others).
            if Room.kick(room, user):
                self.hub._ban(room)
        for frame in news.get("j", ()):
            room.pending.append(Outgoing(frame.encode(), None, echo=True))
        if "u" in news:
            if news["n"]:
                room.remote[proc] = (news["u"], news["n"])
                if isinstance(room, SharedRoom):
                    room.remote_clients[proc] = news.get("c", {})
            else:
                room.remote.pop(proc, None)
            room._queue_userlist()
        self.hub.touch(room)

    def _ghost(self, user: str) -> Peer:
        return Peer(user, self._remote_transport)

    async def _beat(self) -> None:
        """Keep this process's presence alive, and let silent processes' people go."""
        assert self._aio is not None
        while self.running:
            await asyncio.sleep(HEARTBEAT)
            now, wall = time.monotonic(), time.time()
            try:
                pipe = self._aio.pipeline(transaction=False)
                for rid, room in list(self.hub.rooms.items()):
                    users, n, clients = _local_users(room)
                    value = orjson.dumps({"p": self.name, "u": users, "n": n, "c": clients,
                                          "t": wall})
                    if n:
                        pipe.hset(key(rid, "presence"), self.name, value)
                        pipe.publish(key(rid, "e"), value)
                    else:
                        pipe.hdel(key(rid, "presence"), self.name)
                await pipe.execute()
            except (redis.RedisError, OSError) as exc:
                log.warning("presence heartbeat failed: %s", exc)
            for rid, room in list(self.hub.rooms.items()):
                for proc in [p for p in room.remote
                             if now - self._seen.get((rid, p), 0.0) > STALE]:
                    self._gone(room, proc)

    def _gone(self, room: Room, proc: str) -> None:
        """A process stopped answering: its people leave this board here."""
        users, _ = room.remote.pop(proc)
        if isinstance(room, SharedRoom):
            room.remote_clients.pop(proc, None)
        log.info("process gone room=%s process=%s people=%d", room.id, proc, len(users))
        here = {u["userId"] for u in room.users()}
        for u in users:
            if u["userId"] in here:
                continue
            room.pending.append(Outgoing(envelope("leave", u["userId"],
                                                  dumps({"userId": u["userId"]})), None))
            for k in [k for k in room.ephemeral if k[0] == u["userId"]]:
                del room.ephemeral[k]
            room.selections.pop(u["userId"], None)
        room._queue_userlist()
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


def _type(frame: bytes) -> str:
    kind = frame[9:frame.index(b'"', 9)].decode()
    return "view-all" if kind == "view" and b'"all":true' in frame else kind


def _local_users(room: Room) -> tuple[list[dict[str, str]], int, dict[str, list[str | None]]]:
    """This process's people on the board (as in a userlist), its connection count, and the
    clientIds under each name (kept out of userlists: a clientId lets a page be that person)."""
    seen: dict[str, dict[str, str]] = {}
    clients: dict[str, list[str | None]] = {}
    for p in room.peers + room.joining:
        seen.setdefault(p.user_id, {"userId": p.user_id, "color": p.color, "role": p.role})
        held = clients.setdefault(p.user_id, [])
        if p.client_id not in held:
            held.append(p.client_id)
    return list(seen.values()), len(room.peers) + len(room.joining), clients
