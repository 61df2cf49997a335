"""Browser rendering speed in headless Chromium, on boards of 20,000 elements.

Measures, for each layout:
- sync -> first complete frame: from the moment the page receives the `sync` frame (before
  parsing it) to the animation frame after the board has been painted. Target <= 500 ms.
- frame time while panning: the page's own work per animation frame while the view moves
  by a few pixels every frame (mean, p95 and max). Target <= 16 ms.
- the full repaint once panning rests (the static layer is redrawn exactly).

Layouts: "spread" (20,000 strokes and shapes over an area 5x the viewport each way, the usual
case: most of the board is off screen) and "dense" (all 20,000 in view: the worst case).
The boards are loaded through the server's import API, so the sync is a real one.

Run: python -m benchmarks.frontend_render [--elements N] [--json]
Needs Debian's chromium at /usr/bin/chromium and the playwright Python package.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks import serve

ROOT = Path(__file__).resolve().parents[1]

CHROMIUM = os.environ.get("LANBOARD_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 800}
TARGET_SYNC_MS = 500.0
TARGET_FRAME_MS = 16.0
COLORS = ["#1e1e1e", "#e03131", "#2f9e44", "#1971c2", "#f08c00", "#9c36b5"]

#: Pans the view a few pixels per animation frame and records the page's work per frame.
PAN_JS = """async (frames) => {
  const lb = window.__lanboard;
  const times = [];
  const intervals = [];
  let last = null;
  await new Promise((resolve) => {
    let n = 0;
    const off = lb.renderer.onFrame((stats) => {
      times.push(stats.lastFrameMs);
      const now = performance.now();
      if (last !== null) intervals.push(now - last);
      last = now;
      n += 1;
      if (n >= frames) { off(); resolve(); return; }
      lb.view.panBy(-6, -3);
      lb.renderer.request();
    });
    lb.view.panBy(-6, -3);
    lb.renderer.request();
  });
  // Let the view rest: the exact repaint follows.
  const restStart = lb.renderer.stats.fullRepaints;
  await new Promise((r) => setTimeout(r, 400));
  return {times, intervals, restRepaints: lb.renderer.stats.fullRepaints - restStart,
          restRepaintMs: lb.renderer.stats.lastRepaintMs};
}"""


def make_board(n: int, width: float, height: float, seed: int = 7) -> list[dict[str, Any]]:
    """n elements: 70% freehand strokes of 8-40 points, the rest shapes, lines and text."""
    rnd = random.Random(seed)
    out: list[dict[str, Any]] = []
    for i in range(n):
        x = rnd.uniform(0, width)
        y = rnd.uniform(0, height)
        base = {"id": f"bench_{i}", "strokeColor": rnd.choice(COLORS),
                "strokeWidth": rnd.choice([2, 2, 5, 10])}
        kind = rnd.random()
        if kind < 0.7:
            pts = []
            px, py = x, y
            for _ in range(rnd.randint(8, 40)):
                px += rnd.uniform(-6, 10)
                py += rnd.uniform(-6, 6)
                pts.append([round(px, 1), round(py, 1)])
            out.append({**base, "elementType": "path", "points": pts})
        elif kind < 0.8:
            out.append({**base, "elementType": "rect", "x": x, "y": y,
                        "width": rnd.uniform(10, 120), "height": rnd.uniform(10, 90)})
        elif kind < 0.88:
            out.append({**base, "elementType": "ellipse", "x": x, "y": y,
                        "width": rnd.uniform(10, 120), "height": rnd.uniform(10, 90)})
        elif kind < 0.95:
            out.append({**base, "elementType": rnd.choice(["line", "arrow"]), "x1": x, "y1": y,
                        "x2": x + rnd.uniform(-80, 80), "y2": y + rnd.uniform(-80, 80)})
        else:
            out.append({**base, "elementType": "text", "x": x, "y": y, "fontSize": 18,
                        "text": f"note {i}"})
    return out


def start_server(data_dir: str) -> tuple[subprocess.Popen[str], str]:
    """This checkout's server (benchmarks/serve.py), and its base URL."""
    proc, port = serve.start(ROOT, data_dir)
    return proc, f"http://127.0.0.1:{port}"


