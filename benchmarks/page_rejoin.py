"""A board page reloaded in Chromium: what it downloads on the socket, first load and reload,
and what keeping the board's copy in IndexedDB costs the page.

A board of N pen strokes (default 10,000; the recorded strokes of benchmarks/strokes/now.json,
spread over the board) is imported; a page opens it (a full `sync`) and keeps it
(static/app/boardcache.js); a second page draws a few strokes; the first page reloads. The
figures: the message bytes the page received on its socket each time (after inflating: the
page's view, so permessage-deflate does not hide the difference), the share of the first
load, whether it resumed, and how long until the board was on screen and until it was live.

The copy's cost, on a browser profile on disk (a persistent context, as a tablet's browser
keeps it): three times, one save right after one new stroke (`save(true)` of the page's
test hook): its main-thread part (the page's `lastSaveSyncMs`: the plan and the clones `put`
makes, inside the transaction; for a page without it, the call up to its first await, where
the whole-board write cloned the board), the whole save until the transaction completes, and
the longest the main thread was held meanwhile (a MessageChannel ping loop runs through the
save); one whole write of the board (`BoardCache.save`, what a sync costs); and after the
reload, the read of the copy (`BoardCache.load`, the median of three) with the same probe.
--rows also times reading the board back from a scratch database as one row, one row per
element and rows of 50, 100 and 250, and putting one row of each size (why the copy keeps
rows of 50: boardrows.js).
With --ref-src the same is run on another checkout: today's page (41f1ff6) downloads the
whole board again on every reload; a checkout of the whole-board write (the commit before the
copy was written by change) compares the saves.

Run: python -m benchmarks.page_rejoin [--strokes N] [--ref-src /tmp/ref-wholecopy] [--json]
     [--tiny] [--rows]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.pen_strokes import ARGS, CHROMIUM, ROOT, VIEWPORT, start_server, stop

RECORDED = ROOT / "benchmarks" / "strokes" / "now.json"


def board(n: int) -> list[dict[str, Any]]:
    strokes = [s["element"] for s in json.loads(RECORDED.read_text())["strokes"]]
    out = []
    for i in range(n):
        el = strokes[i % len(strokes)]
        dx, dy = (i % 50) * 40.0, (i // 50) * 40.0
        out.append({"id": f"r{i}", "elementType": "path", "strokeColor": el["strokeColor"],
                    "strokeWidth": el["strokeWidth"],
                    "points": [[round(p[0] + dx, 1), round(p[1] + dy, 1)] for p in el["points"]]})
    return out


def import_board(base: str, room: str, elements: list[dict[str, Any]]) -> None:
    req = urllib.request.Request(f"{base}/api/rooms/{room}/import", method="POST",
                                 data=json.dumps({"elements": elements}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as res:
        assert json.load(res)["elements"] == len(elements)


class Wire:
    def __init__(self, page: Any) -> None:
        self.urls: list[str] = []
        self.frames: list[str] = []
        page.on("websocket", self._socket)

    def _socket(self, ws: Any) -> None:
        self.urls.append(ws.url)
        ws.on("framereceived", lambda p: self.frames.append(
            p if isinstance(p, str) else p.decode()))

    def take(self) -> tuple[int, str]:
        size = sum(len(f.encode()) for f in self.frames)
        first = json.loads(self.frames[0]) if self.frames else [{}]
        kind = (first[0] if isinstance(first, list) else first).get("type", "?")
        self.frames.clear()
        return size, kind


def open_and_time(page: Any, url: str) -> tuple[float, float]:
    """Seconds until elements were on the page's board and until it was live."""
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_function("() => window.__lanboard && window.__lanboard.scene.elements()"
                           " && [...window.__lanboard.scene.elements()].length > 0",
                           timeout=120000, polling=20)
    shown = time.perf_counter() - t0
    page.wait_for_function("() => window.__lanboard.ready", timeout=120000, polling=20)
    return shown, time.perf_counter() - t0


