"""Presence across LANBoard processes sharing boards through Redis (lanboard/cluster.py
builds on this): who is on each board on every process, cursors, selections, previews,
views and lasers, joins and leaves, kicks and their bans, and the end of old-key connections
when the keys are rotated.

Per process and board, the people (as a userlist names them), the connection count and the
clientIds under each name go on the board's pub/sub channel when they change, and into a
hash that a process loading the board (or taking a join) reads; a heartbeat every HEARTBEAT
seconds refreshes both (and the board's seats, lanboard/seats.py), and the others drop a
process not heard for STALE seconds, so a killed process's people leave. Never-stored
messages ride the same channel; nothing here is stored except the presence hash and the
bans, which expire.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

import orjson
import redis

from lanboard import limits
from lanboard.journal import SharedRoom
from lanboard.peer import NullTransport, Peer
from lanboard.protocol import dumps, envelope
from lanboard.redis_store import RedisStore, key
from lanboard.room import Outgoing, Room

if TYPE_CHECKING:
    from lanboard.hub import Hub
    from lanboard.seats import Seats

log = logging.getLogger(__name__)

#: Seconds between presence heartbeats, and after which a silent process's people leave.
HEARTBEAT = 2.0
STALE = 7.0


class Presence:
    """The presence half of a `Cluster` (which sets these up)."""

    hub: Hub
    store: RedisStore
    name: str
    seats: Seats
    running: bool
    _aio: Any
    _pubsub: Any
    _channels: set[str]
    _seen: dict[tuple[str, str], float]
    _announced: dict[str, tuple[Any, ...]]
    _outbox: list[tuple[str, bytes]]
    #: The publish in flight, and every other task started on the side (subscriptions):
    #: `Cluster.stop` ends them, so none opens a connection once the client is closed.
    _sender: asyncio.Task[None] | None
    _spawned: set[asyncio.Task[None]]
    _remote_transport: NullTransport

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

    def keys_rotated(self, room_id: str) -> None:
        """The board's keys were rotated here: the other processes end the connections that
        joined with an old key (news["r"]; they read the new keys from Redis)."""
        self._send(key(room_id, "e"), orjson.dumps({"p": self.name, "r": 1}))

    def banned(self, room_id: str, name: str, ip: str) -> bool:
        try:
            return bool(self.store.client.exists(key(room_id, f"ban:{ip}:{name}")))
        except redis.RedisError:
            return False  # this process's own bans still hold

    def share(self, room: Room, pending: list[Outgoing],
              ephemeral: list[tuple[Peer, bytes]]) -> None:
        """Send this process's presence, joins, leaves and never-stored messages to the
        other processes on the board."""
        if not self.running:
            return  # stopped: the goodbye went out, and Redis's clients are closed
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
            if "u" in news:  # what a process taking a join reads for colors and names
                try:  # at once, before the joiner's sync goes out (joins are few)
                    self.store.client.hset(key(room.id, "presence"), self.name, message)
                except redis.RedisError:
                    self._send(key(room.id, "presence"), message)
            self._send(key(room.id, "e"), message)

    def _send(self, channel: str, message: bytes) -> None:
        self._outbox.append((channel, message))
        if self._sender is None and self._aio is not None:
            self._sender = self._spawn(self._publish())

    def _spawn(self, work: Any) -> asyncio.Task[None]:
        task = asyncio.get_event_loop().create_task(work)
        self._spawned.add(task)
        task.add_done_callback(self._spawned.discard)
        return task

    async def _publish(self) -> None:
        """One pipeline at a time, so the other processes get this one's news in order."""
        try:
            while self._outbox and self._aio is not None:
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
            self._sender = None

    async def _listen(self) -> None:
        """Other processes' presence and never-stored messages, per loaded board."""
        assert self._aio is not None
        while self.running:
            pubsub = self._aio.pubsub()
            try:
                # A channel that nobody uses keeps the connection subscribed from the start.
                first = set(self._channels)
                await pubsub.subscribe(key("", "e"), *[key(r, "e") for r in first])
                self._pubsub = pubsub  # from now on each board loaded subscribes itself
                late = self._channels - first  # and these loaded while this one waited
                if late:
                    await pubsub.subscribe(*[key(r, "e") for r in late])
                self._rekey()
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

    def _rekey(self) -> None:
        """A rotation told while this process was not listening is lost: read the keys again
        (Cluster.fresh_keys ends what rotated ones opened) on every board with a keyed peer."""
        for rid, room in list(self.hub.rooms.items()):
            if any(p.key is not None for p in room.peers + room.joining):
                self.hub.access(rid)

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
        if news.get("r"):
            # Keys rotated there: reading them (Cluster.fresh_keys) ends the old-key ones here.
            self.hub.access(rid)
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
                zeroed = self.seats.beat(pipe)  # the exact cap's counts (seats.py)
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
                self.seats.forget(zeroed)
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
