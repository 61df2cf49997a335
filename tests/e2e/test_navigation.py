"""Issue 20 on the board page, in Chromium against the real server: navigation that follows
the conventions (the wheel and trackpad pan, Ctrl+wheel and pinch zoom, arrows pan), the first
camera (fit on join, a `view=` link), and four small defects: a text that jumped when its
editor closed, renaming that reloaded the page, an undo spent on nothing after a restore, and
the stray stroke a late second finger left. One server and one browser for the module."""

from __future__ import annotations

import io
import json
import time
import urllib.request
from typing import Any

import pytest
from board_page import drag, ids, open_board, settled, wait_ready, wave

pytestmark = pytest.mark.timeout(60)

VIEW = "() => { const v = window.__lanboard.view; return [v.scale, v.ox, v.oy]; }"


def import_board(base: str, room: str, elements: list[dict[str, Any]]) -> None:
    body = json.dumps({"lanboard": 1, "elements": elements}).encode()
    req = urllib.request.Request(f"{base}/api/rooms/{room}/import", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as res:
        assert res.status == 200


def rect(eid: str, x: float, y: float, w: float, h: float) -> dict[str, Any]:
    return {"id": eid, "elementType": "rect", "x": x, "y": y, "width": w, "height": h,
            "strokeColor": "#1e1e1e", "strokeWidth": 2}


def test_wheel_pans_ctrl_wheel_zooms_about_the_pointer_and_arrows_pan(board_server, new_context):
    page = open_board(new_context(), board_server.url, "nav-wheel", "ann")
    page.mouse.move(500, 400)
    page.mouse.wheel(0, 120)  # a mouse wheel notch, or a two-finger scroll down
    page.wait_for_function("() => window.__lanboard.view.oy !== 0")
    assert page.evaluate(VIEW) == [1, 0, -120]
    page.mouse.wheel(80, 0)  # a sideways trackpad swipe
    page.wait_for_function("() => window.__lanboard.view.ox !== 0")
    assert page.evaluate(VIEW) == [1, -80, -120]
    world = page.evaluate("() => window.__lanboard.view.toWorld(500, 400)")
    page.keyboard.down("Control")  # Ctrl+wheel; a trackpad pinch arrives the same way
    page.mouse.wheel(0, -100)
    page.keyboard.up("Control")
    page.wait_for_function("() => window.__lanboard.view.scale > 1")
    after = page.evaluate("() => window.__lanboard.view.toWorld(500, 400)")
    assert after == pytest.approx(world, abs=1e-6)  # the point under the pointer stays put
    scale, ox, oy = page.evaluate(VIEW)
    page.mouse.click(5, 780)  # focus the page, nothing selected
    page.keyboard.press("Escape")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowDown")
    assert page.evaluate(VIEW) == pytest.approx([scale, ox - 40, oy - 200])
    assert page.errors == []


def stored(base: str, room: str) -> list[str]:
    """The ids the server holds (what every other screen shows)."""
    with urllib.request.urlopen(f"{base}/api/rooms/{room}/export?format=json", timeout=5) as res:
        return [e["id"] for e in json.load(res)["elements"]]


def click(page: Any, selector: str) -> None:
    """A click through the DOM: Playwright's checks for a still element cost a second each on
    this loaded machine, and the menus are not what these tests are about."""
    page.wait_for_selector(selector, state="attached")
    page.evaluate("(s) => document.querySelector(s).click()", selector)


def touches(cdp: Any, kind: str, points: list[tuple[float, float]]) -> None:
    cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [
        {"x": x, "y": y, "id": i + 1, "radiusX": 4, "radiusY": 4, "force": 0.5}
        for i, (x, y) in enumerate(points)]})


def pinch(page: Any, first: list[tuple[float, float]], wait: float) -> None:
    """One finger down and along `first`, `wait` seconds, then a second finger and a pinch."""
    cdp = page.context.new_cdp_session(page)
    touches(cdp, "touchStart", [first[0]])
    for p in first[1:]:
        touches(cdp, "touchMove", [p])
    time.sleep(wait)
    a = first[-1]
    touches(cdp, "touchStart", [a, (a[0] + 100, a[1])])
    for d in range(100, 200, 20):
        touches(cdp, "touchMove", [a, (a[0] + d, a[1])])
    touches(cdp, "touchEnd", [])


#: Safari's trackpad pinch, as Safari sends it: gesture events whose `scale` runs from the
#: start of the pinch. Chromium has no such events, so the test makes them itself.
SAFARI_PINCH_JS = """([x, y, scales]) => {
  const canvas = document.getElementById('overlay-canvas');
  const send = (type, scale) => {
    const e = new Event(type, {bubbles: true, cancelable: true});
    Object.assign(e, {scale, clientX: x, clientY: y});
    canvas.dispatchEvent(e);
    return e.defaultPrevented;
  };
  const held = [send('gesturestart', 1)];
  for (const s of scales) held.push(send('gesturechange', s));
  held.push(send('gestureend', scales[scales.length - 1]));
  return held.every(Boolean);
}"""


