"""What element types draw with: SVG markup pieces (the export) and the `Pen` a PDF page
offers (the handout, `lanboard/pdf.py`). Pure domain code; no type is named here: each type's
drawing is in its entry in `lanboard/elements.py`.

A future image type (issue 15) draws with `Pen.image`, which the PDF pen already embeds.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

#: Text line spacing, as a multiple of the font size; the board page uses the same.
LINE_HEIGHT = 1.25

# ---- SVG ------------------------------------------------------------------------------------


def escape(text: str) -> str:
    """Text for XML content. (xml.sax.saxutils would do, but importing it pulls in
    urllib and the email package: 39 ms and 9 MiB for every process that validates.)"""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quoteattr(value: str) -> str:
    """A quoted XML attribute value."""
    return '"' + escape(value).replace('"', "&quot;") + '"'


def num(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


def stroke_attrs(el: dict[str, Any]) -> str:
    return (f'stroke={quoteattr(el["strokeColor"])} stroke-width="{num(el["strokeWidth"])}" '
            'stroke-linecap="round" stroke-linejoin="round"')


Point = tuple[float, float]


def curve_pieces(points: list[Point]) -> list[tuple[Point, ...]]:
    """The smooth curve a freehand stroke is drawn as, the page's own (elements/strokes.js):
    quadratic pieces through the midpoints of its points, each point the control of one, a
    straight start and end. Each piece is (start, end) for a line or (start, control, end).
    At one pointer sample a frame a quick curve's points are far apart: joined straight they
    show corners, through the midpoints the tangent turns smoothly."""
    n = len(points)
    if n < 3:
        return [tuple(points)] if n == 2 else []
    pieces: list[tuple[Point, ...]] = []
    start = points[0]
    for i in range(1, n - 1):
        ctrl, nxt = points[i], points[i + 1]
        end = ((ctrl[0] + nxt[0]) / 2, (ctrl[1] + nxt[1]) / 2)
        pieces.append((start, ctrl, end))
        start = end
    pieces.append((start, points[-1]))
    return pieces


def curve_d(points: list[Point]) -> str:
    """An SVG path `d` of the curve through points (curve_pieces)."""
    d = [f"M{num(points[0][0])} {num(points[0][1])}"]
    for piece in curve_pieces(points):
        if len(piece) == 3:
            d.append(f"Q{num(piece[1][0])} {num(piece[1][1])} {num(piece[2][0])} "
                     f"{num(piece[2][1])}")
        else:
            d.append(f"L{num(piece[1][0])} {num(piece[1][1])}")
    return " ".join(d)


def box(el: dict[str, Any]) -> tuple[float, float, float, float]:
    """x, y, width, height of a box element, with negative sizes turned around."""
    x, y = min(el["x"], el["x"] + el["width"]), min(el["y"], el["y"] + el["height"])
    return x, y, abs(el["width"]), abs(el["height"])


def text_lines(x: float, y: float, lines: list[str], size: float, color: str) -> str:
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


# ---- PDF: the same shapes through a Pen --------------------------------------------------


class Pen(Protocol):
    """What a page offers an element to draw itself with, in board coordinates (the pen
    fits them to the paper). Colors are #rgb or #rrggbb; `opacity` applies to what follows
    until the next `stroke` call."""

    def stroke(self, color: str, width: float, opacity: float = 1.0) -> None: ...
    def line(self, x1: float, y1: float, x2: float, y2: float) -> None: ...
    def polyline(self, points: list[tuple[float, float]]) -> None: ...
    def curve(self, points: list[tuple[float, float]]) -> None:
        """One smooth stroke through the points, as `curve_pieces` shapes it."""
    def dot(self, x: float, y: float, r: float, color: str) -> None: ...
    def rect(self, x: float, y: float, w: float, h: float, fill: str | None,
             outline: bool) -> None: ...
    def oval(self, x: float, y: float, w: float, h: float, fill: str | None) -> None: ...
    def text(self, x: float, y: float, lines: list[str], size: float, color: str) -> None:
        """Lines of selectable text; `y` is the top of the first line, as on the page."""
    def image(self, x: float, y: float, w: float, h: float, data: bytes) -> None:
        """A PNG or JPEG fitted to the box (for the image type to come)."""


def pen_stroke(pen: Pen, el: dict[str, Any], opacity: float = 1.0) -> None:
    pen.stroke(el["strokeColor"], el["strokeWidth"], opacity)


