"""All rooms of one server: loading, the once-per-turn flush, and the idle sweep.

The flush is where durability and fan-out meet. Every change accepted during one loop turn
is committed to the store in one transaction, and only then written to peers. Peers that
share the batched protocol share one encoded frame.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from lanboard import kinds, limits
from lanboard.errors import INTERNAL, RATE_LIMITED, STORAGE_ERROR, ProtocolError
from lanboard.keys import Standing, access_of, end_old_keys, use_access
from lanboard.kinds import KINDS
from lanboard.peer import Peer
from lanboard.protocol import decode, error_frame
from lanboard.room import Outgoing, Room
from lanboard.store import (
    Access,
    Asset,
    BoardStore,
    Element,
    StoreError,
    Version,
    snapshot_spacing,
)

log = logging.getLogger(__name__)

#: Close code for a client that could not keep up and stayed stalled (see docs/PROTOCOL.md).
CLOSE_TOO_SLOW = 4008


class Verdict:
    """What `Hub.submit` made of a message, for the edge's log and its connection."""

    OK = "ok"
    #: Dropped for its rate; the client was told (at most once a second).
    LIMITED = "limited"
    #: Dropped for its rate, silently (the client was told less than a second ago).
    DROPPED = "dropped"
    #: The client kept flooding past its limits and must be disconnected.
    FLOOD = "flood"


