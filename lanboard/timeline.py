"""The board at any kept seq: the nearest snapshot at or before it, plus a replay of the
changes after that snapshot through the kinds' own `apply` (`kinds.replay`), the one
interpreter of a change for live messages, loads and this alike. Pure domain code.

The store keeps a snapshot every max(SNAPSHOT_EVERY_CHANGES, board size) changes, so a
replay here is at most that many changes, never the whole lesson.
"""

from __future__ import annotations

from dataclasses import dataclass

from lanboard import kinds, limits
from lanboard.errors import ProtocolError
from lanboard.room import Room
from lanboard.store import BoardStore, Element

#: The HTTP status of each error this module raises.
STATUS = {"no_board": 404, "no_seq": 404, "gone": 410, "bad_seq": 400, "bad_limit": 400}

#: Most changes one `changes` answer holds (and its default).
MAX_CHANGES_PAGE = limits.MAX_CHANGES_PAGE


def parse_seq(raw: str, name: str = "seq") -> int:
    """A seq from a query string: a whole number, at most 15 digits; else `bad_seq`."""
    if not raw.isdigit() or not raw.isascii() or len(raw) > 15:
        raise ProtocolError("bad_seq", f"'{name}' must be a whole number (a change's seq), "
                            f"not {raw[:20]!r}")
    return int(raw)


@dataclass(slots=True)
class Past:
    """What rebuilding one past board needs, read from the store: a snapshot and the changes
    after it. `build` touches nothing shared, so it may run off the event loop."""

    room_id: str
    base: int
    elements: list[Element]
    changes: list[bytes]

    def build(self) -> list[Element]:
        """The board right after the last of `changes`, in board order."""
        room = Room(self.room_id, self.elements, self.base)
        for frame in self.changes:
            kinds.replay(room, frame)
        return room.encoded_elements()


def past(store: BoardStore, room_id: str, seq: int) -> Past:
    """Read what the board right after change `seq` is made of (`no_board`, `no_seq` and
    `gone` raise ProtocolError)."""
    check(store, room_id, seq)
    base, elements = store.base(room_id, seq)
    return Past(room_id, base, elements,
                [frame for _, frame in store.changes(room_id, base, upto=seq)])


def board_at(store: BoardStore, room_id: str, seq: int) -> list[Element]:
    """The board exactly as it was right after change `seq`, in board order."""
    return past(store, room_id, seq).build()


def check(store: BoardStore, room_id: str, seq: int, what: str = "seq") -> int:
    """Raise unless the board at `seq` can be rebuilt: `no_board`, `no_seq` past the
    board's current seq, `gone` older than the retention kept. The current seq."""
    kept = store.kept(room_id)
    if kept is None:
        raise ProtocolError("no_board", f"there is no board {room_id!r}")
    if seq > kept.seq:
        raise ProtocolError("no_seq", f"board {room_id!r} is at seq {kept.seq}; there is no "
                            f"change {seq} yet")
    if seq < kept.oldest:
        raise ProtocolError("gone", f"{what} {seq} is older than what is kept: the oldest "
                            f"board that can be rebuilt is at seq {kept.oldest}")
    return kept.seq


def changes_after(store: BoardStore, room_id: str, after: int,
                  limit: int = MAX_CHANGES_PAGE) -> tuple[int, int, list[bytes]]:
    """(oldest, current seq, the stored change messages with seq > after, oldest first, at
    most `limit` and about MAX_CHANGES_PAGE_BYTES). `after` below the oldest rebuildable seq
    is `gone`; past the current seq the list is empty."""
    kept = store.kept(room_id)
    if kept is None:
        raise ProtocolError("no_board", f"there is no board {room_id!r}")
    if after < kept.oldest:
        raise ProtocolError("gone", f"after={after} is older than what is kept: start from "
                            f"the board at seq {kept.oldest}")
    frames: list[bytes] = []
    size = 0
    for _, frame in store.changes(room_id, after, upto=kept.seq, limit=limit):
        if frames and size + len(frame) > limits.MAX_CHANGES_PAGE_BYTES:
            break  # the rest comes with the next page
        frames.append(frame)
        size += len(frame)
    return kept.oldest, kept.seq, frames
