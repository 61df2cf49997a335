"""Pen strokes drawn with the board page's own pen tool in Chromium: points and bytes per
stroke, and how far the drawn curve strays from the pointer's path.

Each stroke goes down and up with real input (Playwright's mouse, or touches sent through
CDP `Input.dispatchTouchEvent`); the moves between are pointer events dispatched on the
board's canvas at their real times, fast (0.3 s) and slow (1.5 s), because one CDP move
took about 65 ms here on a loaded machine, far too slow to pace a quick stroke. Each move is
one sample, as a pen's coalesced samples are on a secure page.
The page's socket frames are watched (`framesent`): the stroke's `draw` and `append` messages
give the live bytes; the stored element (the board's JSON export) gives the bytes a `sync`
carries for it. Deviation is measured in screen pixels (zoom 1) between the pointer's
samples and the curve the page paints through the stored points (quadratic pieces through
the midpoints, `lanboard/drawing.py` `curve_pieces`), both ways.

With --ref-src the same gestures are drawn on another checkout (today's code, for example a
worktree of 41f1ff6) in the same run, and the figures are compared. With --save DIR the
recorded strokes are written as JSON (one file per checkout), for the byte benchmarks.

Run: python -m benchmarks.pen_strokes [--ref-src /tmp/ref-41f1ff6] [--save benchmarks/strokes]
     [--repeat N] [--tiny] [--json]
Needs Debian's chromium at /usr/bin/chromium and the playwright Python package.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import serve  # noqa: E402
from lanboard.drawing import curve_pieces  # noqa: E402

CHROMIUM = os.environ.get("LANBOARD_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 800}
#: Pointer samples per gesture: a pen or a 120 Hz touch screen reports about this many in
#: a quick 0.3 s stroke; the page keeps what its pointer events hand it.
SAMPLES = 100


def shapes() -> dict[str, list[tuple[float, float]]]:
    """Gestures in CSS pixels: a circle, a handwriting-like loop row and a spiral."""
    n = SAMPLES
    circle = [(640 + 150 * math.cos(2 * math.pi * i / (n - 1)),
               400 + 150 * math.sin(2 * math.pi * i / (n - 1))) for i in range(n)]
    loops = [(300 + 6.5 * i + 30 * math.cos(i * 0.45), 420 + 45 * math.sin(i * 0.45))
             for i in range(n)]
    spiral = [(640 + (20 + 1.6 * i) * math.cos(i * 0.16),
               400 + (20 + 1.6 * i) * math.sin(i * 0.16)) for i in range(n)]
    return {"circle": circle, "loops": loops, "spiral": spiral}


SPEEDS = {"fast": 0.3, "slow": 1.5}


def start_server(src: Path, data_dir: str) -> tuple[subprocess.Popen[str], str]:
    proc, port = serve.start(src, data_dir)
    return proc, f"http://127.0.0.1:{port}"


stop = serve.stop


#: Dispatches pointer moves on the board's canvas at their times, then resolves. The pointer
#: went down with real input (Playwright's mouse or a CDP touch), so its pointerId is live.
MOVES_JS = """async ([pts, seconds, type]) => {
  const canvas = document.getElementById('overlay-canvas');
  const id = window.__penPointer;
  const t0 = performance.now();
  for (let i = 0; i < pts.length; i += 1) {
    const due = t0 + (seconds * 1000 * i) / Math.max(1, pts.length - 1);
    while (performance.now() < due) await new Promise((r) => setTimeout(r, 1));
    canvas.dispatchEvent(new PointerEvent('pointermove', { clientX: pts[i][0],
      clientY: pts[i][1], pointerId: id, pointerType: type, isPrimary: true, buttons: 1,
      pressure: 0.5, bubbles: true, cancelable: true }));
  }
}"""

#: Remembers the pointerId of the next pointerdown on the canvas.
WATCH_DOWN_JS = """() => document.getElementById('overlay-canvas').addEventListener(
  'pointerdown', (e) => { window.__penPointer = e.pointerId; }, { capture: true })"""


def mouse_stroke(page: Any, pts: list[tuple[float, float]], seconds: float) -> None:
    page.mouse.move(*pts[0])
    page.mouse.down()
    page.evaluate(MOVES_JS, [[list(p) for p in pts[1:-1]], seconds, "mouse"])
    page.mouse.move(*pts[-1])  # real input again: the pointer is where the stroke ends
    page.mouse.up()


def touch_stroke(page: Any, cdp: Any, pts: list[tuple[float, float]], seconds: float) -> None:
    def touch(kind: str, x: float, y: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": x, "y": y, "id": 1, "radiusX": 4,
                                                   "radiusY": 4, "force": 0.5}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", *pts[0])
    page.evaluate(MOVES_JS, [[list(p) for p in pts[1:-1]], seconds, "touch"])
    touch("touchMove", *pts[-1])
    touch("touchEnd", *pts[-1])


def sample_curve(points: list[list[float]], per_piece: int = 12) -> list[tuple[float, float]]:
    """Dense points along the painted curve."""
    if len(points) == 1:
        return [(points[0][0], points[0][1])]
    out: list[tuple[float, float]] = []
    for piece in curve_pieces([(p[0], p[1]) for p in points]):
        if len(piece) == 2:
            (ax, ay), (bx, by) = piece
            out += [(ax + (bx - ax) * k / per_piece, ay + (by - ay) * k / per_piece)
                    for k in range(per_piece + 1)]
        else:
            (ax, ay), (cx, cy), (bx, by) = piece
            for k in range(per_piece + 1):
                t = k / per_piece
                u = 1 - t
                out.append((u * u * ax + 2 * u * t * cx + t * t * bx,
                            u * u * ay + 2 * u * t * cy + t * t * by))
    return out


def seg_dist(px: float, py: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    d2 = dx * dx + dy * dy
    t = 0.0 if d2 == 0 else max(0.0, min(1.0, ((px - a[0]) * dx + (py - a[1]) * dy) / d2))
    return math.hypot(px - a[0] - t * dx, py - a[1] - t * dy)


def poly_dist(p: tuple[float, float], line: list[tuple[float, float]]) -> float:
    if len(line) == 1:
        return math.hypot(p[0] - line[0][0], p[1] - line[0][1])
    return min(seg_dist(p[0], p[1], line[i], line[i + 1]) for i in range(len(line) - 1))


def deviation(inputs: list[tuple[float, float]], points: list[list[float]]) -> float:
    """The larger of: the farthest pointer sample from the curve, the farthest curve point
    from the pointer's path (a symmetric Hausdorff distance, in world units = px at zoom 1)."""
    curve = sample_curve(points)
    a = max(poly_dist(p, curve) for p in inputs)
    b = max(poly_dist(p, inputs) for p in curve)
    return max(a, b)


