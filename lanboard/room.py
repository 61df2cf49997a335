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

from lanboard import limits
from lanboard.peer import Peer
from lanboard.protocol import (
    BAD_ELEMENT,
    BOARD_FULL,
    NOT_FOUND,
    ProtocolError,
    dumps,
    dumps_valid,
    envelope,
    envelope_parts,
    validate_append,
    validate_cursor,
    validate_element,
    validate_erase,
)
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


class Room:
    """One board: its elements in order, its seq, its peers and its pending messages."""

    def __init__(self, room_id: str, elements: list[tuple[str, bytes]] | None = None,
                 seq: int = 0) -> None:
        self.id = room_id
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
        #: Latest cursor frame per user since the last flush; older positions are dropped.
        self.cursors: dict[str, tuple[Peer, bytes]] = {}
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

    # ---- membership -------------------------------------------------------------------

    def users(self) -> list[dict[str, str]]:
        seen: dict[str, str] = {}
        for p in self.peers + self.joining:
            seen.setdefault(p.user_id, p.color)
        return [{"userId": u, "color": c} for u, c in seen.items()]

    def _color_for(self, user_id: str) -> str:
        taken = {}
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
            self.cursors.pop(peer.user_id, None)
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

    def handle(self, peer: Peer, kind: str, data: Any) -> None:
        """Apply one validated client message; raises ProtocolError to reject it."""
        if kind == "draw":
            self._draw(peer, data)
        elif kind == "append":
            self._append(peer, data)
        elif kind == "erase":
            self._erase(peer, data)
        elif kind == "clear":
            self._clear(peer)
        elif kind == "cursor":
            cursor = validate_cursor(data, peer.color)
            frame = envelope("cursor", peer.user_id, dumps_valid(cursor))
            self.cursors[peer.user_id] = (peer, frame)

    def _record(self, peer: Peer | None, kind: str, data: bytes, ack: dict[str, Any] | None,
                echo: bool = False) -> None:
        self.seq += 1
        user = peer.user_id if peer else None
        frame = envelope(kind, user, data, self.seq)
        self._remember(self.seq, frame)
        self.uncommitted.append((self.seq, frame))
        ack_frame = None
        if ack is not None and peer is not None and not peer.batched:
            # Only seed (v1) senders get an ack; v2 senders get the change itself back.
            ack["seq"] = self.seq
            ack_frame = envelope("ack", None, dumps(ack))
        self.pending.append(Outgoing(frame, peer, self.seq, echo, ack_frame))
        self._sync_cache = None

    def _draw(self, peer: Peer, data: Any) -> None:
        element = validate_element(data, peer.user_id)
        eid = element["id"]
        if eid not in self.elements and len(self.elements) >= limits.MAX_ELEMENTS_PER_ROOM:
            raise ProtocolError(BOARD_FULL, f"this board holds the maximum of "
                                f"{limits.MAX_ELEMENTS_PER_ROOM} elements; erase or clear "
                                "some first", eid)
        encoded = _encode(element)
        self.elements[eid] = encoded
        self._open.pop(eid, None)
        self._record(peer, "draw", encoded, {"id": eid})

    def _append(self, peer: Peer, data: Any) -> None:
        eid, points = validate_append(data)
        element = self._open.get(eid)
        if element is None:
            stored = self.elements.get(eid)
            if stored is None:
                raise ProtocolError(NOT_FOUND, "append to a path that does not exist", eid)
            element = json.loads(stored)
        if element["elementType"] != "path" or element["userId"] != peer.user_id:
            raise ProtocolError(BAD_ELEMENT, "append only extends your own path", eid)
        if len(element["points"]) + len(points) > limits.MAX_PATH_POINTS:
            raise ProtocolError(BAD_ELEMENT, f"a path holds at most {limits.MAX_PATH_POINTS} "
                                "points", eid)
        element["points"].extend(points)
        self._open[eid] = element
        self._record(peer, "append", dumps_valid({"id": eid, "points": points}), {"id": eid})

    def _erase(self, peer: Peer, data: Any) -> None:
        removed = [i for i in validate_erase(data) if i in self.elements]
        if not removed:
            # Erasing what is already gone is a no-op: no seq, but the sender still hears back.
            peer.send_message(envelope("ack", None, dumps({"ids": [], "seq": self.seq})))
            return
        for eid in removed:
            del self.elements[eid]
            self._open.pop(eid, None)
        self._record(peer, "erase", dumps({"ids": removed}), {"ids": removed})

    def _clear(self, peer: Peer | None, reason: str = "before-clear") -> None:
        if self.elements:
            # A cleared board can always be brought back from History.
            self.versions_due.append(Version(self.id, self.seq, reason, self.encoded_elements()))
        self.elements.clear()
        self._open.clear()
        self._record(peer, "clear", b"{}", None, echo=True)

    def replace_all(self, elements: list[Element], reason: str) -> None:
        """Make the board exactly `elements`, as ordinary changes that everyone receives (a
        clear, then draws). The board as it was is saved as a version first."""
        if len(elements) > limits.MAX_ELEMENTS_PER_ROOM:
            raise ProtocolError(BOARD_FULL, f"a board holds at most "
                                f"{limits.MAX_ELEMENTS_PER_ROOM} elements")
        self._clear(None, reason)
        for eid, encoded in elements:
            self.elements[eid] = encoded
            self._record(None, "draw", encoded, None, echo=True)

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
        """Apply one stored change message, already validated when it was first accepted."""
        msg = json.loads(frame)
        kind, data = msg["type"], msg["data"]
        if kind == "draw":
            self.elements[data["id"]] = dumps(data)
            self._open.pop(data["id"], None)
        elif kind == "append":
            element = self._open.get(data["id"])
            if element is None and data["id"] in self.elements:
                element = json.loads(self.elements[data["id"]])
            if element is not None:
                element["points"].extend(data["points"])
                self._open[data["id"]] = element
        elif kind == "erase":
            for eid in data["ids"]:
                self.elements.pop(eid, None)
                self._open.pop(eid, None)
        elif kind == "clear":
            self.elements.clear()
            self._open.clear()
        self.seq = msg["seq"]
        self._remember(self.seq, frame)
        self._sync_cache = None

    # ---- reading the board -------------------------------------------------------------

    def encoded_elements(self) -> list[tuple[str, bytes]]:
        """Every element in board order, with streamed paths brought up to date."""
        if self._open:
            for eid, element in self._open.items():
                self.elements[eid] = _encode(element)
            self._open.clear()
        return list(self.elements.items())

    def elements_json(self) -> bytes:
        """The board as a JSON array, cached until the next change."""
        if self._sync_cache is None:
            body = b",".join([e for _, e in self.encoded_elements()])
            self._sync_cache = b"".join((b"[", body, b"]"))
        return self._sync_cache

    def sync_frame(self, peer: Peer) -> list[bytes]:
        """The sync message in pieces; the middle one is the board's shared element bytes."""
        head = dumps({"userId": peer.user_id, "color": peer.color, "seq": self.seq,
                      "users": self.users()})
        return envelope_parts("sync", peer.user_id,
                              [b'{"elements":', self.elements_json(), b",", head[1:]])

    def catch_up(self, peer: Peer) -> list[list[bytes]]:
        """Messages, each in pieces, that bring a new peer up to date: a resume and the
        changes it missed, when the log still holds them, or else a full sync; then the
        userlist."""
        since = peer.since
        oldest = self.log[0][0] if self.log else self.seq + 1
        if since is not None and oldest - 1 <= since <= self.seq:
            data = dumps({"userId": peer.user_id, "color": peer.color, "since": since,
                          "seq": self.seq})
            frames = [[envelope("resume", peer.user_id, data)]]
            frames += [[frame] for s, frame in self.log if s > since]
        else:
            frames = [self.sync_frame(peer)]
        frames.append([self._userlist_frame()])
        return frames


def _encode(element: dict[str, Any]) -> bytes:
    try:
        return dumps_valid(element)
    except UnicodeEncodeError:
        raise ProtocolError(BAD_ELEMENT, "text holds invalid unicode (a lone surrogate)",
                            element.get("id")) from None
