"""Where boards are kept between loads: the interface, and an in-memory twin for tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class StoreError(Exception):
    """Storage failed; the message is one line a person can act on."""


@dataclass(slots=True)
class StoredBoard:
    """What a store gives back for one board: a snapshot plus the changes after it."""

    elements: list[tuple[str, bytes]]
    seq: int
    #: (seq, message) of changes after the snapshot, oldest first.
    changes: list[tuple[int, bytes]] = field(default_factory=list)


@dataclass(slots=True, frozen=True)
class BoardSummary:
    id: str
    elements: int
    seq: int
    updated: float


class BoardStore(Protocol):
    def load(self, room_id: str) -> StoredBoard | None:
        """The stored board, or None when there is none."""

    def commit(self, changes: list[tuple[str, int, bytes]]) -> None:
        """Make (room_id, seq, message) changes durable before returning; raise StoreError."""

    def snapshot(self, room_id: str, seq: int, elements: list[tuple[str, bytes]]) -> None:
        """Record the full board at seq, so older changes need not be replayed."""

    def boards(self) -> list[BoardSummary]:
        """Every stored board."""

    def close(self) -> None:
        """Flush and release the store."""


class MemoryStore:
    """A BoardStore that keeps everything in this process; used by tests and --no-store."""

    def __init__(self) -> None:
        self._snapshots: dict[str, tuple[int, list[tuple[str, bytes]]]] = {}
        self._changes: dict[str, list[tuple[int, bytes]]] = {}
        self.commits = 0

    def load(self, room_id: str) -> StoredBoard | None:
        if room_id not in self._snapshots and room_id not in self._changes:
            return None
        seq, elements = self._snapshots.get(room_id, (0, []))
        return StoredBoard(list(elements), seq, list(self._changes.get(room_id, [])))

    def commit(self, changes: list[tuple[str, int, bytes]]) -> None:
        for room_id, seq, frame in changes:
            self._changes.setdefault(room_id, []).append((seq, frame))
        self.commits += 1

    def snapshot(self, room_id: str, seq: int, elements: list[tuple[str, bytes]]) -> None:
        self._snapshots[room_id] = (seq, list(elements))
        self._changes[room_id] = [c for c in self._changes.get(room_id, []) if c[0] > seq]

    def boards(self) -> list[BoardSummary]:
        out = []
        for room_id in self._snapshots.keys() | self._changes.keys():
            seq, elements = self._snapshots.get(room_id, (0, []))
            last = self._changes.get(room_id)
            out.append(BoardSummary(room_id, len(elements), last[-1][0] if last else seq, 0.0))
        return out

    def close(self) -> None:
        pass
