"""Every element type, defined once: its fields (which drive validation and transforms),
its bounds, and how it draws itself in SVG and on a PDF page. Pure domain code.

Adding an element type on the server is one entry in `TYPES` and its two drawing functions,
here; the field kinds it is written in are `lanboard/fields.py`'s, the drawing primitives
`lanboard/drawing.py`'s. The page's `static/app/elements/` has the matching module, and
tests/test_schema_parity.py holds the two schemas in step.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lanboard import limits

# Re-exported: the names this module has always offered.
from lanboard.drawing import LINE_HEIGHT as LINE_HEIGHT
from lanboard.drawing import (
    Pen,
    box,
    curve_d,
    pen_stroke,
    quoteattr,
    stroke_attrs,
    text_lines,
)
from lanboard.drawing import escape as escape
from lanboard.drawing import num as num
from lanboard.drawing import wrap as wrap
from lanboard.errors import BAD_ELEMENT, ProtocolError
from lanboard.fields import CHECKS, DEFAULTS, Field
from lanboard.fields import element_id as element_id
from lanboard.fields import number as number
from lanboard.fields import point as point


@dataclass(frozen=True, slots=True)
class ElementType:
    """One element type: its own fields, whether it has a stroke (strokeColor and
    strokeWidth: every type but an image), and how it is drawn, in SVG and with a PDF page's
    pen (its two functions, below). Every type also has the COMMON fields."""

    name: str
    own: dict[str, Field]
    svg: Callable[[dict[str, Any]], str]
    pdf: Callable[[Pen, dict[str, Any]], None]
    stroke: bool = True

    @property
    def fields(self) -> dict[str, Field]:
        return {**self.own, **(STROKE if self.stroke else {}), **COMMON}


STROKE = {"strokeColor": Field("color"), "strokeWidth": Field("width")}

#: Fields every type may carry (issue 15): the board page it is on (absent: 1) and whether
#: only the teacher may change it (absent: false; see kinds.locked_refusal).
COMMON = {"page": Field("page", required=False), "locked": Field("flag", required=False)}

#: Where an exporter puts an image's (MIME type, bytes) on the element it hands to the image
#: type's drawing: the element itself holds only the asset id.
ASSET_DATA = "_asset_data"

# ---- how each type draws itself: SVG (the export), then a PDF page's pen (the handout) --


def line_svg(el: dict[str, Any]) -> str:
    return (f'<line x1="{num(el["x1"])}" y1="{num(el["y1"])}" x2="{num(el["x2"])}" '
            f'y2="{num(el["y2"])}" {stroke_attrs(el)}/>')


def arrow_svg(el: dict[str, Any]) -> str:
    pts = " ".join(f"{num(x)},{num(y)}" for x, y in arrow_head(el))
    return line_svg(el) + f'<polyline points="{pts}" fill="none" {stroke_attrs(el)}/>'


def rect_svg(el: dict[str, Any]) -> str:
    x, y, w, h = box(el)
    fill = quoteattr(el.get("fillColor") or "none")
    return (f'<rect x="{num(x)}" y="{num(y)}" width="{num(w)}" height="{num(h)}" '
            f"fill={fill} {stroke_attrs(el)}/>")


def ellipse_svg(el: dict[str, Any]) -> str:
    x, y, w, h = box(el)
    fill = quoteattr(el.get("fillColor") or "none")
    return (f'<ellipse cx="{num(x + w / 2)}" cy="{num(y + h / 2)}" rx="{num(w / 2)}" '
            f'ry="{num(h / 2)}" fill={fill} {stroke_attrs(el)}/>')


def points_svg(el: dict[str, Any], extra: str = "") -> str:
    pts = el["points"]
    if len(pts) == 1:
        return (f'<circle cx="{num(pts[0][0])}" cy="{num(pts[0][1])}" '
                f'r="{num(el["strokeWidth"] / 2)}" fill={quoteattr(el["strokeColor"])}{extra}/>')
    d = curve_d([(p[0], p[1]) for p in pts])
    return f'<path d="{d}" fill="none" {stroke_attrs(el)}{extra}/>'


#: How much of what lies under it a highlighter stroke lets through (the page uses the same).
HIGHLIGHTER_OPACITY = 0.35


def highlighter_svg(el: dict[str, Any]) -> str:
    return points_svg(el, f' opacity="{HIGHLIGHTER_OPACITY}"')


def text_svg(el: dict[str, Any]) -> str:
    return text_lines(el["x"], el["y"], el["text"].split("\n"), el["fontSize"],
                       el["strokeColor"])


#: Inner margin of a sticky note, as a multiple of its font size.
STICKY_PAD = 0.5
STICKY_FILL = "#fde68a"


def image_svg(el: dict[str, Any]) -> str:
    x, y, w, h = box(el)
    found = el.get(ASSET_DATA)
    if found is None:  # the asset is missing from what the exporter found: a grey box
        return (f'<rect x="{num(x)}" y="{num(y)}" width="{num(w)}" height="{num(h)}" '
                'fill="#e5e7eb" stroke="none"/>')
    mime, data = found
    href = f"data:{mime};base64,{base64.b64encode(data).decode()}"
    return (f'<image x="{num(x)}" y="{num(y)}" width="{num(w)}" height="{num(h)}" '
            f'preserveAspectRatio="none" href={quoteattr(href)}/>')


def sticky_svg(el: dict[str, Any]) -> str:
    x, y, w, h = box(el)
    pad = el["fontSize"] * STICKY_PAD
    fill = quoteattr(el.get("fillColor") or STICKY_FILL)
    lines = wrap(el["text"], max(1.0, w - 2 * pad), el["fontSize"])
    return (f'<rect x="{num(x)}" y="{num(y)}" width="{num(w)}" height="{num(h)}" '
            f'fill={fill} stroke="none"/>'
            + text_lines(x + pad, y + pad, lines, el["fontSize"], el["strokeColor"]))



# ---- the same shapes with a PDF page's pen -----------------------------------------


def line_pdf(pen: Pen, el: dict[str, Any]) -> None:
    pen_stroke(pen, el)
    pen.line(el["x1"], el["y1"], el["x2"], el["y2"])


def arrow_pdf(pen: Pen, el: dict[str, Any]) -> None:
    line_pdf(pen, el)
    pen.polyline(arrow_head(el))


def arrow_head(el: dict[str, Any]) -> list[tuple[float, float]]:
    """The arrow's two wings and its tip, as both drawings use them."""
    angle = math.atan2(el["y2"] - el["y1"], el["x2"] - el["x1"])
    size = max(10.0, el["strokeWidth"] * 4)
    wing = [(el["x2"] + size * math.cos(angle + math.pi - side * math.pi / 7),
             el["y2"] + size * math.sin(angle + math.pi - side * math.pi / 7))
            for side in (-1, 1)]
    return [wing[0], (el["x2"], el["y2"]), wing[1]]


