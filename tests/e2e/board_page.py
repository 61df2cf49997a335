"""Helpers that drive and read the board page: open it, draw with the mouse, read pixels."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

#: The start of a pixel read: when the renderer has a frame coming, it lets that frame paint
#: first (one frame only: a laser keeps asking for frames while it fades, and waiting for
#: the renderer to be idle would wait its trail away), so a read never races that frame.
PAINTED = """
  const renderer = window.__lanboard && window.__lanboard.renderer;
  if (renderer && renderer.frameRequested) {
    await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
  }
"""

#: Counts inked pixels (alpha > 0) in a square around a CSS-pixel point, per canvas layer.
INK_JS = """async ([x, y, r]) => {
""" + PAINTED + """  const out = {};
  for (const id of ['board-canvas', 'overlay-canvas']) {
    const c = document.getElementById(id);
    const d = window.devicePixelRatio || 1;
    const s = Math.max(1, Math.round(2 * r * d));
    const px = c.getContext('2d').getImageData(Math.round((x - r) * d), Math.round((y - r) * d),
      s, s).data;
    let n = 0;
    for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n += 1;
    out[id] = n;
  }
  return out;
}"""

#: The dominant opaque color [r, g, b] in a square on the static layer, or null.
COLOR_JS = """async ([x, y, r]) => {
""" + PAINTED + """  const c = document.getElementById('board-canvas');
  const d = window.devicePixelRatio || 1;
  const s = Math.max(1, Math.round(2 * r * d));
  const px = c.getContext('2d').getImageData(Math.round((x - r) * d), Math.round((y - r) * d),
    s, s).data;
  for (let i = 0; i < px.length; i += 4) if (px[i + 3] > 250) return [px[i], px[i + 1], px[i + 2]];
  return null;
}"""


#: The viewport of a laptop at a projector; tests pass their own for phones and tablets.
DESKTOP = {"width": 1280, "height": 800}


def open_board(context: Any, base: str, room: str, name: str) -> Any:
    """A page on /room/ROOM?name=NAME, once its first sync has arrived."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # Console errors include the browser's Content-Security-Policy refusals.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.errors = errors
    page.goto(f"{base}/room/{room}?name={name}")
    wait_ready(page)
    return page


def wait_ready(page: Any) -> None:
    page.wait_for_function("() => window.__lanboard && window.__lanboard.ready", timeout=10000)


def ink(page: Any, x: float, y: float, r: float = 4) -> int:
    """Inked pixels near (x, y) on both layers together."""
    counts = page.evaluate(INK_JS, [x, y, r])
    return int(counts["board-canvas"] + counts["overlay-canvas"])


def layer_ink(page: Any, x: float, y: float, r: float = 4) -> dict[str, int]:
    return dict(page.evaluate(INK_JS, [x, y, r]))


def color_at(page: Any, x: float, y: float, r: float = 3) -> list[int] | None:
    result = page.evaluate(COLOR_JS, [x, y, r])
    return list(result) if result is not None else None


def drag(page: Any, points: list[tuple[float, float]], release: bool = True) -> None:
    page.mouse.move(*points[0])
    page.mouse.down()
    for p in points[1:]:
        page.mouse.move(*p)
    if release:
        page.mouse.up()


def wave(x0: float, y0: float, n: int = 20, step: float = 10) -> list[tuple[float, float]]:
    """A zigzag stroke of n points starting at (x0, y0)."""
    return [(x0 + i * step, y0 + (12 if i % 2 else 0)) for i in range(n)]


def ids(page: Any) -> list[str]:
    return list(page.evaluate("() => [...window.__lanboard.scene.elements()].map(e => e.id)"))


def settled(page: Any) -> None:
    """Waits until every local change of this page is confirmed by the server."""
    page.wait_for_function("() => window.__lanboard.ready && window.__lanboard.scene.settled",
                           timeout=10000)


def links(base: str, room: str) -> dict[str, str]:
    """The board's three links, as the host machine (this loopback test) may ask for them."""
    try:
        with urllib.request.urlopen(f"{base}/api/rooms/{room}/links", timeout=5) as res:
            return dict(json.load(res))
    except urllib.error.HTTPError as err:
        if err.code == 404:
            pytest.skip("this server has no roles yet (GET /api/rooms/{id}/links is 404)")
        raise


def open_url(context: Any, url: str, name: str) -> Any:
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    sep = "&" if "?" in url else "?"
    page.goto(f"{url}{sep}name={name}")
    wait_ready(page)
    return page
