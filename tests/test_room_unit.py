"""Pure unit tests of the room and hub, with a recording transport standing in for sockets."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lanboard import limits
from lanboard.hub import CLOSE_TOO_SLOW, Hub
from lanboard.peer import Peer
from lanboard.protocol import ProtocolError
from lanboard.store import MemoryStore, StoreError


class Recorder:
    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.pending = 0
        self.closed: tuple[int, str] | None = None

    def write_frame(self, frame: bytes) -> None:
        self.frames.append(frame)

    def write_parts(self, parts: list[bytes]) -> None:
        self.frames.append(b"".join(parts))

    def backlog(self) -> int:
        return self.pending

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    def messages(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for f in self.frames:
            msg = json.loads(f)
            out.extend(msg if isinstance(msg, list) else [msg])
        return out


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make_hub(store: Any = None) -> tuple[Hub, Clock]:
    clock = Clock()
    return Hub(store or MemoryStore(), lambda cb: None, clock), clock


def join(hub: Hub, name: str, batched: bool = False) -> Peer:
    peer = Peer(name, Recorder(), batched=batched)
    hub.join(hub.room("r"), peer)
    hub.flush()
    return peer


def act(hub: Hub, peer: Peer, kind: str, data: Any) -> None:
    """What the socket handler does with one client message."""
    room = hub.room("r")
    room.handle(peer, kind, data)
    hub.touch(room)


def line(eid: str) -> dict[str, Any]:
    return {"id": eid, "elementType": "line", "x1": 0, "y1": 0, "x2": 1, "y2": 1,
            "strokeColor": "#000", "strokeWidth": 1}


def test_cursors_are_coalesced_to_the_latest_per_user_per_flush():
    hub, _ = make_hub()
    ann, bob = join(hub, "ann"), join(hub, "bob")
    hub.room("r")
    for x in range(10):
        act(hub, ann, "cursor", {"x": x, "y": 0})
    bob.transport.frames.clear()
    hub.flush()
    cursors = [m for m in bob.transport.messages() if m["type"] == "cursor"]
    assert [c["data"]["x"] for c in cursors] == [9]


def test_batched_peers_share_one_encoded_frame_per_flush():
    hub, _ = make_hub()
    a, b = join(hub, "a", batched=True), join(hub, "b", batched=True)
    hub.room("r")
    a.transport.frames.clear()
    b.transport.frames.clear()
    for i in range(5):
        act(hub, a, "draw", line(f"e{i}"))
    hub.flush()
    assert len(a.transport.frames) == len(b.transport.frames) == 1
    assert a.transport.frames[0] is b.transport.frames[0]
    assert [m["seq"] for m in b.transport.messages()] == [1, 2, 3, 4, 5]


def test_changes_are_committed_before_anyone_sees_them():
    class Watching(MemoryStore):
        def commit(self, changes, versions):
            assert not any(b"draw" in f for f in peer_b.transport.frames)
            super().commit(changes, versions)

    store = Watching()
    hub, _ = make_hub(store)
    a = join(hub, "a")
    peer_b = join(hub, "b")
    act(hub, a, "draw", line("x"))
    hub.flush()
    assert store.commits >= 1
    assert any(m["type"] == "draw" for m in peer_b.transport.messages())


def test_a_failed_commit_relays_nothing_and_rolls_the_room_back():
    class Failing(MemoryStore):
        fail = False

        def commit(self, changes, versions):
            if self.fail:
                raise StoreError("disk full")
            super().commit(changes, versions)

    store = Failing()
    hub, _ = make_hub(store)
    a, b = join(hub, "a"), join(hub, "b")
    room = hub.room("r")
    act(hub, a, "draw", line("kept"))
    hub.flush()
    store.fail = True
    act(hub, a, "draw", line("lost"))
    hub.flush()
    assert list(room.elements) == ["kept"] and room.seq == 1
    errors = [m for m in a.transport.messages() if m["type"] == "error"]
    assert errors[-1]["data"]["code"] == "storage_error"
    assert not any(m["type"] == "draw" and m["data"]["id"] == "lost"
                   for m in b.transport.messages())
    store.fail = False
    act(hub, a, "draw", line("next"))
    hub.flush()
    assert list(room.elements) == ["kept", "next"] and room.seq == 2


def test_a_stalled_peer_is_skipped_then_resynced_when_it_drains():
    hub, clock = make_hub()
    a, slow = join(hub, "a"), join(hub, "slow")
    hub.room("r")
    slow.transport.pending = limits.PEER_BACKLOG_BYTES + 1
    slow.transport.frames.clear()
    act(hub, a, "draw", line("x1"))
    hub.flush()
    assert slow.transport.frames == [] and slow.stalled_since == clock.now
    act(hub, a, "draw", line("x2"))
    hub.flush()
    assert slow.transport.frames == []
    slow.transport.pending = 0
    clock.now += 1
    hub.sweep()
    hub.flush()
    kinds = [m["type"] for m in slow.transport.messages()]
    assert kinds[0] == "sync"
    assert [e["id"] for e in slow.transport.messages()[0]["data"]["elements"]] == ["x1", "x2"]
    assert slow.stalled_since is None


def test_a_peer_stalled_too_long_is_disconnected():
    hub, clock = make_hub()
    a, slow = join(hub, "a"), join(hub, "slow")
    slow.transport.pending = limits.PEER_BACKLOG_BYTES + 1
    act(hub, a, "draw", line("x"))
    hub.flush()
    clock.now += limits.PEER_STALL_SECONDS + 1
    hub.sweep()
    hub.flush()
    assert slow.transport.closed is not None and slow.transport.closed[0] == CLOSE_TOO_SLOW


def test_an_empty_room_is_unloaded_after_the_idle_time_and_comes_back_whole():
    store = MemoryStore()
    hub, clock = make_hub(store)
    a = join(hub, "a")
    room = hub.room("r")
    act(hub, a, "draw", line("x"))
    hub.flush()
    hub.leave(room, a)
    hub.flush()
    clock.now += limits.ROOM_IDLE_SECONDS - 1
    hub.sweep()
    assert "r" in hub.rooms
    clock.now += 2
    hub.sweep()
    assert "r" not in hub.rooms
    again = hub.room("r")
    assert list(again.elements) == ["x"] and again.seq == 1


def test_board_full_is_an_error(monkeypatch):
    monkeypatch.setattr(limits, "MAX_ELEMENTS_PER_ROOM", 3)
    hub, _ = make_hub()
    a = join(hub, "a")
    room = hub.room("r")
    for i in range(3):
        act(hub, a, "draw", line(f"e{i}"))
    with pytest.raises(ProtocolError) as err:
        act(hub, a, "draw", line("e3"))
    assert err.value.code == "board_full"
    act(hub, a, "draw", line("e1"))  # replacing an existing element is still fine
    assert len(room.elements) == 3


def test_replay_rebuilds_the_same_board():
    hub, _ = make_hub()
    a = join(hub, "a")
    room = hub.room("r")
    act(hub, a, "draw", {"id": "p", "elementType": "path", "points": [[0, 0]],
                            "strokeColor": "#000", "strokeWidth": 1})
    act(hub, a, "append", {"id": "p", "points": [[1, 1]]})
    act(hub, a, "draw", line("l"))
    act(hub, a, "erase", {"ids": ["l"]})
    act(hub, a, "draw", line("m"))
    hub.flush()
    from lanboard.room import Room

    copy = Room("r")
    for _, frame in room.log:
        copy.replay(frame)
    assert copy.encoded_elements() == room.encoded_elements() and copy.seq == room.seq


def test_a_seed_client_that_draws_before_its_sync_still_gets_the_ack():
    hub, _ = make_hub()
    early = Peer("early", Recorder())
    room = hub.room("r")
    hub.join(room, early)
    room.handle(early, "draw", line("x"))  # before the flush that sends its sync
    hub.touch(room)
    hub.flush()
    kinds = [m["type"] for m in early.transport.messages()]
    assert kinds[0] == "sync" and "ack" in kinds
    ack = next(m for m in early.transport.messages() if m["type"] == "ack")
    assert ack["data"] == {"id": "x", "seq": 1}


def test_the_resume_log_is_bounded_in_bytes_as_well_as_count(monkeypatch):
    monkeypatch.setattr(limits, "RESUME_LOG_BYTES", 5_000)
    hub, _ = make_hub()
    a = join(hub, "a")
    for i in range(40):
        act(hub, a, "draw", {"id": "t", "elementType": "text", "x": 0, "y": 0, "fontSize": 12,
                             "strokeColor": "#000", "strokeWidth": 1, "text": str(i) * 400})
    room = hub.room("r")
    assert sum(len(f) for _, f in room.log) <= 5_000
    assert room.log[-1][0] == room.seq and len(room.log) < 40


def test_flushes_coalesce_under_load_but_not_on_an_idle_board():
    clock = Clock()
    now_calls: list[object] = []
    later_calls: list[float] = []
    hub = Hub(MemoryStore(), now_calls.append, clock,
              schedule_later=lambda delay, cb: later_calls.append(delay))
    room = hub.room("r")
    peers = [Peer(f"p{i}", Recorder()) for i in range(limits.COALESCE_MIN_PEERS)]
    for p in peers[:2]:
        hub.join(room, p)
    hub.flush()
    hub.flush()  # two peers: a small board
    now_calls.clear()
    act(hub, peers[0], "draw", line("a"))
    assert len(now_calls) == 1 and later_calls == []  # flushed at once
    hub.flush()
    for p in peers[2:]:
        hub.join(room, p)
    hub.flush()
    act(hub, peers[0], "draw", line("warm"))
    hub.flush()  # this flush wrote to COALESCE_MIN_PEERS peers
    later_calls.clear()
    act(hub, peers[0], "draw", line("b"))
    assert later_calls and 0 < later_calls[0] <= limits.COALESCE_SECONDS
    hub.flush()
    clock.now += 1.0  # a while later the first message goes out at once again
    act(hub, peers[0], "draw", line("c"))
    assert len(later_calls) == 1


class SlowRecorder(Recorder):
    """A peer whose every write takes a millisecond of the hub's clock."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock

    def write_frame(self, frame: bytes) -> None:
        self.clock.now += 0.001
        super().write_frame(frame)


