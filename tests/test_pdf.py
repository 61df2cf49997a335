"""The PDF handout, read back with poppler: it parses, has one page of the right paper and
orientation, its text is text, an image drawn through the pen is embedded, and rendered to
pixels the strokes are where the board has them."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from test_kinds_unit import SAMPLES, sample
from testkit import line

from lanboard import elements, pdf

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None,
                                reason="needs poppler-utils (tools/test.sh installs it)")


def board(*els: dict[str, Any]) -> list[tuple[str, bytes]]:
    return [(el["id"], json.dumps(elements.validate(el, "ann")).encode()) for el in els]


def poppler(tool: str, data: bytes, tmp_path: Path, *args: str) -> str:
    src = tmp_path / "board.pdf"
    src.write_bytes(data)
    out = subprocess.run([tool, *args, str(src), "-"] if tool == "pdftotext" else
                         [tool, *args, str(src)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def info(data: bytes, tmp_path: Path) -> dict[str, str]:
    lines = poppler("pdfinfo", data, tmp_path).splitlines()
    return {k.strip(): v.strip() for k, _, v in (ln.partition(":") for ln in lines)}


def raster(data: bytes, tmp_path: Path) -> Image.Image:
    """The page at 72 dpi: one pixel per point."""
    (tmp_path / "board.pdf").write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "72", "-png", "-singlefile", str(tmp_path / "board.pdf"),
                    str(tmp_path / "page")], check=True, timeout=60)
    return Image.open(tmp_path / "page.png").convert("RGB")


def to_page(parsed: list[dict[str, Any]], x: float, y: float, paper: str = "a4"
            ) -> tuple[int, int]:
    _, (x0, y0, scale), (left, top) = pdf.layout(parsed, paper)
    return round(left + (x - x0) * scale), round(top + (y - y0) * scale)


def test_every_type_draws_into_one_page_that_parses(tmp_path):
    data = pdf.render(board(*(sample(kind, f"e-{kind}") for kind in sorted(SAMPLES))))
    assert data.startswith(b"%PDF-")
    meta = info(data, tmp_path)
    assert meta["Pages"] == "1" and meta["Creator"] == "LANBoard"
    assert set(elements.TYPES) == set(SAMPLES)  # a new type must come with a sample


def test_text_stays_text_unicode_included(tmp_path):
    note = sample("sticky", "s", text="take home page twelve", width=400, fontSize=20)
    text = sample("text", "t", text="Héllo Ωmega привет\nsecond line", y=200)
    out = poppler("pdftotext", pdf.render(board(note, text)), tmp_path)
    assert "take home page twelve" in " ".join(out.split())
    assert "second line" in out
    if pdf.font_file() is not None:
        assert "Héllo Ωmega привет" in out
    else:  # pragma: no cover - a machine without DejaVu or Arial: Latin-1 only
        assert "Héllo" in out


def test_without_a_unicode_font_text_falls_back_to_latin_1(tmp_path, monkeypatch):
    monkeypatch.setattr(pdf, "font_file", lambda: None)
    out = poppler("pdftotext", pdf.render(board(sample("text", text="café Ω"))), tmp_path)
    assert "café ?" in out


def test_paper_and_orientation_follow_the_drawing(tmp_path):
    wide = board(sample("rect", x=0, y=0, width=800, height=200))
    tall = board(sample("rect", x=0, y=0, width=200, height=800))
    assert info(pdf.render(wide), tmp_path)["Page size"].startswith("841.89 x 595.28")
    assert info(pdf.render(tall), tmp_path)["Page size"].startswith("595.28 x 841.89")
    assert info(pdf.render(tall, "letter"), tmp_path)["Page size"].startswith("612 x 792")
    assert info(pdf.render([]), tmp_path)["Pages"] == "1"  # an empty board: a blank page


def test_strokes_are_where_the_board_has_them(tmp_path):
    red = sample("line", "red", x1=0, y1=0, x2=1000, y2=0, strokeColor="#ff0000",
                 strokeWidth=8)
    blue = sample("path", "blue", points=[[0, 500], [500, 500], [1000, 500]],
                  strokeColor="#0000ff", strokeWidth=8)
    ring = sample("ellipse", "ring", x=400, y=100, width=200, height=200,
                  strokeColor="#00aa00", strokeWidth=6)
    els = [red, blue, ring]
    parsed = [elements.validate(e, "ann") for e in els]
    page = raster(pdf.render(board(*els)), tmp_path)

    def at(x: float, y: float) -> tuple[int, int, int]:
        return page.getpixel(to_page(parsed, x, y))

    for x in (100, 500, 900):
        r, g, b = at(x, 0)
        assert r > 200 and g < 80 and b < 80, (x, r, g, b)
        r, g, b = at(x, 500)
        assert b > 200 and r < 80 and g < 80, (x, r, g, b)
        assert at(x, 250) == (255, 255, 255)  # nothing between the two
    r, g, b = at(400, 200)  # the ellipse's left edge
    assert g > 120 and r < 80 and b < 80
    assert at(500, 200) == (255, 255, 255)  # an ellipse is not filled unless asked


def test_the_highlighter_is_translucent_over_what_it_covers(tmp_path):
    ink = sample("line", "ink", x1=0, y1=100, x2=400, y2=100, strokeColor="#000000",
                 strokeWidth=10)
    marker = sample("highlighter", "hl", points=[[200, 0], [200, 200]], strokeColor="#ffff00",
                    strokeWidth=40)
    after = sample("rect", "after", x=300, y=150, width=50, height=40, fillColor="#0000ff")
    parsed = [elements.validate(e, "ann") for e in (ink, marker, after)]
    page = raster(pdf.render(board(ink, marker, after)), tmp_path)
    r, g, b = page.getpixel(to_page(parsed, 200, 40))
    assert r > 200 and g > 200 and 100 < b < 230  # yellow, washed by the white beneath
    r, g, b = page.getpixel(to_page(parsed, 200, 100))
    assert max(r, g, b) < 120  # the ink shows through it
    # What comes after a highlighter is opaque again.
    assert page.getpixel(to_page(parsed, 325, 170)) == (0, 0, 255)


def test_the_pen_embeds_an_image_for_the_image_type_to_come(tmp_path):
    png = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(png, "PNG")
    doc, font = pdf.new_document("P", "a4", "images")
    pen = pdf.PdfPen(doc, 0, 0, 1.0, 36, 36, font)
    pen.image(0, 0, 100, 100, png.getvalue())
    data = bytes(doc.output())
    listed = poppler("pdfimages", data, tmp_path, "-list").splitlines()
    assert len(listed) == 3 and listed[2].split()[3:5] == ["8", "8"]


async def test_the_export_route_serves_the_handout(http_server_client, connect, tmp_path):
    ann = await connect("handout", userId="ann", v=2)
    await ann.recv_type("sync")
    ann.send("draw", {"id": "t", "elementType": "text", "x": 0, "y": 0, "text": "first",
                      "fontSize": 20, "strokeColor": "#000", "strokeWidth": 1})
    await ann.recv_type("draw")
    ann.send("draw", line("l"))
    await ann.recv_type("draw")
    ann.send("update", {"ids": ["t"], "set": {"text": "second"}})
    await ann.recv_type("update")
    resp = await http_server_client.fetch("/api/rooms/handout/export?format=pdf&paper=letter")
    assert resp.headers["Content-Type"] == "application/pdf"
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="handout-')
    assert resp.headers["Content-Disposition"].endswith('.pdf"')
    assert "second" in poppler("pdftotext", resp.body, tmp_path)
    assert info(resp.body, tmp_path)["Page size"].startswith("792 x 612")  # wide: landscape
    old = await http_server_client.fetch("/api/rooms/handout/export?format=pdf&seq=1")
    assert "first" in poppler("pdftotext", old.body, tmp_path)
