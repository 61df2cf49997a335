"""Render icons/lanboard.svg into the PNG sizes, the Windows .ico and the macOS .icns.

    python packaging/make_icons.py

Pillow cannot read SVG, and a full SVG renderer would be one more build dependency, so this
script draws the small subset the logo uses: <rect> (with rx), <circle>, and <path> with
absolute M, L, C and A commands, filled or stroked with round caps. Each size is drawn at
1024 px and scaled down, which gives clean edges even at 16 px. The output is deterministic:
running it twice writes the same bytes.
"""

from __future__ import annotations

import math
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "icons"
SOURCE = ICONS / "lanboard.svg"

#: PNG sizes: favicons (16-48), app icons (64-256), apple-touch (180), manifest (192, 512).
PNG_SIZES = (16, 32, 48, 64, 128, 180, 192, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)
#: Every size is drawn at this size first, then scaled down.
CANVAS = 1024

SVG_NS = "{http://www.w3.org/2000/svg}"
Point = tuple[float, float]


def _tokens(d: str) -> list[str]:
    return re.findall(r"[MLCA]|-?\d+(?:\.\d+)?", d)


def _cubic(p0: Point, p1: Point, p2: Point, p3: Point, steps: int = 48) -> list[Point]:
    out = []
    for i in range(1, steps + 1):
        t = i / steps
        u = 1 - t
        out.append((u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
                    u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1]))
    return out


def _arc(p1: Point, p2: Point, r: float, large: bool, sweep: bool, steps: int = 48) -> list[Point]:
    """A circular SVG arc (rx == ry, no rotation) from p1 to p2, as points after p1."""
    hx, hy = (p1[0] - p2[0]) / 2, (p1[1] - p2[1]) / 2
    r = max(r, math.hypot(hx, hy))
    num = r * r - hx * hx - hy * hy
    coef = math.sqrt(max(0.0, num / (hx * hx + hy * hy)))
    if large == sweep:
        coef = -coef
    cx = coef * hy + (p1[0] + p2[0]) / 2
    cy = -coef * hx + (p1[1] + p2[1]) / 2
    start = math.atan2(p1[1] - cy, p1[0] - cx)
    delta = math.atan2(p2[1] - cy, p2[0] - cx) - start
    if sweep and delta < 0:
        delta += 2 * math.pi
    elif not sweep and delta > 0:
        delta -= 2 * math.pi
    return [(cx + r * math.cos(start + delta * i / steps),
             cy + r * math.sin(start + delta * i / steps)) for i in range(1, steps + 1)]


def path_points(d: str) -> list[Point]:
    """Flatten one SVG path of absolute M/L/C/A commands into a polyline."""
    toks = _tokens(d)
    pts: list[Point] = []
    i = 0

    def num(k: int) -> float:
        return float(toks[i + k])

    while i < len(toks):
        cmd = toks[i]
        i += 1
        if cmd in ("M", "L"):
            pts.append((num(0), num(1)))
            i += 2
        elif cmd == "C":
            pts += _cubic(pts[-1], (num(0), num(1)), (num(2), num(3)), (num(4), num(5)))
            i += 6
        elif cmd == "A":
            if num(0) != num(1) or num(2) != 0:
                raise ValueError("only circular, unrotated arcs are supported")
            pts += _arc(pts[-1], (num(5), num(6)), num(0), num(3) != 0, num(4) != 0)
            i += 7
        else:
            raise ValueError(f"unsupported path command {cmd!r} in {d!r}")
    return pts


def render(svg: Path) -> Image.Image:
    """Draw the SVG at CANVAS x CANVAS px."""
    root = ET.parse(svg).getroot()
    vb = [float(v) for v in root.get("viewBox", "0 0 256 256").split()]
    k = CANVAS / vb[2]
    img = Image.new("RGBA", (CANVAS, CANVAS), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)

    def at(x: float, y: float) -> Point:
        return ((x - vb[0]) * k, (y - vb[1]) * k)

    for el in root:
        tag = el.tag.removeprefix(SVG_NS)
        fill = el.get("fill")
        fill = None if fill in (None, "none") else fill
        if tag == "rect":
            x, y = float(el.get("x", 0)), float(el.get("y", 0))
            w, h = float(el.get("width", 0)), float(el.get("height", 0))
            box = [*at(x, y), *at(x + w, y + h)]
            draw.rounded_rectangle(box, radius=float(el.get("rx", 0)) * k, fill=fill)
        elif tag == "circle":
            cx, cy = at(float(el.get("cx", 0)), float(el.get("cy", 0)))
            r = float(el.get("r", 0)) * k
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
        elif tag == "path":
            pts = [at(*p) for p in path_points(el.get("d", ""))]
            stroke = el.get("stroke")
            width = float(el.get("stroke-width", 1)) * k
            if fill:
                draw.polygon(pts, fill=fill)
            if stroke and stroke != "none":
                # A round brush: each segment, plus a disc at every vertex for round joins
                # and caps (Pillow's own curve joints leave notches on dense polylines).
                draw.line(pts, fill=stroke, width=round(width))
                for x, y in pts:
                    draw.ellipse([x - width / 2, y - width / 2, x + width / 2, y + width / 2],
                                 fill=stroke)
        elif tag in ("title", "desc"):
            continue
        else:
            raise ValueError(f"unsupported SVG element <{tag}>")
    return img


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else ICONS
    out.mkdir(parents=True, exist_ok=True)
    full = render(SOURCE)
    images = {s: full if s == CANVAS else full.resize((s, s), Image.Resampling.LANCZOS)
              for s in sorted({*PNG_SIZES, *ICO_SIZES, *ICNS_SIZES})}
    for s in PNG_SIZES:
        images[s].save(out / f"lanboard-{s}.png", optimize=True)
    big = images[256]
    big.save(out / "lanboard.ico", sizes=[(s, s) for s in ICO_SIZES],
             append_images=[images[s] for s in ICO_SIZES if s != 256])
    images[1024].save(out / "lanboard.icns",
                      append_images=[images[s] for s in ICNS_SIZES if s != 1024])
    print(f"wrote {len(PNG_SIZES)} PNGs, lanboard.ico and lanboard.icns to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