def rect_pdf(pen: Pen, el: dict[str, Any]) -> None:
    pen_stroke(pen, el)
    pen.rect(*box(el), el.get("fillColor"), True)


def ellipse_pdf(pen: Pen, el: dict[str, Any]) -> None:
    pen_stroke(pen, el)
    pen.oval(*box(el), el.get("fillColor"))


def points_pdf(pen: Pen, el: dict[str, Any], opacity: float = 1.0) -> None:
    pts = el["points"]
    pen_stroke(pen, el, opacity)
    if len(pts) == 1:
        pen.dot(pts[0][0], pts[0][1], el["strokeWidth"] / 2, el["strokeColor"])
    else:
        pen.curve([(p[0], p[1]) for p in pts])


def highlighter_pdf(pen: Pen, el: dict[str, Any]) -> None:
    points_pdf(pen, el, HIGHLIGHTER_OPACITY)


def text_pdf(pen: Pen, el: dict[str, Any]) -> None:
    pen.text(el["x"], el["y"], el["text"].split("\n"), el["fontSize"], el["strokeColor"])


def image_pdf(pen: Pen, el: dict[str, Any]) -> None:
    found = el.get(ASSET_DATA)
    x, y, w, h = box(el)
    if found is None:
        pen.rect(x, y, w, h, "#e5e7eb", False)
    else:
        pen.image(x, y, w, h, found[1])