def test_a_safari_trackpad_pinch_zooms_the_board_about_the_pointer(board_server, new_context):
    page = open_board(new_context(), board_server.url, "nav-pinch", "ann")
    world = page.evaluate("() => window.__lanboard.view.toWorld(400, 300)")
    # Every event is taken from the browser (no page zoom), and the scales multiply to 2.
    assert page.evaluate(SAFARI_PINCH_JS, [400, 300, [1.25, 1.6, 2]]) is True
    assert page.evaluate("() => window.__lanboard.view.scale") == pytest.approx(2)
    after = page.evaluate("() => window.__lanboard.view.toWorld(400, 300)")
    assert after == pytest.approx(world, abs=1e-6)
    # Pinching in again brings it back.
    page.evaluate(SAFARI_PINCH_JS, [400, 300, [0.8, 0.5]])
    assert page.evaluate("() => window.__lanboard.view.scale") == pytest.approx(1)
    assert page.errors == []


def test_a_late_second_finger_leaves_no_stray_stroke_but_a_real_stroke_stays(
        board_server, new_context):
    page = open_board(new_context(has_touch=True), board_server.url, "nav-pinch", "ann")
    # The first finger drifts 12 px; the second lands 400 ms later (past the old 250 ms).
    pinch(page, [(300, 300), (306, 302), (312, 304)], 0.4)
    page.wait_for_function("() => window.__lanboard.view.scale > 1.2")
    settled(page)
    assert ids(page) == [] and stored(board_server.url, "nav-pinch") == []
    # A finger that drew 120 px has made a stroke: the second finger only ends it.
    pinch(page, [(200, 500), (260, 500), (320, 500)], 0.1)
    settled(page)
    assert len(ids(page)) == 1 and stored(board_server.url, "nav-pinch") == ids(page)
    assert page.errors == []


def test_a_join_fits_the_drawing_unless_the_address_gives_a_view(board_server, new_context):
    base = board_server.url
    # Partly off a 1280 x 800 screen at the default camera: the joiner sees it whole.
    import_board(base, "nav-fit", [rect("r1", 100, 100, 2000, 1200)])
    context = new_context()
    page = open_board(context, base, "nav-fit", "ann")
    page.wait_for_function("() => window.__lanboard.view.scale < 1")
    shown = page.evaluate("() => window.__lanboard.view.shows({x0: 100, y0: 100, x1: 2100, "
                          "y1: 1300}, innerWidth, innerHeight)")
    assert shown
    # A small drawing that shows whole already stays where it is, never blown up past 100 %.
    import_board(base, "nav-small", [rect("s1", 200, 200, 50, 50)])
    linked = page
    linked.goto(f"{base}/room/nav-small?name=ann")
    wait_ready(linked)
    linked.wait_for_timeout(100)
    assert linked.evaluate(VIEW) == [1, 0, 0]
    # view=X,Y,ZOOM: world (X, Y) at the top-left corner at that zoom.
    linked.goto(f"{base}/room/nav-fit?name=ann&view=300,150,2")
    wait_ready(linked)
    linked.wait_for_timeout(100)
    assert linked.evaluate(VIEW) == [2, -600, -300]
    assert linked.evaluate("() => window.__lanboard.view.toWorld(0, 0)") == [300, 150]
    # A bad one is ignored: the fit again (tests/js/navigation.test.mjs has the whole list).
    wrong = open_board(context, base, "nav-fit", "ann&view=0,0,1e9")  # a tab of its own
    wrong.wait_for_function("() => window.__lanboard.view.scale < 1")
    assert page.errors == [] and linked.errors == []


