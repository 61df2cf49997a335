"""Unit tests of the element schema table and the message-kind table (pure domain)."""

from __future__ import annotations

import contextlib
import json
import random
from typing import Any

import pytest
from test_room_unit import Recorder, make_hub

from lanboard import elements, kinds, limits
from lanboard.guard import RateLimits
from lanboard.peer import Peer
from lanboard.protocol import ProtocolError
from lanboard.room import Room

SAMPLES: dict[str, dict[str, Any]] = {
    "line": {"x1": 0, "y1": 1, "x2": 2, "y2": 3},
    "arrow": {"x1": 0, "y1": 1, "x2": 2, "y2": 3},
    "rect": {"x": 1, "y": 2, "width": 3, "height": -4, "fillColor": "#abc"},
    "ellipse": {"x": 1, "y": 2, "width": 3, "height": 4},
    "path": {"points": [[0, 0], [1, 1, 0.5]]},
    "highlighter": {"points": [[0, 0], [5, 5]]},
    "text": {"x": 1, "y": 2, "text": "hi", "fontSize": 20},
    "sticky": {"x": 1, "y": 2, "width": 100, "height": 100, "text": "note", "fontSize": 16},
    "image": {"asset": "ab" * 32, "x": 0, "y": 0, "width": 640, "height": 480},
}


def sample(kind: str, eid: str = "e1", **over: Any) -> dict[str, Any]:
    stroke = {"strokeColor": "#000", "strokeWidth": 2} if elements.TYPES[kind].stroke else {}
    return {"id": eid, "elementType": kind, **stroke, **SAMPLES[kind], **over}


def test_every_type_has_a_sample_and_validates_from_its_table():
    assert set(SAMPLES) == set(elements.TYPES)
    for kind in elements.TYPES:
        out = elements.validate(sample(kind), "ann")
        assert out["userId"] == "ann" and out["elementType"] == kind


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_each_required_field_is_required_and_each_field_is_checked_by_its_kind(kind):
    for name, spec in elements.TYPES[kind].fields.items():
        broken = sample(kind)
        broken.pop(name, None)
        if spec.required:
            with pytest.raises(ProtocolError):
                elements.validate(broken, "ann")
        else:
            elements.validate(broken, "ann")
        with pytest.raises(ProtocolError):
            elements.validate({**sample(kind), name: {"no": 1}}, "ann")
    with pytest.raises(ProtocolError, match="unknown fields"):
        elements.validate({**sample(kind), "bogus": 1}, "ann")


def test_schema_json_lists_the_limits_and_every_field_but_identity():
    schema = elements.schema_json()
    assert schema["limits"]["MAX_COORD"] == limits.MAX_COORD
    assert schema["limits"]["MAX_IDS"] == limits.MAX_ERASE_IDS
    for name, fields in schema["types"].items():
        assert {"strokeColor", "strokeWidth"} <= set(fields) or name == "image"
        assert {"page", "locked"} <= set(fields)
        assert not {"id", "elementType", "userId"} & set(fields)
        assert set(fields) == set(elements.TYPES[name].fields)
    json.dumps(schema)  # the page compares it as JSON


def test_transform_arithmetic_is_scale_about_a_point_then_move():
    t = elements.Transform(dx=1, dy=-1, sx=2, sy=0.5, ox=10, oy=20)
    rect = elements.transformed(elements.validate(sample("rect"), "ann"), t)
    assert (rect["x"], rect["y"], rect["width"], rect["height"]) == (
        10 + (1 - 10) * 2 + 1, 20 + (2 - 20) * 0.5 - 1, 6, -2)
    text = elements.transformed(elements.validate(sample("text"), "ann"), t)
    assert text["fontSize"] == 10
    path = elements.transformed(elements.validate(sample("path"), "ann"), t)
    assert path["points"][1] == [10 + (1 - 10) * 2 + 1, 20 + (1 - 20) * 0.5 - 1, 0.5]
    with pytest.raises(ProtocolError, match="out of range"):
        elements.transformed(path, elements.Transform(dx=limits.MAX_COORD * 2))
    with pytest.raises(ProtocolError, match="fontSize"):
        elements.transformed(text, elements.Transform(sy=100))


def test_set_skips_fields_a_type_lacks_and_revalidates_the_whole_element():
    line = elements.validate(sample("line"), "ann")
    assert "fillColor" not in elements.with_set(line, {"fillColor": "#fff"})
    rect = elements.validate(sample("rect"), "ann")
    assert "fillColor" not in elements.with_set(rect, {"fillColor": None})
    assert elements.with_set(rect, {"strokeColor": "#f00"})["userId"] == "ann"
    with pytest.raises(ProtocolError):
        elements.with_set(rect, {"strokeColor": None})
    with pytest.raises(ProtocolError, match="no element has"):
        elements.check_set({"nope": 1}, "r")


