"""Where boards are kept between loads: the interface, and an in-memory twin for tests."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

#: One element as stored: (id, encoded JSON).
Element = tuple[str, bytes]


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


class BoardStore(Protocol):
    def load(self, room_id: str) -> StoredBoard | None:
        """The stored board, or None when there is none."""

    def commit(self, changes: list[tuple[str, int, bytes]], versions: list[Version]) -> None:
        """Make (room_id, seq, message) changes and versions durable, in one transaction,
        before returning; raise StoreError."""

    def snapshot(self, room_id: str, seq: int, elements: list[Element]) -> None:
        """Record the full board at seq, so older changes need not be replayed."""

    def boards(self) -> list[BoardSummary]:
        """Every stored board."""

    def versions(self, room_id: str) -> list[VersionInfo]:
        """Saved versions of a board, newest first."""

    def version(self, room_id: str, version_id: int) -> list[Element] | None:
        """The elements of one saved version."""

    def close(self) -> None:
        """Flush and release the store."""


class MemoryStore:
    """A BoardStore that keeps everything in this process (tests, LANBOARD_STORE=memory)."""

    def __init__(self) -> None:
        self._snapshots: dict[str, tuple[int, list[Element]]] = {}
        self._changes: dict[str, list[tuple[int, bytes]]] = {}
        self._versions: dict[str, list[tuple[VersionInfo, list[Element]]]] = {}
        self.commits = 0

    def load(self, room_id: str) -> StoredBoard | None:
        if room_id not in self._snapshots and room_id not in self._changes:
            return None
        seq, elements = self._snapshots.get(room_id, (0, []))
        return StoredBoard(list(elements), seq, list(self._changes.get(room_id, [])))

    def commit(self, changes: list[tuple[str, int, bytes]], versions: list[Version]) -> None:
        for room_id, seq, frame in changes:
            self._changes.setdefault(room_id, []).append((seq, frame))
        for v in versions:
            saved = self._versions.setdefault(v.room_id, [])
            if any(elements == v.elements for _, elements in saved):
                continue  # the same board is kept once, as SqliteStore does
            info = VersionInfo(len(saved) + 1, time.time(), v.seq, len(v.elements), v.reason)
            saved.append((info, list(v.elements)))
        self.commits += 1

    def snapshot(self, room_id: str, seq: int, elements: list[Element]) -> None:
        self._snapshots[room_id] = (seq, list(elements))

    def boards(self) -> list[BoardSummary]:
        out = []
        for room_id in self._snapshots.keys() | self._changes.keys():
            seq, elements = self._snapshots.get(room_id, (0, []))
            last = self._changes.get(room_id)
            out.append(BoardSummary(room_id, len(elements), last[-1][0] if last else seq, 0.0))
        return out

    def versions(self, room_id: str) -> list[VersionInfo]:
        return [info for info, _ in reversed(self._versions.get(room_id, []))]

    def version(self, room_id: str, version_id: int) -> list[Element] | None:
        for info, elements in self._versions.get(room_id, []):
            if info.id == version_id:
                return list(elements)
        return None

    def close(self) -> None:
        pass