def import_board(base: str, room: str, elements: list[dict[str, Any]]) -> None:
    body = json.dumps({"elements": elements}).encode()
    req = urllib.request.Request(f"{base}/api/rooms/{room}/import", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as res:
        answer = json.load(res)
    assert answer["elements"] == len(elements), answer


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(browser: Any, base: str, room: str, runs: int, frames: int) -> dict[str, Any]:
    syncs = []
    parts: list[dict[str, Any]] = []
    pan: dict[str, Any] = {}
    for run in range(runs):
        ctx = browser.new_context(viewport=VIEWPORT)
        page = ctx.new_page()
        page.goto(f"{base}/room/{room}?name=bench{run}")
        page.wait_for_function(
            "() => window.__lanboard && window.__lanboard.stats.syncToFrameMs > 0", timeout=60000)
        st = page.evaluate("() => window.__lanboard.stats")
        syncs.append(st["syncToFrameMs"])
        parts.append(st)
        drawn = page.evaluate("() => window.__lanboard.renderer.stats.drawnElements")
        if run == runs - 1:
            pan = page.evaluate(PAN_JS, frames)
            pan["drawn"] = drawn
        ctx.close()
    times = pan["times"][2:]  # the first frames include the bitmap copy set-up
    return {
        "sync_to_frame_ms": {"median": statistics.median(syncs), "max": max(syncs),
                             "runs": [round(s, 1) for s in syncs]},
        # Where the time goes (medians): JSON parse, building the scene, the JS of the first
        # repaint, and the rest until the next animation frame (the browser rasterizing).
        "sync_parts_ms": {k: statistics.median(p[k] for p in parts) for k in
                          ("syncParseMs", "syncApplyMs", "syncRepaintMs", "syncPaintedMs")},
        "pan_frame_ms": {"mean": statistics.fmean(times), "p95": percentile(times, 0.95),
                         "max": max(times), "frames": len(times)},
        "pan_interval_ms_median": statistics.median(pan["intervals"]),
        "rest_repaint_ms": pan["restRepaintMs"],
        "elements_in_view": pan["drawn"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--elements", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3, help="page loads per layout")
    parser.add_argument("--frames", type=int, default=120, help="panned frames per layout")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    layouts = {
        "spread": make_board(args.elements, VIEWPORT["width"] * 5, VIEWPORT["height"] * 5),
        "dense": make_board(args.elements, VIEWPORT["width"] - 100, VIEWPORT["height"] - 100),
    }
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as data_dir:
        proc, base = start_server(data_dir)
        try:
            for name, board in layouts.items():
                import_board(base, f"bench-{name}", board)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                try:
                    for name in layouts:
                        results[name] = measure(browser, base, f"bench-{name}", args.runs,
                                                args.frames)
                finally:
                    browser.close()
        finally:
            serve.stop(proc)

    print(f"LANBoard frontend rendering, {args.elements:,} elements, headless Chromium "
          f"{VIEWPORT['width']}x{VIEWPORT['height']}")
    for name, r in results.items():
        s = r["sync_to_frame_ms"]
        p = r["pan_frame_ms"]
        ok_sync = "ok" if s["median"] <= TARGET_SYNC_MS else "OVER"
        ok_pan = "ok" if p["p95"] <= TARGET_FRAME_MS else "OVER"
        print(f"  {name:6} ({r['elements_in_view']:,} in view)")
        print(f"    sync -> first frame  median {s['median']:7.1f} ms  max {s['max']:7.1f} ms"
              f"   target <= {TARGET_SYNC_MS:.0f} ms  {ok_sync}")
        parts = r["sync_parts_ms"]
        print(f"      parse {parts['syncParseMs']:.0f} ms, scene {parts['syncApplyMs']:.0f} ms, "
              f"repaint JS {parts['syncRepaintMs']:.0f} ms, painted at "
              f"{parts['syncPaintedMs']:.0f} ms, then the browser's raster and commit")
        print(f"    pan frame work       mean {p['mean']:7.2f} ms  p95 {p['p95']:6.2f} ms  "
              f"max {p['max']:6.2f} ms   target <= {TARGET_FRAME_MS:.0f} ms  {ok_pan}")
        print(f"    rAF interval while panning (median) {r['pan_interval_ms_median']:.1f} ms; "
              f"exact repaint after the pan rests {r['rest_repaint_ms']:.1f} ms")
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
