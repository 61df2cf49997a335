"""The kinds of field an element may have, and the check of each: the vocabulary the element
types of `lanboard/elements.py` are written in. Pure domain code; no type is named here."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lanboard import limits
from lanboard.errors import BAD_ELEMENT, ProtocolError

# The kinds: coordinates (`x`, `y`), sizes (`w`, `h`), `points` and `font` move and scale with
# a transform (elements.transformed); `color`, `width` (a stroke's) and `text` are style and
# content.

_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


@dataclass(frozen=True, slots=True)
class Field:
    kind: str
    required: bool = True


def ref_of(obj: dict[str, Any]) -> str | None:
    ref = obj.get("id")
    return ref[: limits.MAX_ID_CHARS] if isinstance(ref, str) else None


def number(obj: dict[str, Any], key: str, lo: float = -limits.MAX_COORD,
           hi: float = limits.MAX_COORD) -> float:
    value: Any = obj.get(key)
    kind = type(value)  # exact: JSON gives int and float, never a subclass but bool
    if kind is not float and kind is not int:
        raise ProtocolError(BAD_ELEMENT, f"'{key}' must be a number", ref_of(obj))
    # Compare before any float conversion: an integer with hundreds of digits overflows one.
    if not lo <= value <= hi or (kind is float and not math.isfinite(value)):
        raise ProtocolError(BAD_ELEMENT, f"'{key}' must be between {lo:g} and {hi:g}", ref_of(obj))
    checked: float = value
    return checked


def _color(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not _COLOR.fullmatch(value):
        raise ProtocolError(BAD_ELEMENT, f"'{key}' must be a color like #rgb or #rrggbb",
                            ref_of(obj))
    return value


def _text(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or len(value) > limits.MAX_TEXT_CHARS:
        raise ProtocolError(BAD_ELEMENT, f"'{key}' must be a string of at most "
                            f"{limits.MAX_TEXT_CHARS} characters", ref_of(obj))
    # XML 1.0 has no way to write these (not even as &#...;), so a text holding one would
    # make the SVG export invalid: Chromium renders only what comes before it.
    bad = re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]", value)
    if bad is not None:
        raise ProtocolError(BAD_ELEMENT, f"'{key}' holds U+{ord(bad.group()):04X}, a control "
                            "character XML cannot carry", ref_of(obj))
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


def points(value: Any, ref: str | None) -> list[list[float]]:
    if not isinstance(value, list) or not 0 < len(value) <= limits.MAX_PATH_POINTS:
        raise ProtocolError(BAD_ELEMENT, f"'points' must hold 1-{limits.MAX_PATH_POINTS} points",
                            ref)
    return [point(p, ref) for p in value]


def _width(obj: dict[str, Any], key: str) -> float:
    return number(obj, key, limits.MIN_STROKE_WIDTH, limits.MAX_STROKE_WIDTH)


def _font(obj: dict[str, Any], key: str) -> float:
    return number(obj, key, limits.MIN_FONT_SIZE, limits.MAX_FONT_SIZE)


def _points(obj: dict[str, Any], key: str) -> list[list[float]]:
    return points(obj.get(key), ref_of(obj))


_ASSET = re.compile(r"[0-9a-f]{64}")


def _asset(obj: dict[str, Any], key: str) -> str:
    """An asset reference: the lowercase hex SHA-256 of its bytes. Whether the board has it
    is the room's question (kinds), not the field's."""
    value = obj.get(key)
    if not isinstance(value, str) or not _ASSET.fullmatch(value):
        raise ProtocolError(BAD_ELEMENT, f"'{key}' must be an asset id (64 lowercase hex "
                            "digits)", ref_of(obj))
    return value


def _page(obj: dict[str, Any], key: str) -> int:
    value = obj.get(key)
    # 2.0 is 2 to a browser (JSON has one number type), so it is 2 here too.
    if type(value) is float and value.is_integer():
        value = int(value)
    if type(value) is not int or not 1 <= value <= limits.MAX_PAGES:
        raise ProtocolError(BAD_ELEMENT, f"'{key}' must be a whole number 1-"
                            f"{limits.MAX_PAGES}", ref_of(obj))
    page: int = value
    return page


def _flag(obj: dict[str, Any], key: str) -> bool:
    value = obj.get(key)
    if not isinstance(value, bool):
        raise ProtocolError(BAD_ELEMENT, f"'{key}' must be true or false", ref_of(obj))
    return value


#: The check of each field kind. `asset` is an image's asset id, `page` a board page and
#: `flag` a yes/no field (issue 15).
CHECKS: dict[str, Callable[[dict[str, Any], str], Any]] = {
    "x": number, "y": number, "w": number, "h": number, "color": _color, "width": _width,
    "font": _font, "text": _text, "points": _points, "asset": _asset, "page": _page,
    "flag": _flag}

#: What an optional field's absence means, per kind: such a field equal to its default is
#: left out of the canonical element, so every element on page 1 is stored and relayed as
#: before (seed clients, and the bytes of a sync, are unchanged by pages).
DEFAULTS: dict[str, Any] = {"page": 1, "flag": False}


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
