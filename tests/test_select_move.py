"""Selecting and changing elements over real sockets: update (move, resize, restyle, text),
order, select and transform; what seed clients get; concurrent drags converge."""

from __future__ import annotations

import json

from testkit import line

PATH = {"id": "p1", "elementType": "path", "points": [[0, 0], [10, 10, 0.5]],
        "strokeColor": "#000", "strokeWidth": 3}
RECT = {"id": "r1", "elementType": "rect", "x": 10, "y": 20, "width": 30, "height": 40,
        "strokeColor": "#123", "strokeWidth": 2}
STICKY = {"id": "s1", "elementType": "sticky", "x": 0, "y": 0, "width": 200, "height": 200,
          "text": "remember", "fontSize": 20, "strokeColor": "#000", "strokeWidth": 1,
          "fillColor": "#fde68a"}


async def board(connect, room, *elements, v1_bob=False):
    """ann and bob (v2; bob v1 if asked) on `room`, with `elements` drawn by ann."""
    ann = await connect(room, userId="ann", v=2)
    await ann.recv_type("sync")
    bob = await connect(room, userId="bob", **({} if v1_bob else {"v": 2}))
    await bob.recv_type("sync")
    for el in elements:
        ann.send("draw", el)
        await bob.recv_type("draw")
        await ann.recv_type("draw")
    return ann, bob


async def elements_of(connect, room):
    carol = await connect(room, userId="carol", v=2)
    sync = await carol.recv_type("sync")
    carol.close()
    return {el["id"]: el for el in sync["data"]["elements"]}


async def test_a_move_of_many_elements_is_one_small_message_relayed_with_its_seq(connect):
    long_path = {**PATH, "id": "long", "points": [[i, i] for i in range(2000)]}
    ann, bob = await board(connect, "mv", line("l1"), RECT, long_path)
    bob.send("update", {"ids": ["l1", "r1", "long", "gone"], "move": [5, -2.5]})
    got = await ann.recv_type("update")
    assert got["data"] == {"ids": ["l1", "r1", "long"], "move": [5, -2.5]}
    assert got["userId"] == "bob" and isinstance(got["seq"], int)
    assert len(json.dumps(got)) < 200  # however many points the elements carry
    echo = await bob.recv_type("update")
    assert echo["seq"] == got["seq"]
    board_now = await elements_of(connect, "mv")
    assert board_now["l1"]["x1"] == line("l1")["x1"] + 5
    assert board_now["r1"]["y"] == 17.5
    assert board_now["long"]["points"][1999] == [2004, 1996.5]
    # Authorship stays with the creator.
    assert {el["userId"] for el in board_now.values()} == {"ann"}


async def test_resize_scales_about_the_fixed_point_then_moves(connect):
    ann, bob = await board(connect, "rs", RECT, PATH, STICKY)
    ann.send("update", {"ids": ["r1", "p1", "s1"], "scale": [2, 0.5, 10, 20], "move": [1, 1]})
    await bob.recv_type("update")
    now = await elements_of(connect, "rs")
    assert (now["r1"]["x"], now["r1"]["y"], now["r1"]["width"], now["r1"]["height"]) == (
        11, 21, 60, 20)
    assert now["p1"]["points"] == [[10 + (0 - 10) * 2 + 1, 20 + (0 - 20) * 0.5 + 1],
                                   [10 + (10 - 10) * 2 + 1, 20 + (10 - 20) * 0.5 + 1, 0.5]]
    assert now["s1"]["fontSize"] == 10  # font sizes scale with the height
    assert now["r1"]["strokeWidth"] == 2  # stroke widths never scale


async def test_restyle_skips_fields_a_type_lacks_and_null_removes_a_fill(connect):
    ann, bob = await board(connect, "rst", line("l1"), {**RECT, "fillColor": "#fff"})
    bob.send("update", {"ids": ["l1", "r1"], "set": {"strokeColor": "#ff0000",
                                                     "fillColor": None}})
    await ann.recv_type("update")
    now = await elements_of(connect, "rst")
    assert now["l1"]["strokeColor"] == now["r1"]["strokeColor"] == "#ff0000"
    assert "fillColor" not in now["r1"] and "fillColor" not in now["l1"]
    bob.send("update", {"ids": ["s1", "r1"], "set": {"fillColor": "#00ff00"}})
    await ann.recv_type("update")
    assert (await elements_of(connect, "rst"))["r1"]["fillColor"] == "#00ff00"