def watch_sent(page: Any, sent: list[str]) -> None:
    """Appends the text of every frame the page's sockets send to `sent`."""
    def frame(payload: str | bytes) -> None:
        sent.append(payload if isinstance(payload, str) else payload.decode())

    page.on("websocket", lambda ws: ws.on("framesent", frame))


def curve_deviation(inputs: list[tuple[float, float]], points: list[list[float]]) -> float:
    """How far the stored stroke's curve strays from the curve through every pointer sample
    (what the page would paint keeping all of them as they came)."""
    full = sample_curve([list(p) for p in inputs], 4)
    drawn = sample_curve(points, 4)
    return max(max(poly_dist(p, drawn) for p in full), max(poly_dist(p, full) for p in drawn))


def record(browser: Any, base: str, label: str, repeat: int,
           tiny: bool = False) -> list[dict[str, Any]]:
    strokes: list[dict[str, Any]] = []
    for device in ("mouse",) if tiny else ("mouse", "touch"):
        context = browser.new_context(viewport=VIEWPORT, has_touch=device == "touch")
        page = context.new_page()
        sent: list[str] = []
        watch_sent(page, sent)
        room = f"pen-{label}-{device}"
        page.goto(f"{base}/room/{room}?name=bench")
        page.wait_for_function("() => window.__lanboard && window.__lanboard.ready",
                               timeout=15000)
        page.evaluate(WATCH_DOWN_JS)
        cdp = context.new_cdp_session(page) if device == "touch" else None
        for rep in range(repeat):
            for shape, pts in list(shapes().items())[:1 if tiny else None]:
                for speed, seconds in list(SPEEDS.items())[:1 if tiny else None]:
                    before = len(sent)
                    if cdp is not None:
                        touch_stroke(page, cdp, pts, seconds)
                    else:
                        mouse_stroke(page, pts, seconds)
                    page.wait_for_function(
                        "() => window.__lanboard.scene.settled", timeout=10000)
                    mine = [m for m in sent[before:] if '"draw"' in m or '"append"' in m]
                    world = page.evaluate(
                        "(pts) => pts.map(([x, y]) => window.__lanboard.view.toWorld(x, y))",
                        [list(p) for p in pts])
                    strokes.append({"device": device, "shape": shape, "speed": speed,
                                    "repeat": rep, "input": world, "sent": mine})
        with urllib.request.urlopen(f"{base}/api/rooms/{room}/export?format=json",
                                    timeout=30) as res:
            board = json.load(res)
        elements = board["elements"]
        mine_strokes = [s for s in strokes if s["device"] == device]
        if len(elements) != len(mine_strokes):
            raise SystemExit(f"{label}: {len(elements)} elements for {len(mine_strokes)} "
                             "strokes")
        for s, el in zip(mine_strokes, elements, strict=True):
            s["element"] = el
        context.close()
    for s in strokes:
        el = s["element"]
        s["points"] = len(el["points"])
        s["element_bytes"] = len(json.dumps(el, separators=(",", ":")).encode())
        s["live_bytes"] = sum(len(m.encode()) for m in s["sent"])
        s["messages"] = len(s["sent"])
        s["deviation"] = deviation([tuple(p) for p in s["input"]], el["points"])
        s["curve_deviation"] = curve_deviation([tuple(p) for p in s["input"]], el["points"])
    return strokes


