"""SharedRoom (lanboard/journal.py): a turn of any changes, undone, leaves the board exactly
as it was: elements, their bytes, their order, the strokes being drawn, seq and settings.
Pure unit tests, random turns with a fixed seed."""

from __future__ import annotations

import contextlib
import random
from typing import Any

from lanboard.errors import ProtocolError
from lanboard.journal import SharedRoom
from lanboard.peer import NullTransport, Peer


def path(eid: str, r: random.Random) -> dict[str, Any]:
    return {"id": eid, "elementType": "path", "strokeColor": "#123456", "strokeWidth": 3,
            "points": [[r.randint(0, 99), r.randint(0, 99)] for _ in range(3)]}


def message(r: random.Random, ids: list[str], n: int) -> tuple[str, Any]:
    pick = r.random()
    if pick < 0.3 or not ids:
        return "draw", path(f"e{n}", r)
    eid = r.choice(ids)
    if pick < 0.6:
        return "append", {"id": eid, "points": [[r.randint(0, 99), 5]]}
    if pick < 0.7:
        return "draw", {**path(eid, r), "strokeWidth": 7}  # replaced in place
    if pick < 0.78:
        return "erase", {"ids": [eid]}
    if pick < 0.86:
        return "update", {"ids": [eid], "move": [r.randint(-9, 9), 2]}
    if pick < 0.93:
        return "order", {"ids": [eid], "to": r.choice(["front", "back"])}
    if pick < 0.97:
        return "settings", {"locked": r.random() < 0.5}
    return "clear", {}


def state(room: SharedRoom) -> tuple[Any, ...]:
    return (room.encoded_elements(), room.seq, dict(room.settings), len(room.log))


def test_any_turn_undone_leaves_the_board_as_it_was():
    r = random.Random(18)
    teacher = Peer("t", NullTransport(), batched=True, role="teacher")
    for trial in range(400):
        room = SharedRoom("j")
        n = 0
        for _ in range(r.randint(0, 12)):  # a board, some strokes still being drawn
            n += 1
            name, data = message(r, list(room.elements), n)
            if name not in ("clear",):
                with contextlib.suppress(ProtocolError):
                    room.handle(teacher, name, data)
        if r.random() < 0.5:
            room.encoded_elements()  # a sync folded the strokes into their bytes
        room.uncommitted.clear()
        room.pending.clear()
        before = state(room)
        open_before = {k: list(v["points"]) for k, v in room._open.items()}
        room.begin()
        for _ in range(r.randint(1, 10)):
            n += 1
            name, data = message(r, list(room.elements), n)
            with contextlib.suppress(ProtocolError):
                room.handle(teacher, name, data)
            if r.random() < 0.2:
                room.encoded_elements()
        room.restore()
        assert {k: list(v["points"]) for k, v in room._open.items()} == open_before, trial
        assert state(room) == before, trial
        assert not room.journaling and not room.uncommitted


def test_a_turn_that_stands_is_kept():
    r = random.Random(1)
    teacher = Peer("t", NullTransport(), batched=True, role="teacher")
    room = SharedRoom("j")
    room.begin()
    room.handle(teacher, "draw", path("a", r))
    room.end()
    room.begin()
    room.restore()  # undoes nothing: the first turn stood
    assert [eid for eid, _ in room.encoded_elements()] == ["a"] and room.seq == 1


def test_a_stroke_grown_after_an_erase_is_cut_back():
    r = random.Random(2)
    teacher = Peer("t", NullTransport(), batched=True, role="teacher")
    room = SharedRoom("j")
    room.handle(teacher, "draw", path("s", r))
    room.handle(teacher, "draw", path("x", r))
    room.handle(teacher, "append", {"id": "s", "points": [[1, 1]]})  # being drawn
    room.uncommitted.clear()
    room.pending.clear()
    points = list(room._open["s"]["points"])
    seq = room.seq
    room.begin()
    room.handle(teacher, "erase", {"ids": ["x"]})  # the index is copied here
    room.handle(teacher, "append", {"id": "s", "points": [[9, 9]]})
    room.restore()
    assert room._open["s"]["points"] == points and room.seq == seq
    assert [eid for eid, _ in room.elements.items()] == ["s", "x"]


def test_an_undone_turn_keeps_what_came_before_it_for_the_peers():
    """Another process's change applied before the turn began (cluster `before_change` drains
    the reader first) stays on the board and stays queued for the peers here: undoing the
    turn took it away from them, and every client here saw its seq skipped."""
    r = random.Random(3)
    teacher = Peer("t", NullTransport(), batched=True, role="teacher")
    room = SharedRoom("j")
    room.handle(teacher, "draw", path("a", r))
    room.uncommitted.clear()
    room.pending.clear()
    theirs = b'{"type":"draw","userId":"u","data":%s,"seq":2}' % (
        b'{"id":"b","elementType":"line","x1":0,"y1":0,"x2":5,"y2":5}')
    room.take_stored(theirs, None)
    room.begin()
    room.handle(teacher, "draw", path("c", r))
    assert [o.seq for o in room.pending] == [2, 3]
    room.restore()
    assert room.seq == 2 and [o.seq for o in room.pending] == [2]
    assert [eid for eid, _ in room.encoded_elements()] == ["a", "b"]


def test_a_reordered_turn_renumbers_only_its_own_changes():
    """Redis put another process's change before this turn's: the turn is undone, theirs is
    applied, then ours under its new seq. A change drained before the turn is not ours: it
    keeps its seq and is not applied a second time."""
    from lanboard.cluster import Cluster

    r = random.Random(4)
    teacher = Peer("t", NullTransport(), batched=True, role="teacher")
    room = SharedRoom("j")
    line = b'{"type":"draw","userId":"u","data":{"id":"%s","elementType":"line","x1":0,' \
           b'"y1":0,"x2":5,"y2":5},"seq":%d}'
    room.take_stored(line % (b"b", 1), None)  # drained at the turn's start
    room.begin()
    room.handle(teacher, "draw", path("c", r))  # ours, seq 2 here
    after = room.uncommitted[0][0] - 1
    Cluster._reorder(object.__new__(Cluster), room, after, 3, [(2, line % (b"x", 2))])
    assert [o.seq for o in room.pending] == [1, 2, 3]
    assert [o.sender for o in room.pending] == [None, None, teacher]
    assert [eid for eid, _ in room.encoded_elements()] == ["b", "x", "c"] and room.seq == 3
