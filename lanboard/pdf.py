"""The PDF handout: the board as vector drawing on one A4 or Letter page, made on the server
(fpdf2, pure Python) so a phone downloads the same file as a laptop.

Each element type draws itself through a `Pen` (its entry in `lanboard/elements.py`); this
module only fits the drawing to the paper and turns the pen's calls into fpdf2's. Text stays
text, so it can be selected and searched. One page for now: pages come with the worksheets issue.

Unicode text needs a TrueType font (the PDF core fonts are Latin-1 only). DejaVu Sans is
taken from the system (Debian, Ubuntu, Raspberry Pi OS, Fedora, Arch install it with the
desktop; `fc-match` finds it elsewhere), then Arial Unicode on macOS or Arial on Windows.
With none of them the handout uses Helvetica, and characters outside Latin-1 print as `?`.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from typing import Any

import orjson

from lanboard import drawing, elements
from lanboard.store import Element

with warnings.catch_warnings():
    # Pillow embeds the images; were it missing, fpdf2 would only warn here.
    warnings.filterwarnings("ignore", "Pillow could not be imported", UserWarning)
    from fpdf import FPDF
    from fpdf.enums import PathPaintRule, StrokeCapStyle, StrokeJoinStyle

log = logging.getLogger(__name__)

#: Paper sizes in points (1/72 inch), portrait.
PAPER = {"a4": (595.28, 841.89), "letter": (612.0, 792.0)}

#: Empty paper around the drawing, in points (half an inch).
MARGIN = 36.0

#: Where the text font is looked for, in order, before asking fontconfig.
FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",  # Debian, Ubuntu, Raspberry Pi OS
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",  # Fedora
    "/usr/share/fonts/TTF/DejaVuSans.ttf",  # Arch
    "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",  # macOS
    "/Library/Fonts/Arial Unicode.ttf",
    os.path.join(os.environ.get("WINDIR", r"C:\Windows"), "Fonts", "arial.ttf"),
)

#: The text's top sits this far above its baseline, as a share of the font size (the page
#: draws text from its top, as canvas `textBaseline = 'top'` does).
ASCENT = 0.8


@functools.cache
def font_file() -> str | None:
    """The TrueType font the handout's text uses, or None (Helvetica, Latin-1 only)."""
    for path in FONT_FILES:
        if os.path.isfile(path):
            return path
    fc_match = shutil.which("fc-match")
    if fc_match is not None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            found = subprocess.run([fc_match, "-f", "%{file}", "DejaVu Sans:style=Book"],
                                   capture_output=True, text=True, timeout=5).stdout.strip()
            if found.lower().endswith(".ttf") and os.path.isfile(found):
                return found
    log.warning("no Unicode font found for PDF handouts; text outside Latin-1 prints as '?' "
                "(install fonts-dejavu-core)")
    return None


def rgb(color: str) -> tuple[int, int, int]:
    """#rgb or #rrggbb (validated with the element) as three bytes."""
    h = color[1:]
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


