"""Protocol extensions: more element types, streaming paths, erase, replace, seq, ack,
resume and the batched v2 protocol."""

from __future__ import annotations

import json

import pytest
from testkit import line, pair

RECT = {"id": "r1", "elementType": "rect", "x": 10, "y": 20, "width": 30, "height": -40,
        "strokeColor": "#123", "strokeWidth": 2, "fillColor": "#abcdef"}
ELLIPSE = {**RECT, "id": "e1", "elementType": "ellipse"}
ARROW = {"id": "a1", "elementType": "arrow", "x1": 0, "y1": 0, "x2": 5.5, "y2": -5,
         "strokeColor": "#000000", "strokeWidth": 0.5}
TEXT = {"id": "t1", "elementType": "text", "x": 1, "y": 2, "text": "hello\n<b>world</b>",
        "fontSize": 24, "strokeColor": "#000", "strokeWidth": 1}
PATH = {"id": "p1", "elementType": "path", "points": [[0, 0], [1, 1, 0.5]],
        "strokeColor": "#000", "strokeWidth": 3}


@pytest.mark.parametrize("element", [RECT, ELLIPSE, ARROW, TEXT, PATH, line("l1")])
async def test_each_element_type_round_trips(connect, element):
    ann, bob = await pair(connect, "x")
    ann.send("draw", element)
    got = (await bob.recv_type("draw"))["data"]
    assert got == {**element, "userId": "ann"}


async def test_path_streams_with_append_and_late_joiner_sees_whole_stroke(connect):
    ann, bob = await pair(connect, "x")
    ann.send("draw", PATH)
    await bob.recv_type("draw")
    ann.send("append", {"id": "p1", "points": [[2, 2], [3, 3]]})
    ann.send("append", {"id": "p1", "points": [[4, 4]]})
    first = await bob.recv_type("append")
    assert first["data"] == {"id": "p1", "points": [[2, 2], [3, 3]]}
    second = await bob.recv_type("append")
    assert second["seq"] == first["seq"] + 1
    carol = await connect("x", userId="carol")
    (el,) = (await carol.recv_type("sync"))["data"]["elements"]
    assert el["points"] == [[0, 0], [1, 1, 0.5], [2, 2], [3, 3], [4, 4]]


async def test_append_to_someone_elses_path_or_a_missing_id_is_an_error(connect):
    ann, bob = await pair(connect, "x")
    ann.send("draw", PATH)
    await bob.recv_type("draw")
    bob.send("append", {"id": "p1", "points": [[9, 9]]})
    assert (await bob.recv_type("error"))["data"]["code"] == "bad_element"
    bob.send("append", {"id": "nope", "points": [[9, 9]]})
    assert (await bob.recv_type("error"))["data"]["code"] == "not_found"
    await ann.nothing({"append"})


async def test_erase_removes_and_relays_and_skips_missing_ids(connect):
    ann, bob = await pair(connect, "x")
    ann.send("draw", line("l1"))
    ann.send("draw", line("l2"))
    await bob.recv_type("draw")
    await bob.recv_type("draw")
    bob.send("erase", {"ids": ["l1", "ghost"]})
    erased = await ann.recv_type("erase")
    assert erased["data"] == {"ids": ["l1"]} and erased["userId"] == "bob"
    ack = await bob.recv_type("ack")
    assert ack["data"] == {"ids": ["l1"], "seq": erased["seq"]}
    carol = await connect("x", userId="carol")
    assert [e["id"] for e in (await carol.recv_type("sync"))["data"]["elements"]] == ["l2"]


async def test_draw_with_existing_id_replaces_in_place(connect):
    ann, bob = await pair(connect, "x")
    for eid in ("a", "b", "c"):
        ann.send("draw", line(eid))
    ann.send("draw", line("b", x1=99))
    for _ in range(4):
        await bob.recv_type("draw")
    carol = await connect("x", userId="carol")
    elements = (await carol.recv_type("sync"))["data"]["elements"]
    assert [e["id"] for e in elements] == ["a", "b", "c"]
    assert elements[1]["x1"] == 99


async def test_seq_is_sequential_relayed_acked_and_in_sync(connect):
    ann, bob = await pair(connect, "x")
    ann.send("draw", line("a"))
    ann.send("draw", line("b"))
    d1, d2 = await bob.recv_type("draw"), await bob.recv_type("draw")
    assert (d1["seq"], d2["seq"]) == (1, 2)
    a1, a2 = await ann.recv_type("ack"), await ann.recv_type("ack")
    assert a1["data"] == {"id": "a", "seq": 1} and a2["data"] == {"id": "b", "seq": 2}
    carol = await connect("x", userId="carol")
    assert (await carol.recv_type("sync"))["data"]["seq"] == 2


async def test_resume_since_gets_exactly_the_missed_changes(connect):
    ann, bob = await pair(connect, "x")
    for i in range(5):
        ann.send("draw", line(f"e{i}"))
    for _ in range(5):
        await bob.recv_type("draw")
    back = await connect("x", userId="bob", since=2)
    resume = await back.recv()
    assert resume["type"] == "resume"
    assert resume["data"]["since"] == 2 and resume["data"]["seq"] == 5
    replay = [await back.recv() for _ in range(3)]
    assert [(m["type"], m["seq"], m["data"]["id"]) for m in replay] == [
        ("draw", 3, "e2"), ("draw", 4, "e3"), ("draw", 5, "e4")]
    await back.nothing({"draw"})


async def test_resume_when_changes_are_no_longer_kept_gives_a_full_sync(connect, hub):
    ann, _ = await pair(connect, "x")
    ann.send("draw", line("a"))
    await ann.recv_type("ack")
    hub.rooms["x"].log.clear()  # as after a restart or past RESUME_LOG_CHANGES
    ann.send("draw", line("b"))
    await ann.recv_type("ack")
    back = await connect("x", userId="bob", since=0)
    sync = await back.recv()
    assert sync["type"] == "sync"
    assert [e["id"] for e in sync["data"]["elements"]] == ["a", "b"]
    future = await connect("x", userId="bob", since=999)
    assert (await future.recv())["type"] == "sync"


async def test_v2_client_gets_arrays_with_its_own_changes_echoed(connect):
    ann = await connect("x", userId="ann", v=2)
    await ann.recv_type("sync")
    assert json.loads(ann.frames[0])[0]["type"] == "sync"
    bob = await connect("x", userId="bob")
    await bob.recv_type("sync")
    ann.send("draw", line("a"))
    ann.send("cursor", {"x": 1, "y": 2})
    echo = await ann.recv_type("draw")
    assert echo["seq"] == 1 and echo["userId"] == "ann"
    assert all(f.startswith("[") for f in ann.frames)
    assert (await bob.recv_type("draw"))["seq"] == 1
    assert not any(f.startswith("[") for f in bob.frames)


async def test_v2_messages_from_one_turn_share_one_frame(connect):
    ann, bob = await pair(connect, "x", v=2)
    await ann.recv_type("userlist")
    ann.frames.clear()
    bob.conn.write_message("[]")  # an error frame for bob only: unrelated traffic
    for i in range(20):
        ann.send("draw", line(f"e{i}"))
    for _ in range(20):
        await ann.recv_type("draw")
    assert len(ann.frames) < 20
