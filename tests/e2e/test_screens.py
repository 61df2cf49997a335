"""The board on every screen (issue 20): at six phone, tablet and laptop viewports (and a
second phone landscape) every visible control and every menu item lies inside the viewport
and is not covered by anything else; the phone color pop-up closes after a pick and when
drawing starts; dark mode draws black ink light while the PNG and SVG exports keep it black;
a phone's sideways-scrolling tool row shades the end with more tools past it.
Screenshots go to test-artifacts/screens/."""

from __future__ import annotations

import io
import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from board_page import color_at, drag, open_board, settled, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(90)]

VIEWPORTS = [
    (320, 568),    # iPhone SE, upright
    (390, 844),    # iPhone 13, upright
    (844, 390),    # iPhone 13, landscape
    (750, 342),    # a small phone, landscape
    (768, 1024),   # iPad, upright
    (1024, 768),   # iPad, landscape
    (1366, 768),   # the teacher's laptop
]

#: Every control the page shows, each checked in place: inside the viewport, and what
#: `elementFromPoint` finds at its center is the control or a child of it. A control in a row
#: or list that scrolls (the phone's tool row, a long menu) is scrolled into view first.
CHECK_JS = """(scope) => {
  const root = scope ? document.querySelector(scope) : document;
  const sel = 'button, a[href], input:not([type=hidden]), select, textarea, [role^=menuitem],' +
    ' [role=radio], [role=menuitemradio], [tabindex]:not([tabindex="-1"])';
  const W = window.innerWidth, H = window.innerHeight;
  const bad = [];
  let n = 0;
  const name = (el) => el.id || el.dataset.tool || el.dataset.action || el.dataset.color ||
    el.getAttribute('aria-label') || el.textContent.trim().slice(0, 30) || el.tagName;
  for (const el of root.querySelectorAll(sel)) {
    if (!el.getClientRects().length) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden' || el.closest('dialog:not([open])')) continue;
    for (let p = el.parentElement; p; p = p.parentElement) {
      const ps = getComputedStyle(p);
      if (/(auto|scroll)/.test(ps.overflowX + ps.overflowY) &&
          (p.scrollWidth > p.clientWidth || p.scrollHeight > p.clientHeight)) {
        el.scrollIntoView({ block: 'nearest', inline: 'nearest' });
        break;
      }
    }
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) continue;
    n += 1;
    if (r.left < -0.5 || r.top < -0.5 || r.right > W + 0.5 || r.bottom > H + 0.5) {
      bad.push(`${name(el)} outside: ${[r.left, r.top, r.right, r.bottom].map(Math.round)}`);
      continue;
    }
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    if (!hit || !(hit === el || el.contains(hit))) {
      const what = hit ? (hit.id || hit.className || hit.tagName) : 'nothing';
      bad.push(`${name(el)} covered by ${what}`);
    }
  }
  return { n, bad };
}"""


def check(page: Any, scope: str | None = None) -> int:
    result = page.evaluate(CHECK_JS, scope)
    assert not result["bad"], "\n".join(result["bad"])
    return int(result["n"])


def open_as_teacher(context: Any, base: str, room: str, name: str) -> Any:
    """The board through its teacher link (asked from loopback, as the host may), so the
    teacher's controls show too: Laser, Teacher, the page bar, the Lock button."""
    with urllib.request.urlopen(f"{base}/api/rooms/{room}/links", timeout=5) as res:
        url = json.load(res)["teacher"]
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{url}{'&' if '?' in url else '?'}name={name}")
    wait_ready(page)
    page.wait_for_function("() => window.__lanboard.session.role === 'teacher'")
    return page


def page_errors(page: Any) -> list[str]:
    """Script errors and CSP refusals (a fetch that 404s is not this test's business)."""
    return [e for e in page.errors if not e.startswith("Failed to load resource")]