def dark_box(png: bytes) -> tuple[int, int, int, int] | None:
    """The bounding box (left, top, right, bottom) of dark text pixels in a screenshot: dark
    in all three channels, which the editor's blue dashed border is not."""
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    w = img.width
    px = img.tobytes()
    found = [i // 3 for i in range(0, len(px), 3) if max(px[i], px[i + 1], px[i + 2]) < 90]
    if not found:
        return None
    xs = [i % w for i in found]
    ys = [i // w for i in found]
    return min(xs), min(ys), max(xs), max(ys)


def test_a_text_does_not_move_when_its_editor_closes(board_server, new_context):
    page = open_board(new_context(), board_server.url, "nav-text", "ann")
    page.evaluate("() => window.__lanboard.setTool('text')")
    page.mouse.click(400, 300)
    page.wait_for_selector("#text-editor:not([hidden])")
    page.keyboard.type("Hgk 42")
    clip = {"x": 360, "y": 260, "width": 300, "height": 120}
    page.wait_for_timeout(100)
    editing = dark_box(page.screenshot(clip=clip))
    page.keyboard.press("Escape")
    page.wait_for_selector("#text-editor", state="hidden")
    settled(page)
    page.wait_for_timeout(100)
    drawn = dark_box(page.screenshot(clip=clip))
    assert editing is not None and drawn is not None
    # The glyphs land where they were typed: at most a pixel of antialiasing apart.
    assert all(abs(a - b) <= 1 for a, b in zip(editing, drawn, strict=True)), (editing, drawn)


def test_the_text_editor_shows_dark_modes_colors(board_server, new_context):
    page = open_board(new_context(color_scheme="dark"), board_server.url, "nav-dark", "dee")
    page.evaluate("() => window.__lanboard.setTool('text')")
    page.mouse.click(400, 300)
    page.wait_for_selector("#text-editor:not([hidden])")
    look = page.evaluate("""() => { const s = getComputedStyle(
        document.getElementById('text-editor')); return [s.color, s.backgroundColor]; }""")
    # Near-black ink is typed as the canvas will show it (light), on the dark board.
    ink = [int(v) for v in look[0][4:-1].split(",")[:3]]
    assert min(ink) > 150, look
    assert look[1] == "color(srgb 0.105882 0.113725 0.129412 / 0.85)", look  # --board


def test_change_my_name_has_cancel_and_renames_in_place_keeping_undo(board_server, new_context):
    page = open_board(new_context(), board_server.url, "nav-name", "ann")
    drag(page, wave(300, 300))
    settled(page)
    page.evaluate("() => { window.notReloaded = true; }")

    def rename_dialog() -> None:
        click(page, '[data-action="rename"]')
        page.wait_for_selector("#rename-dialog[open]")

    rename_dialog()
    page.fill("#rename-input", "nobody")
    click(page, "#rename-cancel")
    assert page.evaluate("() => window.__lanboard.me.userId") == "ann"
    rename_dialog()
    page.fill("#rename-input", "Bea")
    click(page, "#rename-ok")
    page.wait_for_function("() => window.__lanboard.ready && window.__lanboard.me.userId === 'Bea'")
    page.wait_for_function(  # the userlist others get: Bea, and no ann left behind
        "() => window.__lanboard.users.map((u) => u.userId).join() === 'Bea'")
    assert page.evaluate("() => window.notReloaded") is True
    assert "name=Bea" in page.url
    # Undo survived: it takes the stroke away, for the others too.
    assert page.evaluate("() => window.__lanboard.history.canUndo")
    page.evaluate("() => window.__lanboard.undo()")
    settled(page)
    assert stored(board_server.url, "nav-name") == []
    assert page.errors == []


HOLD_SOCKET = """() => {
  // Frames from the server wait here: the HTTP answer of a restore comes first, as it can.
  const ws = window.__lanboard.net.ws;
  const deliver = ws.onmessage;
  window.held = [];
  ws.onmessage = (ev) => window.held.push(ev);
  window.release = () => { ws.onmessage = deliver; for (const ev of window.held) deliver(ev); };
}"""


def test_after_a_restore_undo_spends_no_step_on_nothing(board_server, new_context):
    page = open_board(new_context(), board_server.url, "nav-undo", "ann")
    drag(page, wave(300, 200))
    settled(page)
    page.evaluate("() => window.__lanboard.session.send({type: 'clear'})")  # History: 1 stroke
    page.wait_for_function("() => window.__lanboard.scene.size === 0")
    drag(page, wave(300, 400))
    drag(page, wave(300, 500))
    settled(page)
    assert page.evaluate("() => window.__lanboard.history.canUndo")
    click(page, '[data-action="history"]')
    page.wait_for_selector("#history-list li button")
    page.evaluate(HOLD_SOCKET)
    click(page, "#history-list li button")
    page.wait_for_selector("#history-dialog:not([open])", state="attached")
    # The restore answered; its clear has not arrived. Undo has nothing left to spend.
    assert page.evaluate("() => window.__lanboard.history.canUndo") is False
    page.evaluate("() => window.release()")
    page.wait_for_function("() => window.__lanboard.scene.size === 1")
    page.keyboard.press("Control+z")
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.__lanboard.scene.size") == 1
    # The next own action is undone as usual.
    drag(page, wave(300, 600))
    settled(page)
    page.keyboard.press("Control+z")
    page.wait_for_function("() => window.__lanboard.scene.size === 1")
    assert page.errors == []
