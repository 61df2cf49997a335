"""The board in real headless Chromium: two people draw together, undo, reload, drop and
reconnect, export, and draw by touch on a phone. Each test saves screenshots to
test-artifacts/."""

from __future__ import annotations

import io
import json
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from board_page import (
    DESKTOP,
    color_at,
    drag,
    ids,
    ink,
    layer_ink,
    open_board,
    settled,
    wait_ready,
    wave,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(90)]

def scene_size(page: Any) -> int:
    return int(page.evaluate("() => window.__lanboard.scene.size"))


def wait_size(page: Any, n: int) -> None:
    page.wait_for_function(f"() => window.__lanboard.scene.size === {n}", timeout=10000)


def room_info(base: str, room: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{base}/api/rooms", timeout=5) as res:
        rooms = json.load(res)["rooms"]
    return next(r for r in rooms if r["id"] == room)


def test_two_people_see_each_others_strokes_shapes_text_names_and_cursors(
        new_context: Any, board_server: Any, artifacts: Path) -> None:
    alice_ctx = new_context()
    bob_ctx = new_context()
    # A name with markup in it must show as text, never as HTML.
    alice = open_board(alice_ctx, board_server.url, "duo", "Alice%20%3Cb%3E%26")
    bob = open_board(bob_ctx, board_server.url, "duo", "Bob")

    # A stroke shows on Bob's screen while Alice is still drawing it.
    stroke = wave(150, 300)
    drag(alice, stroke, release=False)
    bob.wait_for_function("""() => [...window.__lanboard.scene.elements()]
        .some(e => e.elementType === 'path' && e.points.length >= 5)""", timeout=5000)
    bob.wait_for_function("() => window.__lanboard.scene.live.size > 0", timeout=5000)
    assert ink(bob, *stroke[4], r=6) > 0
    alice.mouse.up()

    alice.keyboard.press("r")
    alice.click('button[data-color="#e03131"]')
    drag(alice, [(500, 200), (600, 260), (700, 350)])
    alice.keyboard.press("t")
    alice.mouse.click(300, 500)
    alice.keyboard.type("Hello\nLANBoard")
    alice.keyboard.press("Escape")
    wait_size(bob, 3)
    settled(alice)
    bob.wait_for_function("() => window.__lanboard.scene.live.size === 0", timeout=5000)

    # Each element is on Bob's canvas: read the pixels back.
    for x, _ in stroke[2:18:5]:
        assert ink(bob, x, 306, r=8) > 0, f"stroke missing near x={x}"
    red = color_at(bob, 500, 300, r=2)  # the rectangle's left edge
    assert red is not None and red[0] > 180 and red[1] < 90 and red[2] < 90, red
    assert ink(bob, 600, 300, r=20) == 0  # an outline: its inside stays empty
    assert ink(bob, 330, 510, r=12) > 20  # the first line of text
    assert ink(bob, 340, 540, r=12) > 20  # the second line
    kinds = bob.evaluate(
        "() => [...window.__lanboard.scene.elements()].map(e => e.elementType)")
    assert kinds == ["path", "rect", "text"]

    # Presence: Bob sees Alice's name, as text, and a count of two.
    bob.wait_for_function(
        "() => document.getElementById('presence-count').textContent === '2'")
    names = bob.eval_on_selector_all("#presence-list li .user-name",
                                     "els => els.map(e => e.textContent)")
    assert "Alice <b>&" in names and "Bob" in names
    assert bob.eval_on_selector("#presence-list", "el => el.querySelector('b')") is None

    # Alice's cursor: Bob's page knows where it is and paints it on the overlay.
    alice.mouse.move(900, 600)
    alice.mouse.move(905, 605)
    bob.wait_for_function("""() => { const c = window.__lanboard.cursors.get('Alice <b>&');
        return c && Math.abs(c.x - 905) < 1 && Math.abs(c.y - 605) < 1; }""", timeout=5000)
    bob.wait_for_timeout(100)
    assert layer_ink(bob, 912, 620, r=10)["overlay-canvas"] > 0
    bob.click("#presence-btn")
    bob.screenshot(path=str(artifacts / "duo-bob.png"))
    alice.screenshot(path=str(artifacts / "duo-alice.png"))
    assert not alice.errors and not bob.errors, alice.errors + bob.errors


def test_undo_removes_only_your_own_stroke_and_redo_brings_it_back(
        new_context: Any, board_server: Any, artifacts: Path) -> None:
    ctx_a = new_context()
    ctx_b = new_context()
    a = open_board(ctx_a, board_server.url, "undo", "Ann")
    b = open_board(ctx_b, board_server.url, "undo", "Ben")
    drag(a, wave(100, 200))
    settled(a)
    wait_size(b, 1)
    drag(b, wave(100, 400))
    settled(b)
    wait_size(a, 2)
    a.wait_for_timeout(100)
    a.keyboard.press("Control+z")
    wait_size(a, 1)
    wait_size(b, 1)
    settled(a)
    for page in (a, b):
        page.wait_for_function("() => window.__lanboard.scene.live.size === 0")
        page.wait_for_timeout(50)
        owners = page.evaluate(
            "() => [...window.__lanboard.scene.elements()].map(e => e.userId)")
        assert owners == ["Ben"]
        assert ink(page, 150, 206, r=8) == 0  # Ann's stroke is gone
        assert ink(page, 150, 406, r=8) > 0  # Ben's stays
    # Undo again: nothing of Ann's is left, and Ben's work is never touched.
    a.keyboard.press("Control+z")
    a.wait_for_timeout(300)
    assert scene_size(b) == 1
    a.keyboard.press("Control+Shift+z")
    wait_size(b, 2)
    a.click("#undo-btn")
    wait_size(b, 1)
    a.keyboard.press("Control+y")
    wait_size(b, 2)
    settled(a)
    b.screenshot(path=str(artifacts / "undo-ben.png"))


def test_reload_shows_the_same_board(new_context: Any, board_server: Any, artifacts: Path) -> None:
    ctx = new_context()
    page = open_board(ctx, board_server.url, "reload", "Rae")
    drag(page, wave(200, 200))
    page.keyboard.press("o")
    drag(page, [(500, 300), (650, 400)])
    page.keyboard.press("a")
    drag(page, [(300, 500), (600, 600)])
    settled(page)
    before = ids(page)
    assert len(before) == 3
    page.reload()
    wait_ready(page)
    assert ids(page) == before
    page.wait_for_timeout(100)
    assert ink(page, 250, 206, r=8) > 0
    assert ink(page, 575, 300, r=4) > 0  # the ellipse's top
    assert ink(page, 600, 600, r=4) > 0  # the arrow's head
    page.screenshot(path=str(artifacts / "reload.png"))


def test_connection_drop_and_reconnect_loses_and_duplicates_nothing(
        new_context: Any, board_server: Any, artifacts: Path) -> None:
    ctx_a = new_context()
    ctx_b = new_context()
    a = open_board(ctx_a, board_server.url, "drop", "Ada")
    b = open_board(ctx_b, board_server.url, "drop", "Bo")
    a.keyboard.press("r")
    drag(a, [(100, 100), (200, 160)])
    settled(a)
    wait_size(b, 1)

    # Ada's network goes away in the middle of a stroke.
    a.keyboard.press("p")
    stroke = wave(100, 300, n=30)
    drag(a, stroke[:10], release=False)
    a.wait_for_timeout(80)
    ctx_a.set_offline(True)
    a.evaluate("() => window.__lanboard.net.drop()")
    a.wait_for_function("() => !window.__lanboard.ready")
    for p in stroke[10:]:
        a.mouse.move(*p)
    a.mouse.up()
    # More work while offline: a shape and an undo of the first rectangle.
    a.keyboard.press("o")
    drag(a, [(400, 300), (500, 380)])
    a.keyboard.press("Control+z")  # undoes the ellipse
    a.keyboard.press("Control+z")  # undoes the stroke
    a.keyboard.press("Control+Shift+z")  # redoes the stroke
    a.keyboard.press("Control+Shift+z")  # redoes the ellipse
    # Bo keeps drawing meanwhile.
    b.keyboard.press("l")
    drag(b, [(700, 100), (900, 200)])
    settled(b)
    assert a.eval_on_selector("#conn", "el => el.dataset.state") != "connected"
    a.screenshot(path=str(artifacts / "drop-offline.png"))

    ctx_a.set_offline(False)
    a.evaluate("() => window.__lanboard.net.reconnectNow()")
    wait_ready(a)
    settled(a)
    wait_size(b, 4)
    wait_size(a, 4)
    expected_points = a.evaluate("""() => [...window.__lanboard.scene.elements()]
        .find(e => e.elementType === 'path').points.length""")
    assert expected_points >= 25

    # A fresh client sees exactly the same board: nothing lost, nothing twice.
    ctx_c = new_context()
    c = open_board(ctx_c, board_server.url, "drop", "Cy")
    for page in (b, c):
        page.wait_for_function("() => window.__lanboard.scene.live.size === 0")
        got = page.evaluate("""() => [...window.__lanboard.scene.elements()]
            .map(e => [e.id, e.elementType, e.points ? e.points.length : 0])""")
        assert sorted(g[1] for g in got) == ["ellipse", "line", "path", "rect"]
        assert [g[2] for g in got if g[1] == "path"] == [expected_points]
    assert ids(c) == ids(b)
    assert room_info(board_server.url, "drop")["elements"] == 4
    c.wait_for_timeout(100)
    assert ink(c, *stroke[20], r=8) > 0
    c.screenshot(path=str(artifacts / "drop-after.png"))
    assert a.eval_on_selector("#conn", "el => el.dataset.state") == "connected"


def test_png_and_svg_exports_are_valid_and_fitted(
        new_context: Any, board_server: Any, artifacts: Path) -> None:
    image = pytest.importorskip("PIL.Image", reason="pip install pillow")
    ctx = new_context(accept_downloads=True)
    page = open_board(ctx, board_server.url, "export", "Eve")
    page.keyboard.press("r")
    drag(page, [(300, 200), (500, 300)])
    page.keyboard.press("t")
    page.mouse.click(320, 330)
    page.keyboard.type("a < b & c")
    page.keyboard.press("Escape")
    settled(page)

    page.click("#menu-btn")
    with page.expect_download() as info:
        page.click('[data-action="export-png"]')
    png_path = artifacts / "export.png"
    info.value.save_as(str(png_path))
    data = png_path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    with image.open(io.BytesIO(data)) as img:
        width, height = img.size
        # Fitted: the drawing (about 200 x 160 CSS px) plus margins, at 2x.
        assert 400 <= width <= 700 and 300 <= height <= 600, img.size
        rgb = img.convert("RGB")
        assert rgb.getpixel((1, 1)) == (255, 255, 255)
        assert any(rgb.getpixel((x, height // 2))[0] < 100 for x in range(width))

    page.click("#menu-btn")
    with page.expect_download() as info:
        page.click('[data-action="export-svg"]')
    svg_path = artifacts / "export.svg"
    info.value.save_as(str(svg_path))
    root = ET.parse(svg_path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    x, y, w, h = (float(v) for v in root.attrib["viewBox"].split())
    assert 270 <= x <= 300 and 170 <= y <= 200 and 200 <= w <= 400 and 150 <= h <= 300
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert len(root.findall("s:rect", ns)) == 2  # background + the rectangle
    assert root.find("s:text/s:tspan", ns).text == "a < b & c"


#: A seed-protocol client (no v=2: one message per frame, acks) drawing a `line`.
SEED_LINE_JS = """(room) => new Promise((resolve, reject) => {
  const ws = new WebSocket(`ws://${location.host}/ws/${room}?userId=seed`);
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.type === 'sync') ws.send(JSON.stringify({type: 'draw', data: {id: 'seed-line',
      elementType: 'line', x1: 100, y1: 650, x2: 300, y2: 650, strokeColor: '#2f9e44',
      strokeWidth: 6}}));
    if (msg.type === 'ack') { ws.close(); resolve(msg.data.seq); }
    if (msg.type === 'error') reject(new Error(msg.data.message));
  };
  setTimeout(() => reject(new Error('no ack')), 5000);
})"""


def test_phone_touch_draws_pinch_zooms_and_shows_seed_lines(
        new_context: Any, board_server: Any, artifacts: Path) -> None:
    ctx = new_context(viewport={"width": 390, "height": 844}, has_touch=True,
                              is_mobile=True, device_scale_factor=2)
    page = open_board(ctx, board_server.url, "phone", "Pia")
    assert page.evaluate(SEED_LINE_JS, "phone") > 0
    wait_size(page, 1)
    cdp = ctx.new_cdp_session(page)

    def touch(kind: str, points: list[tuple[float, float]]) -> None:
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [
            {"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)]})

    stroke = [(80 + i * 8, 300 + (i % 3) * 10) for i in range(25)]
    touch("touchStart", [stroke[0]])
    for p in stroke[1:]:
        touch("touchMove", [p])
    touch("touchEnd", [])
    settled(page)
    paths = page.evaluate("""() => [...window.__lanboard.scene.elements()]
        .filter(e => e.elementType === 'path').map(e => e.points.length)""")
    assert len(paths) == 1 and paths[0] >= 10
    page.wait_for_timeout(100)
    assert ink(page, *stroke[12], r=8) > 0
    assert ink(page, 200, 650, r=4) > 0  # the seed client's line

    # Two fingers pinch: the view zooms and nothing is drawn.
    touch("touchStart", [(150, 500), (250, 500)])
    for i in range(1, 8):
        touch("touchMove", [(150 - i * 10, 500), (250 + i * 10, 500)])
    touch("touchEnd", [])
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.__lanboard.view.scale") > 1.3
    assert scene_size(page) == 2
    page.screenshot(path=str(artifacts / "phone.png"))

    # The toolbar fits a phone held upright.
    box = page.eval_on_selector("#toolbar", "el => el.getBoundingClientRect().toJSON()")
    assert box["left"] >= 0 and box["right"] <= 390
    assert not page.errors, page.errors


def test_unknown_element_types_are_skipped_without_breaking_the_page(
        new_context: Any, board_server: Any) -> None:
    ctx = new_context()
    page = open_board(ctx, board_server.url, "unknown", "Uma")
    page.evaluate("""() => {
        const lb = window.__lanboard;
        lb.scene.applyChange({type: 'draw', userId: 'future',
          data: {id: 'h1', elementType: 'hologram', strokeColor: '#000', strokeWidth: 1}});
        lb.scene.applyChange({type: 'draw', userId: 'future',
          data: {id: 'r1', elementType: 'rect', x: 10, y: 100, width: 50, height: 50,
                 strokeColor: '#000', strokeWidth: 2}});
        lb.renderer.invalidate();
    }""")
    page.wait_for_timeout(100)
    assert ink(page, 10, 125, r=3) > 0
    drag(page, wave(200, 300))
    settled(page)
    assert not page.errors, page.errors


def test_landing_creates_and_lists_boards_and_clear_asks_first(
        new_context: Any, board_server: Any, artifacts: Path) -> None:
    ctx = new_context()
    page = ctx.new_page()
    page.goto(f"{board_server.url}/")
    page.fill("#name", "Lee")
    page.fill("#create-name", "Maths class 3b")
    page.click("#create-form button")
    page.wait_for_url("**/room/Maths-class-3b?name=Lee")
    wait_ready(page)
    drag(page, wave(100, 200))
    settled(page)

    # The name is remembered; the board is listed with its live count.
    lobby = ctx.new_page()
    lobby.goto(f"{board_server.url}/")
    assert lobby.input_value("#name") == "Lee"
    lobby.wait_for_selector("#boards a[href='/room/Maths-class-3b']")
    badge = lobby.text_content("#boards a[href='/room/Maths-class-3b'] .badge")
    assert badge == "1 online"
    # A code of no board asks before making one (test_landing.py has the rest).
    lobby.fill("#join-code", "not a code!")
    lobby.click("#join-form button")
    lobby.wait_for_selector("#join-confirm:not([hidden])")
    lobby.screenshot(path=str(artifacts / "landing.png"))
    lobby.close()

    # Clear asks first: Cancel keeps the board, confirming empties it.
    page.click("#menu-btn")
    page.click('[data-action="clear"]')
    page.click("#confirm-dialog button[value=cancel]")
    page.wait_for_timeout(200)
    assert scene_size(page) == 1
    page.click("#menu-btn")
    page.click('[data-action="clear"]')
    page.click("#confirm-ok")
    wait_size(page, 0)

    # The toolbar works from the keyboard: focus a tool button, press Enter.
    page.focus('button[data-tool="ellipse"]')
    page.keyboard.press("Enter")
    assert page.get_attribute('button[data-tool="ellipse"]', "aria-pressed") == "true"


def test_undo_of_a_big_erase_is_paced_under_the_rate_limit_and_restores_everything(
        new_context: Any, board_server: Any) -> None:
    rects = [{"id": f"r{i}", "elementType": "rect", "x": (i % 40) * 30, "y": (i // 40) * 30,
              "width": 20, "height": 20, "strokeColor": "#1971c2", "strokeWidth": 2}
             for i in range(1200)]
    req = urllib.request.Request(f"{board_server.url}/api/rooms/big/import",
                                 data=json.dumps({"elements": rects}).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as res:
        assert json.load(res)["elements"] == 1200
    ctx = new_context()
    page = open_board(ctx, board_server.url, "big", "Max")
    wait_size(page, 1200)
    page.evaluate("""() => {
        const lb = window.__lanboard;
        const ids = [...lb.scene.elements()].map(e => e.id);
        lb.apply([{op: 'erase', ids, group: 'all'}, {op: 'endErase', group: 'all'}]);
    }""")
    settled(page)
    assert room_info(board_server.url, "big")["elements"] == 0
    page.keyboard.press("Control+z")  # 1,200 draws: more than the server's burst allows
    wait_size(page, 1200)
    page.wait_for_function("() => window.__lanboard.scene.settled", timeout=20000)
    assert room_info(board_server.url, "big")["elements"] == 1200
    assert page.is_hidden("#toast"), page.text_content("#toast")


def test_name_is_asked_once_then_remembered_and_pan_zoom_draw_nothing(
        new_context: Any, board_server: Any) -> None:
    ctx = new_context()
    page = ctx.new_page()
    page.goto(f"{board_server.url}/room/ask")
    page.wait_for_selector("#name-dialog[open]")
    page.fill("#name-input", "Quinn")
    page.press("#name-input", "Enter")
    wait_ready(page)
    assert page.evaluate("() => window.__lanboard.me.userId") == "Quinn"
    page.reload()
    wait_ready(page)  # no prompt the second time
    assert page.evaluate("() => window.__lanboard.me.userId") == "Quinn"

    # Ctrl+wheel zooms around the pointer (the wheel alone pans: test_navigation.py);
    # Space+drag and the middle button pan.
    page.mouse.move(400, 300)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -300)
    page.keyboard.up("Control")
    page.wait_for_function("() => window.__lanboard.view.scale > 1.2")
    page.keyboard.down(" ")
    drag(page, [(400, 300), (300, 250), (200, 200)])
    page.keyboard.up(" ")
    ox = page.evaluate("() => window.__lanboard.view.ox")
    page.mouse.move(500, 500)
    page.mouse.down(button="middle")
    page.mouse.move(550, 520)
    page.mouse.up(button="middle")
    assert page.evaluate("() => window.__lanboard.view.ox") == pytest.approx(ox + 50)
    assert scene_size(page) == 0


def test_after_a_pen_is_used_fingers_pan_instead_of_drawing(
        new_context: Any, board_server: Any) -> None:
    ctx = new_context(viewport={"width": 820, "height": 1180}, has_touch=True,
                              is_mobile=True)
    page = open_board(ctx, board_server.url, "palm", "Pen")
    cdp = ctx.new_cdp_session(page)
    for kind, x in (("mousePressed", 100), ("mouseMoved", 150), ("mouseMoved", 200),
                    ("mouseReleased", 200)):
        cdp.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": 300,
                                              "button": "left", "buttons": 1,
                                              "clickCount": 1, "pointerType": "pen",
                                              "force": 0.6})
    settled(page)
    assert scene_size(page) == 1
    points = page.evaluate("() => [...window.__lanboard.scene.elements()][0].points")
    assert all(len(p) == 3 for p in points)  # the pen's pressure is kept

    # A resting palm (one finger) now pans the view and draws nothing.
    ox = page.evaluate("() => window.__lanboard.view.ox")
    for kind, x in (("touchStart", 300), ("touchMove", 340), ("touchMove", 380)):
        cdp.send("Input.dispatchTouchEvent", {"type": kind,
                                              "touchPoints": [{"x": x, "y": 600}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_timeout(100)
    assert page.evaluate("() => window.__lanboard.view.ox") == pytest.approx(ox + 80)
    assert scene_size(page) == 1


def test_eraser_removes_whole_elements_it_touches_and_undo_restores_them(
        new_context: Any, board_server: Any) -> None:
    ctx = new_context()
    page = open_board(ctx, board_server.url, "eraser", "Eli")
    drag(page, wave(100, 200))
    page.keyboard.press("l")
    drag(page, [(100, 400), (400, 400)])
    page.keyboard.press("r")
    drag(page, [(600, 100), (800, 300)])
    settled(page)
    assert scene_size(page) == 3
    page.keyboard.press("e")
    drag(page, [(250, 150), (250, 260)])  # across the stroke only
    drag(page, [(700, 200), (700, 210)])  # inside the empty rectangle: touches nothing
    settled(page)
    kinds = page.evaluate(
        "() => [...window.__lanboard.scene.elements()].map(e => e.elementType)")
    assert kinds == ["line", "rect"]
    assert room_info(board_server.url, "eraser")["elements"] == 2
    page.keyboard.press("Control+z")
    wait_size(page, 3)
    settled(page)
    assert room_info(board_server.url, "eraser")["elements"] == 3


def test_share_dialog_shows_the_link_a_qr_code_copy_and_help(
        new_context: Any, board_server: Any, artifacts: Path) -> None:
    ctx = new_context()
    page = open_board(ctx, board_server.url, "share", "Sam")
    page.click("#share-btn")
    page.wait_for_selector("#share-dialog[open]")
    url = page.input_value("#share-url")
    assert url == f"{board_server.url}/room/share"
    page.wait_for_function(
        "() => { const q = document.getElementById('share-qr'); "
        "return q.complete && q.naturalWidth > 0; }")
    page.click("#copy-btn")
    page.wait_for_function(
        "() => document.getElementById('copy-status').textContent === 'Link copied.'")
    page.click("#cant-join summary")
    help_text = page.text_content("#cant-join-list") or ""
    # This server listens on 127.0.0.1 only, and the help says so, with the fix.
    assert "only listens on this computer" in help_text and "--host 0.0.0.0" in help_text
    assert "client isolation" in help_text and "firewall" in help_text.lower()
    page.screenshot(path=str(artifacts / "share.png"))


def test_menu_import_export_json_and_history_restore(
        new_context: Any, board_server: Any, tmp_path: Path) -> None:
    ctx = new_context(accept_downloads=True)
    page = open_board(ctx, board_server.url, "menu", "Mo")
    drag(page, wave(100, 200))
    settled(page)

    page.click("#menu-btn")
    with page.expect_download() as info:
        page.click('[data-action="export-json"]')
    exported = tmp_path / "board.json"
    info.value.save_as(str(exported))
    assert len(json.loads(exported.read_text())["elements"]) == 1

    # Import a file: the board becomes its elements, for everyone.
    board = {"elements": [
        {"id": "imp1", "elementType": "rect", "x": 300, "y": 300, "width": 80,
         "height": 40, "strokeColor": "#2f9e44", "strokeWidth": 3},
        {"id": "imp2", "elementType": "text", "x": 300, "y": 360, "text": "imported",
         "fontSize": 20, "strokeColor": "#1e1e1e", "strokeWidth": 1}]}
    good = tmp_path / "good.json"
    good.write_text(json.dumps(board))
    page.set_input_files("#import-file", str(good))
    page.wait_for_function("""() => [...window.__lanboard.scene.elements()]
        .map(e => e.id).join() === 'imp1,imp2'""")
    # A bad file is refused with the server's message, and the board stays.
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"elements": [{"id": "x", "elementType": "star"}]}))
    page.set_input_files("#import-file", str(bad))
    # The good import's toast may still be up: wait for the refusal's own text.
    page.wait_for_function("""() => !document.querySelector('#toast').hidden
        && document.querySelector('#toast').textContent.includes('Import failed')""")
    assert scene_size(page) == 2

    # History: the board before the import can be restored.
    page.click("#menu-btn")
    page.click('[data-action="history"]')
    page.wait_for_selector("#history-list li button")
    reasons = page.text_content("#history-list") or ""
    assert "before-import" in reasons
    page.click("#history-list li:first-child button")
    page.wait_for_function("""() => [...window.__lanboard.scene.elements()]
        .every(e => e.elementType === 'path') && window.__lanboard.scene.size === 1""")


def test_a_board_drawn_out_of_view_opens_fitted_to_its_drawing(
        new_context: Any, board_server: Any) -> None:
    far = [{"id": "far", "elementType": "rect", "x": 5000, "y": 4000, "width": 400,
            "height": 300, "strokeColor": "#e03131", "strokeWidth": 4}]
    req = urllib.request.Request(f"{board_server.url}/api/rooms/far/import",
                                 data=json.dumps({"elements": far}).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).close()
    ctx = new_context()
    page = open_board(ctx, board_server.url, "far", "Fay")
    page.wait_for_function("() => window.__lanboard.view.ox < -1000")
    page.wait_for_timeout(200)
    x, y = page.evaluate("() => window.__lanboard.view.toScreen(5000, 4150)")
    assert 0 < x < DESKTOP["width"] and 0 < y < DESKTOP["height"]
    assert ink(page, x, y, r=4) > 0  # the rectangle's left edge is on screen


def test_a_page_whose_modules_fail_to_load_reloads_once_then_offers_reload(
        new_context: Any, board_server: Any) -> None:
    """A phone changing network mid-load loses the module requests in flight
    (net::ERR_NETWORK_CHANGED): boot.js reloads once by itself, then says so."""
    ctx = new_context()
    page = ctx.new_page()
    loads: list[str] = []
    page.on("load", lambda: loads.append(page.url))
    route = "**/static/app/packing.js"
    page.route(route, lambda r: r.abort("internetdisconnected"))
    page.goto(f"{board_server.url}/room/boot?name=Bo")
    page.wait_for_selector("#boot-failed button", timeout=15000)
    assert len(loads) == 2  # the first failure reloaded by itself; the second asks
    assert "did not load" in (page.text_content("#boot-failed") or "")
    assert page.evaluate("() => window.__lanboard === undefined")
    page.unroute(route)
    page.click("#boot-failed button")
    wait_ready(page)
    assert page.is_hidden("#boot-failed") or page.query_selector("#boot-failed") is None