#: The longest stretch the main thread was held while `run` went on: a MessageChannel ping
#: loop answers between tasks, so a gap between two pings is a task that ran that long.
PROBE = """
  let block = 0;
  let last = performance.now();
  let on = true;
  const ch = new MessageChannel();
  ch.port1.onmessage = () => {
    const t = performance.now();
    block = Math.max(block, t - last);
    last = t;
    if (on) ch.port2.postMessage(0);
  };
  ch.port2.postMessage(0);
  await new Promise((r) => setTimeout(r, 30));
  block = 0;
  const out = await run();
  on = false;
  ch.port1.close();
  out.block = block;
  return out;
"""

#: One save of the copy now: the call up to its first await, the whole save, the probe.
SAVE_JS = """async () => {
  const s = window.__lanboard.boardCache ? await window.__lanboard.boardCache : null;
  if (!s || !s.save) return null;
  const run = async () => {
    const saves = s.saves;
    const t0 = performance.now();
    const p = s.save(true);
    const sync = performance.now() - t0;
    await p;
    // The page's own figure where it has one (the plan and the puts' clones, which run
    // inside the transaction, after the call's first await); else the call's.
    const own = s.lastSaveSyncMs;
    return { sync: own === undefined ? sync : own, whole: performance.now() - t0,
             saves: s.saves - saves, wrote: s.lastWrite || null };
  };""" + PROBE + "}"

#: One whole write of the board as the page holds it (a sync's rewrite), with the probe.
FULL_JS = """async (room) => {
  const { openCache } = await import('/static/app/boardcache.js');
  const cache = await openCache();
  if (!cache) return null;
  const lb = window.__lanboard;
  const run = async () => {
    const t0 = performance.now();
    const p = cache.save(room, lb.scene.seq, [...lb.scene.confirmed.values()],
                         lb.session.origin);
    const sync = performance.now() - t0;
    const ok = await p;
    return { sync, whole: performance.now() - t0, ok };
  };""" + PROBE + "}"

#: Three reads of the copy, as the page's join does it, with the probe: the median read.
LOAD_JS = """async (room) => {
  const { openCache } = await import('/static/app/boardcache.js');
  const cache = await openCache();
  if (!cache) return null;
  const run = async () => {
    const took = [];
    let kept = null;
    for (let i = 0; i < 3; i += 1) {
      const t0 = performance.now();
      kept = await cache.load(room);
      took.push(performance.now() - t0);
    }
    took.sort((a, b) => a - b);
    return { whole: took[1], elements: kept ? kept.elements.length : 0 };
  };""" + PROBE + "}"


#: --rows: the page's board written to a scratch database as one row, one row per element and
#: rows of 50, 100 and 250 elements; each read back three times (the median), and the main
#: thread's time to put one row of each size (what a save after one stroke clones).
ROW_SIZES_JS = """async () => {
  const els = [...window.__lanboard.scene.confirmed.values()];
  const sizes = [1, 50, 100, 250];
  const name = 'lanboard-rows-bench';
  const ask = (q) => new Promise((ok, no) => { q.onsuccess = () => ok(q.result);
    q.onerror = () => no(q.error); });
  const done = (tx) => new Promise((ok) => { tx.oncomplete = ok; });
  const db = await new Promise((ok) => { const r = indexedDB.open(name, 1);
    r.onupgradeneeded = () => {
      for (const k of [0, ...sizes]) r.result.createObjectStore(`r${k}`);
    };
    r.onsuccess = () => ok(r.result); });
  const tx = db.transaction(db.objectStoreNames, 'readwrite');
  tx.objectStore('r0').put(els, ['b', 0]);
  for (const k of sizes) {
    for (let i = 0; i < els.length; i += k) {
      tx.objectStore(`r${k}`).put(els.slice(i, i + k), ['b', i]);
    }
  }
  await done(tx);
  const range = IDBKeyRange.bound(['b'], ['b', []]);
  const out = {};
  for (const k of [0, ...sizes]) {
    const took = [];
    for (let r = 0; r < 3; r += 1) {
      const t0 = performance.now();
      await ask(db.transaction(`r${k}`).objectStore(`r${k}`).getAll(range));
      took.push(performance.now() - t0);
    }
    took.sort((a, b) => a - b);
    out[k ? `read_rows_of_${k}_ms` : 'read_one_row_ms'] = took[1];
  }
  for (const k of sizes) {
    const took = [];
    for (let r = 0; r < 3; r += 1) {
      const t = db.transaction(`r${k}`, 'readwrite');
      const t0 = performance.now();
      t.objectStore(`r${k}`).put(els.slice(0, k), ['b', 0]);
      took.push(performance.now() - t0);
      await done(t);
    }
    took.sort((a, b) => a - b);
    out[`put_row_of_${k}_ms`] = took[1];
  }
  db.close();
  await ask(indexedDB.deleteDatabase(name));
  return out;
}"""


