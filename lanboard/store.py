"""Where boards are kept between loads: the interface, and an in-memory twin for tests."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from lanboard import limits

#: One element as stored: (id, encoded JSON).
Element = tuple[str, bytes]

#: A board's origin as a client may send it back (`?origin=`): 1-32 lowercase hex digits.
ORIGIN_PATTERN = re.compile(r"[0-9a-f]{1,32}")


def new_origin() -> str:
    """A fresh origin: 64 random bits naming one life of a board's storage. A kept `seq`
    means something only on the board (and the storage life) it came from; a wiped data dir,
    a flushed Redis or another server makes a new one, so a page's copy is never resumed onto
    a board it never saw."""
    return secrets.token_hex(8)


class StoreError(Exception):
    """Storage failed; the message is one line a person can act on."""


@dataclass(slots=True)
class StoredBoard:
    """What a store gives back for one board: a snapshot plus the changes it keeps."""

    elements: list[Element]
    #: The seq the snapshot was taken at.
    seq: int
    #: (seq, message) of kept changes, oldest first. Those after `seq` are replayed on load;
    #: those at or before it only let clients resume across a restart.
    changes: list[tuple[int, bytes]] = field(default_factory=list)


@dataclass(slots=True, frozen=True)
class BoardSummary:
    id: str
    elements: int
    seq: int
    updated: float


@dataclass(slots=True, frozen=True)
class VersionInfo:
    """One saved version of a board, as History lists it."""

    id: int
    time: float
    seq: int
    elements: int
    reason: str


@dataclass(slots=True)
class Version:
    """A version to save: the full board as it was at `seq`."""

    room_id: str
    seq: int
    reason: str
    elements: list[Element]


@dataclass(slots=True)
class BoardName:
    """What a board is called and whether it was deleted, kept beside it (the `names` table).
    `name` is the display name ("Math 7B: Fractions"; the id stays the slug in its address),
    "" for none. A delete empties the board (saving a version first) and notes its seq then:
    while the board is still at that seq and empty, the landing page lists it as deleted."""

    name: str = ""
    deleted_seq: int | None = None
    deleted_at: float | None = None
    #: How many elements it had: the landing page's Restore finds the version by it.
    deleted_elements: int = 0


@dataclass(slots=True)
class Access:
    """Who may do what on one board, kept with it: its keys (None until the host asks for
    its links or the landing page claims it), whether a teacher ever joined with the teacher
    key, and the teacher's settings (see kinds.DEFAULT_SETTINGS)."""

    teacher_key: str | None = None
    viewer_key: str | None = None
    teacher_joined: bool = False
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True, frozen=True)
class Asset:
    """An image stored with one board: its id (the lowercase hex SHA-256 of `data`), MIME
    type and pixel size, as read from its header (lanboard/assets.py)."""

    id: str
    type: str
    width: int
    height: int
    data: bytes

    def info(self) -> dict[str, Any]:
        """What the upload route answers, and a board file carries beside the bytes."""
        return {"id": self.id, "type": self.type, "width": self.width,
                "height": self.height, "bytes": len(self.data)}


@dataclass(slots=True, frozen=True)
class Kept:
    """How much of a board's past the store can rebuild: every board from `oldest` to `seq`
    (the newest committed change)."""

    oldest: int
    seq: int


#: How long changes are kept by default: the whole lesson, and the month after it.
KEEP_SECONDS = limits.KEEP_DAYS * 86400.0


def snapshot_spacing(elements: int) -> int:
    """Changes between two snapshots of a board of this many elements, as the hub takes them
    (a snapshot costs time in proportion to the board). The board at any kept seq is at most
    this many changes of replay from a kept snapshot."""
    return max(limits.SNAPSHOT_EVERY_CHANGES, elements)


def redundant(newest_two: list[int], seq: int, elements: int) -> int | None:
    """The snapshot a new one at `seq` makes redundant, if any: the newest of `newest_two`
    (the two newest before `seq`, newest first) when the one before it is still within one
    spacing of `seq`, so no seq needs it to stay within one spacing of replay. Without this,
    every unload of a board in bursts of use would keep one more whole board."""
    if len(newest_two) == 2 and seq - newest_two[1] <= snapshot_spacing(elements):
        return newest_two[0]
    return None


