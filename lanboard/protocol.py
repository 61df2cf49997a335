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

# Error codes sent in `error` frames. docs/PROTOCOL.md lists each one.
BAD_JSON = "bad_json"
BAD_MESSAGE = "bad_message"
UNKNOWN_TYPE = "unknown_type"
BAD_ELEMENT = "bad_element"
NOT_FOUND = "not_found"
BOARD_FULL = "board_full"
RATE_LIMITED = "rate_limited"
STORAGE_ERROR = "storage_error"
READ_ONLY = "read_only"

#: Types a client may send. The seed protocol's are draw, cursor and clear.
CLIENT_TYPES = frozenset({"draw", "append", "erase", "clear", "cursor", "ping"})

SHAPE_TYPES = frozenset({"rect", "ellipse"})
SEGMENT_TYPES = frozenset({"line", "arrow"})
ELEMENT_TYPES = SHAPE_TYPES | SEGMENT_TYPES | {"path", "text"}

_COMMON_KEYS = frozenset({"id", "elementType", "strokeColor", "strokeWidth", "userId"})
_KEYS = {
    "line": _COMMON_KEYS | {"x1", "y1", "x2", "y2"},
    "arrow": _COMMON_KEYS | {"x1", "y1", "x2", "y2"},
    "rect": _COMMON_KEYS | {"x", "y", "width", "height", "fillColor"},
    "ellipse": _COMMON_KEYS | {"x", "y", "width", "height", "fillColor"},
    "path": _COMMON_KEYS | {"points"},
    "text": _COMMON_KEYS | {"x", "y", "text", "fontSize"},
}
_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class ProtocolError(Exception):
    """A client input that is rejected with an `error` frame; the connection stays open."""

    def __init__(self, code: str, message: str, ref: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.ref = ref


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
    if kind not in CLIENT_TYPES:
        raise ProtocolError(UNKNOWN_TYPE, f"unknown message type {kind[:40]!r}")
    return kind, msg.get("data")


def _number(obj: dict[str, Any], key: str, lo: float = -limits.MAX_COORD,
            hi: float = limits.MAX_COORD) -> float:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProtocolError(BAD_ELEMENT, f"'{key}' must be a number", _ref(obj))
    # Compare before any float conversion: an integer with hundreds of digits overflows one.
    if not lo <= value <= hi or not math.isfinite(value):
        raise ProtocolError(BAD_ELEMENT, f"'{key}' must be between {lo:g} and {hi:g}", _ref(obj))
    return value


def _color(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not _COLOR.fullmatch(value):
        raise ProtocolError(BAD_ELEMENT, f"'{key}' must be a color like #rgb or #rrggbb",
                            _ref(obj))
    return value


def _ref(obj: dict[str, Any]) -> str | None:
    ref = obj.get("id")
    return ref[: limits.MAX_ID_CHARS] if isinstance(ref, str) else None


def element_id(value: Any) -> str:
    """Check one element id: a non-empty string of at most MAX_ID_CHARS characters."""
    if not isinstance(value, str) or not 0 < len(value) <= limits.MAX_ID_CHARS:
        raise ProtocolError(BAD_ELEMENT, f"an id must be a string of 1-{limits.MAX_ID_CHARS} "
                            "characters")
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:
            raise ProtocolError(BAD_ELEMENT, "an id holds invalid unicode (a lone "
                                "surrogate)") from None
    return value


def point(value: Any, ref: str | None) -> list[float]:
    """Check one path point: [x, y] or [x, y, pressure]."""
    if not isinstance(value, list) or len(value) not in (2, 3):
        raise ProtocolError(BAD_ELEMENT, "a point must be [x, y] or [x, y, pressure]", ref)
    for i, v in enumerate(value):
        bound = 1.0 if i == 2 else limits.MAX_COORD
        lo = 0.0 if i == 2 else -bound
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (
            lo <= v <= bound and math.isfinite(v)
        ):
            raise ProtocolError(BAD_ELEMENT, "point values must be finite numbers in range", ref)
    return value


def validate_element(data: Any, user_id: str) -> dict[str, Any]:
    """Return the canonical form of an element, with `userId` set by the server."""
    if not isinstance(data, dict):
        raise ProtocolError(BAD_ELEMENT, "'data' must be an element object")
    eid = element_id(data.get("id"))
    kind = data.get("elementType")
    if not isinstance(kind, str) or kind not in ELEMENT_TYPES:
        raise ProtocolError(BAD_ELEMENT, f"elementType must be one of {sorted(ELEMENT_TYPES)}",
                            eid)
    extra = data.keys() - _KEYS[kind]
    if extra:
        raise ProtocolError(BAD_ELEMENT, f"unknown fields for {kind}: {sorted(extra)[:5]}", eid)
    out: dict[str, Any] = {"id": eid, "elementType": kind}
    if kind in SEGMENT_TYPES:
        for key in ("x1", "y1", "x2", "y2"):
            out[key] = _number(data, key)
    elif kind in SHAPE_TYPES:
        for key in ("x", "y", "width", "height"):
            out[key] = _number(data, key)
        fill = data.get("fillColor")
        if fill is not None:
            out["fillColor"] = _color(data, "fillColor")
    elif kind == "path":
        points = data.get("points")
        if not isinstance(points, list) or not 0 < len(points) <= limits.MAX_PATH_POINTS:
            raise ProtocolError(BAD_ELEMENT, f"'points' must hold 1-{limits.MAX_PATH_POINTS} "
                                "points", eid)
        out["points"] = [point(p, eid) for p in points]
    else:
        out["x"] = _number(data, "x")
        out["y"] = _number(data, "y")
        text = data.get("text")
        if not isinstance(text, str) or len(text) > limits.MAX_TEXT_CHARS:
            raise ProtocolError(BAD_ELEMENT, f"'text' must be a string of at most "
                                f"{limits.MAX_TEXT_CHARS} characters", eid)
        out["text"] = text
        out["fontSize"] = _number(data, "fontSize", limits.MIN_FONT_SIZE, limits.MAX_FONT_SIZE)
    out["strokeColor"] = _color(data, "strokeColor")
    out["strokeWidth"] = _number(data, "strokeWidth", limits.MIN_STROKE_WIDTH,
                                 limits.MAX_STROKE_WIDTH)
    out["userId"] = user_id
    return out


def validate_append(data: Any) -> tuple[str, list[list[float]]]:
    """Check an `append {id, points}`: more points for a path being drawn."""
    if not isinstance(data, dict) or data.keys() - {"id", "points"}:
        raise ProtocolError(BAD_MESSAGE, "append takes data {id, points}")
    eid = element_id(data.get("id"))
    points = data.get("points")
    if not isinstance(points, list) or not 0 < len(points) <= limits.MAX_PATH_POINTS:
        raise ProtocolError(BAD_ELEMENT, "'points' must be a non-empty list of points", eid)
    return eid, [point(p, eid) for p in points]


def validate_erase(data: Any) -> list[str]:
    """Check an `erase {ids}` and return the ids, without duplicates, in their order."""
    ids = data.get("ids") if isinstance(data, dict) else None
    if not isinstance(ids, list) or not 0 < len(ids) <= limits.MAX_ERASE_IDS:
        raise ProtocolError(BAD_MESSAGE, f"erase takes data {{ids}} with 1-{limits.MAX_ERASE_IDS}"
                            " ids")
    return list(dict.fromkeys(element_id(i) for i in ids))


def validate_cursor(data: Any, color: str) -> dict[str, Any]:
    """Check a cursor position; the color is always the sender's own."""
    if not isinstance(data, dict):
        raise ProtocolError(BAD_MESSAGE, "cursor takes data {x, y}")
    return {"x": _number(data, "x"), "y": _number(data, "y"), "color": color}


def clean_user_id(raw: str | None) -> str:
    """Strip control characters and cut to MAX_USER_ID_CHARS; empty means 'generate one'."""
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