def shot(page: Any, artifacts: Path, name: str) -> None:
    folder = artifacts / "screens"
    folder.mkdir(exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"))


@pytest.mark.parametrize(("width", "height"), VIEWPORTS, ids=[f"{w}x{h}" for w, h in VIEWPORTS])
def test_every_control_is_on_screen_and_uncovered(
        new_context: Any, board_server: Any, artifacts: Path, width: int, height: int) -> None:
    touch = width < 900 or height < 500
    ctx = new_context(viewport={"width": width, "height": height}, has_touch=touch)
    page = open_as_teacher(ctx, board_server.url, f"screens-{width}x{height}", "Ana")
    page.wait_for_selector("#page-bar:not([hidden])")
    label = f"{width}x{height}"
    # Something selected, so the selection's bar shows too.
    drag(page, [(width * 0.4, height * 0.45), (width * 0.5, height * 0.5),
                (width * 0.6, height * 0.47)])
    settled(page)
    page.evaluate("() => window.__lanboard.select([...window.__lanboard.scene.elements()]"
                  ".map(e => e.id))")
    page.wait_for_selector("#selection-bar:not([hidden])")
    shot(page, artifacts, label)
    assert check(page) >= 12

    # Every menu item, the menu open (a long menu scrolls inside the screen).
    page.click("#menu-btn")
    page.wait_for_selector("#menu:not([hidden])")
    assert check(page, "#menu") >= 12
    shot(page, artifacts, f"{label}-menu")
    page.keyboard.press("Escape")
    assert page.is_hidden("#menu")

    # The people list opens above everything else on the page (the zoom control too).
    page.click("#presence-btn")
    page.wait_for_selector("#presence-list:not([hidden])")
    covered = page.evaluate("""() => {
      const r = document.querySelector('#presence-list .user').getBoundingClientRect();
      const hits = [[r.left + 2, r.top + 2], [r.left + r.width / 2, r.top + r.height / 2],
        [r.right - 2, r.bottom - 2]].map(([x, y]) => document.elementFromPoint(x, y));
      const list = document.getElementById('presence-list');
      return hits.filter((h) => !list.contains(h)).map((h) => h ? h.id || h.className : 'off');
    }""")
    assert covered == []
    page.click("#presence-btn")

    # The phone's color pop-up: every swatch reachable, and it closes after a pick.
    if page.is_visible("#style-btn"):
        page.click("#style-btn")
        page.wait_for_selector("#style-group.open")
        check(page, "#style-group")
        shot(page, artifacts, f"{label}-colors")
        page.click("#colors [data-color='#e03131']")
        assert not page.evaluate("() => document.getElementById('style-group')"
                                 ".classList.contains('open')")
        # Opened again, it closes when drawing starts on the board.
        page.click("#style-btn")
        page.wait_for_selector("#style-group.open")
        drag(page, [(width * 0.3, height * 0.6), (width * 0.35, height * 0.62)])
        assert not page.evaluate("() => document.getElementById('style-group')"
                                 ".classList.contains('open')")
    assert page_errors(page) == []


#: The PNG download's picture (export.js, as the menu makes it): the color of the first
#: opaque pixel that is not the white paper.
PNG_INK_JS = """async () => {
  const { pngBlob } = await import('/static/app/export.js');
  const bmp = await createImageBitmap(await pngBlob(window.__lanboard.scene.elements()));
  const c = new OffscreenCanvas(bmp.width, bmp.height);
  const ctx = c.getContext('2d');
  ctx.drawImage(bmp, 0, 0);
  const px = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
  for (let i = 0; i < px.length; i += 4) {
    const [r, g, b, alpha] = px.slice(i, i + 4);
    if (alpha > 250 && r + g + b < 200) return [r, g, b];
  }
  return null;
}"""


def test_dark_mode_draws_black_ink_light_and_exports_keep_it_black(
        new_context: Any, board_server: Any, artifacts: Path) -> None:
    ctx = new_context(color_scheme="dark")
    page = open_board(ctx, board_server.url, "screens-dark", "Ana")
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(255, 255, 255)"
    page.evaluate("() => window.__lanboard.setStyle({ color: '#1e1e1e', widthIndex: 2 })")
    drag(page, [(300 + i * 12, 300) for i in range(20)])
    settled(page)
    rgb = color_at(page, 420, 300, r=2)
    assert rgb is not None and min(rgb) > 150, rgb        # black ink shows light
    page.evaluate("() => window.__lanboard.setStyle({ color: '#e03131' })")
    drag(page, [(300 + i * 12, 400) for i in range(20)])
    settled(page)
    red = color_at(page, 420, 400, r=2)
    assert red is not None and red[0] > red[1] + 60 and red[0] > red[2] + 60, red  # hue kept
    shot(page, artifacts, "dark-1280x800")
    page.set_viewport_size({"width": 390, "height": 844})
    page.evaluate("() => window.__lanboard.fit()")
    shot(page, artifacts, "dark-390x844")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.evaluate("() => window.__lanboard.view.reset()")
    page.evaluate("() => window.__lanboard.renderer.resize()")

    # The exports keep the true colors: black in the PNG and in the server's SVG.
    png = page.evaluate(PNG_INK_JS)
    assert png is not None and max(png) < 60, png
    with urllib.request.urlopen(f"{board_server.url}/api/rooms/screens-dark/export?format=svg",
                                timeout=5) as res:
        svg = res.read().decode()
    assert "#1e1e1e" in svg.lower()

    # The toggle (menu): light, kept in this browser; the ink is drawn black again.
    page.click("#menu-btn")
    page.click("[data-action='theme']")
    assert page.evaluate("() => document.documentElement.dataset.theme") == "light"
    assert page.evaluate("() => localStorage.getItem('lanboard.theme')") == "light"
    page.wait_for_function("""() => {
      const c = document.getElementById('board-canvas');
      const d = window.devicePixelRatio || 1;
      const px = c.getContext('2d').getImageData(420 * d, 300 * d, 1, 1).data;
      return px[3] > 250 && px[0] < 60;
    }""")
    assert page_errors(page) == []


#: The tool row's ends in a screenshot: the mean brightness of a 4 px strip just inside each
#: end, and whether the row scrolls at all (its tools wider than it).
EDGES_JS = """() => {
  const row = document.querySelector('.group.tools');
  const r = row.getBoundingClientRect();
  return {scrolls: row.scrollWidth > row.clientWidth + 1, left: r.left, right: r.right,
          top: r.top, height: r.height, scroll: row.scrollLeft,
          max: row.scrollWidth - row.clientWidth};
}"""


def test_a_phones_tool_row_shades_the_end_with_more_tools_past_it(
        new_context: Any, board_server: Any) -> None:
    from PIL import Image, ImageStat

    page = open_as_teacher(new_context(viewport={"width": 320, "height": 568},
                                       device_scale_factor=1, has_touch=True),
                           board_server.url, "scroll-hint", "Sam")
    box = page.evaluate(EDGES_JS)
    assert box["scrolls"], box  # at 320 px the teacher's tools do not all fit

    def edge(side: str) -> float:
        x = box["left"] + 1 if side == "left" else box["right"] - 5
        clip = {"x": x, "y": box["top"] + 2, "width": 4, "height": box["height"] - 4}
        img = Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("L")
        return float(ImageStat.Stat(img).mean[0])

    page.evaluate("() => { document.querySelector('.group.tools').scrollLeft = 0; }")
    page.wait_for_timeout(50)
    at_start = {"left": edge("left"), "right": edge("right")}
    page.evaluate("() => { const r = document.querySelector('.group.tools');"
                  " r.scrollLeft = r.scrollWidth; }")
    page.wait_for_timeout(50)
    at_end = {"left": edge("left"), "right": edge("right")}
    # The shaded end is darker than the same end once nothing is past it.
    assert at_start["right"] < at_end["right"] - 8, (at_start, at_end)
    assert at_end["left"] < at_start["left"] - 8, (at_start, at_end)
