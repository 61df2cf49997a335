"""A board page reloaded in Chromium: what it downloads on the socket, first load and reload.

A board of N pen strokes (default 10,000; the recorded strokes of benchmarks/strokes/now.json,
spread over the board) is imported; a page opens it (a full `sync`) and keeps it
(static/app/boardcache.js); a second page draws a few strokes; the first page reloads. The
figures: the message bytes the page received on its socket each time (after inflating: the
page's view, so permessage-deflate does not hide the difference), the share of the first
load, whether it resumed, and how long until the board was on screen and until it was live.
With --ref-src the same is run on another checkout (today's page downloads the whole board
again on every reload).

Run: python -m benchmarks.page_rejoin [--strokes N] [--ref-src /tmp/ref-41f1ff6] [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
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


def measure(browser: Any, base: str, n: int) -> dict[str, Any]:
    room = "rejoin-bench"
    import_board(base, room, board(n))
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    wire = Wire(page)
    url = f"{base}/room/{room}?name=ana"
    first_shown, first_live = open_and_time(page, url)
    first_bytes, first_kind = wire.take()
    # The copy is written as the page does it: the time is the main thread's and the disk's.
    kept, save_ms = page.evaluate("""async () => {
      const s = window.__lanboard.boardCache ? await window.__lanboard.boardCache : null;
      const t0 = performance.now();
      if (s && s.save) await s.save(true);
      return [s ? s.saves : 0, performance.now() - t0];
    }""")
    other = browser.new_context(viewport=VIEWPORT).new_page()
    other.goto(f"{base}/room/{room}?name=ben")
    other.wait_for_function("() => window.__lanboard && window.__lanboard.ready",
                            timeout=120000)
    page.goto("about:blank")
    for k in range(5):  # ben draws while ana is away
        other.mouse.move(100, 100 + k * 20)
        other.mouse.down()
        for i in range(1, 20):
            other.mouse.move(100 + i * 8, 100 + k * 20 + (i % 4) * 3)
        other.mouse.up()
    other.wait_for_function("() => window.__lanboard.scene.settled", timeout=30000)
    wire.take()
    again_shown, again_live = open_and_time(page, url)
    again_bytes, again_kind = wire.take()
    since = "since=" in (wire.urls[-1] if wire.urls else "")
    context.close()
    other.context.close()
    return {"strokes": n, "first": {"bytes": first_bytes, "kind": first_kind,
                                    "shown_s": first_shown, "live_s": first_live},
            "reload": {"bytes": again_bytes, "kind": again_kind, "since": since,
                       "shown_s": again_shown, "live_s": again_live},
            "kept": bool(kept), "save_ms": save_ms,
            "share": again_bytes / first_bytes if first_bytes else 0.0}


def run(src: Path, n: int, browser: Any) -> dict[str, Any]:
    data = tempfile.mkdtemp(prefix="lb-rejoin-")
    proc, base = start_server(src, data)
    try:
        return measure(browser, base, n)
    finally:
        stop(proc)
        shutil.rmtree(data, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--strokes", type=int, default=10_000)
    p.add_argument("--ref-src", type=Path, default=None, help="today's checkout, to compare")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    from playwright.sync_api import sync_playwright

    results: dict[str, Any] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            for label, src in [("now", ROOT)] + (
                    [("ref", args.ref_src.resolve())] if args.ref_src else []):
                results[label] = run(src, args.strokes, browser)
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
              f"live {a['live_s']:.2f} s" + (f"; writing the copy took {r['save_ms']:.0f} ms"
                                             if r["kept"] else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