class BoardStore(Protocol):
    def load(self, room_id: str) -> StoredBoard | None:
        """The stored board, or None when there is none. Its `changes` are those after the
        snapshot plus the last RESUME_LOG_CHANGES before it (for resume), never the whole
        kept log."""

    def commit(self, changes: list[tuple[str, int, bytes]], versions: list[Version]) -> None:
        """Make (room_id, seq, message) changes and versions durable, in one transaction,
        before returning; raise StoreError."""

    def snapshot(self, room_id: str, seq: int, elements: list[Element]) -> None:
        """Record the full board at seq, so older changes need not be replayed."""

    def boards(self) -> list[BoardSummary]:
        """Every stored board."""

    def kept(self, room_id: str) -> Kept | None:
        """The seqs whose board can be rebuilt, or None for a board never used."""

    def base(self, room_id: str, seq: int) -> tuple[int, list[Element]]:
        """The newest snapshot at or before `seq`, as (its seq, its elements); (0, []) when
        there is none (the empty board every board starts as)."""

    def changes(self, room_id: str, after: int, upto: int | None = None,
                limit: int | None = None) -> list[tuple[int, bytes]]:
        """Kept (seq, message) changes with after < seq <= upto, oldest first, at most
        `limit` of them."""

    def versions(self, room_id: str) -> list[VersionInfo]:
        """Saved versions of a board, newest first."""

    def version(self, room_id: str, version_id: int) -> list[Element] | None:
        """The elements of one saved version."""

    def access(self, room_id: str) -> Access | None:
        """The board's keys and settings, or None when it has none stored."""

    def origin(self, room_id: str) -> str:
        """The board's origin (`new_origin`), the same for the life of this storage: made on
        the first call for a board that has none, and the same one from then on, across
        restarts too (a store may keep a new board's origin durably only with its first
        commit: until then nothing of the board exists to resume)."""

    def save_access(self, room_id: str, access: Access) -> None:
        """Store the board's keys and settings (at once: a link handed out must work after a
        restart)."""

    def names(self) -> dict[str, BoardName]:
        """Every board's display name and deletion, by board id (boards without are left
        out)."""

    def save_name(self, room_id: str, name: BoardName) -> None:
        """Store the board's display name and deletion, at once."""

    def retain(self, keep_seconds: float) -> None:
        """Keep every change and snapshot this long from now on (LANBOARD_KEEP_DAYS), and drop
        what is older already."""

    def put_asset(self, room_id: str, asset: Asset) -> bool:
        """Store an asset with the board, at once (durable before the upload is answered);
        False when the board already had it. Assets are never deleted: a kept version or
        change may name any of them."""

    def asset(self, room_id: str, asset_id: str) -> Asset | None:
        """One of the board's assets, or None."""

    def asset_ids(self, room_id: str) -> set[str]:
        """The ids of every asset the board has."""

    def asset_bytes(self, room_id: str) -> int:
        """The size of all the board's assets together."""

    def close(self) -> None:
        """Flush and release the store."""