def draw_stroke(page: Any, k: int) -> None:
    y = 100 + (k % 20) * 20
    page.mouse.move(100, y)
    page.mouse.down()
    for i in range(1, 20):
        page.mouse.move(100 + i * 8, y + (i % 4) * 3)
    page.mouse.up()
    page.wait_for_function("() => window.__lanboard.scene.settled", timeout=30000)


def saves_after_a_stroke(page: Any, other: Any, count: int = 3) -> list[dict[str, Any]]:
    """`count` saves, each right after one new stroke of the other page has arrived."""
    out: list[dict[str, Any]] = []
    for k in range(count * 3):
        if len(out) == count:
            break
        draw_stroke(other, k)
        seq = other.evaluate("() => window.__lanboard.scene.seq")
        page.wait_for_function(f"() => window.__lanboard.scene.seq >= {seq}", timeout=30000,
                               polling=5)
        r = page.evaluate(SAVE_JS)
        wrote = r.get("wrote") if r else None
        # A paced save of the page that got there first leaves this one nothing to put.
        if r and r["saves"] == 1 and (wrote is None or (wrote["puts"] and not wrote["full"])):
            out.append(r)
    return out


def measure(pw: Any, browser: Any, base: str, n: int, samples: int = 3,
            row_sizes: bool = False) -> dict[str, Any]:
    room = "rejoin-bench"
    import_board(base, room, board(n))
    profile = tempfile.mkdtemp(prefix="lb-rejoin-profile-")
    # A browser profile on disk, so IndexedDB writes and reads go to files as on a tablet.
    context = pw.chromium.launch_persistent_context(
        profile, executable_path=CHROMIUM, headless=True, args=ARGS, viewport=VIEWPORT)
    other_context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        wire = Wire(page)
        url = f"{base}/room/{room}?name=ana"
        first_shown, first_live = open_and_time(page, url)
        first_bytes, first_kind = wire.take()
        kept = page.evaluate("async () => { const s = window.__lanboard.boardCache;"
                             " return Boolean(s && (await s).save); }")
        other = other_context.new_page()
        other.goto(f"{base}/room/{room}?name=ben")
        other.wait_for_function("() => window.__lanboard && window.__lanboard.ready",
                                timeout=120000)
        stroke_saves = saves_after_a_stroke(page, other, samples) if kept else []
        full_save = page.evaluate(FULL_JS, room) if kept else None
        rows = page.evaluate(ROW_SIZES_JS) if row_sizes else None
        page.goto("about:blank")
        for k in range(5 if samples > 1 else 1):  # ben draws while ana is away
            draw_stroke(other, k + 10)
        wire.take()
        again_shown, again_live = open_and_time(page, url)
        again_bytes, again_kind = wire.take()
        since = "since=" in (wire.urls[-1] if wire.urls else "")
        # The page's own paced save after the resume is done before the copy is read.
        page.wait_for_timeout(2500 if samples > 1 else 0)
        load = page.evaluate(LOAD_JS, room) if kept else None
    finally:
        context.close()
        other_context.close()
        shutil.rmtree(profile, ignore_errors=True)

    def median(key: str) -> float:
        return statistics.median(r[key] for r in stroke_saves) if stroke_saves else 0.0

    return {"strokes": n, "first": {"bytes": first_bytes, "kind": first_kind,
                                    "shown_s": first_shown, "live_s": first_live},
            "reload": {"bytes": again_bytes, "kind": again_kind, "since": since,
                       "shown_s": again_shown, "live_s": again_live},
            "kept": kept, "save_ms": full_save["whole"] if full_save else 0.0,
            "full_save": full_save,
            "stroke_save": {"samples": len(stroke_saves), "sync_ms": median("sync"),
                            "whole_ms": median("whole"), "block_ms": median("block"),
                            "wrote": stroke_saves[-1]["wrote"] if stroke_saves else None},
            "load": load, "row_sizes": rows,
            "share": again_bytes / first_bytes if first_bytes else 0.0}