def summary(strokes: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    groups: dict[str, list[dict[str, Any]]] = {}
    for s in strokes:
        groups.setdefault(f"{s['device']} {s['speed']}", []).append(s)
    groups["all"] = strokes
    for name, group in groups.items():
        out[name] = {
            "strokes": len(group),
            "points": statistics.mean(s["points"] for s in group),
            "element_bytes": statistics.mean(s["element_bytes"] for s in group),
            "live_bytes": statistics.mean(s["live_bytes"] for s in group),
            "messages": statistics.mean(s["messages"] for s in group),
            "max_deviation_px": max(s["deviation"] for s in group),
            "max_curve_deviation_px": max(s["curve_deviation"] for s in group),
        }
    return out


def save(strokes: list[dict[str, Any]], path: Path, label: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    keep = [{k: s[k] for k in ("device", "shape", "speed", "repeat", "input", "sent",
                               "element", "points", "element_bytes", "live_bytes")}
            for s in strokes]
    doc = {"about": f"pen strokes drawn with the board page's pen tool in Chromium ({label}); "
                    "input: the pointer's samples in world units (zoom 1); sent: the exact "
                    "draw and append frames the page sent; element: as the board stores it",
           "strokes": keep}
    path.write_text(json.dumps(doc, separators=(",", ":")) + "\n")


def run(src: Path, label: str, repeat: int, browser: Any,
        tiny: bool = False) -> list[dict[str, Any]]:
    data = tempfile.mkdtemp(prefix="lb-pen-")
    proc, base = start_server(src, data)
    try:
        return record(browser, base, label, repeat, tiny)
    finally:
        stop(proc)
        shutil.rmtree(data, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ref-src", type=Path, default=None, help="today's checkout, to compare")
    p.add_argument("--save", type=Path, default=None, help="folder for the recorded strokes")
    p.add_argument("--repeat", type=int, default=1, help="times each gesture is drawn")
    p.add_argument("--tiny", action="store_true", help="one fast mouse circle (smoke test)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    from playwright.sync_api import sync_playwright

    results: dict[str, Any] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            runs = [("now", ROOT)] + ([("ref", args.ref_src.resolve())] if args.ref_src else [])
            for label, src in runs:
                strokes = run(src, label, args.repeat, browser, args.tiny)
                results[label] = summary(strokes)
                if args.save:
                    name = "today.json" if label == "ref" else "now.json"
                    save(strokes, args.save / name, label)
        finally:
            browser.close()
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for label, groups in results.items():
        print(f"{label}:")
        for name, g in groups.items():
            print(f"  {name:12} {g['strokes']:3.0f} strokes  {g['points']:6.1f} points  "
                  f"{g['element_bytes']:7.0f} B stored  {g['live_bytes']:7.0f} B live in "
                  f"{g['messages']:4.1f} msgs  max deviation {g['max_deviation_px']:.2f} px from "
                  f"the samples, {g['max_curve_deviation_px']:.2f} px from their curve")
    if "ref" in results:
        a, b = results["now"]["all"], results["ref"]["all"]
        print(f"now/ref: points {a['points'] / b['points']:.2f}, stored bytes "
              f"{a['element_bytes'] / b['element_bytes']:.2f}, live bytes "
              f"{a['live_bytes'] / b['live_bytes']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
