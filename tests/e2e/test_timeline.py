"""The lesson timeline, the PDF handout and printing, in real headless Chromium against the
real server: the slider scrubs, Play shows the strokes in order, the person filter shows one
person, "Restore this moment" is an ordinary restore (undone from History), the live board
kept updating underneath, and Ctrl+P's print layout shows the drawing and no interface."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from board_page import drag, ids, ink, open_board, settled, wave

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(90)]

#: The pixels in a square around a CSS-pixel point of the timeline's canvas: how many are
#: inked (alpha > 0), and the mean color [r, g, b] of the solid ones (alpha > 200), or null.
PAST_PIXELS_JS = """([x, y, r]) => {
  const c = document.getElementById('timeline-canvas');
  const d = window.devicePixelRatio || 1;
  const s = Math.max(1, Math.round(2 * r * d));
  const px = c.getContext('2d').getImageData(Math.round((x - r) * d), Math.round((y - r) * d),
    s, s).data;
  const sum = [0, 0, 0];
  let ink = 0, solid = 0;
  for (let i = 0; i < px.length; i += 4) {
    if (px[i + 3] > 0) ink += 1;
    if (px[i + 3] > 200) {
      sum[0] += px[i]; sum[1] += px[i + 1]; sum[2] += px[i + 2]; solid += 1;
    }
  }
  return {ink, color: solid ? sum.map((v) => v / solid) : null};
}"""

#: Samples, on every animation frame while the timeline plays: [position, ink at each point].
PLAY_SAMPLES_JS = """async (points) => {
  const tl = window.__lanboard.timeline;
  const root = document.getElementById('timeline');
  const c = document.getElementById('timeline-canvas');
  const inkAt = ([x, y]) => {
    const px = c.getContext('2d').getImageData(x - 4, y - 4, 8, 8).data;
    let n = 0;
    for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n += 1;
    return n;
  };
  const out = [];
  document.getElementById('timeline-play').click();
  await new Promise((resolve) => {
    const frame = () => {
      out.push([tl.position, ...points.map(inkAt)]);
      if (root.dataset.playing === 'false' || out.length > 2000) resolve();
      else requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  return out;
}"""

#: Where each stroke of the lesson starts (CSS pixels; the view is not moved).
STROKES = [("Ann", 100, 200), ("Ann", 100, 320), ("Bob", 100, 440), ("Ann", 100, 560)]


def past_ink(page: Any, x: float, y: float, r: float = 5) -> int:
    return int(page.evaluate(PAST_PIXELS_JS, [x + 40, y + 6, r])["ink"])


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as res:
        return json.load(res)


def post_json(url: str) -> Any:
    req = urllib.request.Request(url, data=b"{}", method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.load(res)


def open_timeline(page: Any) -> None:
    page.click("#menu-btn")
    page.click('[data-action="timeline"]')
    page.wait_for_selector("#timeline:not([hidden])")
    page.wait_for_function("() => !document.getElementById('timeline-slider').disabled")


def wait_position(page: Any, i: int) -> None:
    """The moment i is painted and then painted again exactly, once the slider rests."""
    page.wait_for_function(f"() => document.getElementById('timeline').dataset.exact === '{i}'",
                           timeout=10000)


def draw_lesson(board_server: Any, new_context: Any) -> tuple[Any, Any]:
    ann = open_board(new_context(), board_server.url, "lesson", "Ann")
    bob = open_board(new_context(), board_server.url, "lesson", "Bob")
    for who, x, y in STROKES:
        page = ann if who == "Ann" else bob
        drag(page, wave(x, y, n=10))
        settled(page)
    ann.wait_for_function("() => window.__lanboard.scene.size === 4")
    return ann, bob


def test_the_slider_scrubs_plays_in_order_filters_and_restores(
        new_context: Any, board_server: Any, artifacts: Path) -> None:
    ann, bob = draw_lesson(board_server, new_context)
    live_ids = ids(ann)
    open_timeline(ann)
    tl = "window.__lanboard.timeline"
    length = ann.evaluate(f"() => {tl}.timeline.length")
    assert int(ann.get_attribute("#timeline-slider", "max") or 0) == length
    # Opened at the end: every stroke is there.
    wait_position(ann, length)
    # The board's shortcuts are held off while the past is shown: no undo of the live board
    # (from the page itself, where they would otherwise work: not from the slider).
    ann.evaluate("() => document.activeElement.blur()")
    ann.keyboard.press("Control+z")
    ann.keyboard.press("e")
    assert ann.evaluate("() => [window.__lanboard.scene.size, "
                        "window.__lanboard.controller.toolName]") == [4, "pen"]
    assert all(past_ink(ann, x, y) > 0 for _, x, y in STROKES)

    # The page's board at each moment is the server's board at that seq (export?seq=N).
    for i in range(1, length + 1, 3):
        seq, page_board = ann.evaluate(
            f"(i) => [{tl}.timeline.seqAt(i), {tl}.timeline.elementsAt(i)]", i)
        server = get_json(f"{board_server.url}/api/rooms/lesson/export?format=json&seq={seq}")
        assert server["elements"] == page_board, f"the board at seq {seq}"

    # Scrub to the start from the keyboard: an empty board.
    ann.focus("#timeline-slider")
    ann.keyboard.press("Home")
    wait_position(ann, 0)
    assert all(past_ink(ann, x, y) == 0 for _, x, y in STROKES)
    # The moment right after the second stroke's last change: two strokes, not the others.
    changes = ann.evaluate(f"() => {tl}.timeline.changes.map(c => c.data.id || '')")
    after_second = max(i for i, c in enumerate(changes) if c == live_ids[1]) + 1
    ann.evaluate(f"() => {tl}.goTo({after_second})")
    wait_position(ann, after_second)
    shown = [past_ink(ann, x, y) > 0 for _, x, y in STROKES]
    assert shown == [True, True, False, False]
    ann.screenshot(path=str(artifacts / "timeline-scrub.png"))

    # The past pans with a drag (moved as a bitmap, then painted exactly where it rests).
    ann.mouse.move(700, 300)
    ann.mouse.down()
    ann.mouse.move(850, 300, steps=5)
    ann.mouse.move(1000, 300, steps=5)
    ann.mouse.up()
    wait_position(ann, after_second)
    assert past_ink(ann, 100, 200) == 0 and past_ink(ann, 400, 200) > 0
    ann.mouse.move(1000, 300)
    ann.mouse.down()
    ann.mouse.move(700, 300, steps=5)
    ann.mouse.up()
    wait_position(ann, after_second)
    assert past_ink(ann, 100, 200) > 0

    # The person filter: Bob's stroke alone.
    ann.select_option("#timeline-person", "Bob")
    ann.focus("#timeline-slider")
    ann.keyboard.press("End")
    wait_position(ann, length)
    assert [past_ink(ann, x, y) > 0 for _, x, y in STROKES] == [False, False, True, False]
    ann.select_option("#timeline-person", "")

    # Play from the start (1x-16x; 2x here: about one change a frame on this short lesson):
    # the strokes appear one after another, in drawing order.
    speeds = ann.eval_on_selector_all("#timeline-speed option", "os => os.map(o => o.value)")
    assert speeds == ["1", "2", "4", "8", "16"]
    ann.evaluate(f"() => {tl}.goTo(0)")
    wait_position(ann, 0)
    ann.select_option("#timeline-speed", "2")
    samples = ann.evaluate(PLAY_SAMPLES_JS, [[x + 40, y + 6] for _, x, y in STROKES])
    positions = [s[0] for s in samples]
    assert positions == sorted(positions) and positions[-1] == length
    assert len(set(positions)) > 4, "played through intermediate moments"
    first_seen = [next(i for i, s in enumerate(samples) if s[k + 1] > 0)
                  for k in range(len(STROKES))]
    assert first_seen == sorted(first_seen) and len(set(first_seen)) == len(STROKES)

    # The live board kept updating underneath: Bob draws while Ann looks at the past.
    drag(bob, wave(600, 200, n=10))
    settled(bob)
    ann.wait_for_function("() => window.__lanboard.scene.size === 5")
    assert past_ink(ann, 600, 200) == 0

    # Restore the moment after the second stroke, behind the confirm dialog.
    ann.evaluate(f"() => {tl}.goTo({after_second})")
    wait_position(ann, after_second)
    ann.click("#timeline-restore")
    ann.wait_for_selector("#confirm-dialog[open]")
    ann.click("#confirm-ok")
    ann.wait_for_selector("#timeline", state="hidden")
    for page in (ann, bob):
        page.wait_for_function(
            f"() => [...window.__lanboard.scene.elements()].map(e => e.id).join() === "
            f"{json.dumps(','.join(live_ids[:2]))}")
    assert ink(ann, 140, 206) > 0 and ink(ann, 140, 446) == 0
    ann.screenshot(path=str(artifacts / "timeline-restored.png"))

    # An ordinary restore: History has the board before it, and restoring that undoes it.
    base = f"{board_server.url}/api/rooms/lesson"
    before = [v for v in get_json(f"{base}/versions")["versions"]
              if v["reason"] == "before-restore"]
    assert before and before[0]["elements"] == 5
    post_json(f"{base}/versions/{before[0]['id']}/restore")
    ann.wait_for_function("() => window.__lanboard.scene.size === 5")
    assert not ann.errors and not bob.errors


def test_print_layout_shows_the_drawing_fitted_and_no_interface(
        new_context: Any, board_server: Any, artifacts: Path) -> None:
    page = open_board(new_context(), board_server.url, "print", "Pat")
    drag(page, wave(300, 300, n=15))
    settled(page)
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    page.emulate_media(media="print")
    page.screenshot(path=str(artifacts / "print-layout.png"))
    layout = page.evaluate("""() => {
      const shown = [...document.body.children].filter((el) =>
        getComputedStyle(el).display !== 'none').map((el) => el.id || el.tagName);
      const c = document.getElementById('print-canvas');
      const box = c.getBoundingClientRect();
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let dark = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i] < 128 && px[i + 3] > 0) dark += 1;
      return { shown, width: box.width, height: box.height, page: innerWidth, dark,
               ratio: c.width / c.height };
    }""")
    assert layout["shown"] == ["print-canvas"], layout["shown"]
    assert layout["dark"] > 50, "the drawing is in the print picture"
    assert layout["width"] == pytest.approx(layout["page"], abs=2), "fitted to the page width"
    page.emulate_media(media="screen")
    assert page.is_visible("#toolbar") and not page.is_visible("#print-canvas")


def test_pdf_handout_from_the_menu_and_the_share_dialog_qr(
        new_context: Any, board_server: Any, tmp_path: Path) -> None:
    page = open_board(new_context(accept_downloads=True), board_server.url, "handout", "Hal")
    drag(page, wave(200, 200))
    settled(page)
    page.click("#menu-btn")
    with page.expect_download() as info:
        page.click('[data-action="pdf-letter"]')
    pdf = tmp_path / "handout.pdf"
    info.value.save_as(str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")
    assert info.value.suggested_filename == "lanboard-handout-letter.pdf"

    page.click("#share-btn")
    page.wait_for_selector("#share-dialog[open]")
    href = page.get_attribute("#share-handout-link", "href") or ""
    assert href == f"{board_server.url}/api/rooms/handout/export?format=pdf&paper=a4"
    page.wait_for_function("() => { const q = document.getElementById('share-handout-qr'); "
                           "return q.complete && q.naturalWidth > 0; }")
    with urllib.request.urlopen(href, timeout=10) as res:
        assert res.headers["Content-Type"].startswith("application/pdf")


def test_the_timeline_follows_dark_mode(new_context: Any, board_server: Any) -> None:
    page = open_board(new_context(color_scheme="dark"), board_server.url, "dark-past", "Dee")
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    drag(page, wave(100, 200, n=10))  # the default pen: near-black ink
    settled(page)
    open_timeline(page)
    wait_position(page, page.evaluate("() => window.__lanboard.timeline.timeline.length"))
    bg = page.evaluate("() => getComputedStyle(document.getElementById('timeline'))"
                       ".backgroundColor")
    assert bg == "rgb(27, 29, 33)", bg  # --board in dark mode, not white
    color = page.evaluate(PAST_PIXELS_JS, [140, 206, 6])["color"]
    assert color is not None and min(color) > 150, color  # black ink shown light