def run(src: Path, n: int, pw: Any, browser: Any, samples: int = 3,
        row_sizes: bool = False) -> dict[str, Any]:
    data = tempfile.mkdtemp(prefix="lb-rejoin-")
    proc, base = start_server(src, data)
    try:
        return measure(pw, browser, base, n, samples, row_sizes)
    finally:
        stop(proc)
        shutil.rmtree(data, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--strokes", type=int, default=10_000)
    p.add_argument("--ref-src", type=Path, default=None, help="today's checkout, to compare")
    p.add_argument("--json", action="store_true")
    p.add_argument("--tiny", action="store_true",
                   help="a smoke run: 60 strokes, one save after a stroke, this checkout only")
    p.add_argument("--rows", action="store_true",
                   help="also time reads and puts of the board in rows of 1, 50, 100, 250")
    args = p.parse_args(argv)
    if args.tiny:
        args.strokes, args.ref_src = 60, None
    from playwright.sync_api import sync_playwright

    results: dict[str, Any] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            for label, src in [("now", ROOT)] + (
                    [("ref", args.ref_src.resolve())] if args.ref_src else []):
                results[label] = run(src, args.strokes, pw, browser, 1 if args.tiny else 3,
                                     args.rows and label == "now")
        finally:
            browser.close()
    if args.json:
        print(json.dumps(results))
        return 0
    for label, r in results.items():
        f, a = r["first"], r["reload"]
        print(f"{label}: {r['strokes']} strokes. first load {f['bytes'] / 1e6:.2f} MB "
              f"({f['kind']}), on screen {f['shown_s']:.2f} s, live {f['live_s']:.2f} s; "
              f"reload {a['bytes'] / 1e3:.1f} kB ({a['kind']}, since={a['since']}), "
              f"{100 * r['share']:.2f} % of the first, on screen {a['shown_s']:.2f} s, "
              f"live {a['live_s']:.2f} s")
        if not r["kept"]:
            continue
        fs, ss, ld = r["full_save"], r["stroke_save"], r["load"]
        print(f"  a whole write of the copy: {fs['whole']:.0f} ms until on disk, main thread "
              f"held at most {fs['block']:.0f} ms ({fs['sync']:.0f} ms up to its first await)")
        print(f"  a save after one new stroke (median of {ss['samples']}): "
              f"{ss['sync_ms']:.1f} ms of main thread (the page's own figure, else up to its "
              f"first await), {ss['whole_ms']:.1f} ms until on disk, main thread held at most "
              f"{ss['block_ms']:.1f} ms; wrote {ss['wrote']}")
        if ld:
            print(f"  reading the copy back: {ld['whole']:.0f} ms for {ld['elements']} "
                  f"elements, main thread held at most {ld['block']:.0f} ms")
        if r.get("row_sizes"):
            print("  rows: " + ", ".join(f"{k} {v:.1f}" for k, v in r["row_sizes"].items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