class MemoryStore:
    """A BoardStore that keeps everything in this process (tests, LANBOARD_STORE=memory)."""

    def __init__(self, keep_seconds: float = KEEP_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:
        self.keep_seconds = keep_seconds
        self._clock = clock
        #: Per board, every kept snapshot, oldest first: (seq, time, elements).
        self._snapshots: dict[str, list[tuple[int, float, list[Element]]]] = {}
        self._changes: dict[str, list[tuple[int, bytes]]] = {}
        self._versions: dict[str, list[tuple[VersionInfo, list[Element]]]] = {}
        self._names: dict[str, BoardName] = {}
        self._updated: dict[str, float] = {}
        self._access: dict[str, Access] = {}
        self._assets: dict[str, dict[str, Asset]] = {}
        self._origins: dict[str, str] = {}
        self.commits = 0

    def origin(self, room_id: str) -> str:
        return self._origins.setdefault(room_id, new_origin())

    def put_asset(self, room_id: str, asset: Asset) -> bool:
        held = self._assets.setdefault(room_id, {})
        if asset.id in held:
            return False
        held[asset.id] = asset
        return True

    def asset(self, room_id: str, asset_id: str) -> Asset | None:
        return self._assets.get(room_id, {}).get(asset_id)

    def asset_ids(self, room_id: str) -> set[str]:
        return set(self._assets.get(room_id, {}))

    def asset_bytes(self, room_id: str) -> int:
        return sum(len(a.data) for a in self._assets.get(room_id, {}).values())

    def access(self, room_id: str) -> Access | None:
        found = self._access.get(room_id)
        return None if found is None else Access(found.teacher_key, found.viewer_key,
                                                 found.teacher_joined, dict(found.settings))

    def save_access(self, room_id: str, access: Access) -> None:
        self._access[room_id] = Access(access.teacher_key, access.viewer_key,
                                       access.teacher_joined, dict(access.settings))

    def names(self) -> dict[str, BoardName]:
        return {rid: replace(n) for rid, n in self._names.items()}

    def save_name(self, room_id: str, name: BoardName) -> None:
        self._names[room_id] = replace(name)

    def load(self, room_id: str) -> StoredBoard | None:
        if room_id not in self._snapshots and room_id not in self._changes:
            return None
        seq, elements = self._latest(room_id)
        floor = seq - limits.RESUME_LOG_CHANGES
        return StoredBoard(list(elements), seq,
                           [c for c in self._changes.get(room_id, []) if c[0] > floor])

    def _latest(self, room_id: str) -> tuple[int, list[Element]]:
        snaps = self._snapshots.get(room_id)
        return (snaps[-1][0], snaps[-1][2]) if snaps else (0, [])

    def commit(self, changes: list[tuple[str, int, bytes]], versions: list[Version]) -> None:
        for room_id, seq, frame in changes:
            self._changes.setdefault(room_id, []).append((seq, frame))
            self._updated[room_id] = time.time()
        for v in versions:
            saved = self._versions.setdefault(v.room_id, [])
            if any(elements == v.elements for _, elements in saved):
                continue  # the same board is kept once, as SqliteStore does
            info = VersionInfo(len(saved) + 1, time.time(), v.seq, len(v.elements), v.reason)
            saved.append((info, list(v.elements)))
        self.commits += 1

    def snapshot(self, room_id: str, seq: int, elements: list[Element]) -> None:
        now = self._clock()
        snaps = [s for s in self._snapshots.get(room_id, []) if s[0] != seq]
        gone = redundant([s[0] for s in snaps if s[0] < seq][-2:][::-1], seq, len(elements))
        snaps = [s for s in snaps if s[0] != gone]
        snaps.append((seq, now, list(elements)))
        snaps.sort(key=lambda s: s[0])
        # The same retention as SqliteStore: the newest snapshot older than the cutoff is the
        # oldest board still needed; what came before it goes.
        old = [s for s in snaps if s[1] <= now - self.keep_seconds]
        if old:
            floor = min(old[-1][0], seq - limits.RESUME_LOG_CHANGES)
            snaps = [s for s in snaps if s[0] >= old[-1][0]]
            self._changes[room_id] = [c for c in self._changes.get(room_id, [])
                                      if c[0] > floor]
        self._snapshots[room_id] = snaps

    def boards(self) -> list[BoardSummary]:
        out = []
        for room_id in self._snapshots.keys() | self._changes.keys():
            seq, elements = self._latest(room_id)
            last = self._changes.get(room_id)
            out.append(BoardSummary(room_id, len(elements),
                                    max(seq, last[-1][0] if last else 0),
                                    self._updated.get(room_id, 0.0)))
        return out

    def kept(self, room_id: str) -> Kept | None:
        if room_id not in self._snapshots and room_id not in self._changes:
            return None
        changes = self._changes.get(room_id) or []
        snap_seqs = [s[0] for s in self._snapshots.get(room_id, [])]
        return kept_range(changes[0][0] if changes else None,
                          changes[-1][0] if changes else None, snap_seqs)

    def base(self, room_id: str, seq: int) -> tuple[int, list[Element]]:
        best: tuple[int, list[Element]] = (0, [])
        for s, _, elements in self._snapshots.get(room_id, []):
            if s <= seq:
                best = (s, elements)
        return best[0], list(best[1])

    def changes(self, room_id: str, after: int, upto: int | None = None,
                limit: int | None = None) -> list[tuple[int, bytes]]:
        out = [c for c in self._changes.get(room_id, [])
               if c[0] > after and (upto is None or c[0] <= upto)]
        return out[:limit] if limit is not None else out

    def versions(self, room_id: str) -> list[VersionInfo]:
        return [info for info, _ in reversed(self._versions.get(room_id, []))]

    def version(self, room_id: str, version_id: int) -> list[Element] | None:
        for info, elements in self._versions.get(room_id, []):
            if info.id == version_id:
                return list(elements)
        return None

    def retain(self, keep_seconds: float) -> None:
        self.keep_seconds = keep_seconds  # applied at each board's next snapshot

    def close(self) -> None:
        pass


def kept_range(first: int | None, last: int | None, snapshots: list[int]) -> Kept:
    """The rebuildable seqs of a board whose kept changes run from `first` to `last` (None:
    none kept) and whose snapshots are at `snapshots`, oldest first. A board can be rebuilt at
    seq N from a snapshot at S <= N when every change S+1..N is kept; the empty board at 0
    counts as a snapshot while change 1 is still kept."""
    newest = max([*snapshots, last or 0])
    if first is None:
        return Kept(snapshots[-1] if snapshots else 0, newest)
    if first == 1:
        return Kept(0, newest)
    usable = [s for s in snapshots if s >= first - 1]
    return Kept(usable[0] if usable else newest, newest)
