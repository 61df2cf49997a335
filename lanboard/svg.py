"""Render a board as a standalone SVG, fitted to the drawing's bounds. Pure domain code."""

from __future__ import annotations

import json
import math
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from lanboard.store import Element

#: Empty space around the drawing, in board units.
MARGIN = 20.0

#: Text line spacing, as a multiple of the font size; the board page uses the same.
LINE_HEIGHT = 1.25


def _bounds(el: dict[str, Any]) -> tuple[float, float, float, float]:
    kind = el["elementType"]
    pad = el["strokeWidth"] / 2
    if kind in ("line", "arrow"):
        xs, ys = (el["x1"], el["x2"]), (el["y1"], el["y2"])
        pad += el["strokeWidth"] * 2 if kind == "arrow" else 0
    elif kind in ("rect", "ellipse"):
        xs, ys = (el["x"], el["x"] + el["width"]), (el["y"], el["y"] + el["height"])
    elif kind == "path":
        xs = tuple(p[0] for p in el["points"])
        ys = tuple(p[1] for p in el["points"])
    else:
        lines = el["text"].split("\n")
        width = max(len(t) for t in lines) * el["fontSize"] * 0.6
        xs = (el["x"], el["x"] + width)
        ys = (el["y"], el["y"] + len(lines) * el["fontSize"] * LINE_HEIGHT)
    return min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad


def _num(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _stroke(el: dict[str, Any]) -> str:
    return (f'stroke={quoteattr(el["strokeColor"])} stroke-width="{_num(el["strokeWidth"])}" '
            'stroke-linecap="round" stroke-linejoin="round"')


def _shape(el: dict[str, Any]) -> str:
    kind = el["elementType"]
    if kind in ("line", "arrow"):
        out = (f'<line x1="{_num(el["x1"])}" y1="{_num(el["y1"])}" x2="{_num(el["x2"])}" '
               f'y2="{_num(el["y2"])}" {_stroke(el)}/>')
        if kind == "arrow":
            angle = math.atan2(el["y2"] - el["y1"], el["x2"] - el["x1"])
            size = max(10.0, el["strokeWidth"] * 4)
            wings = []
            for side in (-1, 1):
                a = angle + math.pi - side * math.pi / 7
                wings.append(f'{_num(el["x2"] + size * math.cos(a))},'
                             f'{_num(el["y2"] + size * math.sin(a))}')
            out += (f'<polyline points="{wings[0]} {_num(el["x2"])},{_num(el["y2"])} '
                    f'{wings[1]}" fill="none" {_stroke(el)}/>')
        return out
    if kind in ("rect", "ellipse"):
        x, y = min(el["x"], el["x"] + el["width"]), min(el["y"], el["y"] + el["height"])
        w, h = abs(el["width"]), abs(el["height"])
        fill = quoteattr(el.get("fillColor") or "none")
        if kind == "rect":
            return (f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" '
                    f"fill={fill} {_stroke(el)}/>")
        return (f'<ellipse cx="{_num(x + w / 2)}" cy="{_num(y + h / 2)}" rx="{_num(w / 2)}" '
                f'ry="{_num(h / 2)}" fill={fill} {_stroke(el)}/>')
    if kind == "path":
        pts = el["points"]
        if len(pts) == 1:
            return (f'<circle cx="{_num(pts[0][0])}" cy="{_num(pts[0][1])}" '
                    f'r="{_num(el["strokeWidth"] / 2)}" fill={quoteattr(el["strokeColor"])}/>')
        d = "M" + " L".join(f"{_num(p[0])} {_num(p[1])}" for p in pts)
        return f'<path d="{d}" fill="none" {_stroke(el)}/>'
    size = el["fontSize"]
    step = size * LINE_HEIGHT
    spans = "".join(
        f'<tspan x="{_num(el["x"])}" dy="{_num(step if i else 0)}">{escape(t)}</tspan>'
        for i, t in enumerate(el["text"].split("\n")))
    return (f'<text x="{_num(el["x"])}" y="{_num(el["y"])}" font-size="{_num(size)}" '
            f'font-family="sans-serif" dominant-baseline="hanging" '
            f'fill={quoteattr(el["strokeColor"])} xml:space="preserve">{spans}</text>')


def render(elements: list[Element]) -> str:
    """The board as an SVG document. An empty board gives a small blank image."""
    parsed = [json.loads(data) for _, data in elements]
    if parsed:
        boxes = [_bounds(el) for el in parsed]
        x0 = min(b[0] for b in boxes) - MARGIN
        y0 = min(b[1] for b in boxes) - MARGIN
        x1 = max(b[2] for b in boxes) + MARGIN
        y1 = max(b[3] for b in boxes) + MARGIN
    else:
        x0, y0, x1, y1 = 0.0, 0.0, 100.0, 100.0
    w, h = x1 - x0, y1 - y0
    body = "\n".join(_shape(el) for el in parsed)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{_num(x0)} {_num(y0)} '
            f'{_num(w)} {_num(h)}" width="{_num(w)}" height="{_num(h)}">\n'
            f'<rect x="{_num(x0)}" y="{_num(y0)}" width="{_num(w)}" height="{_num(h)}" '
            f'fill="#ffffff"/>\n{body}\n</svg>\n')
