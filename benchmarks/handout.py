"""The PDF handout of a 10,000-stroke board: how long it takes (target 2 s or less) and its
size, beside the SVG export of the same board (the baseline) in the same run.

    python benchmarks/handout.py [--strokes 10000] [--points 30] [--runs 3]

Strokes are freehand paths of --points points each (a 1 s stroke as the page streams it),
one in ten a highlighter, plus 200 text notes; the board is drawn as the export route draws
it (`lanboard.pdf.render`, `lanboard.svg.render`). No network; bounded by --runs.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lanboard import elements, pdf, svg


def board(strokes: int, points: int, rng: random.Random) -> list[tuple[str, bytes]]:
    out = []
    for i in range(strokes):
        x, y = rng.uniform(0, 3000), rng.uniform(0, 2000)
        pts = []
        for _ in range(points):
            x, y = x + rng.uniform(-4, 6), y + rng.uniform(-4, 6)
            pts.append([round(x, 1), round(y, 1)])
        el = {"id": f"s{i}", "elementType": "highlighter" if i % 10 == 0 else "path",
              "points": pts, "strokeColor": rng.choice(("#1e88e5", "#e53935", "#000000")),
              "strokeWidth": rng.choice((2, 3, 4, 12))}
        out.append(el)
    for i in range(200):
        out.append({"id": f"t{i}", "elementType": "text", "x": rng.uniform(0, 3000),
                    "y": rng.uniform(0, 2000), "text": f"note {i}: résumé Ω",
                    "fontSize": 18, "strokeColor": "#000", "strokeWidth": 1})
    return [(el["id"], json.dumps(elements.validate(el, "ann")).encode()) for el in out]


def timed(fn: object, runs: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return times, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--strokes", type=int, default=10_000)
    ap.add_argument("--points", type=int, default=30)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    b = board(args.strokes, args.points, random.Random(16))
    pdf.render(b[:10])  # fonts found and fpdf2 imported outside the timing
    pt, handout = timed(lambda: pdf.render(b), args.runs)
    st, picture = timed(lambda: svg.render(b), args.runs)
    assert isinstance(handout, bytes) and isinstance(picture, str)
    print(f"board: {args.strokes:,} strokes of {args.points} points + 200 texts; "
          f"font {pdf.font_file() or 'Helvetica (Latin-1)'}")
    print(f"pdf: median {statistics.median(pt):.2f} s, best {min(pt):.2f} s over {args.runs} "
          f"runs (target 2 s); {len(handout) / 2**20:.2f} MiB")
    print(f"svg (baseline): median {statistics.median(st):.2f} s, best {min(st):.2f} s; "
          f"{len(picture.encode()) / 2**20:.2f} MiB")


if __name__ == "__main__":
    main()