def test_every_kind_draws_from_a_real_bucket_and_names_a_role():
    buckets = set(RateLimits().buckets())
    for kind in kinds.KINDS.values():
        assert kind.bucket in buckets, kind.name
        assert kind.role in kinds.ROLES, kind.name
        assert (kind.apply is None) != (kind.relay is None), kind.name


def peer(name: str, batched: bool = True, role: str = "student") -> Peer:
    return Peer(name, Recorder(), batched=batched, role=role)


def test_a_kind_not_in_the_table_is_refused_and_a_viewer_may_not_draw():
    room = Room("r")
    with pytest.raises(ProtocolError) as err:
        room.handle(peer("ann"), "shout", {})
    assert err.value.code == "unknown_type"
    with pytest.raises(ProtocolError) as err:
        room.handle(peer("vic", role="viewer"), "draw", sample("line"))
    assert err.value.code == "read_only"
    room.handle(peer("vic", role="viewer"), "cursor", {"x": 1, "y": 2})
    assert not room.elements


def test_an_unknown_kind_is_charged_to_the_senders_rate():
    hub, clock = make_hub()
    room = hub.room("r")
    ann = peer("ann")
    from lanboard.guard import Guard
    ann.guard = Guard(RateLimits(changes=1)).client("127.0.0.1")
    hub.join(room, ann)
    verdicts = [hub.submit(room, ann, '{"type":"shout"}', clock()) for _ in range(5)]
    assert verdicts[:2] == ["ok", "ok"] and "limited" in verdicts


def random_session(rng: random.Random, room: Room, people: list[Peer], steps: int) -> None:
    """Random valid and invalid messages of every stored kind, applied live."""
    for step in range(steps):
        p = rng.choice(people)
        ids = list(room.elements) or ["none"]
        pick = rng.sample(ids, min(len(ids), rng.randint(1, 3)))
        kind = rng.choice(["draw", "draw", "append", "erase", "update", "update", "order",
                           "clear"])
        data: Any
        if kind == "draw":
            data = sample(rng.choice(sorted(SAMPLES)), f"{p.user_id}-{step}")
        elif kind == "append":
            data = {"id": rng.choice(ids), "points": [[step, step]]}
        elif kind == "erase":
            data = {"ids": pick}
        elif kind == "update":
            data = rng.choice([{"ids": pick, "move": [rng.uniform(-50, 50), 3]},
                               {"ids": pick, "scale": [rng.choice([-2, 0.5, 3]), 1.5, 4, 5]},
                               {"ids": pick, "set": {"strokeColor": "#f00", "text": "t"}}])
        elif kind == "order":
            data = {"ids": pick, "to": rng.choice(["front", "back"])}
        else:
            if rng.random() > 0.1:
                continue
            data = {}
        with contextlib.suppress(ProtocolError):
            room.handle(p, kind, data)


@pytest.mark.parametrize("seed", range(8))
def test_replay_from_the_stored_changes_rebuilds_the_live_board_exactly(seed):
    rng = random.Random(seed)
    live = Room("r")
    people = [peer("ann"), peer("bob")]
    random_session(rng, live, people, 300)
    assert live.seq > 100
    replayed = Room("r")
    for _, frame in live.uncommitted:
        replayed.replay(frame)
    assert replayed.encoded_elements() == live.encoded_elements()
    assert replayed.seq == live.seq


def test_an_update_ends_the_senders_waiting_preview_in_the_same_turn():
    hub, clock = make_hub()
    room = hub.room("r")
    ann, bob = peer("ann"), peer("bob")
    hub.join(room, ann)
    hub.join(room, bob)
    hub.flush()
    def send(kind: str, data: Any) -> None:
        hub.submit(room, ann, json.dumps({"type": kind, "data": data}), clock())

    send("draw", sample("line", "l1"))
    hub.flush()
    bob.transport.frames.clear()
    send("select", {"ids": ["l1"]})
    send("transform", {"dx": 5, "dy": 0})
    send("update", {"ids": ["l1"], "move": [5, 0]})
    hub.flush()
    types = [m["type"] for m in bob.transport.messages()]
    assert "update" in types and "select" in types and "transform" not in types


def test_pong_and_errors_leave_through_the_flush_in_order():
    hub, clock = make_hub()
    room = hub.room("r")
    ann = peer("ann")
    hub.join(room, ann)
    hub.flush()
    ann.transport.frames.clear()
    hub.submit(room, ann, '{"type":"ping"}', clock())
    hub.submit(room, ann, '{"type":"draw","data":{}}', clock())
    assert ann.transport.frames == []  # nothing leaves outside the flush
    hub.flush()
    assert [m["type"] for m in ann.transport.messages()] == ["pong", "error"]
