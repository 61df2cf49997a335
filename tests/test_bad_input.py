"""Every limit and every kind of bad input: an error frame or a close code, never a crash,
never a stored or relayed invalid element."""

from __future__ import annotations

import json

import pytest
from testkit import line, pair, still_works

from lanboard import limits


@pytest.mark.parametrize("raw, code", [
    ("not json", "bad_json"),
    ('{"type": "draw", "data": NaN}', "bad_json"),
    ('{"type": "draw", "data": {"x1": Infinity}}', "bad_json"),
    ("[" * 100_000 + "]" * 100_000, "bad_json"),
    ("[1, 2]", "bad_message"),
    ('"draw"', "bad_message"),
    ('{"data": {}}', "bad_message"),
    ('{"type": 7}', "bad_message"),
    ('{"type": "sync"}', "unknown_type"),
    ('{"type": "userlist"}', "unknown_type"),
    ('{"type": "__proto__"}', "unknown_type"),
    ('{"type": "draw", "data": []}', "bad_element"),
    ('{"type": "erase", "data": {"ids": []}}', "bad_message"),
    ('{"type": "erase", "data": {"ids": [5]}}', "bad_element"),
    ('{"type": "cursor", "data": {"x": "1", "y": 2}}', "bad_element"),
    ('{"type": "append", "data": {"id": "p", "points": [[1, 2]], "x": 1}}', "bad_message"),
])
async def test_malformed_frames_get_an_error_and_the_connection_stays_open(connect, raw, code):
    ann, bob = await pair(connect, "bad")
    ann.conn.write_message(raw)
    err = await ann.recv_type("error")
    assert err["data"]["code"] == code
    assert err["data"]["message"]
    await still_works(ann, bob)


BAD_ELEMENTS = [
    {"x1": float("1e7")},
    {"x1": -1e6 - 1},
    {"x1": True},
    {"x1": None},
    {"strokeColor": "red"},
    {"strokeColor": "#12345"},
    {"strokeColor": "#ggg"},
    {"strokeWidth": 0.4},
    {"strokeWidth": 201},
    {"id": ""},
    {"id": "x" * (limits.MAX_ID_CHARS + 1)},
    {"id": 5},
    {"elementType": "circle"},
    {"elementType": "__proto__"},
    {"elementType": ["line"]},
    {"elementType": {"line": 1}},
    {"onclick": "alert(1)"},
    {"__proto__": {"polluted": True}},
]


@pytest.mark.parametrize("override", BAD_ELEMENTS, ids=lambda o: json.dumps(o)[:40])
async def test_invalid_elements_are_never_stored_or_relayed(connect, override, hub):
    ann, bob = await pair(connect, "bad")
    element = line("bad1")
    element.update(override)
    ann.send("draw", element)
    err = await ann.recv_type("error")
    assert err["data"]["code"] == "bad_element"
    await still_works(ann, bob)
    assert list(hub.rooms["bad"].elements) == ["ok-after"]


@pytest.mark.parametrize("element, code", [
    ({"id": "t", "elementType": "text", "x": 0, "y": 0, "fontSize": 12, "strokeColor": "#000",
      "strokeWidth": 1, "text": "x" * (limits.MAX_TEXT_CHARS + 1)}, "bad_element"),
    ({"id": "t", "elementType": "text", "x": 0, "y": 0, "fontSize": 1000, "strokeColor": "#000",
      "strokeWidth": 1, "text": "big"}, "bad_element"),
    ({"id": "p", "elementType": "path", "strokeColor": "#000", "strokeWidth": 1,
      "points": [[0, 0]] * (limits.MAX_PATH_POINTS + 1)}, "bad_element"),
    ({"id": "p", "elementType": "path", "strokeColor": "#000", "strokeWidth": 1,
      "points": []}, "bad_element"),
    ({"id": "p", "elementType": "path", "strokeColor": "#000", "strokeWidth": 1,
      "points": [[0, 0, 2]]}, "bad_element"),
    ({"id": "p", "elementType": "path", "strokeColor": "#000", "strokeWidth": 1,
      "points": [[0]]}, "bad_element"),
    ({"id": "r", "elementType": "rect", "x": 0, "y": 0, "width": 1, "height": 1,
      "strokeColor": "#000", "strokeWidth": 1, "fillColor": "url(x)"}, "bad_element"),
])
async def test_schema_limits(connect, element, code, hub):
    ann, bob = await pair(connect, "bad")
    ann.send("draw", element)
    assert (await ann.recv_type("error"))["data"]["code"] == code
    await still_works(ann, bob)