async def test_text_edit_by_another_user_keeps_the_creator(connect):
    ann, bob = await board(connect, "txt", STICKY)
    bob.send("update", {"ids": ["s1"], "set": {"text": "new words\nand a line"}})
    await ann.recv_type("update")
    s1 = (await elements_of(connect, "txt"))["s1"]
    assert s1["text"] == "new words\nand a line" and s1["userId"] == "ann"


async def test_an_update_whose_result_is_invalid_changes_nothing(connect):
    ann, bob = await board(connect, "bad", line("l1"), RECT)
    cases = [
        ({"ids": ["l1", "r1"], "move": [999_999, 0]}, "bad_element"),  # out of range
        ({"ids": ["r1"], "set": {"strokeWidth": 0}}, "bad_element"),
        ({"ids": ["r1"], "set": {"x1": "a"}}, "bad_element"),
        ({"ids": ["r1"], "set": {"bogus": 1}}, "bad_element"),
        ({"ids": ["r1"], "set": {"strokeColor": None}}, "bad_element"),  # required
        ({"ids": ["r1"], "scale": [0, 1, 0, 0]}, "bad_message"),
        ({"ids": ["r1"], "scale": [1, 1]}, "bad_message"),
        ({"ids": ["r1"], "move": [float("nan"), 1]}, "bad_json"),
        ({"ids": ["r1"]}, "bad_message"),
        ({"ids": [], "move": [1, 1]}, "bad_message"),
        ({"ids": ["r1"], "move": [1, 1], "extra": 1}, "bad_message"),
        ("nope", "bad_message"),
    ]
    for data, code in cases:
        if code == "bad_json":
            bob.conn.write_message('{"type":"update","data":{"ids":["r1"],"move":[NaN,1]}}')
        else:
            bob.send("update", data)
        err = await bob.recv_type("error")
        assert err["data"]["code"] == code, (data, err)
    # The failing element of a two-element update: the valid one was not moved either.
    now = await elements_of(connect, "bad")
    assert now["l1"] == {**line("l1"), "userId": "ann"}
    assert now["r1"] == {**RECT, "userId": "ann"}
    await ann.nothing({"update"})


async def test_an_update_of_ids_all_gone_is_an_ack_without_a_seq(connect):
    ann, _ = await board(connect, "gone")
    ann.send("update", {"ids": ["x"], "move": [1, 1]})
    ack = await ann.recv_type("ack")
    assert ack["data"]["ids"] == []


async def test_seed_clients_get_each_changed_element_as_a_full_draw(connect):
    ann, bob = await board(connect, "seed", line("l1"), RECT, v1_bob=True)
    ann.send("update", {"ids": ["l1", "r1"], "move": [1, 2]})
    first = await bob.recv_type("draw")
    second = await bob.recv_type("draw")
    assert [first["data"]["id"], second["data"]["id"]] == ["l1", "r1"]
    assert first["data"]["x1"] == line("l1")["x1"] + 1 and second["data"]["y"] == 22
    assert first["data"]["userId"] == "ann"
    # Front: the elements leave and come back on top; back: a fresh sync in board order.
    ann.send("order", {"ids": ["l1"], "to": "front"})
    assert (await bob.recv_type("erase"))["data"]["ids"] == ["l1"]
    assert (await bob.recv_type("draw"))["data"]["id"] == "l1"
    ann.send("order", {"ids": ["l1"], "to": "back"})
    sync = await bob.recv_type("sync")
    assert [el["id"] for el in sync["data"]["elements"]] == ["l1", "r1"]
    # Selections and live drags are not for seed clients.
    ann.send("select", {"ids": ["l1"]})
    ann.send("transform", {"dx": 1, "dy": 1})
    ann.send("draw", line("after"))
    assert (await bob.recv_type("draw"))["data"]["id"] == "after"
    assert not [m for m in bob.inbox if m["type"] in ("select", "transform", "update", "order")]


async def test_order_moves_elements_to_the_front_or_back_in_board_order(connect):
    ann, bob = await board(connect, "ord", line("a"), line("b"), line("c"), line("d"))
    ann.send("order", {"ids": ["c", "a"], "to": "front"})
    msg = await bob.recv_type("order")
    assert msg["data"] == {"ids": ["a", "c"], "to": "front"}
    assert list(await elements_of(connect, "ord")) == ["b", "d", "a", "c"]
    ann.send("order", {"ids": ["d"], "to": "back"})
    await bob.recv_type("order")
    assert list(await elements_of(connect, "ord")) == ["d", "b", "a", "c"]
    ann.send("order", {"ids": ["d"], "to": "top"})
    assert (await ann.recv_type("error"))["data"]["code"] == "bad_message"


