"""The wire protocol: decoding client frames, validating them, encoding server frames.

Pure domain code: no Tornado, no I/O. Everything a client sends passes through `decode`
and one of the validators here before it touches a room. See docs/PROTOCOL.md.
"""

from __future__ import annotations

import functools
import json
import math
import re
from typing import Any

import orjson

from lanboard import limits
from lanboard.elements import Transform, check_set, element_id, number, point, validate
from lanboard.errors import (
    BAD_ELEMENT,
    BAD_JSON,
    BAD_MESSAGE,
    BOARD_FULL,
    FORBIDDEN,
    INTERNAL,
    NOT_FOUND,
    RATE_LIMITED,
    STORAGE_ERROR,
    UNKNOWN_TYPE,
    ProtocolError,
)

#: Element validation lives with the element types (`lanboard/elements.py`).
validate_element = validate

#: Control characters, and the bidi overrides and zero-width characters that could make one
#: name look like another's (U+200B-U+200F, U+202A-U+202E, U+2066-U+2069, U+FEFF).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")

__all__ = ["BAD_ELEMENT", "BAD_JSON", "BAD_MESSAGE", "BOARD_FULL", "FORBIDDEN", "INTERNAL",
           "NOT_FOUND", "RATE_LIMITED", "STORAGE_ERROR", "UNKNOWN_TYPE", "ProtocolError",
           "element_id", "point", "validate_element"]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# One decoder and one encoder for every frame: json.loads/json.dumps with options build a new
# one per call, which showed in the profile under fan-out load.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def decode(raw: str | bytes) -> tuple[str, Any]:
    """Parse one client frame into (type, data), or raise ProtocolError."""
    if isinstance(raw, bytes):
        raise ProtocolError(BAD_MESSAGE, "binary frames are not accepted; send JSON text")
    try:
        msg = _DECODER.decode(raw)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(BAD_JSON, f"frame is not valid JSON: {str(exc)[:80]}") from None
    if not isinstance(msg, dict):
        raise ProtocolError(BAD_MESSAGE, "a message must be a JSON object {type, userId, data}")
    kind = msg.get("type")
    if not isinstance(kind, str):
        raise ProtocolError(BAD_MESSAGE, "a message needs a string 'type'")
    return kind, msg.get("data")


def validate_append(data: Any) -> tuple[str, list[list[float]]]:
    """Check an `append {id, points}`: more points for a path being drawn."""
    if not isinstance(data, dict) or data.keys() - {"id", "points"}:
        raise ProtocolError(BAD_MESSAGE, "append takes data {id, points}")
    eid = element_id(data.get("id"))
    points = data.get("points")
    if not isinstance(points, list) or not 0 < len(points) <= limits.MAX_PATH_POINTS:
        raise ProtocolError(BAD_ELEMENT, "'points' must be a non-empty list of points", eid)
    return eid, [point(p, eid) for p in points]


def validate_ids(data: Any, kind: str, least: int = 1) -> list[str]:
    """The `ids` of an erase, update, order or select, without duplicates, in their order."""
    ids = data.get("ids") if isinstance(data, dict) else None
    if not isinstance(ids, list) or not least <= len(ids) <= limits.MAX_ERASE_IDS:
        raise ProtocolError(BAD_MESSAGE, f"{kind} takes data {{ids}} with {least}-"
                            f"{limits.MAX_ERASE_IDS} ids")
    return list(dict.fromkeys(element_id(i) for i in ids))


def validate_erase(data: Any) -> list[str]:
    """Check an `erase {ids}` and return the ids, without duplicates, in their order."""
    return validate_ids(data, "erase")


def _numbers(value: Any, count: int, what: str) -> list[float]:
    if (not isinstance(value, list) or len(value) != count
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
            or not all(-limits.MAX_COORD <= v <= limits.MAX_COORD and math.isfinite(v)
                       for v in value)):
        raise ProtocolError(BAD_MESSAGE, f"{what} must be {count} numbers within "
                            f"+/-{limits.MAX_COORD:g}")
    return value


def _factor(v: float, what: str) -> float:
    if not limits.MIN_SCALE <= abs(v) <= limits.MAX_SCALE:
        raise ProtocolError(BAD_MESSAGE, f"{what} must be {limits.MIN_SCALE:g}-"
                            f"{limits.MAX_SCALE:g} in size")
    return v


