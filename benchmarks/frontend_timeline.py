"""Lesson timeline scrubbing in headless Chromium, on a lesson of 10,000 strokes.

The lesson is a recorded change log as the server stores it (each stroke a `draw` then
`append`s, as a pen sends them, from 30 people; some erases, moves and orders among them),
about 50,000 changes, all in view (the worst case: a classroom board fitted to the screen).
It is built in the page and handed to the page's own timeline modules (timeline.js replays,
pastlayer.js paints), so what is timed is the page's work and the browser's raster per
frame, not the network.

Scrubbing: one slider position per animation frame, as a pointer dragging the slider moves
it: a sweep forward over the whole lesson, one backward, and jumps to random positions.
Frames per second = frames / wall time between the first and the last animation frame, so
the browser's raster and compositing are included. Target >= 30.

Baseline, same page and positions: each position replayed from the start of the log into a
fresh Scene and the whole board painted (what a timeline without checkpoints or bitmaps
does); and, to separate the two, checkpoints without bitmaps (a restore plus at most 256
changes, then the whole board painted).

Run: python -m benchmarks.frontend_timeline [--strokes N] [--frames N] [--json]
Needs Debian's chromium at /usr/bin/chromium and the playwright Python package.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from typing import Any

from benchmarks import serve
from benchmarks.frontend_render import ARGS, CHROMIUM, VIEWPORT, start_server

TARGET_FPS = 30.0

#: Builds the lesson, the timeline and the painter in the page; returns what it built.
SETUP_JS = """async ([strokes, people]) => {
  const { Timeline } = await import('/static/app/timeline.js');
  const { PastLayer } = await import('/static/app/pastlayer.js');
  const { Scene } = await import('/static/app/scene.js');
  const { drawElement } = await import('/static/app/elements/index.js');
  let seed = 7;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const colors = ['#1e1e1e', '#e03131', '#2f9e44', '#1971c2', '#f08c00', '#9c36b5'];
  const log = [];
  let seq = 0;
  const push = (type, userId, data) => log.push({ type, userId, data, seq: ++seq });
  const ids = [];
  for (let i = 0; i < strokes; i += 1) {
    const who = `student${i % people}`;
    const id = `s${i}`;
    let x = 40 + rnd() * 1160;
    let y = 40 + rnd() * 600;
    const pts = () => {
      const out = [];
      for (let k = 0; k < 4; k += 1) {
        x += rnd() * 14 - 5; y += rnd() * 10 - 5;
        out.push([Math.round(x * 10) / 10, Math.round(y * 10) / 10]);
      }
      return out;
    };
    push('draw', who, { id, elementType: 'path', points: pts(), strokeColor: colors[i % 6],
      strokeWidth: [2, 2, 5][i % 3], userId: who });
    for (let a = 0; a < 4; a += 1) push('append', who, { id, points: pts() });
    ids.push(id);
    const r = rnd();
    if (ids.length <= 10) continue;
    if (r < 0.02) push('erase', who, { ids: [ids[Math.floor(rnd() * ids.length)]] });
    else if (r < 0.03) push('update', who, { ids: [ids[ids.length - 2]], move: [rnd() * 20, 5] });
    else if (r < 0.035) push('order', who, { ids: [ids[ids.length - 3]], to: 'back' });
  }
  const t0 = performance.now();
  const tl = new Timeline({ oldest: 0, base: [], changes: log });
  const loadMs = performance.now() - t0;
  const canvas = document.createElement('canvas');
  canvas.style.position = 'fixed';
  canvas.style.inset = '0';
  canvas.style.zIndex = '100';
  canvas.style.background = '#ffffff';
  document.body.append(canvas);
  const layer = new PastLayer(canvas, tl);
  layer.resize(innerWidth, innerHeight, devicePixelRatio || 1);
  layer.configure({ scale: 1, ox: 0, oy: 0 }, null);
  const p0 = performance.now();
  layer.prepare();
  const prepareMs = performance.now() - p0;
  const ctx = canvas.getContext('2d');
  // The baselines paint the whole board the way the painter's full paint does.
  const paintAll = (elements) => {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const d = devicePixelRatio || 1;
    ctx.setTransform(d, 0, 0, d, 0, 0);
    for (const el of elements) drawElement(ctx, el);
  };
  window.__bench = {
    tl, layer, paintAll,
    fromStart: (i) => {
      const s = new Scene();
      s.applySync({ elements: [], seq: 0 });
      for (let k = 0; k < i; k += 1) s.applyChange(tl.changes[k]);
      paintAll(s.confirmed.values());
    },
    checkpointsOnly: (i) => paintAll(tl.sceneAt(i).confirmed.values()),
    painter: (i) => layer.show(i),
  };
  return { changes: tl.length, strokes, loadMs, prepareMs, bitmaps: layer.bitmaps.length,
    breaks: tl.changes.filter((m) => m.type !== "draw" && m.type !== "append").length };
}"""

#: Shows each position in one animation frame; returns wall time and per-frame script time.
SCRUB_JS = """async ([how, positions]) => {
  const b = window.__bench;
  const work = [];
  let first = 0;
  let last = 0;
  let n = 0;
  await new Promise((resolve) => {
    const frame = (now) => {
      if (n === 0) first = now;
      last = now;
      if (n >= positions.length) { resolve(); return; }
      const t0 = performance.now();
      b[how](positions[n]);
      work.push(performance.now() - t0);
      n += 1;
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  return { frames: positions.length, wallMs: last - first, work };
}"""


def scrub_positions(length: int, frames: int, seed: int = 11) -> list[int]:
    """A forward sweep, a backward sweep, then random jumps: `frames` positions in all."""
    third = max(1, frames // 3)
    forward = [round(length * k / (third - 1)) if third > 1 else length for k in range(third)]
    backward = list(reversed(forward))
    x = seed
    jumps = []
    for _ in range(frames - 2 * third):
        x = (x * 1103515245 + 12345) % 2147483648
        jumps.append(x % (length + 1))
    return forward + backward + jumps


def summary(run: dict[str, Any]) -> dict[str, float]:
    work = run["work"]
    ordered = sorted(work)
    return {
        "fps": 1000.0 * (run["frames"] - 1) / run["wallMs"] if run["wallMs"] else 0.0,
        "work_mean_ms": statistics.fmean(work),
        "work_p95_ms": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
        "work_max_ms": ordered[-1],
        "frames": run["frames"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--strokes", type=int, default=10_000)
    parser.add_argument("--people", type=int, default=30)
    parser.add_argument("--frames", type=int, default=180, help="scrub positions (painter)")
    parser.add_argument("--baseline-frames", type=int, default=30,
                        help="scrub positions for each baseline (they are slow)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as data_dir:
        proc, base = start_server(data_dir)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                try:
                    page = browser.new_context(viewport=VIEWPORT).new_page()
                    page.goto(f"{base}/room/bench-timeline?name=bench")
                    page.wait_for_function("() => window.__lanboard && window.__lanboard.ready")
                    setup = page.evaluate(SETUP_JS, [args.strokes, args.people])
                    results["setup"] = setup
                    length = setup["changes"]
                    for how, frames in (("painter", args.frames),
                                        ("checkpointsOnly", args.baseline_frames),
                                        ("fromStart", args.baseline_frames)):
                        run = page.evaluate(SCRUB_JS, [how, scrub_positions(length, frames)])
                        results[how] = summary(run)
                finally:
                    browser.close()
        finally:
            serve.stop(proc)

    s = results["setup"]
    print(f"LANBoard timeline scrubbing: {s['strokes']:,} strokes, {s['changes']:,} changes "
          f"({s['breaks']:,} erase/move/order), headless Chromium "
          f"{VIEWPORT['width']}x{VIEWPORT['height']}")
    print(f"  timeline load (replay + checkpoints) {s['loadMs']:.0f} ms; painter's bitmaps "
          f"{s['bitmaps']} built in {s['prepareMs']:.0f} ms")
    names = {"painter": "checkpoints + bitmaps (the page)",
             "checkpointsOnly": "baseline: checkpoints, whole board painted",
             "fromStart": "baseline: replay from the start, whole board painted"}
    for how, label in names.items():
        r = results[how]
        ok = "" if how != "painter" else (
            f"   target >= {TARGET_FPS:.0f}  {'ok' if r['fps'] >= TARGET_FPS else 'UNDER'}")
        print(f"  {label:54} {r['fps']:6.1f} fps  work mean {r['work_mean_ms']:6.1f} ms  "
              f"p95 {r['work_p95_ms']:6.1f}  max {r['work_max_ms']:6.1f} ms "
              f"({r['frames']} frames){ok}")
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
