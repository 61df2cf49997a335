"""The one SVG exporter: every element type draws itself from the element table, the result
is well-formed XML fitted to the drawing, and no text can inject markup."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from test_kinds_unit import SAMPLES, sample

from lanboard import elements, svg

NS = "{http://www.w3.org/2000/svg}"


def board(*els: dict) -> list[tuple[str, bytes]]:
    return [(el["id"], json.dumps(elements.validate(el, "ann")).encode()) for el in els]


def test_every_element_type_renders_to_well_formed_svg():
    els = [sample(kind, f"e-{kind}") for kind in sorted(SAMPLES)]
    root = ET.fromstring(svg.render(board(*els)))
    tags = {child.tag.removeprefix(NS) for child in root}
    assert {"line", "polyline", "rect", "ellipse", "path", "text"} <= tags


def test_the_highlighter_is_translucent_and_a_pen_is_not():
    out = svg.render(board(sample("highlighter"), sample("path", "p2")))
    paths = ET.fromstring(out).findall(f"{NS}path")
    assert [p.get("opacity") for p in paths] == ["0.35", None]


def test_a_sticky_note_wraps_its_text_inside_its_box():
    note = sample("sticky", text="one two three four five six seven eight nine ten",
                  width=120, fontSize=20)
    root = ET.fromstring(svg.render(board(note)))
    spans = [t.text for t in root.iter(f"{NS}tspan")]
    assert len(spans) > 1 and " ".join(spans) == note["text"]
    per_line = int((120 - 2 * 20 * elements.STICKY_PAD) / (20 * 0.6))
    assert all(len(s) <= per_line for s in spans)
    fills = [r.get("fill") for r in root.findall(f"{NS}rect")]
    assert elements.STICKY_FILL in fills


def test_text_and_sticky_text_cannot_inject_markup():
    evil = '</text><script>alert(1)</script><text>'
    out = svg.render(board(sample("text", text=evil), sample("sticky", "s2", text=evil)))
    assert "<script>" not in out
    assert [n for n in ET.fromstring(out).iter() if n.tag.endswith("script")] == []


def test_the_picture_is_fitted_to_the_drawing_bounds_with_a_margin():
    root = ET.fromstring(svg.render(board(sample("rect", x=100, y=200, width=50, height=10))))
    x0, y0, w, h = (float(v) for v in root.get("viewBox", "").split())
    pad = 2 / 2 + svg.MARGIN
    assert (x0, y0, w, h) == (100 - pad, 200 - pad, 50 + 2 * pad, 10 + 2 * pad)
