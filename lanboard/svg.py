"""Render a board as a standalone SVG, fitted to the drawing's bounds. Pure domain code: each
element type draws itself (`lanboard/elements.py`); this file only frames the picture."""

from __future__ import annotations

import json

from lanboard import elements
from lanboard.store import Element

#: Empty space around the drawing, in board units.
MARGIN = 20.0

_num = elements.num  # one number format for the frame and the shapes


def render(board: list[Element], assets: dict[str, tuple[str, bytes]] | None = None) -> str:
    """The board as an SVG document. An empty board gives a small blank image. `assets`
    (asset id -> (MIME type, bytes)) gives the images their pictures, embedded as data: URIs
    so the file stands alone."""
    parsed = [json.loads(data) for _, data in board]
    if assets:
        for el in parsed:
            for asset in elements.assets_of(el):
                if asset in assets:
                    el[elements.ASSET_DATA] = assets[asset]
    if parsed:
        boxes = [elements.bounds(el) for el in parsed]
        x0 = min(b[0] for b in boxes) - MARGIN
        y0 = min(b[1] for b in boxes) - MARGIN
        x1 = max(b[2] for b in boxes) + MARGIN
        y1 = max(b[3] for b in boxes) + MARGIN
    else:
        x0, y0, x1, y1 = 0.0, 0.0, 100.0, 100.0
    w, h = x1 - x0, y1 - y0
    body = "\n".join(elements.svg(el) for el in parsed)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{_num(x0)} {_num(y0)} '
            f'{_num(w)} {_num(h)}" width="{_num(w)}" height="{_num(h)}">\n'
            f'<rect x="{_num(x0)}" y="{_num(y0)}" width="{_num(w)}" height="{_num(h)}" '
            f'fill="#ffffff"/>\n{body}\n</svg>\n')