def validate_update(data: Any) -> tuple[dict[str, Any], Transform | None]:
    """Check an `update {ids, move?, scale?, set?}`; return its canonical data and the
    transform it applies (None when it only sets fields)."""
    if not isinstance(data, dict) or data.keys() - {"ids", "move", "scale", "set"}:
        raise ProtocolError(BAD_MESSAGE, "update takes data {ids, move?, scale?, set?}")
    out: dict[str, Any] = {"ids": validate_ids(data, "update")}
    t = None
    move, scale, changes = data.get("move"), data.get("scale"), data.get("set")
    if move is None and scale is None and changes is None:
        raise ProtocolError(BAD_MESSAGE, "update needs at least one of move, scale and set")
    if move is not None or scale is not None:
        dx, dy = _numbers(move, 2, "move") if move is not None else (0.0, 0.0)
        sx, sy, ox, oy = _numbers(scale, 4, "scale") if scale is not None else (1, 1, 0, 0)
        t = Transform(dx, dy, _factor(sx, "scale sx"), _factor(sy, "scale sy"), ox, oy)
        if move is not None:
            out["move"] = move
        if scale is not None:
            out["scale"] = scale
    if changes is not None:
        out["set"] = check_set(changes, out["ids"][0])
    return out, t


def validate_order(data: Any) -> tuple[list[str], str]:
    ids = validate_ids(data, "order")
    to = data.get("to")
    if to not in ("front", "back") or data.keys() - {"ids", "to"}:
        raise ProtocolError(BAD_MESSAGE, "order takes data {ids, to: 'front' or 'back'}",
                            ids[0])
    return ids, to


def validate_transform(data: Any) -> dict[str, float]:
    """Check a live drag preview {dx, dy, sx?, sy?, ox?, oy?}; {} ends the preview."""
    if not isinstance(data, dict) or data.keys() - _TRANSFORM_KEYS:
        raise ProtocolError(BAD_MESSAGE, "transform takes data {dx, dy, sx?, sy?, ox?, oy?}")
    out = {}
    for key, value in data.items():
        _numbers([value], 1, f"transform {key}")
        out[key] = _factor(value, f"transform {key}") if key in ("sx", "sy") else value
    return out


_TRANSFORM_KEYS = frozenset({"dx", "dy", "sx", "sy", "ox", "oy"})


def validate_cursor(data: Any, color: str) -> dict[str, Any]:
    """Check a cursor position; the color is always the sender's own."""
    if not isinstance(data, dict):
        raise ProtocolError(BAD_MESSAGE, "cursor takes data {x, y}")
    return {"x": number(data, "x"), "y": number(data, "y"), "color": color}


def clean_user_id(raw: str | None) -> str:
    """Strip control, bidi and zero-width characters and cut to MAX_USER_ID_CHARS; empty
    means 'generate one'."""
    if not raw:
        return ""
    return _CONTROL.sub("", raw).strip()[: limits.MAX_USER_ID_CHARS]


def dumps(obj: Any) -> bytes:
    """Compact JSON as UTF-8 bytes, the one encoding used for every frame."""
    return _ENCODER.encode(obj).encode()


def dumps_valid(obj: Any) -> bytes:
    """`dumps` for validated data, whose numbers are all finite (orjson would write NaN as
    null), through orjson: several times faster. Raises UnicodeEncodeError as `dumps` does."""
    try:
        # orjson's bytes keep their 1 KiB starting buffer; stored elements must not, so copy
        # to an exact-size object (measured: 1,057 -> 171 bytes for a 137-byte line).
        return bytes(memoryview(orjson.dumps(obj)))
    except orjson.JSONEncodeError as exc:
        raise UnicodeEncodeError("utf-8", "", 0, 1, str(exc)[:80]) from None


@functools.lru_cache(maxsize=4096)
def _quoted(text: str) -> bytes:
    """A user id as a JSON string; the same few ids head every message of a room."""
    return dumps(text)


def _head(kind: str, user_id: str | None) -> bytes:
    """`{"type":T[,"userId":U],"data":` for a message about to get its data."""
    head = b'{"type":"' + kind.encode() + b'"'
    if user_id is not None:
        head += b',"userId":' + _quoted(user_id)
    return head + b',"data":'


def envelope(kind: str, user_id: str | None, data: bytes, seq: int | None = None) -> bytes:
    """Build `{type, userId, data[, seq]}` around already-encoded data, without re-encoding it."""
    tail = b',"seq":' + str(seq).encode() + b"}" if seq is not None else b"}"
    return _head(kind, user_id) + data + tail


def envelope_parts(kind: str, user_id: str | None, data: list[bytes]) -> list[bytes]:
    """`envelope` around data given in pieces, left in pieces: a sync of 100,000 elements is
    ~14 MB, and the socket writes the shared element bytes by reference to every joiner
    instead of a copy for each."""
    parts = [_head(kind, user_id) + data[0], *data[1:]]
    parts[-1] += b"}"
    return parts


def error_frame(err: ProtocolError) -> bytes:
    """The `error` frame for a rejected input."""
    data: dict[str, Any] = {"code": err.code, "message": err.message}
    if err.ref is not None:
        data["ref"] = err.ref
    # ASCII-escaped: a rejected input may hold text that is not valid UTF-8 (a lone
    # surrogate), and the error about it must still go out.
    return envelope("error", None, json.dumps(data, separators=(",", ":")).encode())
