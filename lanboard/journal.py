"""A room shared by several processes (lanboard/cluster.py): it can take back the changes of
one turn, since Redis may order another process's changes before this turn's, and a kick
reaches people on the other processes. Pure domain code.

Undoing must cost what the turn did, not what the board holds: a 100,000-element board is
copied in milliseconds, and two processes drawing on one board meet in Redis on most
flushes. So the common changes are journalled: `put` keeps the bytes it replaced, `extend`
the length of the points it grew, and reading the board (`encoded_elements`, which folds the
strokes being drawn into their bytes) what it folded. Only the changes that move board
order (`drop`, `drop_all`, `reorder`: erase, clear, order) copy the element index, once per
turn, at the first of them.
"""

from __future__ import annotations

from typing import Any

from lanboard.room import Room

#: A journal entry: (element id, bytes before or None, decoded element before or None,
#: points length before or -1). -1: a `put` or a fold; else an `extend`.
Entry = tuple[str, bytes | None, dict[str, Any] | None, int]


class SharedRoom(Room):
    """A Room whose turn can be undone (`begin`, then `end` or `restore`)."""

    def __init__(self, room_id: str) -> None:
        super().__init__(room_id)
        self._journal: list[Entry] | None = None
        self._base: tuple[Any, ...] = ()
        #: The element index and the strokes being drawn (with their point counts) at the
        #: turn's first order-changing change, and how much of the journal came before it.
        self._copy: tuple[dict[str, bytes], dict[str, tuple[dict[str, Any], int]], int] | None
        self._copy = None
        #: Names kicked here that other processes have people under (cluster.share sends
        #: them on).
        self.kicks_out: list[str] = []
        #: Per other process, the clientIds under each of its userIds, so "NAME (2)" is
        #: given across processes as on one.
        self.remote_clients: dict[str, dict[str, list[str | None]]] = {}

    def name_holders(self) -> dict[str, set[str | None]]:
        holders = super().name_holders()
        for proc, names in self.remote_clients.items():
            if proc in self.remote:  # a process gone has no people left
                for uid, clients in names.items():
                    holders.setdefault(uid, set()).update(clients)
        return holders

    def kick(self, user_id: str) -> bool:
        here = super().kick(user_id)
        elsewhere = any(u["userId"] == user_id and u.get("role") != "teacher"
                        for users, _ in self.remote.values() for u in users)
        if elsewhere:
            self.kicks_out.append(user_id)
        return here or elsewhere

    @property
    def journaling(self) -> bool:
        return self._journal is not None

    def begin(self) -> None:
        """Start keeping what this turn changes (once per turn; later calls do nothing)."""
        if self._journal is None:
            self._journal = []
            self._copy = None
            self._base = (self.seq, self.settings, self.view_only)

    def end(self) -> None:
        """The turn stands (committed): forget how to undo it."""
        self._journal = None
        self._copy = None

    def restore(self) -> None:
        """Back to how the board was at `begin`; the turn's changes are forgotten here (none
        was relayed)."""
        journal = self._journal or []
        if self._copy is not None:
            elements, opened, upto = self._copy
            self.elements = elements
            self._open = {}
            for eid, (element, count) in opened.items():
                del element["points"][count:]
                self._open[eid] = element
            journal = journal[:upto]
        for eid, before, decoded, count in reversed(journal):
            if count >= 0:  # an extend
                assert decoded is not None
                del decoded["points"][count:]
                if before is None:  # it was not being drawn before
                    self._open.pop(eid, None)
                continue
            if before is None:
                self.elements.pop(eid, None)
            else:
                self.elements[eid] = before
            if decoded is None:
                self._open.pop(eid, None)
            else:
                self._open[eid] = decoded
        if self._journal is not None:
            self.seq, self.settings, self.view_only = self._base
        self.end()
        while self.log and self.log[-1][0] > self.seq:
            self._log_bytes -= len(self.log.pop()[1])
        self.uncommitted.clear()
        self.prepared = {}
        self._sync_cache = None
        # The turn's own changes go; what was applied before it (another process's, drained
        # at `begin`) still waits for the peers here, or they would see its seq skipped.
        self.pending = [o for o in self.pending if o.seq is None or o.seq <= self.seq]

    def _keeping(self) -> bool:
        """Whether changes must be journalled (journalling, and no copy taken yet)."""
        return self._journal is not None and self._copy is None

    def _copy_once(self) -> None:
        if self._journal is not None and self._copy is None:
            opened = {eid: (e, len(e["points"])) for eid, e in self._open.items()}
            self._copy = (dict(self.elements), opened, len(self._journal))

    # ---- the board's elements, journalled ---------------------------------------------------

    def put(self, eid: str, encoded: bytes) -> None:
        if self._keeping():
            assert self._journal is not None
            self._journal.append((eid, self.elements.get(eid), self._open.get(eid), -1))
        super().put(eid, encoded)

    def extend(self, eid: str, points: list[list[float]]) -> None:
        if self._keeping() and eid in self.elements:
            assert self._journal is not None
            was_open = eid in self._open
            super().extend(eid, [])  # decodes it into the strokes being drawn
            element = self._open[eid]
            self._journal.append((eid, b"" if was_open else None, element,
                                  len(element["points"])))
        super().extend(eid, points)

    def drop(self, eid: str) -> None:
        self._copy_once()
        super().drop(eid)

    def drop_all(self) -> None:
        self._copy_once()
        super().drop_all()

    def reorder(self, ids: list[str], front: bool) -> list[tuple[str, bytes]]:
        self._copy_once()
        return super().reorder(ids, front)

    def encoded_elements(self) -> list[tuple[str, bytes]]:
        if self._keeping() and self._open:
            assert self._journal is not None
            for eid, element in self._open.items():  # folded: bytes and decoded both back
                self._journal.append((eid, self.elements.get(eid), element, -1))
        return super().encoded_elements()
