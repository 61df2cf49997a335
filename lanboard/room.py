"""A board and the people on it: validates, stores, numbers and fans out every change.

Pure domain code. A change is applied to memory at once, committed to the store when the
hub flushes (once per loop turn), and only then relayed, so no peer sees a change that a
crash could lose.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from typing import Any

import orjson

from lanboard import kinds, limits
from lanboard.elements import PAGE_KEY
from lanboard.errors import BOARD_FULL, UNKNOWN_TYPE, ProtocolError
from lanboard.peer import Peer
from lanboard.protocol import dumps, envelope, envelope_parts
from lanboard.store import Element, StoredBoard, Version

#: Colors handed to users in join order; distinct within a room while they last.
PALETTE = (
    "#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#46a0a0", "#f032e6", "#808000",
    "#9a6324", "#800000", "#000075", "#e6a100", "#008080", "#a0522d", "#6a5acd", "#2f4f4f",
)


@dataclass(slots=True)
class Outgoing:
    """One message waiting for the next flush."""

    frame: bytes
    sender: Peer | None
    seq: int | None = None
    #: Seed (v1) clients get their own clear back; draws, erases and cursors they do not.
    echo: bool = False
    #: The `ack` a v1 sender gets once the change is durable.
    ack: bytes | None = None
    #: What v1 peers get in its place (each a whole message); None: `frame` itself.
    seed: list[bytes] | None = None
    #: v1 peers get a fresh sync in its place.
    seed_sync: bool = False


class Room:
    """One board: its elements in order, its seq, its peers and its pending messages."""

    def __init__(self, room_id: str, elements: list[tuple[str, bytes]] | None = None,
                 seq: int = 0) -> None:
        self.id = room_id
        #: The store's name for this life of the board (BoardStore.origin), set on load; sync
        #: and resume carry it, and a `since` from another origin gets a full sync.
        self.origin = ""
        #: Element id -> encoded element, in board order (a replaced element keeps its place).
        self.elements: dict[str, bytes] = dict(elements or ())
        #: Paths being appended to, decoded; their entry in `elements` is stale until encoded.
        self._open: dict[str, dict[str, Any]] = {}
        self.seq = seq
        #: (seq, message) for recent changes, so `?since=` can resume without a full sync.
        self.log: deque[tuple[int, bytes]] = deque()
        self._log_bytes = 0
        self.peers: list[Peer] = []
        self.joining: list[Peer] = []
        self.pending: list[Outgoing] = []
        #: Latest cursor, select and transform frame per (user, type) since the last flush;
        #: older ones are dropped.
        self.ephemeral: dict[tuple[str, str], tuple[Peer, bytes]] = {}
        #: Each user's current selection, for joiners.
        self.selections: dict[str, bytes] = {}
        #: Messages for one peer only (pong, ack of a no-op, error), sent after the turn's own.
        self.direct: list[tuple[Peer, bytes]] = []
        #: Results a stored kind's check computed for the message being handled.
        self.prepared: dict[str, dict[str, Any]] = {}
        #: Changes applied to memory but not yet committed: (seq, message).
        self.uncommitted: list[tuple[int, bytes]] = []
        self.empty_since: float | None = None
        self._sync_cache: bytes | None = None
        #: Versions to save with the next commit (the board as it was before a clear).
        self.versions_due: list[Version] = []
        #: The seq of the last snapshot written, and of the last version saved, with its time.
        self.snapshot_seq = seq
        self.version_seq = seq
        self.version_at = 0.0
        #: The teacher's settings (kinds.DEFAULT_SETTINGS), the view-only names as a set,
        #: whether a teacher ever joined with the key, and the (teacher, viewer) keys.
        self.settings: dict[str, Any] = dict(kinds.DEFAULT_SETTINGS)
        #: A settings change waits for the flush's commit before it is stored with the board.
        self.settings_due = False
        self.view_only: frozenset[str] = frozenset()
        self.teacher_joined = False
        self.keys: tuple[str, str] | None = None
        #: (name, ip) pairs removed by a kick this turn, for the hub's bans.
        self.kicked: list[tuple[str, str]] = []
        #: With a shared store (lanboard/cluster.py): per other process, its people on this
        #: board and its connection count, for the userlist and the peer cap.
        self.remote: dict[str, tuple[list[dict[str, str]], int]] = {}
        #: The ids of the board's stored assets (images may name only these; the hub fills
        #: it on load and on each upload).
        self.assets: set[str] = set()

    # ---- membership -------------------------------------------------------------------

    def users(self) -> list[dict[str, str]]:
        seen: dict[str, dict[str, str]] = {}
        for p in self.peers + self.joining:
            entry = seen.setdefault(p.user_id, {"userId": p.user_id, "color": p.color,
                                                "role": p.role})
            if kinds.RANK[p.role] > kinds.RANK[entry["role"]]:
                entry["role"] = p.role
        for users, _ in self.remote.values():  # other processes' people (lanboard/cluster.py)
            for u in users:
                seen.setdefault(u["userId"], dict(u))
        return list(seen.values())

    def unique_name(self, peer: Peer) -> str:
        """The userId for a joining peer: its name, or "NAME (2)", "NAME (3)"... when another
        person (another clientId) already has it. The same clientId (two tabs), or none (seed
        clients), shares the presence."""
        name = peer.user_id
        if peer.client_id is None:
            return name
        holders = self.name_holders()
        n = 1
        while True:
            candidate = name if n == 1 else f"{name[:limits.MAX_USER_ID_CHARS - 6]} ({n})"
            held = holders.get(candidate)
            if held is None or peer.client_id in held:
                return candidate
            n += 1

    def name_holders(self) -> dict[str, set[str | None]]:
        """Each userId on the board, with the clientIds (None: a seed client) holding it."""
        holders: dict[str, set[str | None]] = {}
        for p in self.peers + self.joining:
            holders.setdefault(p.user_id, set()).add(p.client_id)
        return holders

    def kick(self, user_id: str) -> bool:
        """Close every connection of `user_id` (never a teacher's); whether there was one."""
        found = [p for p in self.peers + self.joining
                 if p.user_id == user_id and p.role != "teacher"]
        for p in found:
            self.kicked.append((p.user_id, p.ip))
            if p.asked and p.asked != p.user_id:
                self.kicked.append((p.asked, p.ip))
            # Frames it sent before its close frame came back change nothing.
            p.role = "viewer"
            p.transport.close(limits.CLOSE_KICKED, "removed by the teacher")
        return bool(found)

    def _color_for(self, user_id: str) -> str:
        taken = {u["userId"]: u["color"] for users, _ in self.remote.values() for u in users}
        for p in self.peers + self.joining:
            taken[p.user_id] = p.color
        if user_id in taken:
            return taken[user_id]
        used = set(taken.values())
        for color in PALETTE:
            if color not in used:
                return color
        return PALETTE[len(taken) % len(PALETTE)]

    def add(self, peer: Peer) -> None:
        """Admit a peer; it gets its sync (or resume) at the next flush."""
        peer.asked = peer.asked or peer.user_id
        peer.user_id = self.unique_name(peer)
        peer.color = self._color_for(peer.user_id)
        first = all(p.user_id != peer.user_id for p in self.peers + self.joining)
        self.joining.append(peer)
        self.empty_since = None
        if first:
            data = dumps({"userId": peer.user_id, "color": peer.color})
            self.pending.append(Outgoing(envelope("join", peer.user_id, data), peer))
        self._queue_userlist()

    def remove(self, peer: Peer, now: float) -> None:
        peer.closed = True
        if peer in self.peers:
            self.peers.remove(peer)
        elif peer in self.joining:
            self.joining.remove(peer)
        else:
            return
        if all(p.user_id != peer.user_id for p in self.peers + self.joining):
            data = dumps({"userId": peer.user_id})
            self.pending.append(Outgoing(envelope("leave", peer.user_id, data), peer))
            for key in [k for k in self.ephemeral if k[0] == peer.user_id]:
                del self.ephemeral[key]
            self.selections.pop(peer.user_id, None)
        self._queue_userlist()
        if not self.peers and not self.joining:
            self.empty_since = now

    def _userlist_frame(self) -> bytes:
        users = self.users()
        return envelope("userlist", None, dumps({"users": users, "count": len(users)}))

    def _queue_userlist(self) -> None:
        # Only the latest userlist matters; drop one still waiting.
        self.pending = [o for o in self.pending if not o.frame.startswith(b'{"type":"userlist"')]
        self.pending.append(Outgoing(self._userlist_frame(), None, echo=True))

    # ---- changes ----------------------------------------------------------------------

    def handle(self, peer: Peer, name: str, data: Any) -> None:
        """Apply one client message through its kind; raises ProtocolError to reject it."""
        kind = kinds.KINDS.get(name)
        if kind is None:
            raise ProtocolError(UNKNOWN_TYPE, f"unknown message type {name[:40]!r}")
        if peer.role != "teacher":
            refused = kinds.refusal(self, peer.role, peer.user_id, kind)
            if refused is not None:
                raise refused
        value = kind.check(self, peer, data)
        if kind.relay is not None:
            kind.relay(self, peer, value)
        elif value is None:
            # Nothing left to change: no seq, but the sender still hears back.
            self.tell(peer, envelope("ack", None, dumps({"ids": [], "seq": self.seq})))
        else:
            assert kind.apply is not None
            change = kind.apply(self, value)
            self._record(peer, name, change)
            for eid, encoded in change.redraw:  # the locked elements a student's clear keeps
                self.put(eid, encoded)
                self._record(peer, "draw", _redraw(encoded))

    def _record(self, peer: Peer | None, kind: str, change: kinds.Change) -> None:
        self.seq += 1
        user = peer.user_id if peer else None
        frame = envelope(kind, user, change.data, self.seq)
        self._remember(self.seq, frame)
        self.uncommitted.append((self.seq, frame))
        ack_frame = None
        if change.ack is not None and peer is not None and not peer.batched:
            # Only seed (v1) senders get an ack; v2 senders get the change itself back.
            ack_frame = envelope("ack", None, dumps({**change.ack, "seq": self.seq}))
        seed = None
        if change.seed is not None:
            seed = [envelope(k, user, data, self.seq) for k, data in change.seed]
        self.pending.append(Outgoing(frame, peer, self.seq, change.echo, ack_frame, seed,
                                     change.seed_sync))
        self._sync_cache = None

    # ---- the board's elements, as the kinds change them ---------------------------------

    def put(self, eid: str, encoded: bytes) -> None:
        """Store an element (a replaced id keeps its place in board order)."""
        self.elements[eid] = encoded
        self._open.pop(eid, None)

    def decoded(self, eid: str) -> dict[str, Any] | None:
        """The element as a dict, or None; a stroke being appended to stays decoded."""
        element = self._open.get(eid)
        if element is None:
            stored = self.elements.get(eid)
            if stored is None:
                return None
            element = json.loads(stored)
        return dict(element)

    def extend(self, eid: str, points: list[list[float]]) -> None:
        element = self._open.get(eid)
        if element is None:
            stored = self.elements.get(eid)
            if stored is None:
                return
            element = self._open[eid] = json.loads(stored)
        element["points"].extend(points)

    def drop(self, eid: str) -> None:
        self.elements.pop(eid, None)
        self._open.pop(eid, None)

    def drop_all(self) -> None:
        self.elements.clear()
        self._open.clear()

    def reorder(self, ids: list[str], front: bool) -> list[tuple[str, bytes]]:
        """Move `ids` (in board order) to the end of board order, or to its start."""
        current = self.encoded_elements()
        wanted = set(ids)
        moved = [(eid, data) for eid, data in current if eid in wanted]
        rest = [(eid, data) for eid, data in current if eid not in wanted]
        self.elements = dict(rest + moved if front else moved + rest)
        return moved

    def save_version(self, reason: str) -> None:
        """Queue the board as it is now as a History version, saved with the next commit."""
        if self.elements:
            self.versions_due.append(Version(self.id, self.seq, reason, self.encoded_elements()))

    # ---- what only some peers get -------------------------------------------------------

    def relay(self, peer: Peer, kind: str, frame: bytes) -> None:
        """Send a never-stored message on at the next flush, replacing an older one of the same
        user and type that has not gone out yet."""
        self.ephemeral[(peer.user_id, kind)] = (peer, frame)

    def select(self, peer: Peer, frame: bytes | None) -> None:
        if frame is None:
            self.selections.pop(peer.user_id, None)
        else:
            self.selections[peer.user_id] = frame

    def end_preview(self, user_id: str) -> None:
        self.ephemeral.pop((user_id, "transform"), None)

    def tell(self, peer: Peer, message: bytes) -> None:
        """A message for this peer alone, sent with the next flush."""
        self.direct.append((peer, message))

    def replace_all(self, elements: list[Element], reason: str, by: str = "someone") -> None:
        """Make the board exactly `elements`, as ordinary changes that everyone receives (a
        clear, then draws). The board as it was is saved as a version first. `by` is named
        in the clear's notice."""
        if len(elements) > limits.MAX_ELEMENTS_PER_ROOM:
            raise ProtocolError(BOARD_FULL, f"a board holds at most "
                                f"{limits.MAX_ELEMENTS_PER_ROOM} elements")
        self.save_version(reason)
        notice = {"by": by, "reason": {"before-import": "import", "deleted": "delete"}.get(
            reason, "restore")}
        self._record(None, "clear", kinds.apply(self, "clear", notice))
        for eid, encoded in elements:
            self.put(eid, encoded)
            self._record(None, "draw", _redraw(encoded))

    def take_stored(self, frame: bytes, sender: Peer | None) -> None:
        """Apply a change numbered elsewhere (a shared store gave it its seq), through the
        same `apply` as a live one, and queue it for the peers here like `_record` does."""
        # orjson: every change from another process is decoded here (the profile's top cost
        # of a shared board); they were encoded by LANBoard, so orjson reads them all.
        msg = orjson.loads(frame)
        change = kinds.apply(self, msg["type"], msg["data"])
        self.seq = seq = msg["seq"]
        self._remember(seq, frame)
        user = msg.get("userId")
        ack = None
        if change.ack is not None and sender is not None and not sender.batched:
            ack = envelope("ack", None, dumps({**change.ack, "seq": seq}))
        seed = None
        if change.seed is not None:
            seed = [envelope(k, user, data, seq) for k, data in change.seed]
        self.pending.append(Outgoing(frame, sender, seq, change.echo, ack, seed,
                                     change.seed_sync))
        self._sync_cache = None

    def _remember(self, seq: int, frame: bytes) -> None:
        """Keep a change for resume, dropping the oldest past the count or byte limit (a few
        maximum-size paths would otherwise hold gigabytes)."""
        self.log.append((seq, frame))
        self._log_bytes += len(frame)
        while self.log and (len(self.log) > limits.RESUME_LOG_CHANGES
                            or self._log_bytes > limits.RESUME_LOG_BYTES):
            self._log_bytes -= len(self.log.popleft()[1])

    # ---- replay (restoring from the store) ---------------------------------------------

    def reset_to(self, stored: StoredBoard | None) -> None:
        """Make the board exactly what the store holds (on load, or after a failed commit)."""
        self.elements = dict(stored.elements) if stored else {}
        self.seq = stored.seq if stored else 0
        self._open.clear()
        self.prepared = {}
        self.log.clear()
        self._log_bytes = 0
        self.uncommitted.clear()
        self._sync_cache = None
        self.versions_due.clear()
        self.snapshot_seq = self.version_seq = self.seq
        for seq, frame in stored.changes if stored else ():
            if seq > self.seq:
                self.replay(frame)
            else:  # already in the snapshot; kept so clients can resume across a restart
                self._remember(seq, frame)

    def replay(self, frame: bytes) -> None:
        """Apply one stored change message, through the same `apply` as a live one."""
        self.seq = kinds.replay(self, frame)
        self._remember(self.seq, frame)
        self._sync_cache = None

    # ---- reading the board -------------------------------------------------------------

    def encoded_elements(self) -> list[tuple[str, bytes]]:
        """Every element in board order, with streamed paths brought up to date."""
        if self._open:
            for eid, element in self._open.items():
                self.elements[eid] = kinds.encode(element)
            self._open.clear()
        return list(self.elements.items())

    def elements_json(self) -> bytes:
        """The board as a JSON array, cached until the next change."""
        if self._sync_cache is None:
            body = b",".join([e for _, e in self.encoded_elements()])
            self._sync_cache = b"".join((b"[", body, b"]"))
        return self._sync_cache

    def shared_body(self) -> bytes | None:
        """The element bytes the last sync shared, while still current (else None)."""
        return self._sync_cache

    def sync_frame(self, peer: Peer) -> list[bytes]:
        """The sync message in pieces; the middle one is the board's shared element bytes.
        Seed (v1) clients see page 1 only."""
        head = dumps({"userId": peer.user_id, "color": peer.color, "seq": self.seq,
                      "users": self.users(), "role": peer.role, "settings": self.settings,
                      "origin": self.origin})
        board = self.elements_json() if peer.batched else self.page_one_json()
        return envelope_parts("sync", peer.user_id, [b'{"elements":', board, b",", head[1:]])

    def page_one_json(self) -> bytes:
        """The elements on page 1, as a JSON array: what a seed client's sync holds. On a
        board with one page it is the shared sync bytes themselves."""
        whole = self.elements_json()
        if PAGE_KEY not in whole:
            return whole
        return b"[" + b",".join(e for _, e in self.encoded_elements() if PAGE_KEY not in e) + b"]"

    def catch_up(self, peer: Peer) -> list[list[bytes]]:
        """Messages, each in pieces, that bring a new peer up to date: a resume and the
        changes it missed, when the log still holds them, or else a full sync; then the
        userlist."""
        since = peer.since
        oldest = self.log[0][0] if self.log else self.seq + 1
        missed = [frame for s, frame in self.log if s > since] if since is not None else []
        if since is not None and oldest - 1 <= since <= self.seq and (
                peer.batched or all(_seed_type(f) for f in missed)):
            data = dumps({"userId": peer.user_id, "color": peer.color, "since": since,
                          "seq": self.seq, "role": peer.role, "settings": self.settings,
                          "origin": self.origin})
            frames = [[envelope("resume", peer.user_id, data)]]
            frames += [[frame] for frame in missed]
        else:
            frames = [self.sync_frame(peer)]
        frames.append([self._userlist_frame()])
        if peer.batched:
            frames += [[f] for user, f in self.selections.items() if user != peer.user_id]
        return frames

    def take_pending(self) -> tuple[list[Outgoing], list[tuple[Peer, bytes]],
                                    list[tuple[Peer, bytes]]]:
        """The turn's stored and membership messages, never-stored ones, and direct ones,
        leaving none behind."""
        pending, self.pending = self.pending, []
        ephemeral = list(self.ephemeral.values())
        self.ephemeral.clear()
        direct, self.direct = self.direct, []
        return pending, ephemeral, direct

    def admit_joiners(self) -> None:
        """Joiners that got their catch-up are peers from now on."""
        self.peers.extend(p for p in self.joining if not p.closed)
        self.joining.clear()

    def resync_everyone(self) -> None:
        """Everyone gets a full sync at the next flush (after a failed commit)."""
        for peer in self.peers:
            peer.since = None
            self.joining.append(peer)
        self.peers.clear()


def _seed_type(frame: bytes) -> bool:
    """Whether a stored change is one of the types seed (v1) clients understand, and touches
    no page but the first (they see page 1 only)."""
    kind = frame[9:frame.index(b'"', 9)].decode()
    return kind in kinds.SEED_TYPES and PAGE_KEY not in frame


def _redraw(encoded: bytes) -> kinds.Change:
    """A draw the server makes (import, restore, the locked elements a clear keeps): everyone
    gets it, seed clients only when it is on page 1."""
    return kinds.Change(encoded, echo=True, seed=None if PAGE_KEY not in encoded else [])