class Hub:
    """The room registry, and the only way in to a room: edges submit messages, join and
    leave peers, replace boards and ask for occupancy. `schedule` runs a callback on the next
    loop turn."""

    def __init__(self, store: BoardStore, schedule: Callable[[Callable[[], None]], object],
                 clock: Callable[[], float] = time.monotonic,
                 schedule_later: Callable[[float, Callable[[], None]], object] | None = None,
                 ) -> None:
        self.store = store
        self.rooms: dict[str, Room] = {}
        self._schedule = schedule
        self._clock = clock
        self._dirty: dict[str, Room] = {}
        self._flush_scheduled = False
        self._schedule_later = schedule_later
        #: When the last flush ran, how long it took, and how many peers it wrote to.
        self._last_flush = -1.0
        self._last_cost = 0.0
        self._last_fanout = 0
        #: (room, name, ip) -> when a kick's ban ends (on this clock).
        self.bans: dict[tuple[str, str, str], float] = {}
        #: With a shared store, this process's part of the group (lanboard/cluster.py), which
        #: orders and commits changes in its place; None for one process.
        self.cluster: Any = None
        #: Called after each flush with the rooms it touched (socket.py warms quiet syncs).
        self.on_flushed: Callable[[list[Room]], None] | None = None

    def room(self, room_id: str) -> Room:
        """The loaded room, loading it from the store (or creating it) on first use; raises
        ProtocolError `server_busy` when MAX_LOADED_ROOMS are loaded already."""
        room = self.rooms.get(room_id)
        if room is None:
            if len(self.rooms) >= limits.MAX_LOADED_ROOMS:  # the cap holds on every path
                raise ProtocolError("server_busy", f"{limits.MAX_LOADED_ROOMS} boards are "
                                    "open; try later")
            room = Room(room_id) if self.cluster is None else self.cluster.new_room(room_id)
            access = self.store.access(room_id)
            if access is not None:
                use_access(room, access)
            room.reset_to(self.store.load(room_id))
            room.assets, room.origin = self.store.asset_ids(room_id), self.store.origin(room_id)
            room.empty_since = room.version_at = self._clock()
            self.rooms[room_id] = room
            if self.cluster is not None:
                self.cluster.watch(room)
            log.info("room loaded room=%s elements=%d seq=%d", room_id, len(room.elements),
                     room.seq)
        return room

    def refusal(self, room_id: str) -> tuple[int, str, str] | None:
        """Why a new connection cannot be taken (status, code, message), or None; loads nothing."""
        room = self.rooms.get(room_id)
        if room is None and len(self.rooms) >= limits.MAX_LOADED_ROOMS:
            return 503, "server_busy", f"{limits.MAX_LOADED_ROOMS} boards are open; try later"
        held = len(room.peers) + len(room.joining) if room is not None else 0
        if self.cluster is not None:  # every process's seats (lanboard/seats.py)
            held = self.cluster.seats.count(room_id, held, room is not None)
        if held >= limits.MAX_PEERS_PER_ROOM:
            return 503, "room_full", f"this board has {limits.MAX_PEERS_PER_ROOM} people on it"
        return None

    def seat(self, room_id: str, take: bool = True) -> tuple[int, str, str] | None:
        """With --redis, take the board's seat in Redis (None, or why not) or give it back."""
        return None if self.cluster is None else self.cluster.seats.use(room_id, take)

    # ---- roles: keys, bans -------------------------------------------------------------

    def access(self, room_id: str) -> Access:
        """The board's keys and settings: the loaded room's, or the store's (loading no
        board)."""
        room = self.rooms.get(room_id)
        if room is not None:
            if self.cluster is not None:  # another process may have made or rotated them
                self.cluster.fresh_keys(room)
            return access_of(room)
        return self.store.access(room_id) or Access()

    def standing(self, room_id: str) -> kinds.Standing:
        """What kinds.refusal reads of a board (settings, view-only names, whether a teacher
        joined), for an HTTP write: the loaded room, or the stored access (loading none)."""
        room = self.rooms.get(room_id)
        return room if room is not None else Standing(self.access(room_id))

    def role_for(self, room_id: str, key: str | None) -> str | None:
        """The role a key gives on this board: no key, a student; None for a wrong key.
        Compared in constant time."""
        if key is None:
            return "student"
        access = self.access(room_id)
        given = key.encode()
        # Both compared every time, so the time says nothing of which one nearly matched.
        teacher = access.teacher_key is not None and hmac.compare_digest(
            given, access.teacher_key.encode())
        viewer = access.viewer_key is not None and hmac.compare_digest(
            given, access.viewer_key.encode())
        return "teacher" if teacher else "viewer" if viewer else None

    def ensure_keys(self, room: Room, rotate: bool = False) -> tuple[str, str]:
        """The board's (teacher, viewer) keys, made (192 bits each) and stored at once if it
        has none, or if `rotate`: then every connection that joined with an old key is ended,
        here and (with --redis) on every process (lanboard/keys.py). Raises StoreError."""
        if self.cluster is not None and not rotate:
            self.cluster.fresh_keys(room)
        if room.keys is None or rotate:
            old, room.keys = room.keys, (secrets.token_urlsafe(24), secrets.token_urlsafe(24))
            try:
                self.save_access(room)
            except StoreError:
                room.keys = old  # not stored: the links (and who is on them) stay as they were
                raise
            if rotate:
                ended = end_old_keys(room)
                log.info("keys rotated room=%s ended=%d", room.id, ended)
                if self.cluster is not None:
                    self.cluster.keys_rotated(room.id)
        return room.keys

    def save_access(self, room: Room) -> None:
        self.store.save_access(room.id, access_of(room))

    def banned(self, room_id: str, name: str, ip: str) -> bool:
        until = self.bans.get((room_id, name, ip))
        if until is None:
            # A kick on another process (another worker) bans on every process.
            return self.cluster is not None and self.cluster.banned(room_id, name, ip)
        if until <= self._clock():
            del self.bans[(room_id, name, ip)]
            return False
        return True

    def occupancy(self) -> dict[str, int]:
        """Connections on each loaded board."""
        return {rid: len(r.peers) + len(r.joining) for rid, r in self.rooms.items()}

    def peers(self) -> list[Peer]:
        return [p for r in self.rooms.values() for p in r.peers + r.joining]

    def submit(self, room: Room, peer: Peer, raw: str | bytes, now: float) -> str:
        """Handle one frame from `peer`: decode it, charge its rate, apply it through its kind,
        and queue what it produces for the next flush. Never raises."""
        try:
            name, data = decode(raw)
            kind = KINDS.get(name)
            guard = peer.guard
            if kind is not None and guard is not None and not guard.admit(kind.bucket, now,
                                                                          len(raw)):
                return self._refuse(room, peer, name, now)
            if self.cluster is not None and kind is not None and kind.apply is not None:
                self.cluster.before_change(room)
            room.handle(peer, name, data)
            if room.kicked:
                self._ban(room)
            elif name == "settings":
                room.settings_due = True  # stored with the board once the change commits
        except ProtocolError as err:
            if peer.guard is not None and not peer.guard.admit("changes", now):
                return self._refuse(room, peer, "invalid", now)
            log.debug("rejected room=%s user=%s code=%s", room.id, peer.user_id, err.code)
            room.tell(peer, error_frame(err))
        except Exception:
            log.exception("unexpected error room=%s user=%s", room.id, peer.user_id)
            room.prepared = {}
            room.tell(peer, error_frame(ProtocolError(
                INTERNAL, "the server failed on this message; it was not applied")))
        self.touch(room)
        return Verdict.OK

    def _keep_settings(self, room: Room) -> None:
        """Settings are kept with the board as well as in its change log, so a snapshot that
        compacts the log keeps them. Written after the change committed, so the stored copy
        never runs ahead of the log; a failure here loses nothing until that snapshot."""
        try:
            self.save_access(room)
        except StoreError as exc:
            log.error("could not store the settings room=%s: %s", room.id, exc)

    def _ban(self, room: Room) -> None:
        until = self._clock() + limits.KICK_BAN_SECONDS
        for name, ip in room.kicked:
            self.bans[(room.id, name, ip)] = until
        if self.cluster is not None:
            self.cluster.keep_bans(room.id, room.kicked)
        room.kicked.clear()
        if len(self.bans) > 10_000:  # a bound, not a policy: drop the ended ones
            now = self._clock()
            self.bans = {k: t for k, t in self.bans.items() if t > now}

    def _refuse(self, room: Room, peer: Peer, name: str, now: float) -> str:
        """Over its rate: drop the message, tell the client at most once a second."""
        guard = peer.guard
        assert guard is not None
        if guard.strike(now):
            return Verdict.FLOOD
        if not guard.should_report(now):
            return Verdict.DROPPED
        room.tell(peer, error_frame(ProtocolError(
            RATE_LIMITED, f"too many '{name[:40]}' messages; slow down (this one was dropped)")))
        self.touch(room)
        return Verdict.LIMITED

    def add_asset(self, room_id: str, asset: Asset) -> bool:
        """Store an image with a board (durable before this returns), and let the loaded
        room's elements name it; whether it was new. Raises StoreError."""
        added = self.store.put_asset(room_id, asset)
        room = self.rooms.get(room_id)
        if room is not None:
            room.assets.add(asset.id)
        return added

    def replace(self, room: Room, elements: list[Element], reason: str,
                by: str = "someone") -> None:
        """Make the board `elements` for everyone (import, restore), as ordinary changes."""
        if self.cluster is not None:
            self.cluster.before_change(room)
        room.replace_all(elements, reason, by)
        self.touch(room)

    def touch(self, room: Room) -> None:
        """Note that `room` has messages waiting, and make sure a flush is coming."""
        self._dirty[room.id] = room
        if not self._flush_scheduled:
            self._flush_scheduled = True
            # Under load, one write per peer costs a system call each: gathering a few
            # milliseconds of messages into one frame saves most of them. A flush to hundreds
            # of peers takes milliseconds itself; spacing flushes by twice that keeps at least
            # half of the loop for reading what people send.
            gap = max(limits.COALESCE_SECONDS, limits.FLUSH_SPACING * self._last_cost)
            wait = gap - (self._clock() - self._last_flush)
            busy = self._last_fanout >= limits.COALESCE_MIN_PEERS
            if busy and wait > 0 and self._schedule_later is not None:
                self._schedule_later(min(wait, limits.COALESCE_MAX_SECONDS), self.flush)
            else:
                self._schedule(self.flush)

    def join(self, room: Room, peer: Peer) -> None:
        if self.cluster is not None:
            self.cluster.refresh(room)  # colors and names are picked against every process's
        room.add(peer)
        if peer.role == "teacher" and not room.teacher_joined:
            # From now on clear, import and restore are the teacher's (a stored fact).
            room.teacher_joined = True
            try:
                self.save_access(room)
            except StoreError as exc:
                log.error("could not store the teacher's join room=%s: %s", room.id, exc)
        self.touch(room)

    def leave(self, room: Room, peer: Peer) -> None:
        room.remove(peer, self._clock())
        self.touch(room)

    def flush(self) -> None:
        """Commit every pending change, then deliver every pending message."""
        self._last_flush = self._clock()
        try:
            self._flush()
        finally:
            self._last_cost = self._clock() - self._last_flush

    def _flush(self) -> None:
        self._flush_scheduled = False
        rooms = list(self._dirty.values())
        self._last_fanout = sum(len(r.peers) for r in rooms)
        self._dirty.clear()
        batch = [(r.id, seq, frame) for r in rooms for seq, frame in r.uncommitted]
        versions: list[Version] = []
        if batch:
            now = self._clock()
            for room in rooms:
                versions += room.versions_due
                if room.uncommitted and now - room.version_at >= limits.VERSION_EVERY_SECONDS:
                    versions.append(Version(room.id, room.seq, "periodic",
                                            room.encoded_elements()))
                    room.version_at = now
        if self.cluster is not None:
            self.cluster.commit(rooms, versions)
        elif batch:
            try:
                self.store.commit(batch, versions)
            except StoreError as exc:
                for room in rooms:
                    if room.uncommitted:
                        self._roll_back(room, str(exc))
        for room in rooms:
            if room.settings_due:
                room.settings_due = False
                self._keep_settings(room)
            room.uncommitted.clear()
            room.versions_due.clear()
            self._deliver(room)
            # A snapshot costs time in proportion to the board, so big boards take them
            # less often: the work per change stays flat.
            if room.seq - room.snapshot_seq >= snapshot_spacing(len(room.elements)):
                self.save_snapshot(room)
        if self.on_flushed is not None:
            self.on_flushed(rooms)

    def save_snapshot(self, room: Room) -> None:
        """Compact the room's change log into a snapshot. A failure loses nothing: every
        change is already committed, so it is logged and tried again later."""
        try:
            self.store.snapshot(room.id, room.seq, room.encoded_elements())
            room.snapshot_seq = room.seq
        except StoreError as exc:
            log.error("snapshot failed room=%s: %s", room.id, exc)

    def _roll_back(self, room: Room, reason: str) -> None:
        """A commit failed: tell each sender, and put the room back to what the store holds."""
        log.error("commit failed room=%s: %s", room.id, reason)
        err = error_frame(ProtocolError(STORAGE_ERROR, f"the change was not saved: {reason}"))
        senders = {id(o.sender): o.sender for o in room.pending
                   if o.seq is not None and o.sender is not None}
        room.reset_to(self.store.load(room.id))
        room.settings_due = False
        # Settings as stored, not as a lost change made them (they are stored only after a
        # commit succeeds).
        access = self.store.access(room.id)
        if access is not None:
            use_access(room, access)
        else:
            room.settings = dict(kinds.DEFAULT_SETTINGS)
            room.view_only = frozenset()
        room.pending = [o for o in room.pending if o.seq is None]
        for sender in senders.values():
            assert sender is not None
            room.tell(sender, err)
        # Everyone already here may hold the lost changes' effects locally: resync them.
        room.resync_everyone()

    def _deliver(self, room: Room) -> None:
        pending, ephemeral, direct = room.take_pending()
        if self.cluster is not None:
            self.cluster.share(room, pending, ephemeral)
        now = self._clock()
        shared: bytes | None = None
        for peer in room.peers:
            if not self._writable(room, peer, now):
                continue
            if peer.batched:
                if shared is None:
                    frames = [o.frame for o in pending] + [f for _, f in ephemeral]
                    shared = b"[" + b",".join(frames) + b"]" if frames else b""
                if shared:
                    peer.send(shared)
                continue
            self._deliver_seed(room, peer, pending, ephemeral)
        for peer in room.joining:
            self._catch_up(room, peer)
            if not peer.batched:
                # A seed client that sent changes before its sync went out still gets their
                # acks (a batched one finds them, with their seq, in the sync).
                for out in pending:
                    if out.sender is peer and out.ack is not None:
                        peer.send(out.ack)
        room.admit_joiners()
        for peer, message in direct:
            peer.send_message(message)

    def _deliver_seed(self, room: Room, peer: Peer, pending: list[Outgoing],
                      ephemeral: list[tuple[Peer, bytes]]) -> None:
        """A seed (v1) peer gets one message per frame, in terms it understands."""
        for out in pending:
            if out.sender is peer and not out.echo:
                if out.ack is not None:
                    peer.send(out.ack)
            elif out.seed_sync:
                peer.send_parts(room.sync_frame(peer))
            elif out.seed is not None:
                for frame in out.seed:
                    peer.send(frame)
            else:
                peer.send(out.frame)
        for sender, frame in ephemeral:
            if sender.user_id != peer.user_id and frame.startswith(b'{"type":"cursor"'):
                peer.send(frame)

    def _catch_up(self, room: Room, peer: Peer) -> None:
        messages = room.catch_up(peer)
        if peer.batched:
            parts: list[bytes] = []
            for i, message in enumerate(messages):
                sep = b"," if i else b"["
                parts += [sep + message[0], *message[1:]]
            parts[-1] += b"]"
            peer.send_parts(parts)
        else:
            for message in messages:
                peer.send_parts(message)

    def _writable(self, room: Room, peer: Peer, now: float) -> bool:
        """False while a peer is stalled. A stalled peer that drains is resynced from scratch,
        so it never keeps a board with silent gaps; one stalled too long is disconnected."""
        backlog = peer.transport.backlog()
        if peer.stalled_since is None:
            if backlog <= limits.PEER_BACKLOG_BYTES:
                return True
            peer.stalled_since = now
            log.warning("peer stalled room=%s user=%s backlog=%d", room.id, peer.user_id,
                        backlog)
            return False
        if backlog == 0:
            peer.stalled_since = None
            peer.since = None
            self._catch_up(room, peer)
            log.info("peer resynced room=%s user=%s", room.id, peer.user_id)
            return False
        if now - peer.stalled_since > limits.PEER_STALL_SECONDS:
            peer.transport.close(CLOSE_TOO_SLOW, "too slow: could not keep up with the board")
        return False

    def sweep(self) -> None:
        """Run about once a second: resync or drop stalled peers, unload idle rooms."""
        now = self._clock()
        for room in list(self.rooms.values()):
            if any(p.stalled_since is not None for p in room.peers):
                self.touch(room)
            empty_for = now - room.empty_since if room.empty_since is not None else 0.0
            busy = room.pending or room.uncommitted or room.id in self._dirty
            if empty_for > limits.ROOM_IDLE_SECONDS and not busy:
                self.unload(room)

    def unload(self, room: Room) -> None:
        if room.seq != room.snapshot_seq:
            self.save_snapshot(room)
        del self.rooms[room.id]
        if self.cluster is not None:
            self.cluster.unwatch(room)
        log.info("room unloaded room=%s", room.id)

    def close(self) -> None:
        """Flush what is pending and snapshot every loaded room (on shutdown)."""
        self.flush()
        for room in list(self.rooms.values()):
            if room.seq != room.snapshot_seq:
                self.save_snapshot(room)
