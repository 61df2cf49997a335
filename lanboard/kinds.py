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
from lanboard.errors import (
    BAD_ELEMENT,
    BAD_MESSAGE,
    BOARD_FULL,
    FORBIDDEN,
    NOT_FOUND,
    READ_ONLY,
    ProtocolError,
)
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
    def kick(self, user_id: str) -> bool: ...

    #: The board's teacher settings (see DEFAULT_SETTINGS) and whether a teacher has ever
    #: joined it with the teacher key.
    settings: dict[str, Any]
    view_only: frozenset[str]
    teacher_joined: bool
    #: The ids of the assets stored for this board (an image may name only these).
    assets: set[str]

#: Roles in increasing rights. A peer with no key is a student; the teacher and viewer keys
#: of a board (see docs/PROTOCOL.md) give the others.
ROLES = ("viewer", "student", "teacher")
RANK = {role: i for i, role in enumerate(ROLES)}

#: A board's teacher settings before the teacher changes any.
DEFAULT_SETTINGS: dict[str, Any] = {"locked": False, "allowReplace": False,
                                    "allowLaser": False, "follow": False, "viewOnly": [],
                                    "pages": 1}


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
    #: (id, encoded) elements recorded as draws right after this change (the locked ones a
    #: student's clear keeps).
    redraw: tuple[tuple[str, bytes], ...] = ()


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
    #: A change to the board's elements: refused (`read_only`) from viewers, from view-only
    #: students and from every student while the board is locked.
    edits: bool = False
    #: Replaces the whole board (clear; import and restore go through it too): after a
    #: teacher joined, refused (`forbidden`) for others unless the settings allow it.
    replaces: bool = False


class Standing(Protocol):
    """What the permission rule reads of a board."""

    settings: dict[str, Any]
    view_only: frozenset[str]
    teacher_joined: bool


def refusal(room: Standing, role: str, user_id: str, kind: Kind) -> ProtocolError | None:
    """Whether `role` (as `user_id`) may send `kind` on `room` now: the one rule, used by
    live messages and HTTP writes (import, restore) alike. The teacher may send anything;
    for the others it costs a few attribute reads."""
    if role == "teacher":
        return None
    if kind.edits or kind.name in ("select", "transform"):
        if role == "viewer":
            return ProtocolError(READ_ONLY, "a viewer cannot change the board")
        if kind.edits and (room.settings["locked"] or user_id in room.view_only):
            return ProtocolError(READ_ONLY, "the teacher made the board view only")
    if RANK[role] < RANK[kind.role]:
        return ProtocolError(FORBIDDEN, f"a {role} may not send '{kind.name}'")
    if kind.replaces and room.teacher_joined and not room.settings["allowReplace"]:
        return ProtocolError(FORBIDDEN, "only the teacher may clear or replace this board")
    if kind.name == "laser" and not room.settings["allowLaser"]:
        return ProtocolError(FORBIDDEN, "the teacher keeps the laser for the teacher")
    return None


def locked_refusal(room: Room, peer: Peer, ids: list[str],
                   element: dict[str, Any] | None = None) -> None:
    """The rest of the permission rule, for what depends on the elements a change names:
    only the teacher may lock or unlock (`element`: a drawn element, or an update's `set`),
    and only the teacher may change, erase, reorder or extend a locked element (`ids`).
    Raises ProtocolError `forbidden`."""
    if peer.role == "teacher":
        return
    if element is not None and "locked" in element:
        raise ProtocolError(FORBIDDEN, "only the teacher may lock or unlock elements",
                            element.get("id"))
    stored = room.elements
    for eid in ids:
        encoded = stored.get(eid)
        if encoded is not None and elements.is_locked(encoded):
            raise ProtocolError(FORBIDDEN, "this element is locked: only the teacher may "
                                "change it", eid)


def _check_assets(room: Room, element: dict[str, Any]) -> None:
    for asset in elements.assets_of(element):
        if asset not in room.assets:
            raise ProtocolError(BAD_ELEMENT, "this image's asset is not on this board; "
                                "upload it to the board first", element["id"])


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
    locked_refusal(room, peer, [eid], element if element.get("locked") else None)
    _check_assets(room, element)
    if eid not in room.elements and len(room.elements) >= limits.MAX_ELEMENTS_PER_ROOM:
        raise ProtocolError(BOARD_FULL, f"this board holds the maximum of "
                            f"{limits.MAX_ELEMENTS_PER_ROOM} elements; erase or clear "
                            "some first", eid)
    return element


