"""The seed protocol, exactly: a client written only from the seed document works unchanged."""

from __future__ import annotations

import re

from testkit import line, pair


async def test_join_gets_sync_with_elements_user_and_color(connect):
    ann = await connect("r1", userId="ann")
    msg = await ann.recv()
    assert msg["type"] == "sync"
    assert msg["data"]["elements"] == []
    assert msg["data"]["userId"] == "ann"
    assert re.fullmatch(r"#[0-9a-f]{6}", msg["data"]["color"])


async def test_draw_is_stored_relayed_to_others_and_never_echoed(connect):
    ann, bob = await pair(connect, "r1")
    ann.send("draw", line("a1", userId="mallory"), userId="mallory")
    got = await bob.recv_type("draw")
    assert got["userId"] == "ann"
    assert got["data"]["userId"] == "ann"
    assert got["data"]["id"] == "a1" and got["data"]["x2"] == 3
    await ann.nothing({"draw"})
    carol = await connect("r1", userId="carol")
    sync = await carol.recv_type("sync")
    assert [e["id"] for e in sync["data"]["elements"]] == ["a1"]


async def test_late_joiner_gets_every_element_in_order(connect):
    ann = await connect("r1", userId="ann")
    await ann.recv_type("sync")
    for i in range(50):
        ann.send("draw", line(f"e{i}", x1=i))
    await ann.recv_type("ack")
    last = None
    while last is None or last["data"]["id"] != "e49":
        last = await ann.recv_type("ack")
    bob = await connect("r1", userId="bob")
    sync = await bob.recv_type("sync")
    assert [e["id"] for e in sync["data"]["elements"]] == [f"e{i}" for i in range(50)]


async def test_join_leave_and_userlist(connect):
    ann = await connect("r1", userId="ann")
    await ann.recv_type("sync")
    first = await ann.recv_type("userlist")
    assert [u["userId"] for u in first["data"]["users"]] == ["ann"]
    bob = await connect("r1", userId="bob")
    joined = await ann.recv_type("join")
    assert joined["userId"] == "bob" and joined["data"]["userId"] == "bob"
    users = await ann.recv_type("userlist")
    assert {u["userId"] for u in users["data"]["users"]} == {"ann", "bob"}
    await bob.recv_type("sync")
    bob_list = await bob.recv_type("userlist")
    assert bob_list["data"]["count"] == 2
    bob.close()
    left = await ann.recv_type("leave")
    assert left["data"]["userId"] == "bob"
    after = await ann.recv_type("userlist")
    assert [u["userId"] for u in after["data"]["users"]] == ["ann"]


async def test_colors_are_distinct_within_a_room(connect):
    colors = []
    for i in range(8):
        c = await connect("r1", userId=f"u{i}")
        colors.append((await c.recv_type("sync"))["data"]["color"])
    assert len(set(colors)) == 8


async def test_cursor_goes_to_others_and_is_never_stored(connect):
    ann = await connect("r1", userId="ann")
    await ann.recv_type("sync")
    bob = await connect("r1", userId="bob")
    sync = await bob.recv_type("sync")
    ann.send("cursor", {"x": 450.0, "y": 320.0, "color": "#ffffff"})
    cur = await bob.recv_type("cursor")
    assert cur["userId"] == "ann" and cur["data"]["x"] == 450.0
    assert cur["data"]["color"] != "#ffffff"  # always the sender's own color
    await ann.nothing({"cursor"})
    carol = await connect("r1", userId="carol")
    assert (await carol.recv_type("sync"))["data"]["elements"] == sync["data"]["elements"]


async def test_clear_empties_the_room_and_reaches_everyone_with_the_sender(connect):
    ann, bob = await pair(connect, "r1")
    ann.send("draw", line("a1"))
    await bob.recv_type("draw")
    ann.send("clear")
    assert (await ann.recv_type("clear"))["userId"] == "ann"
    assert (await bob.recv_type("clear"))["userId"] == "ann"
    carol = await connect("r1", userId="carol")
    assert (await carol.recv_type("sync"))["data"]["elements"] == []


async def test_missing_user_id_is_generated_and_told_in_sync(connect):
    anon = await connect("r1")
    sync = await anon.recv_type("sync")
    assert re.fullmatch(r"user_[0-9a-f]{6}", sync["data"]["userId"])
    assert sync["userId"] == sync["data"]["userId"]


async def test_rooms_are_isolated(connect):
    ann = await connect("r1", userId="ann")
    await ann.recv_type("sync")
    bob = await connect("r2", userId="bob")
    await bob.recv_type("sync")
    ann.send("draw", line("a1"))
    await bob.nothing({"draw"})