def sticky_pdf(pen: Pen, el: dict[str, Any]) -> None:
    x, y, w, h = box(el)
    pad = el["fontSize"] * STICKY_PAD
    pen.rect(x, y, w, h, el.get("fillColor") or STICKY_FILL, False)
    pen.text(x + pad, y + pad, wrap(el["text"], max(1.0, w - 2 * pad), el["fontSize"]),
             el["fontSize"], el["strokeColor"])


# ---- the table --------------------------------------------------------------------------

_SEGMENT = {"x1": Field("x"), "y1": Field("y"), "x2": Field("x"), "y2": Field("y")}
_BOX = {"x": Field("x"), "y": Field("y"), "width": Field("w"), "height": Field("h")}
_FILL = {"fillColor": Field("color", required=False)}

TYPES: dict[str, ElementType] = {t.name: t for t in (
    ElementType("line", _SEGMENT, line_svg, line_pdf),
    ElementType("arrow", _SEGMENT, arrow_svg, arrow_pdf),
    ElementType("rect", {**_BOX, **_FILL}, rect_svg, rect_pdf),
    ElementType("ellipse", {**_BOX, **_FILL}, ellipse_svg, ellipse_pdf),
    ElementType("path", {"points": Field("points")}, points_svg, points_pdf),
    ElementType("highlighter", {"points": Field("points")}, highlighter_svg,
                highlighter_pdf),
    ElementType("text", {"x": Field("x"), "y": Field("y"), "text": Field("text"),
                         "fontSize": Field("font")}, text_svg, text_pdf),
    ElementType("sticky", {**_BOX, "text": Field("text"), "fontSize": Field("font"), **_FILL},
                sticky_svg, sticky_pdf),
    ElementType("image", {"asset": Field("asset"), **_BOX}, image_svg, image_pdf,
                stroke=False),
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
            "MAX_PAGES": limits.MAX_PAGES,
        },
        "types": {name: {f: {"kind": spec.kind, "required": spec.required}
                         for f, spec in t.fields.items()} for name, t in TYPES.items()},
    }


# ---- validation -------------------------------------------------------------------------


#: Per type, (field, check, required, default) in output order: validation is on every
#: draw's path, so the table is read once here rather than per message. A field equal to its
#: kind's default (page 1, locked false) is left out.
_PLANS = {name: tuple((key, CHECKS[spec.kind], spec.required, DEFAULTS.get(spec.kind))
                      for key, spec in t.fields.items()) for name, t in TYPES.items()}


def _check(obj: dict[str, Any], key: str, kind: str) -> Any:
    return CHECKS[kind](obj, key)


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
    for key, check, required, default in _PLANS[etype.name]:
        if required or data.get(key) is not None:
            value = check(data, key)
            if default is None or value != default or type(value) is not type(default):
                out[key] = value
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
    pad = el.get("strokeWidth", 0.0) / 2
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


def assets_of(el: dict[str, Any]) -> list[str]:
    """The asset ids an element names (its fields of kind `asset`)."""
    return [el[key] for key, spec in TYPES[el["elementType"]].own.items()
            if spec.kind == "asset" and key in el]


def page_of(el: dict[str, Any]) -> int:
    page: int = el.get("page", 1)
    return page


#: In an encoded element, `"page":` appears only as its page field (a quote inside a string
#: is escaped), and only off page 1 (page 1 is left out): a byte search tells the page-1
#: elements a seed client gets without decoding any.
PAGE_KEY = b'"page":'
LOCKED_KEY = b'"locked":true'


def on_page_one(encoded: bytes) -> bool:
    return PAGE_KEY not in encoded


def is_locked(encoded: bytes) -> bool:
    return LOCKED_KEY in encoded


def pdf(pen: Pen, el: dict[str, Any]) -> None:
    """Draw `el` on a PDF page with `pen`."""
    TYPES[el["elementType"]].pdf(pen, el)