def test_a_slow_flush_to_many_peers_spaces_the_next_one_by_twice_its_time():
    clock = Clock()
    later_calls: list[float] = []
    hub = Hub(MemoryStore(), lambda cb: None, clock,
              schedule_later=lambda delay, cb: later_calls.append(delay))
    room = hub.room("r")
    peers = [Peer(f"p{i}", SlowRecorder(clock)) for i in range(30)]
    for p in peers:
        hub.join(room, p)
    hub.flush()
    act(hub, peers[0], "draw", line("a"))
    hub.flush()  # 30 writes: 30 ms
    act(hub, peers[0], "draw", line("b"))
    # Spaced 2 x 30 ms from the last flush's start, capped at COALESCE_MAX_SECONDS from now.
    assert later_calls == [pytest.approx(min(0.030, limits.COALESCE_MAX_SECONDS))]
    hub.flush()
    clock.now += 1.0
    act(hub, peers[0], "draw", line("c"))  # long after: at once
    assert len(later_calls) == 1


def test_envelope_parts_joined_equal_the_envelope_for_any_number_of_pieces():
    from lanboard.protocol import envelope, envelope_parts

    whole = envelope("sync", "ann", b'{"elements":[1,2],"seq":3}')
    for pieces in ([b'{"elements":[1,2],"seq":3}'], [b'{"elements":', b"[1,2]", b',"seq":3}']):
        assert b"".join(envelope_parts("sync", "ann", pieces)) == whole


def test_a_rotation_the_store_refuses_changes_no_key_and_ends_nobody():
    class Failing(MemoryStore):
        fail = False

        def save_access(self, room_id, access):
            if self.fail:
                raise StoreError("disk full")
            super().save_access(room_id, access)

    store = Failing()
    hub, _ = make_hub(store)
    room = hub.room("r")
    teacher_key, viewer_key = hub.ensure_keys(room)
    tess = Peer("tess", Recorder(), role="teacher", key=teacher_key)
    hub.join(room, tess)
    store.fail = True
    with pytest.raises(StoreError):
        hub.ensure_keys(room, rotate=True)
    assert room.keys == (teacher_key, viewer_key)
    assert hub.role_for("r", teacher_key) == "teacher"
    assert tess.transport.closed is None
    store.fail = False
    hub.ensure_keys(room, rotate=True)  # stored this time: the old key's connection ends
    assert tess.transport.closed is not None and tess.transport.closed[0] == 4001
    assert hub.role_for("r", teacher_key) is None