class PdfPen:
    """A `Pen` that draws on one fpdf2 page: board coordinates scaled by `scale` about the
    drawing's corner (x0, y0), which lands at (left, top) on the paper."""

    def __init__(self, doc: FPDF, x0: float, y0: float, scale: float, left: float,
                 top: float, font: str) -> None:
        self.doc = doc
        self.x0, self.y0, self.scale = x0, y0, scale
        self.left, self.top = left, top
        self.font = font
        self.opacity = 1.0
        #: Whether text must be cut to Latin-1 (the core font).
        self.latin1 = font == "helvetica"

    def _x(self, x: float) -> float:
        return self.left + (x - self.x0) * self.scale

    def _y(self, y: float) -> float:
        return self.top + (y - self.y0) * self.scale

    @contextlib.contextmanager
    def _alpha(self) -> Iterator[None]:
        if self.opacity >= 1.0:
            yield
            return
        with self.doc.local_context(stroke_opacity=self.opacity, fill_opacity=self.opacity):
            yield

    def stroke(self, color: str, width: float, opacity: float = 1.0) -> None:
        self.doc.set_draw_color(*rgb(color))
        self.doc.set_line_width(width * self.scale)
        self.opacity = opacity

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        with self._alpha():
            self.doc.line(self._x(x1), self._y(y1), self._x(x2), self._y(y2))

    def polyline(self, points: list[tuple[float, float]]) -> None:
        with self._alpha():
            self.doc.polyline([(self._x(x), self._y(y)) for x, y in points], style="D")

    def curve(self, points: list[tuple[float, float]]) -> None:
        # One path, so a translucent highlighter's pieces do not darken where they meet.
        pieces = drawing.curve_pieces(points)
        if not pieces:
            return
        with self._alpha(), self.doc.new_path(self._x(points[0][0]), self._y(points[0][1]),
                                              paint_rule=PathPaintRule.STROKE) as path:
            path.auto_close = False
            for piece in pieces:
                if len(piece) == 3:
                    (cx, cy), (ex, ey) = piece[1], piece[2]
                    path.quadratic_curve_to(self._x(cx), self._y(cy), self._x(ex), self._y(ey))
                else:
                    path.line_to(self._x(piece[1][0]), self._y(piece[1][1]))

    def dot(self, x: float, y: float, r: float, color: str) -> None:
        self.doc.set_fill_color(*rgb(color))
        r *= self.scale
        with self._alpha():
            self.doc.ellipse(self._x(x) - r, self._y(y) - r, 2 * r, 2 * r, style="F")

    def rect(self, x: float, y: float, w: float, h: float, fill: str | None,
             outline: bool) -> None:
        style = self._fill(fill, outline)
        if style:
            with self._alpha():
                self.doc.rect(self._x(x), self._y(y), w * self.scale, h * self.scale, style)

    def oval(self, x: float, y: float, w: float, h: float, fill: str | None) -> None:
        with self._alpha():
            self.doc.ellipse(self._x(x), self._y(y), w * self.scale, h * self.scale,
                             self._fill(fill, True))

    def _fill(self, fill: str | None, outline: bool) -> str:
        if fill is not None:
            self.doc.set_fill_color(*rgb(fill))
        return ("D" if outline else "") + ("F" if fill is not None else "")

    def text(self, x: float, y: float, lines: list[str], size: float, color: str) -> None:
        self.doc.set_font(self.font, size=size * self.scale)
        self.doc.set_text_color(*rgb(color))
        step = size * elements.LINE_HEIGHT
        for i, line in enumerate(lines):
            if self.latin1:
                line = line.encode("latin-1", "replace").decode("latin-1")
            if line.strip():
                self.doc.text(self._x(x), self._y(y + i * step + size * ASCENT), line)

    def image(self, x: float, y: float, w: float, h: float, data: bytes) -> None:
        # Stretched to its box, as the page and the SVG export draw it.
        self.doc.image(io.BytesIO(data), self._x(x), self._y(y), w * self.scale,
                       h * self.scale)


def layout(parsed: list[dict[str, Any]], paper: str
           ) -> tuple[str, tuple[float, float, float], tuple[float, float]]:
    """The page's orientation ('P' or 'L', from the drawing's shape), the drawing's corner
    and scale (x0, y0, scale), and where that corner lands on the paper (left, top): the
    drawing fitted inside the margin and centred."""
    if parsed:
        boxes = [elements.bounds(el) for el in parsed]
        x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
        x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    else:
        x0, y0, x1, y1 = 0.0, 0.0, 1.0, 1.0
    w, h = max(x1 - x0, 1e-6), max(y1 - y0, 1e-6)
    short, long = PAPER[paper]
    orientation = "L" if w > h else "P"
    pw, ph = (long, short) if orientation == "L" else (short, long)
    scale = min((pw - 2 * MARGIN) / w, (ph - 2 * MARGIN) / h)
    left = (pw - w * scale) / 2
    top = (ph - h * scale) / 2
    return orientation, (x0, y0, scale), (left, top)


def new_document(orientation: str, paper: str, title: str) -> tuple[FPDF, str]:
    """A blank one-page document and the name of its text font."""
    doc = FPDF(orientation=orientation, unit="pt", format=paper)
    doc.set_auto_page_break(False)
    doc.set_margin(0)
    doc.set_creator("LANBoard")
    doc.set_title(title)
    path = font_file()
    if path is not None:
        doc.add_font("board", fname=path)
    doc.add_page()
    return doc, "board" if path is not None else "helvetica"


def render(board: list[Element], paper: str = "a4", title: str = "LANBoard",
           assets: dict[str, tuple[str, bytes]] | None = None,
           pages: list[list[Element]] | None = None) -> bytes:
    """The board as a PDF, in board order (later elements on top): one page of `board`, or
    one PDF page for each board page in `pages` (each fitted to its own paper). `assets`
    (asset id -> (MIME type, bytes)) gives the images their pictures."""
    doc: FPDF | None = None
    font = "helvetica"
    for part in pages if pages is not None else [board]:
        parsed = [orjson.loads(data) for _, data in part]
        for el in parsed:
            for asset in elements.assets_of(el):
                if assets and asset in assets:
                    el[elements.ASSET_DATA] = assets[asset]
        orientation, (x0, y0, scale), (left, top) = layout(parsed, paper)
        if doc is None:
            doc, font = new_document(orientation, paper, title)
        else:
            doc.add_page(orientation=orientation)
        pen = PdfPen(doc, x0, y0, scale, left, top, font)
        with doc.local_context(stroke_cap_style=StrokeCapStyle.ROUND,
                               stroke_join_style=StrokeJoinStyle.ROUND):
            for el in parsed:
                pen.opacity = 1.0  # a highlighter's translucency ends with it
                elements.pdf(pen, el)
    if doc is None:  # no pages asked for: a blank page
        doc, _ = new_document("P", paper, title)
    return bytes(doc.output())