def _apply_draw(room: Room, element: dict[str, Any]) -> Change:
    encoded = encode(element)
    room.put(element["id"], encoded)
    # Seed clients see page 1 only.
    return Change(encoded, {"id": element["id"]}, seed=None if "page" not in element else [])


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
    if element.get("locked"):
        locked_refusal(room, peer, [eid])
    if "page" in element:  # for the apply: seed clients get nothing of other pages
        room.prepared = {eid: {"page": element["page"]}}
    return {"id": eid, "points": points}


def _apply_append(room: Room, data: dict[str, Any]) -> Change:
    # Extending the decoded list in place is O(points added): the stroke's encoded bytes are
    # only rebuilt when the board is next read.
    room.extend(data["id"], data["points"])
    off_page, room.prepared = bool(room.prepared), {}
    return Change(dumps_valid(data), {"id": data["id"]}, seed=[] if off_page else None)


def _check_erase(room: Room, peer: Peer, data: Any) -> dict[str, Any] | None:
    removed = [i for i in validate_ids(data, "erase") if i in room.elements]
    locked_refusal(room, peer, removed)
    return {"ids": removed} if removed else None


def _apply_erase(room: Room, data: dict[str, Any]) -> Change:
    for eid in data["ids"]:
        room.drop(eid)
    return Change(dumps(data), {"ids": data["ids"]})


def _check_clear(room: Room, peer: Peer, data: Any) -> dict[str, Any]:
    room.save_version("before-clear")  # a cleared board can always be brought back
    if peer.role != "teacher":
        # A student's clear keeps the locked elements: the apply clears the board and they
        # are drawn again right after, as changes of their own (so seed clients and replay
        # end with the same board).
        room.prepared = {eid: {"encoded": encoded} for eid, encoded in room.elements.items()
                         if elements.is_locked(encoded)}
    # Everyone is told who cleared it (seed clients ignore the fields).
    return {"by": peer.user_id, "reason": "clear"}


def _apply_clear(room: Room, data: Any) -> Change:
    kept, room.prepared = room.prepared, {}
    room.drop_all()
    notice = {"by": data["by"], "reason": data["reason"]} if isinstance(data, dict) and (
        "by" in data) else {}
    return Change(dumps(notice), echo=True,
                  redraw=tuple((eid, k["encoded"]) for eid, k in kept.items()))


# ---- update, order ------------------------------------------------------------------------

def _check_update(room: Room, peer: Peer, data: Any) -> dict[str, Any] | None:
    canonical, t = validate_update(data)
    present = [i for i in canonical["ids"] if i in room.elements]
    if not present:
        return None
    canonical["ids"] = present
    locked_refusal(room, peer, present, canonical.get("set"))
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
        if "asset" in data["set"]:
            _check_assets(room, element)
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
    off_page = []
    for eid in data["ids"]:
        element = prepared.get(eid)
        if element is None:  # replay: compute it again, exactly as it was computed live
            if eid not in room.elements:
                continue
            element = _updated(room, eid, data, t)
        encoded = encode(element)
        before = room.elements.get(eid, b"")
        room.put(eid, encoded)
        if "page" not in element:
            seed.append(("draw", encoded))
        elif elements.on_page_one(before):
            off_page.append(eid)  # seed clients see page 1 only: it leaves theirs
    if off_page:
        seed.append(("erase", dumps({"ids": off_page})))
    return Change(dumps(data), {"ids": data["ids"]}, seed=seed)


def _check_order(room: Room, peer: Peer, data: Any) -> dict[str, Any] | None:
    ids, to = validate_order(data)
    wanted = set(ids)
    present = [i for i in room.elements if i in wanted]  # in board order
    locked_refusal(room, peer, present)
    return {"ids": present, "to": to} if present else None


def _apply_order(room: Room, data: dict[str, Any]) -> Change:
    moved = room.reorder(data["ids"], data["to"] == "front")
    if data["to"] == "front":
        moved = [(eid, encoded) for eid, encoded in moved if elements.on_page_one(encoded)]
        seed = [("erase", dumps({"ids": [eid for eid, _ in moved]}))] if moved else []
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


# ---- the teacher's: settings (stored), kick, view, laser (never stored) -------------------

