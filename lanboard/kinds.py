"""Every message kind a client may send, defined once: its validation, its rate bucket, the
least role that may send it, and the state change it applies. Pure domain code.

A stored kind's `apply` is the one interpreter of that change: `Room.handle` calls it for a
live message and `Room.replay` for the same message read back from the store. A kind that is
not in `KINDS` is refused with `unknown_type`, so none can pass unlimited.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from lanboard import elements, limits
from lanboard.errors import BAD_ELEMENT, BOARD_FULL, NOT_FOUND, ProtocolError
from lanboard.peer import Peer
from lanboard.protocol import (
    dumps,
    dumps_valid,
    envelope,
    validate_append,
    validate_cursor,
    validate_ids,
    validate_order,
    validate_transform,
    validate_update,
)


class Room(Protocol):
    """The board as the kinds change it (`lanboard.room.Room` is the one implementation)."""

    elements: dict[str, bytes]
    seq: int
    #: Results a check computed for the message being handled, for its apply.
    prepared: dict[str, dict[str, Any]]

    def put(self, eid: str, encoded: bytes) -> None: ...
    def decoded(self, eid: str) -> dict[str, Any] | None: ...
    def extend(self, eid: str, points: list[list[float]]) -> None: ...
    def drop(self, eid: str) -> None: ...
    def drop_all(self) -> None: ...
    def reorder(self, ids: list[str], front: bool) -> list[tuple[str, bytes]]: ...
    def save_version(self, reason: str) -> None: ...
    def relay(self, peer: Peer, kind: str, frame: bytes) -> None: ...
    def select(self, peer: Peer, frame: bytes | None) -> None: ...
    def end_preview(self, user_id: str) -> None: ...
    def tell(self, peer: Peer, message: bytes) -> None: ...

#: Roles in increasing rights. Everyone is a student until the teacher console hands out
#: the others; a peer below a kind's role gets `forbidden`.
ROLES = ("viewer", "student", "teacher")
RANK = {role: i for i, role in enumerate(ROLES)}


@dataclass(frozen=True, slots=True)
class Change:
    """What a stored change produced: its data as relayed and stored, and what seed (v1)
    clients get."""

    data: bytes
    #: The `ack` fields a v1 sender gets once the change is durable (seq is added).
    ack: dict[str, Any] | None = None
    #: v1 senders get this change back too (a clear), not an ack.
    echo: bool = False
    #: (type, data) messages v1 clients get in its place; None: the message itself.
    seed: list[tuple[str, bytes]] | None = None
    #: v1 clients get a fresh sync in its place.
    seed_sync: bool = False


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    #: Which token bucket of the sender's it draws from (see guard.RateLimits).
    bucket: str
    #: The least role that may send it.
    role: str
    #: Validates a live message against the room; returns its canonical data, or None when
    #: there is nothing to do (an erase of ids already gone).
    check: Callable[[Room, Peer, Any], Any]
    #: Stored kinds: the state change, for live messages and replay alike.
    apply: Callable[[Room, Any], Change] | None = None
    #: Kinds never stored (cursor, select, transform, ping): what is sent on, and to whom.
    relay: Callable[[Room, Peer, Any], None] | None = None


def encode(element: dict[str, Any]) -> bytes:
    try:
        return dumps_valid(element)
    except UnicodeEncodeError:
        raise ProtocolError(BAD_ELEMENT, "text holds invalid unicode (a lone surrogate)",
                            element.get("id")) from None


# ---- draw, append, erase, clear -----------------------------------------------------------

def _check_draw(room: Room, peer: Peer, data: Any) -> dict[str, Any]:
    element = elements.validate(data, peer.user_id)
    eid = element["id"]
    if eid not in room.elements and len(room.elements) >= limits.MAX_ELEMENTS_PER_ROOM:
        raise ProtocolError(BOARD_FULL, f"this board holds the maximum of "
                            f"{limits.MAX_ELEMENTS_PER_ROOM} elements; erase or clear "
                            "some first", eid)
    return element


def _apply_draw(room: Room, element: dict[str, Any]) -> Change:
    encoded = encode(element)
    room.put(element["id"], encoded)
    return Change(encoded, {"id": element["id"]})


def _check_append(room: Room, peer: Peer, data: Any) -> dict[str, Any]:
    eid, points = validate_append(data)
    element = room.decoded(eid)
    if element is None:
        raise ProtocolError(NOT_FOUND, "append to a stroke that does not exist (it was erased "
                            "or the board was cleared)", eid)
    if "points" not in elements.TYPES[element["elementType"]].own or (
            element["userId"] != peer.user_id):
        raise ProtocolError(BAD_ELEMENT, "append only extends your own stroke", eid)
    if len(element["points"]) + len(points) > limits.MAX_PATH_POINTS:
        raise ProtocolError(BAD_ELEMENT, f"a path holds at most {limits.MAX_PATH_POINTS} "
                            "points", eid)
    return {"id": eid, "points": points}


def _apply_append(room: Room, data: dict[str, Any]) -> Change:
    # Extending the decoded list in place is O(points added): the stroke's encoded bytes are
    # only rebuilt when the board is next read.
    room.extend(data["id"], data["points"])
    return Change(dumps_valid(data), {"id": data["id"]})


def _check_erase(room: Room, peer: Peer, data: Any) -> dict[str, Any] | None:
    removed = [i for i in validate_ids(data, "erase") if i in room.elements]
    return {"ids": removed} if removed else None


def _apply_erase(room: Room, data: dict[str, Any]) -> Change:
    for eid in data["ids"]:
        room.drop(eid)
    return Change(dumps(data), {"ids": data["ids"]})


def _check_clear(room: Room, peer: Peer, data: Any) -> dict[str, Any]:
    room.save_version("before-clear")  # a cleared board can always be brought back
    return {}


def _apply_clear(room: Room, data: Any) -> Change:
    room.drop_all()
    return Change(b"{}", echo=True)


# ---- update, order ------------------------------------------------------------------------

def _check_update(room: Room, peer: Peer, data: Any) -> dict[str, Any] | None:
    canonical, t = validate_update(data)
    present = [i for i in canonical["ids"] if i in room.elements]
    if not present:
        return None
    canonical["ids"] = present
    # Every result is computed (and checked like a draw) before anything changes, so one bad
    # element refuses the whole update. apply() reuses the results.
    room.prepared = {eid: _updated(room, eid, canonical, t) for eid in present}
    # The drag this update ends must not be previewed after it.
    room.end_preview(peer.user_id)
    return canonical


def _updated(room: Room, eid: str, data: dict[str, Any],
             t: elements.Transform | None) -> dict[str, Any]:
    element = room.decoded(eid)
    assert element is not None
    if t is not None:
        element = elements.transformed(element, t)
    if "set" in data:
        element = elements.with_set(element, data["set"])
    encode(element)
    return element


def _transform_of(data: dict[str, Any]) -> elements.Transform | None:
    move, scale = data.get("move"), data.get("scale")
    if move is None and scale is None:
        return None
    dx, dy = move if move is not None else (0.0, 0.0)
    sx, sy, ox, oy = scale if scale is not None else (1, 1, 0, 0)
    return elements.Transform(dx, dy, sx, sy, ox, oy)


def _apply_update(room: Room, data: dict[str, Any]) -> Change:
    prepared, room.prepared = room.prepared, {}
    t = _transform_of(data)
    seed = []
    for eid in data["ids"]:
        element = prepared.get(eid)
        if element is None:  # replay: compute it again, exactly as it was computed live
            if eid not in room.elements:
                continue
            element = _updated(room, eid, data, t)
        encoded = encode(element)
        room.put(eid, encoded)
        seed.append(("draw", encoded))
    return Change(dumps(data), {"ids": data["ids"]}, seed=seed)


def _check_order(room: Room, peer: Peer, data: Any) -> dict[str, Any] | None:
    ids, to = validate_order(data)
    wanted = set(ids)
    present = [i for i in room.elements if i in wanted]  # in board order
    return {"ids": present, "to": to} if present else None


def _apply_order(room: Room, data: dict[str, Any]) -> Change:
    moved = room.reorder(data["ids"], data["to"] == "front")
    if data["to"] == "front":
        seed = [("erase", dumps({"ids": [eid for eid, _ in moved]}))]
        seed += [("draw", encoded) for _, encoded in moved]
        return Change(dumps(data), {"ids": data["ids"]}, seed=seed)
    return Change(dumps(data), {"ids": data["ids"]}, seed_sync=True)


# ---- never stored: cursor, select, transform, ping ----------------------------------------

def _relay_cursor(room: Room, peer: Peer, data: Any) -> None:
    frame = envelope("cursor", peer.user_id, dumps_valid(validate_cursor(data, peer.color)))
    room.relay(peer, "cursor", frame)


def _relay_select(room: Room, peer: Peer, data: Any) -> None:
    ids = validate_ids(data, "select", least=0)
    frame = envelope("select", peer.user_id, dumps({"ids": ids, "color": peer.color}))
    room.select(peer, frame if ids else None)
    room.relay(peer, "select", frame)


def _relay_transform(room: Room, peer: Peer, data: Any) -> None:
    frame = envelope("transform", peer.user_id, dumps_valid(validate_transform(data)))
    room.relay(peer, "transform", frame)


def _relay_ping(room: Room, peer: Peer, data: Any) -> None:
    room.tell(peer, envelope("pong", None, b"{}", room.seq))


def _as_is(room: Room, peer: Peer, data: Any) -> Any:
    return data


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("draw", "changes", "student", _check_draw, apply=_apply_draw),
    Kind("append", "changes", "student", _check_append, apply=_apply_append),
    Kind("erase", "changes", "student", _check_erase, apply=_apply_erase),
    Kind("update", "changes", "student", _check_update, apply=_apply_update),
    Kind("order", "changes", "student", _check_order, apply=_apply_order),
    Kind("clear", "clears", "student", _check_clear, apply=_apply_clear),
    Kind("cursor", "cursors", "viewer", _as_is, relay=_relay_cursor),
    Kind("select", "cursors", "student", _as_is, relay=_relay_select),
    Kind("transform", "cursors", "student", _as_is, relay=_relay_transform),
    Kind("ping", "cursors", "viewer", _as_is, relay=_relay_ping),
)}

#: Message types seed (v1) clients understand; a resume across any other is a full sync.
SEED_TYPES = frozenset({"draw", "erase", "clear", "append"})


def apply(room: Room, name: str, data: Any) -> Change:
    """The state change of stored kind `name`, applied to `room`."""
    change = KINDS[name].apply
    assert change is not None, f"{name} is never stored"
    return change(room, data)


def replay(room: Room, frame: bytes) -> int:
    """Apply one stored change message (validated when it was first accepted); its seq."""
    msg = json.loads(frame)
    apply(room, msg["type"], msg["data"])
    seq: int = msg["seq"]
    return seq