async def test_select_and_transform_reach_the_others_and_are_never_stored(connect):
    ann, bob = await board(connect, "sel", line("l1"), RECT)
    ann.send("select", {"ids": ["l1", "r1"]})
    sel = await bob.recv_type("select")
    assert sel["userId"] == "ann" and sel["data"]["ids"] == ["l1", "r1"]
    assert sel["data"]["color"].startswith("#") and "seq" not in sel
    for i in range(1, 6):
        ann.send("transform", {"dx": i, "dy": 0})
    last = None
    while last is None or last["data"]["dx"] != 5:
        last = await bob.recv_type("transform")
    assert "seq" not in last and len(json.dumps(last)) < 120
    # A joiner sees the selection right after its sync; the board did not change.
    carol = await connect("sel", userId="carol", v=2)
    sync = await carol.recv_type("sync")
    assert sync["data"]["seq"] == 2
    assert (await carol.recv_type("select"))["data"]["ids"] == ["l1", "r1"]
    # The drag ends with the update: nobody gets a preview after it in the same turn.
    ann.send("transform", {"dx": 6, "dy": 0})
    ann.send("update", {"ids": ["l1", "r1"], "move": [6, 0]})
    await bob.recv_type("update")
    await bob.nothing({"transform"})
    ann.send("select", {"ids": []})
    assert (await bob.recv_type("select"))["data"]["ids"] == []


async def test_a_late_joiner_gets_no_selection_of_a_user_who_left(connect):
    ann, bob = await board(connect, "left", line("l1"))
    bob.send("select", {"ids": ["l1"]})
    await ann.recv_type("select")
    bob.close()
    await ann.recv_type("leave")
    carol = await connect("left", userId="carol", v=2)
    await carol.recv_type("sync")
    await carol.nothing({"select"})


async def test_a_500_element_drag_step_stays_under_a_kilobyte(connect):
    ann = await connect("big", userId="ann", v=2)
    await ann.recv_type("sync")
    bob = await connect("big", userId="bob", v=2)
    await bob.recv_type("sync")
    ids = [f"ann_el_{i:04d}" for i in range(500)]
    for eid in ids:
        ann.send("draw", {**PATH, "id": eid})
    ann.send("select", {"ids": ids})
    await bob.recv_type("select")
    ann.send("transform", {"dx": 123.45, "dy": -67.8, "sx": 1.25, "sy": 1.25, "ox": 100,
                           "oy": 200})
    step = await bob.recv_type("transform")
    assert len(json.dumps(step, separators=(",", ":")).encode()) < 1024


async def test_two_concurrent_drags_of_one_element_converge_in_server_order(connect):
    ann, bob = await board(connect, "race", RECT)
    for i in range(20):
        ann.send("update", {"ids": ["r1"], "move": [1, 0]})
        bob.send("update", {"ids": ["r1"], "set": {"x": 1000 + i}})
    seen: dict[str, list[dict]] = {"ann": [], "bob": []}
    for name, client in (("ann", ann), ("bob", bob)):
        while len(seen[name]) < 40:
            msg = await client.recv_type("update")
            seen[name].append(msg)
    # Both saw the same 40 updates in the same seq order...
    assert [m["seq"] for m in seen["ann"]] == [m["seq"] for m in seen["bob"]]
    assert [m["seq"] for m in seen["ann"]] == sorted(m["seq"] for m in seen["ann"])
    # ...and replaying them in that order gives the server's board.
    x = RECT["x"]
    for m in seen["ann"]:
        x = m["data"]["set"]["x"] if "set" in m["data"] else x + m["data"]["move"][0]
    assert (await elements_of(connect, "race"))["r1"]["x"] == x


async def test_a_v1_client_resuming_across_an_update_gets_a_full_sync(connect):
    ann, bob = await board(connect, "resume", line("l1"))
    bob.send("ping")
    seq = (await bob.recv_type("pong"))["seq"]
    ann.send("update", {"ids": ["l1"], "move": [3, 3]})
    await bob.recv_type("update")
    seed = await connect("resume", userId="dave", since=seq)
    first = await seed.recv()
    assert first["type"] == "sync"
    assert first["data"]["elements"][0]["x1"] == line("l1")["x1"] + 3
    v2 = await connect("resume", userId="erin", since=seq, v=2)
    assert (await v2.recv())["type"] == "resume"
    assert (await v2.recv())["type"] == "update"
