"""Freehand strokes export as the page paints them: quadratic pieces through the midpoints of
their points (`drawing.curve_pieces`), in the SVG as Q commands and in the PDF handout as one
curved path, not straight segments with corners at every point."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from lanboard import drawing, elements, pdf

V = [[0.0, 0.0], [50.0, 100.0], [100.0, 0.0]]


def stroke(points: list[list[float]], kind: str = "path") -> dict[str, Any]:
    return elements.validate({"id": "s", "elementType": kind, "strokeColor": "#1e1e1e",
                              "strokeWidth": 4, "points": points}, "ann")


def test_curve_pieces_join_midpoints_with_each_point_the_control() -> None:
    assert drawing.curve_pieces([]) == []
    assert drawing.curve_pieces([(1, 2)]) == []
    assert drawing.curve_pieces([(1, 2), (3, 4)]) == [((1, 2), (3, 4))]
    pieces = drawing.curve_pieces([(0, 0), (10, 0), (10, 10), (20, 10)])
    assert pieces == [((0, 0), (10, 0), (10.0, 5.0)), ((10.0, 5.0), (10, 10), (15.0, 10.0)),
                      ((15.0, 10.0), (20, 10))]


def test_svg_paths_and_highlighters_are_curves_through_the_midpoints() -> None:
    d = re.search(r'd="([^"]+)"', elements.svg(stroke(V))).group(1)  # type: ignore[union-attr]
    assert d == "M0 0 Q50 100 75 50 L100 0"
    hl = elements.svg(stroke(V, "highlighter"))
    assert "Q50 100 75 50" in hl and 'opacity="0.35"' in hl
    # One point is a dot, two a straight line.
    assert elements.svg(stroke([[5, 5]])).startswith("<circle")
    assert 'd="M0 0 L9 9"' in elements.svg(stroke([[0, 0], [9, 9]]))


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="apt-get install poppler-utils")
def test_the_handout_draws_the_curve_not_the_corner(tmp_path: Path) -> None:
    parsed = [stroke(V)]
    data = pdf.render([("s", json.dumps(parsed[0]).encode())])
    (tmp_path / "b.pdf").write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "72", "-png", "-singlefile", str(tmp_path / "b.pdf"),
                    str(tmp_path / "page")], check=True, timeout=60)
    img = Image.open(tmp_path / "page.png").convert("L")
    _, (x0, y0, scale), (left, top) = pdf.layout(parsed, "a4")

    def dark(x: float, y: float) -> bool:
        px, py = round(left + (x - x0) * scale), round(top + (y - y0) * scale)
        return min(img.getpixel((px + dx, py + dy)) for dx in (-1, 0, 1)
                   for dy in (-1, 0, 1)) < 128

    # The quadratic from (0,0) with control (50,100) to (75,50), at t = 0.5: (43.75, 62.5).
    assert dark(43.75, 62.5) and dark(75, 50)
    # Straight segments would pass through the corner (50, 100); the curve turns 50 short.
    assert not dark(50, 96)
    assert not dark(25, 50)  # the straight segment's midpoint, off the curve
