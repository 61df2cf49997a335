"""Hostile data for every kind in the kind table, straight into a room (pure domain, fast):
nothing but a ProtocolError ever comes out, every stored element stays valid, and replaying
the stored changes gives the same board."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_kinds_unit import SAMPLES, peer, sample

from lanboard import elements, kinds
from lanboard.protocol import ProtocolError
from lanboard.room import Room

NUMBERS = (st.integers(-(10**7), 10**7) | st.floats(allow_nan=True, allow_infinity=True)
           | st.sampled_from([0, -0.0, 1e-300, 10**400, 1e6, -1e6, 1000, 0.001, 1e-4]))
SCALARS = st.none() | st.booleans() | NUMBERS | st.text(max_size=6)
ANY = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                   | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=8)
IDS = st.lists(st.sampled_from(["e0", "e1", "e2", "e3", "gone"]) | ANY, max_size=4)
FIELDS = st.sampled_from([*sorted(elements.SETTABLE), "id", "userId", "elementType", "zz"])

DATA = {
    "update": st.fixed_dictionaries({"ids": IDS}, optional={
        "move": st.lists(NUMBERS, max_size=3) | ANY,
        "scale": st.lists(NUMBERS, max_size=5) | ANY,
        "set": st.dictionaries(FIELDS, ANY | st.sampled_from(["#f00", "#abcdef", 2, 30]),
                               max_size=3) | ANY,
        "extra": ANY}),
    "order": st.fixed_dictionaries({"ids": IDS, "to": st.sampled_from(["front", "back"]) | ANY}),
    "select": st.fixed_dictionaries({"ids": IDS}) | ANY,
    "transform": st.dictionaries(st.sampled_from(["dx", "dy", "sx", "sy", "ox", "oy", "q"]),
                                 NUMBERS | ANY, max_size=6) | ANY,
    "append": st.fixed_dictionaries({"id": st.sampled_from(["e0", "e1", "gone"]) | ANY,
                                     "points": st.lists(st.lists(NUMBERS, max_size=4) | ANY,
                                                        max_size=3) | ANY}),
    "erase": st.fixed_dictionaries({"ids": IDS}) | ANY,
    "cursor": st.fixed_dictionaries({"x": NUMBERS, "y": NUMBERS}) | ANY,
    "settings": st.dictionaries(st.sampled_from(["locked", "allowReplace", "allowLaser",
                                                 "follow", "viewOnly", "zz"]),
                                st.booleans() | st.lists(st.text(max_size=4), max_size=3)
                                | ANY, max_size=4) | ANY,
    "kick": st.fixed_dictionaries({"userId": st.sampled_from(["ann", "bob", "nobody"]) | ANY})
    | ANY,
    "view": st.fixed_dictionaries({"x": NUMBERS, "y": NUMBERS, "zoom": NUMBERS},
                                  optional={"all": st.booleans() | ANY}) | ANY,
    "laser": st.fixed_dictionaries({"x": NUMBERS, "y": NUMBERS}) | ANY,
    "draw": st.sampled_from(sorted(SAMPLES)).flatmap(
        lambda k: st.fixed_dictionaries({}, optional={f: ANY for f in elements.TYPES[k].fields}
                                        ).map(lambda over, k=k: {**sample(k, "e9"), **over})),
}
MESSAGES = st.lists(st.tuples(st.sampled_from(sorted(DATA)), st.data()), min_size=1,
                    max_size=12)


def fresh_room() -> Room:
    room = Room("fz")
    room.assets.add(SAMPLES["image"]["asset"])  # an image names an asset of its board
    owner = peer("ann")
    for i, kind in enumerate(sorted(SAMPLES)[:4]):
        room.handle(owner, "draw", sample(kind, f"e{i}"))
    room.handle(owner, "draw", {**sample("path", "e3")})
    return room


def test_every_kind_in_the_table_is_fuzzed():
    assert set(DATA) | {"clear", "ping"} == set(kinds.KINDS)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MESSAGES)
def test_hostile_messages_of_every_kind_never_break_a_room(messages: list[tuple[str, Any]]):
    room = fresh_room()
    people = [peer("ann"), peer("bob"), peer("tea", role="teacher")]
    for i, (kind, data) in enumerate(messages):
        value = data.draw(DATA[kind])
        try:
            room.handle(people[i % 3], kind, value)
        except ProtocolError as err:
            assert err.code and err.message
    for eid, encoded in room.encoded_elements():
        el = json.loads(encoded)
        assert el["id"] == eid
        assert elements.validate(el, el["userId"]) == el
        for v in el.values():
            assert not isinstance(v, float) or math.isfinite(v)
    replayed = Room("fz")
    for _, frame in room.uncommitted:
        replayed.replay(frame)
    assert replayed.encoded_elements() == room.encoded_elements()
    assert replayed.settings == room.settings