async def test_lone_surrogates_are_rejected_not_crashing(connect, hub):
    ann, bob = await pair(connect, "bad")
    raw = ('{"type":"draw","data":{"id":"t","elementType":"text","x":0,"y":0,"fontSize":12,'
           '"strokeColor":"#000","strokeWidth":1,"text":"\\ud800"}}')
    ann.conn.write_message(raw)
    assert (await ann.recv_type("error"))["data"]["code"] == "bad_element"
    await still_works(ann, bob)


async def test_path_growing_past_its_limit_by_append_is_refused(connect):
    ann, bob = await pair(connect, "bad")
    ann.send("draw", {"id": "p", "elementType": "path", "strokeColor": "#000",
                      "strokeWidth": 1, "points": [[0, 0]] * (limits.MAX_PATH_POINTS - 1)})
    await bob.recv_type("draw")
    ann.send("append", {"id": "p", "points": [[1, 1], [2, 2]]})
    assert (await ann.recv_type("error"))["data"]["code"] == "bad_element"


async def test_binary_frames_are_refused_with_an_error(connect):
    ann, bob = await pair(connect, "bad")
    ann.conn.write_message(b"\x00\x01binary", binary=True)
    assert (await ann.recv_type("error"))["data"]["code"] == "bad_message"
    await still_works(ann, bob)


async def test_a_frame_over_one_mib_closes_only_that_connection_with_1009(connect):
    ann, bob = await pair(connect, "bad")
    ann.conn.write_message("x" * (limits.MAX_FRAME_BYTES + 1))
    msg = await ann.conn.read_message()
    while msg is not None:
        msg = await ann.conn.read_message()
    assert ann.conn.close_code == 1009
    carol = await connect("bad", userId="carol")
    await carol.recv_type("sync")
    await still_works(bob, carol)


async def test_user_id_is_cut_to_32_characters_and_control_characters_stripped(connect):
    c = await connect("bad", userId="a%07b%1bc" + "x" * 50)
    sync = await c.recv_type("sync")
    assert sync["data"]["userId"] == ("abc" + "x" * 50)[: limits.MAX_USER_ID_CHARS]


async def test_erase_with_too_many_ids_is_refused(connect):
    ann, bob = await pair(connect, "bad")
    ann.send("erase", {"ids": [f"e{i}" for i in range(limits.MAX_ERASE_IDS + 1)]})
    assert (await ann.recv_type("error"))["data"]["code"] == "bad_message"
    await still_works(ann, bob)


async def test_erase_of_only_missing_ids_is_a_quiet_no_op(connect, hub):
    ann, bob = await pair(connect, "bad")
    ann.send("erase", {"ids": ["ghost"]})
    ack = await ann.recv_type("ack")
    assert ack["data"] == {"ids": [], "seq": 0}
    await bob.nothing({"erase"})


async def test_board_full_gives_a_clear_error(connect, monkeypatch):
    monkeypatch.setattr(limits, "MAX_ELEMENTS_PER_ROOM", 2)
    ann, _bob = await pair(connect, "bad")
    ann.send("draw", line("a"))
    ann.send("draw", line("b"))
    ann.send("draw", line("c"))
    err = await ann.recv_type("error")
    assert err["data"]["code"] == "board_full" and err["data"]["ref"] == "c"
