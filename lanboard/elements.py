"""Every element type, defined once: its fields (which drive validation and transforms),
its bounds, and its SVG and PDF drawing (named here, written in `lanboard/drawing.py`). Pure
domain code.

Adding an element type on the server is one entry in `TYPES` (and its two drawing functions);
the page's `static/app/elements/` has the matching module, and
tests/test_schema_parity.py holds the two schemas in step.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lanboard import drawing, limits

# Re-exported: the names this module has always offered.
from lanboard.drawing import LINE_HEIGHT as LINE_HEIGHT
from lanboard.drawing import STICKY_FILL as STICKY_FILL
from lanboard.drawing import STICKY_PAD as STICKY_PAD
from lanboard.drawing import Pen
from lanboard.drawing import escape as escape
from lanboard.drawing import num as num
from lanboard.drawing import quoteattr as quoteattr
from lanboard.drawing import wrap as wrap
from lanboard.errors import BAD_ELEMENT, ProtocolError

#: Field kinds. Coordinates (`x`, `y`), sizes (`w`, `h`), `points` and `font` move and scale
#: with a transform; the others are style and content.
COORD_KINDS = frozenset({"x", "y", "w", "h"})

_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


@dataclass(frozen=True, slots=True)
class Field:
    kind: str
    required: bool = True


@dataclass(frozen=True, slots=True)
class ElementType:
    """One element type: its own fields (strokeColor and strokeWidth are every type's) and how
    it is drawn, in SVG and with a PDF page's pen (both in `lanboard/drawing.py`)."""

    name: str
    own: dict[str, Field]
    svg: Callable[[dict[str, Any]], str]
    pdf: Callable[[Pen, dict[str, Any]], None]

    @property
    def fields(self) -> dict[str, Field]:
        return {**self.own, **COMMON}


COMMON = {"strokeColor": Field("color"), "strokeWidth": Field("width")}

# ---- the table --------------------------------------------------------------------------

_SEGMENT = {"x1": Field("x"), "y1": Field("y"), "x2": Field("x"), "y2": Field("y")}
_BOX = {"x": Field("x"), "y": Field("y"), "width": Field("w"), "height": Field("h")}
_FILL = {"fillColor": Field("color", required=False)}

_D = drawing
TYPES: dict[str, ElementType] = {t.name: t for t in (
    ElementType("line", _SEGMENT, _D.line_svg, _D.line_pdf),
    ElementType("arrow", _SEGMENT, _D.arrow_svg, _D.arrow_pdf),
    ElementType("rect", {**_BOX, **_FILL}, _D.rect_svg, _D.rect_pdf),
    ElementType("ellipse", {**_BOX, **_FILL}, _D.ellipse_svg, _D.ellipse_pdf),
    ElementType("path", {"points": Field("points")}, _D.points_svg, _D.points_pdf),
    ElementType("highlighter", {"points": Field("points")}, _D.highlighter_svg,
                _D.highlighter_pdf),
    ElementType("text", {"x": Field("x"), "y": Field("y"), "text": Field("text"),
                         "fontSize": Field("font")}, _D.text_svg, _D.text_pdf),
    ElementType("sticky", {**_BOX, "text": Field("text"), "fontSize": Field("font"), **_FILL},
                _D.sticky_svg, _D.sticky_pdf),
)}

#: Fields an `update` may set: any type's, except the identity fields.
SETTABLE = frozenset(name for t in TYPES.values() for name in t.fields)

_ALLOWED = {name: frozenset(t.fields) | {"id", "elementType", "userId"}
            for name, t in TYPES.items()}


def schema_json() -> dict[str, Any]:
    """The schema as the page's `schemaJSON()` gives it; a test compares the two."""
    return {
        "limits": {
            "MAX_COORD": limits.MAX_COORD, "MIN_STROKE_WIDTH": limits.MIN_STROKE_WIDTH,
            "MAX_STROKE_WIDTH": limits.MAX_STROKE_WIDTH, "MIN_FONT_SIZE": limits.MIN_FONT_SIZE,
            "MAX_FONT_SIZE": limits.MAX_FONT_SIZE, "MAX_TEXT_CHARS": limits.MAX_TEXT_CHARS,
            "MAX_PATH_POINTS": limits.MAX_PATH_POINTS, "MAX_ID_CHARS": limits.MAX_ID_CHARS,
            "MAX_IDS": limits.MAX_ERASE_IDS, "MAX_USER_ID_CHARS": limits.MAX_USER_ID_CHARS,
        },
        "types": {name: {f: {"kind": spec.kind, "required": spec.required}
                         for f, spec in t.fields.items()} for name, t in TYPES.items()},
    }


# ---- validation -------------------------------------------------------------------------


def _ref(obj: dict[str, Any]) -> str | None:
    ref = obj.get("id")
    return ref[: limits.MAX_ID_CHARS] if isinstance(ref, str) else None


def number(obj: dict[str, Any], key: str, lo: float = -limits.MAX_COORD,
           hi: float = limits.MAX_COORD) -> float:
    value: Any = obj.get(key)
    kind = type(value)  # exact: JSON gives int and float, never a subclass but bool
    if kind is not float and kind is not int:
        raise ProtocolError(BAD_ELEMENT, f"'{key}' must be a number", _ref(obj))
    # Compare before any float conversion: an integer with hundreds of digits overflows one.
    if not lo <= value <= hi or (kind is float and not math.isfinite(value)):
        raise ProtocolError(BAD_ELEMENT, f"'{key}' must be between {lo:g} and {hi:g}", _ref(obj))
    checked: float = value
    return checked


def _color(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not _COLOR.fullmatch(value):
        raise ProtocolError(BAD_ELEMENT, f"'{key}' must be a color like #rgb or #rrggbb",
                            _ref(obj))
    return value


def _text(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or len(value) > limits.MAX_TEXT_CHARS:
        raise ProtocolError(BAD_ELEMENT, f"'{key}' must be a string of at most "
                            f"{limits.MAX_TEXT_CHARS} characters", _ref(obj))
    # XML 1.0 has no way to write these (not even as &#...;), so a text holding one would
    # make the SVG export invalid: Chromium renders only what comes before it.
    bad = re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]", value)
    if bad is not None:
        raise ProtocolError(BAD_ELEMENT, f"'{key}' holds U+{ord(bad.group()):04X}, a control "
                            "character XML cannot carry", _ref(obj))
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
    return points(obj.get(key), _ref(obj))


#: The check of each field kind.
_CHECKS: dict[str, Callable[[dict[str, Any], str], Any]] = {
    "x": number, "y": number, "w": number, "h": number, "color": _color, "width": _width,
    "font": _font, "text": _text, "points": _points}

#: Per type, (field, check, required) in output order: validation is on every draw's path, so
#: the table is read once here rather than per message.
_PLANS = {name: tuple((key, _CHECKS[spec.kind], spec.required)
                      for key, spec in t.fields.items()) for name, t in TYPES.items()}


def _check(obj: dict[str, Any], key: str, kind: str) -> Any:
    return _CHECKS[kind](obj, key)


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


def validate(data: Any, user_id: str) -> dict[str, Any]:
    """Return the canonical form of an element, with `userId` set by the server."""
    if not isinstance(data, dict):
        raise ProtocolError(BAD_ELEMENT, "'data' must be an element object")
    eid = element_id(data.get("id"))
    name = data.get("elementType")
    etype = TYPES.get(name) if isinstance(name, str) else None
    if etype is None:
        raise ProtocolError(BAD_ELEMENT, f"elementType must be one of {sorted(TYPES)}", eid)
    extra = data.keys() - _ALLOWED[etype.name]
    if extra:
        raise ProtocolError(BAD_ELEMENT, f"unknown fields for {name}: {sorted(extra)[:5]}", eid)
    out: dict[str, Any] = {"id": eid, "elementType": etype.name}
    for key, check, required in _PLANS[etype.name]:
        if required or data.get(key) is not None:
            out[key] = check(data, key)
    out["userId"] = user_id
    return out


# ---- transforms (update) ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Transform:
    """Scale about (ox, oy), then move by (dx, dy): the arithmetic every client repeats."""

    dx: float = 0.0
    dy: float = 0.0
    sx: float = 1.0
    sy: float = 1.0
    ox: float = 0.0
    oy: float = 0.0

    def x(self, v: float) -> float:
        return self.ox + (v - self.ox) * self.sx + self.dx

    def y(self, v: float) -> float:
        return self.oy + (v - self.oy) * self.sy + self.dy


def _in_range(v: float, key: str, eid: str) -> float:
    if not -limits.MAX_COORD <= v <= limits.MAX_COORD:
        raise ProtocolError(BAD_ELEMENT, f"the change takes '{key}' out of range "
                            f"(+/-{limits.MAX_COORD:g})", eid)
    return v


def transformed(el: dict[str, Any], t: Transform) -> dict[str, Any]:
    """A copy of `el` with `t` applied to its coordinates, sizes, points and font size;
    raises ProtocolError when a result leaves the limits."""
    out = dict(el)
    eid = el["id"]
    for key, spec in TYPES[el["elementType"]].own.items():
        kind = spec.kind
        if kind == "x":
            out[key] = _in_range(t.x(el[key]), key, eid)
        elif kind == "y":
            out[key] = _in_range(t.y(el[key]), key, eid)
        elif kind == "w":
            out[key] = _in_range(el[key] * t.sx, key, eid)
        elif kind == "h":
            out[key] = _in_range(el[key] * t.sy, key, eid)
        elif kind == "font":
            size = el[key] * abs(t.sy)
            if not limits.MIN_FONT_SIZE <= size <= limits.MAX_FONT_SIZE:
                raise ProtocolError(BAD_ELEMENT, "the change takes 'fontSize' out of range "
                                    f"({limits.MIN_FONT_SIZE:g}-{limits.MAX_FONT_SIZE:g})", eid)
            out[key] = size
        elif kind == "points":
            moved = [[t.x(p[0]), t.y(p[1]), *p[2:]] for p in el[key]]
            xs = [p[0] for p in moved]
            ys = [p[1] for p in moved]
            for v in (min(xs), max(xs), min(ys), max(ys)):
                _in_range(v, key, eid)
            out[key] = moved
    return out


#: The kind of each settable field; a name means the same kind in every type that has it.
_SET_KINDS = {name: spec.kind for t in TYPES.values() for name, spec in t.fields.items()}


def check_set(changes: Any, ref: str) -> dict[str, Any]:
    """Check the `set` of an update on its own: known fields, each value of its kind (or null
    to remove an optional one). Each element checks the result again as a whole."""
    if not isinstance(changes, dict) or not changes:
        raise ProtocolError(BAD_ELEMENT, "'set' must be an object with at least one field", ref)
    unknown = changes.keys() - SETTABLE
    if unknown:
        raise ProtocolError(BAD_ELEMENT, f"'set' names fields no element has: "
                            f"{sorted(unknown)[:5]}", ref)
    probe = {"id": ref, **changes}
    for key, value in changes.items():
        if value is not None:
            _check(probe, key, _SET_KINDS[key])
    return changes


def with_set(el: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A copy of `el` with the fields of `changes` its type has replaced (None removes one),
    validated as a draw would be. The creator's userId stays."""
    own = TYPES[el["elementType"]].fields
    out = dict(el)
    for key, value in changes.items():
        if key not in own:
            continue
        if value is None:
            if own[key].required:
                raise ProtocolError(BAD_ELEMENT, f"'{key}' cannot be removed", el["id"])
            out.pop(key, None)
        else:
            out[key] = value
    return validate(out, el["userId"])


def bounds(el: dict[str, Any]) -> tuple[float, float, float, float]:
    """x0, y0, x1, y1 of what the element draws, stroke included."""
    pad = el["strokeWidth"] / 2
    kind = el["elementType"]
    own = TYPES[kind].own
    if "points" in own:
        xs: tuple[float, ...] = tuple(p[0] for p in el["points"])
        ys: tuple[float, ...] = tuple(p[1] for p in el["points"])
    elif "x1" in own:
        xs, ys = (el["x1"], el["x2"]), (el["y1"], el["y2"])
        pad *= 5 if kind == "arrow" else 1  # the arrow's head reaches past its end
    elif "width" in own:
        xs, ys = (el["x"], el["x"] + el["width"]), (el["y"], el["y"] + el["height"])
    else:
        lines = el["text"].split("\n")
        width = max(len(t) for t in lines) * el["fontSize"] * 0.6
        xs = (el["x"], el["x"] + width)
        ys = (el["y"], el["y"] + len(lines) * el["fontSize"] * LINE_HEIGHT)
    return min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad


def svg(el: dict[str, Any]) -> str:
    return TYPES[el["elementType"]].svg(el)


def pdf(pen: Pen, el: dict[str, Any]) -> None:
    """Draw `el` on a PDF page with `pen`."""
    TYPES[el["elementType"]].pdf(pen, el)