def _check_settings(room: Room, peer: Peer, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or not data:
        raise ProtocolError(BAD_MESSAGE, "settings takes data with any of locked, "
                            "allowReplace, allowLaser, follow, viewOnly, pages")
    out: dict[str, Any] = {}
    for name, value in data.items():
        if name not in DEFAULT_SETTINGS:
            raise ProtocolError(BAD_MESSAGE, f"unknown setting {str(name)[:40]!r}")
        if name == "pages":
            if type(value) is not int or not 1 <= value <= limits.MAX_PAGES:
                raise ProtocolError(BAD_MESSAGE, f"pages is a whole number 1-"
                                    f"{limits.MAX_PAGES}")
            out[name] = value
        elif name == "viewOnly":
            if not isinstance(value, list) or len(value) > limits.MAX_PEERS_PER_ROOM or not all(
                    isinstance(u, str) and 0 < len(u) <= limits.MAX_USER_ID_CHARS
                    for u in value):
                raise ProtocolError(BAD_MESSAGE, "viewOnly is a list of userIds")
            out[name] = list(dict.fromkeys(value))
        elif not isinstance(value, bool):
            raise ProtocolError(BAD_MESSAGE, f"{name} is true or false")
        else:
            out[name] = value
    return {**room.settings, **out}


def _apply_settings(room: Room, data: dict[str, Any]) -> Change:
    merged = {**DEFAULT_SETTINGS, **room.settings,
              **{k: v for k, v in data.items() if k in DEFAULT_SETTINGS}}
    room.settings = merged
    room.view_only = frozenset(merged["viewOnly"])
    # Seed clients know nothing of settings: they get nothing in its place.
    return Change(dumps(merged), seed=[])


def _check_kick(room: Room, peer: Peer, data: Any) -> str:
    user = data.get("userId") if isinstance(data, dict) else None
    if not isinstance(user, str) or not user:
        raise ProtocolError(BAD_MESSAGE, "kick takes data {userId}")
    return user


def _relay_kick(room: Room, peer: Peer, user: str) -> None:
    if user == peer.user_id or not room.kick(user):
        raise ProtocolError(NOT_FOUND, "no one else on this board has that name", user[:64])


def _relay_view(room: Room, peer: Peer, data: Any) -> None:
    if not isinstance(data, dict):
        raise ProtocolError(BAD_MESSAGE, "view takes data {x, y, zoom}")
    number = elements.number
    view: dict[str, Any] = {"x": number(data, "x"), "y": number(data, "y"),
                            "zoom": number(data, "zoom")}
    if not 0 < view["zoom"] <= 1000:
        raise ProtocolError(BAD_MESSAGE, "zoom must be above 0 and at most 1000")
    if data.get("page") is not None:  # follow me carries the teacher's page
        page = data["page"]
        if type(page) is not int or not 1 <= page <= limits.MAX_PAGES:
            raise ProtocolError(BAD_MESSAGE, f"page must be a whole number 1-"
                                f"{limits.MAX_PAGES}")
        view["page"] = page
    every = data.get("all", False)
    if not isinstance(every, bool):
        raise ProtocolError(BAD_MESSAGE, "all is true or false")
    if every:
        view["all"] = True
    # "Bring everyone to me" is kept apart so a plain view in the same turn cannot drop it.
    room.relay(peer, "view-all" if every else "view",
               envelope("view", peer.user_id, dumps_valid(view)))


def _relay_laser(room: Room, peer: Peer, data: Any) -> None:
    frame = envelope("laser", peer.user_id, dumps_valid(validate_cursor(data, peer.color)))
    room.relay(peer, "laser", frame)


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("draw", "changes", "student", _check_draw, apply=_apply_draw, edits=True),
    Kind("append", "changes", "student", _check_append, apply=_apply_append, edits=True),
    Kind("erase", "changes", "student", _check_erase, apply=_apply_erase, edits=True),
    Kind("update", "changes", "student", _check_update, apply=_apply_update, edits=True),
    Kind("order", "changes", "student", _check_order, apply=_apply_order, edits=True),
    Kind("clear", "clears", "student", _check_clear, apply=_apply_clear, edits=True,
         replaces=True),
    Kind("settings", "changes", "teacher", _check_settings, apply=_apply_settings),
    Kind("kick", "clears", "teacher", _check_kick, relay=_relay_kick),
    Kind("view", "cursors", "teacher", _as_is, relay=_relay_view),
    Kind("laser", "cursors", "student", _as_is, relay=_relay_laser),
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
