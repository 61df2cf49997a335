"""How each element type draws itself: in SVG (the export) and with a `Pen` (the PDF
handout, `lanboard/pdf.py`). Pure domain code. `lanboard/elements.py` names each type's two
functions in its `TYPES` entry, so a type is still defined in one table; the functions live
here to keep that module about validation and transforms.

A future image type (issue 15) draws with `Pen.image`, which the PDF pen already embeds.
"""

from __future__ import annotations

import math
import re
from typing import Any, Protocol

#: Text line spacing, as a multiple of the font size; the board page uses the same.
LINE_HEIGHT = 1.25

# ---- SVG, one function per drawing style -------------------------------------------------


def escape(text: str) -> str:
    """Text for XML content. (xml.sax.saxutils would do, but importing it pulls in
    urllib and the email package: 39 ms and 9 MiB for every process that validates.)"""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quoteattr(value: str) -> str:
    """A quoted XML attribute value."""
    return '"' + escape(value).replace('"', "&quot;") + '"'


def num(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _stroke(el: dict[str, Any]) -> str:
    return (f'stroke={quoteattr(el["strokeColor"])} stroke-width="{num(el["strokeWidth"])}" '
            'stroke-linecap="round" stroke-linejoin="round"')


def _box(el: dict[str, Any]) -> tuple[float, float, float, float]:
    """x, y, width, height of a box element, with negative sizes turned around."""
    x, y = min(el["x"], el["x"] + el["width"]), min(el["y"], el["y"] + el["height"])
    return x, y, abs(el["width"]), abs(el["height"])


def line_svg(el: dict[str, Any]) -> str:
    return (f'<line x1="{num(el["x1"])}" y1="{num(el["y1"])}" x2="{num(el["x2"])}" '
            f'y2="{num(el["y2"])}" {_stroke(el)}/>')


def arrow_svg(el: dict[str, Any]) -> str:
    pts = " ".join(f"{num(x)},{num(y)}" for x, y in arrow_head(el))
    return line_svg(el) + f'<polyline points="{pts}" fill="none" {_stroke(el)}/>'


def rect_svg(el: dict[str, Any]) -> str:
    x, y, w, h = _box(el)
    fill = quoteattr(el.get("fillColor") or "none")
    return (f'<rect x="{num(x)}" y="{num(y)}" width="{num(w)}" height="{num(h)}" '
            f"fill={fill} {_stroke(el)}/>")


def ellipse_svg(el: dict[str, Any]) -> str:
    x, y, w, h = _box(el)
    fill = quoteattr(el.get("fillColor") or "none")
    return (f'<ellipse cx="{num(x + w / 2)}" cy="{num(y + h / 2)}" rx="{num(w / 2)}" '
            f'ry="{num(h / 2)}" fill={fill} {_stroke(el)}/>')


def points_svg(el: dict[str, Any], extra: str = "") -> str:
    pts = el["points"]
    if len(pts) == 1:
        return (f'<circle cx="{num(pts[0][0])}" cy="{num(pts[0][1])}" '
                f'r="{num(el["strokeWidth"] / 2)}" fill={quoteattr(el["strokeColor"])}{extra}/>')
    d = "M" + " L".join(f"{num(p[0])} {num(p[1])}" for p in pts)
    return f'<path d="{d}" fill="none" {_stroke(el)}{extra}/>'


#: How much of what lies under it a highlighter stroke lets through (the page uses the same).
HIGHLIGHTER_OPACITY = 0.35


def highlighter_svg(el: dict[str, Any]) -> str:
    return points_svg(el, f' opacity="{HIGHLIGHTER_OPACITY}"')


def _text_lines(x: float, y: float, lines: list[str], size: float, color: str) -> str:
    step = size * LINE_HEIGHT
    # Boards stored before _text refused them may still hold characters XML forbids: each
    # becomes U+FFFD, so the file stays well-formed whatever is stored.
    forbidden = "[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]"
    spans = "".join(f'<tspan x="{num(x)}" dy="{num(step if i else 0)}">'
                    f'{escape(re.sub(forbidden, chr(0xFFFD), t))}</tspan>'
                    for i, t in enumerate(lines))
    return (f'<text x="{num(x)}" y="{num(y)}" font-size="{num(size)}" '
            f'font-family="sans-serif" dominant-baseline="hanging" '
            f'fill={quoteattr(color)} xml:space="preserve">{spans}</text>')


def text_svg(el: dict[str, Any]) -> str:
    return _text_lines(el["x"], el["y"], el["text"].split("\n"), el["fontSize"],
                       el["strokeColor"])


def wrap(text: str, width: float, size: float) -> list[str]:
    """Word-wrap `text` to `width` at an average glyph width of 0.6 em (the page wraps by
    measured width; an export only needs the same lines near enough)."""
    per_line = max(1, int(width / (size * 0.6)))
    lines: list[str] = []
    for hard in text.split("\n"):
        line = ""
        for word in hard.split(" "):
            while len(word) > per_line:  # a word longer than the note breaks anywhere
                if line:
                    lines.append(line)
                    line = ""
                lines.append(word[:per_line])
                word = word[per_line:]
            candidate = f"{line} {word}" if line else word
            if len(candidate) > per_line and line:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


#: Inner margin of a sticky note, as a multiple of its font size.
STICKY_PAD = 0.5
STICKY_FILL = "#fde68a"


def sticky_svg(el: dict[str, Any]) -> str:
    x, y, w, h = _box(el)
    pad = el["fontSize"] * STICKY_PAD
    fill = quoteattr(el.get("fillColor") or STICKY_FILL)
    lines = wrap(el["text"], max(1.0, w - 2 * pad), el["fontSize"])
    return (f'<rect x="{num(x)}" y="{num(y)}" width="{num(w)}" height="{num(h)}" '
            f'fill={fill} stroke="none"/>'
            + _text_lines(x + pad, y + pad, lines, el["fontSize"], el["strokeColor"]))


# ---- PDF: the same shapes through a Pen --------------------------------------------------


class Pen(Protocol):
    """What a page offers an element to draw itself with, in board coordinates (the pen
    fits them to the paper). Colors are #rgb or #rrggbb; `opacity` applies to what follows
    until the next `stroke` call."""

    def stroke(self, color: str, width: float, opacity: float = 1.0) -> None: ...
    def line(self, x1: float, y1: float, x2: float, y2: float) -> None: ...
    def polyline(self, points: list[tuple[float, float]]) -> None: ...
    def dot(self, x: float, y: float, r: float, color: str) -> None: ...
    def rect(self, x: float, y: float, w: float, h: float, fill: str | None,
             outline: bool) -> None: ...
    def ellipse(self, x: float, y: float, w: float, h: float, fill: str | None) -> None: ...
    def text(self, x: float, y: float, lines: list[str], size: float, color: str) -> None:
        """Lines of selectable text; `y` is the top of the first line, as on the page."""
    def image(self, x: float, y: float, w: float, h: float, data: bytes) -> None:
        """A PNG or JPEG fitted to the box (for the image type to come)."""


def _pen_stroke(pen: Pen, el: dict[str, Any], opacity: float = 1.0) -> None:
    pen.stroke(el["strokeColor"], el["strokeWidth"], opacity)


def line_pdf(pen: Pen, el: dict[str, Any]) -> None:
    _pen_stroke(pen, el)
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
    _pen_stroke(pen, el)
    pen.rect(*_box(el), el.get("fillColor"), True)


def ellipse_pdf(pen: Pen, el: dict[str, Any]) -> None:
    _pen_stroke(pen, el)
    pen.ellipse(*_box(el), el.get("fillColor"))


def points_pdf(pen: Pen, el: dict[str, Any], opacity: float = 1.0) -> None:
    pts = el["points"]
    _pen_stroke(pen, el, opacity)
    if len(pts) == 1:
        pen.dot(pts[0][0], pts[0][1], el["strokeWidth"] / 2, el["strokeColor"])
    else:
        pen.polyline([(p[0], p[1]) for p in pts])


def highlighter_pdf(pen: Pen, el: dict[str, Any]) -> None:
    points_pdf(pen, el, HIGHLIGHTER_OPACITY)


def text_pdf(pen: Pen, el: dict[str, Any]) -> None:
    pen.text(el["x"], el["y"], el["text"].split("\n"), el["fontSize"], el["strokeColor"])


def sticky_pdf(pen: Pen, el: dict[str, Any]) -> None:
    x, y, w, h = _box(el)
    pad = el["fontSize"] * STICKY_PAD
    pen.rect(x, y, w, h, el.get("fillColor") or STICKY_FILL, False)
    pen.text(x + pad, y + pad, wrap(el["text"], max(1.0, w - 2 * pad), el["fontSize"]),
             el["fontSize"], el["strokeColor"])
