"""Selecting and changing what is drawn, by two people in real headless Chromium: select,
move (the peer sees it live, then identical), resize, restyle, copy and paste across tabs,
delete and undo, text edits in place, undo that skips what someone else changed, and the two
collaboration defects of issue 12 (a stroke removed while drawn; undo after a clear)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from board_page import color_at, drag, ink, layer_ink, open_board, settled, wave

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(90)]

#: The board as a page shows it: every element with its fields, in board order.
BOARD_JS = "() => [...window.__lanboard.scene.elements()].map(e => JSON.stringify(e))"


def board(page: Any) -> list[dict[str, Any]]:
    return [json.loads(s) for s in page.evaluate(BOARD_JS)]


def element(page: Any, el_id: str) -> dict[str, Any] | None:
    return next((e for e in board(page) if e["id"] == el_id), None)


def wait_js(page: Any, js: str, arg: Any = None) -> None:
    page.wait_for_function(js, arg=arg, timeout=10000)


def wait_size(page: Any, n: int) -> None:
    wait_js(page, "(n) => window.__lanboard.scene.size === n", n)


def server_board(base: str, room: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{base}/api/rooms/{room}/export?format=json", timeout=5) as r:
        return list(json.load(r)["elements"])


def pair(new_context: Any, base: str, room: str) -> tuple[Any, Any]:
    return (open_board(new_context(), base, room, "Ann"),
            open_board(new_context(), base, room, "Bob"))


def rect(page: Any, x0: float, y0: float, x1: float, y1: float) -> str:
    """Draws a rectangle with the rectangle tool; returns its id once confirmed."""
    page.keyboard.press("r")
    drag(page, [(x0, y0), ((x0 + x1) / 2, (y0 + y1) / 2), (x1, y1)])
    settled(page)
    return str(board(page)[-1]["id"])


def same_everywhere(a: Any, b: Any) -> list[dict[str, Any]]:
    """Waits until both pages are settled and show the same board; returns it."""
    settled(a)
    settled(b)
    wait_js(b, "(want) => JSON.stringify([...window.__lanboard.scene.elements()]) === want",
            json.dumps(board(a), separators=(",", ":")))
    return board(a)


def test_select_and_move_reaches_the_peer_live_and_ends_identical(
        new_context: Any, board_server: Any, artifacts: Path) -> None:
    ann, bob = pair(new_context, board_server.url, "sel-move")
    box_id = rect(ann, 300, 200, 400, 280)
    ann.keyboard.press("p")
    drag(ann, wave(300, 400))  # a stroke of Ann's that is not selected
    ann.keyboard.press("v")
    ann.mouse.click(350, 240)  # the empty inside of an outline: nothing there
    assert ann.evaluate("() => window.__lanboard.selection") == []
    # On the rectangle's top edge (its ink), not on a handle.
    ann.mouse.click(330, 200)
    assert ann.evaluate("() => window.__lanboard.selection") == [box_id]
    wait_js(bob, "(id) => [...window.__lanboard.scene.remoteSelections()]"
                 ".some(s => s.userId === 'Ann' && s.ids.includes(id))", box_id)
    ann.mouse.click(700, 600)  # empty canvas: the selection clears, for Bob too
    assert ann.evaluate("() => window.__lanboard.selection") == []
    wait_js(bob, "() => [...window.__lanboard.scene.remoteSelections()].length === 0")

    # Drag it by its edge and hold: Bob sees the move before Ann lets go.
    ann.mouse.click(330, 200)
    drag(ann, [(330, 200), (380, 230), (430, 260)], release=False)
    wait_js(bob, """(id) => [...window.__lanboard.scene.previewed()]
        .some(e => e.id === id && e.x === 400 && e.y === 260)""", box_id)
    bob.wait_for_timeout(100)
    assert ink(bob, 450, 260, r=3) > 0  # the moved top edge, painted on Bob's overlay
    assert layer_ink(bob, 350, 200, r=3)["board-canvas"] == 0  # gone from where it was
    bob.screenshot(path=str(artifacts / "select-move-live-bob.png"))
    ann.mouse.up()
    final = same_everywhere(ann, bob)
    moved = next(e for e in final if e["id"] == box_id)
    assert (moved["x"], moved["y"], moved["width"], moved["height"]) == (400, 260, 100, 80)
    assert moved["userId"] == "Ann"
    assert not [*bob.evaluate("() => [...window.__lanboard.scene.previewed()]")]
    stored = server_board(board_server.url, "sel-move")
    assert next(e for e in stored if e["id"] == box_id)["x"] == 400

    # Shift+click adds the stroke, Shift+click again takes it out; a box on empty canvas
    # around both selects both, and one that only crosses the stroke selects nothing of it.
    stroke_id = next(e["id"] for e in final if e["id"] != box_id)
    ann.keyboard.down("Shift")
    ann.mouse.click(300, 400)
    assert sorted(ann.evaluate("() => window.__lanboard.selection")) == sorted([box_id, stroke_id])
    ann.mouse.click(300, 400)
    ann.keyboard.up("Shift")
    assert ann.evaluate("() => window.__lanboard.selection") == [box_id]
    drag(ann, [(250, 180), (400, 300), (560, 440)])
    assert sorted(ann.evaluate("() => window.__lanboard.selection")) == sorted([box_id, stroke_id])
    drag(ann, [(250, 180), (400, 300), (520, 360)])
    assert ann.evaluate("() => window.__lanboard.selection") == [box_id]
    assert not ann.errors and not bob.errors, ann.errors + bob.errors


def test_resize_with_a_handle_and_shift_keeps_the_aspect(
        new_context: Any, board_server: Any) -> None:
    ann, bob = pair(new_context, board_server.url, "sel-resize")
    box_id = rect(ann, 300, 200, 400, 250)  # 100 x 50
    ann.keyboard.press("v")
    ann.mouse.click(330, 200)
    box = ann.evaluate("() => window.__lanboard.renderer.selectionBox()")
    w, h = box["x1"] - box["x0"], box["y1"] - box["y0"]  # the box holds the stroke too
    # The south-east handle: the north-west corner (of the box) stays put. Bob sees the
    # resize while it happens.
    drag(ann, [(box["x1"], box["y1"]), (box["x1"] + 50, box["y1"] + 10),
               (box["x1"] + 100, box["y1"] + 20)], release=False)
    wait_js(bob, "(id) => [...window.__lanboard.scene.previewed()]"
                 ".some(e => e.id === id && e.width > 190)", box_id)
    bob.wait_for_timeout(100)
    assert layer_ink(bob, 450, 200, r=3)["overlay-canvas"] > 0  # the stretched top edge
    ann.mouse.up()
    final = same_everywhere(ann, bob)
    el = next(e for e in final if e["id"] == box_id)
    assert el["width"] == pytest.approx(100 * (w + 100) / w, abs=0.5)
    assert el["height"] == pytest.approx(50 * (h + 20) / h, abs=0.5)
    assert el["x"] == pytest.approx(box["x0"] + (300 - box["x0"]) * (w + 100) / w, abs=0.5)

    # Shift keeps the ratio of width to height.
    ratio = el["width"] / el["height"]
    box = ann.evaluate("() => window.__lanboard.renderer.selectionBox()")
    ann.keyboard.down("Shift")
    drag(ann, [(box["x1"], box["y1"]), (box["x1"] + 40, box["y1"] + 5),
               (box["x1"] + 80, box["y1"] + 10)])
    ann.keyboard.up("Shift")
    final = same_everywhere(ann, bob)
    el = next(e for e in final if e["id"] == box_id)
    assert el["width"] / el["height"] == pytest.approx(ratio, rel=0.03)
    assert el["width"] > 250


def test_restyle_from_the_toolbar_changes_the_selection_for_everyone(
        new_context: Any, board_server: Any) -> None:
    ann, bob = pair(new_context, board_server.url, "sel-style")
    box_id = rect(ann, 300, 200, 400, 280)
    ann.keyboard.press("p")
    drag(ann, wave(500, 200))
    ann.keyboard.press("Control+a")  # selects all, with the select tool
    assert ann.evaluate("() => window.__lanboard.controller.toolName") == "select"
    assert len(ann.evaluate("() => window.__lanboard.selection")) == 2
    ann.click('button[data-color="#1971c2"]')
    ann.click('button[aria-label="Thick stroke"]')
    ann.click("#fill-btn")
    final = same_everywhere(ann, bob)
    assert {e["strokeColor"] for e in final} == {"#1971c2"}
    assert {e["strokeWidth"] for e in final} == {10}
    box = next(e for e in final if e["id"] == box_id)
    assert box["fillColor"] == "#1971c2"
    assert "fillColor" not in next(e for e in final if e["id"] != box_id)  # a stroke has none
    bob.wait_for_timeout(100)
    blue = color_at(bob, 350, 240)  # the filled inside
    assert blue is not None and blue[2] > 150 and blue[0] < 80, blue
    # No fill again removes the field.
    ann.click("#fill-btn")
    final = same_everywhere(ann, bob)
    assert "fillColor" not in next(e for e in final if e["id"] == box_id)
    # Each restyle is one undo step: the fill comes back, then goes, then width and color.
    ann.keyboard.press("Control+z")
    final = same_everywhere(ann, bob)
    assert next(e for e in final if e["id"] == box_id)["fillColor"] == "#1971c2"
    for _ in range(3):
        ann.keyboard.press("Control+z")
    final = same_everywhere(ann, bob)
    assert {(e["strokeColor"], e["strokeWidth"]) for e in final} == {("#1e1e1e", 2)}
    assert all("fillColor" not in e for e in final)


def test_copy_and_paste_across_two_tabs_and_boards(
        new_context: Any, board_server: Any) -> None:
    ctx = new_context()
    ann = open_board(ctx, board_server.url, "clip-a", "Ann")
    other = open_board(ctx, board_server.url, "clip-b", "Ann")  # another tab, another board
    rect(ann, 300, 200, 400, 280)
    drag(ann, wave(300, 400))
    settled(ann)
    ann.keyboard.press("Control+a")
    ann.keyboard.press("Control+c")
    other.bring_to_front()
    other.mouse.move(700, 500)
    other.keyboard.press("Control+v")
    wait_size(other, 2)
    settled(other)
    pasted = board(other)
    source = board(ann)
    assert {e["id"] for e in pasted}.isdisjoint({e["id"] for e in source})
    assert [e["elementType"] for e in pasted] == [e["elementType"] for e in source]
    assert len(server_board(board_server.url, "clip-b")) == 2
    # Pasted at the pointer: the copies' middle is under it.
    box = other.evaluate("() => window.__lanboard.renderer.boxOf(window.__lanboard.selection)")
    assert abs((box["x0"] + box["x1"]) / 2 - 700) < 2 and abs((box["y0"] + box["y1"]) / 2 - 500) < 2
    # Cut in the first tab removes the originals; a paste there brings them back with new ids.
    ann.bring_to_front()
    ann.keyboard.press("Control+a")
    ann.keyboard.press("Control+x")
    wait_size(ann, 0)
    ann.keyboard.press("Control+v")
    wait_size(ann, 2)
    settled(ann)
    assert {e["id"] for e in board(ann)}.isdisjoint({e["id"] for e in source})


def test_delete_then_undo_and_redo_for_both_people(
        new_context: Any, board_server: Any) -> None:
    ann, bob = pair(new_context, board_server.url, "sel-delete")
    box_id = rect(ann, 300, 200, 400, 280)
    drag(bob, wave(300, 450))
    settled(bob)
    wait_size(ann, 2)
    ann.keyboard.press("v")
    ann.mouse.click(330, 200)
    ann.keyboard.press("Delete")
    wait_size(bob, 1)
    ann.keyboard.press("Control+z")
    wait_size(bob, 2)
    back = same_everywhere(ann, bob)
    assert [e["id"] for e in back].count(box_id) == 1
    ann.keyboard.press("Control+Shift+z")
    wait_size(bob, 1)
    assert [e["userId"] for e in same_everywhere(ann, bob)] == ["Bob"]
    # Duplicate, then undo the duplicate: only the copy goes.
    ann.keyboard.press("Control+z")
    wait_size(bob, 2)
    ann.mouse.click(330, 200)
    ann.keyboard.press("Control+d")
    wait_size(bob, 3)
    ann.keyboard.press("Control+z")
    wait_size(bob, 2)
    assert box_id in [e["id"] for e in same_everywhere(ann, bob)]


def test_undo_skips_what_someone_else_changed_since(
        new_context: Any, board_server: Any) -> None:
    ann, bob = pair(new_context, board_server.url, "sel-undo-crowd")
    box_id = rect(ann, 300, 200, 400, 280)
    ann.keyboard.press("v")
    ann.mouse.click(330, 200)
    ann.keyboard.press("Shift+ArrowRight")  # Ann moves it 10 px
    settled(ann)
    wait_js(bob, "(id) => window.__lanboard.scene.get(id).x === 310", box_id)
    # Bob moves it further; Ann's undo must not pull it back from under him.
    bob.evaluate("(id) => { const lb = window.__lanboard; lb.setTool('select');"
                 " lb.select([id]); }", box_id)
    bob.keyboard.press("ArrowDown")
    settled(bob)
    wait_js(ann, "(id) => window.__lanboard.scene.get(id).y === 201", box_id)
    ann.keyboard.press("Control+z")
    ann.wait_for_timeout(300)
    final = same_everywhere(ann, bob)
    el = next(e for e in final if e["id"] == box_id)
    assert (el["x"], el["y"]) == (310, 201)
    wait_js(ann, "() => document.getElementById('notice').textContent.includes('someone else')")
    # Ann's undo of her own later stroke still works.
    ann.keyboard.press("p")
    drag(ann, wave(300, 450))
    settled(ann)
    wait_size(bob, 2)
    ann.keyboard.press("Control+z")
    wait_size(bob, 1)


def test_double_click_edits_a_text_in_place_and_keeps_its_author(
        new_context: Any, board_server: Any) -> None:
    ann, bob = pair(new_context, board_server.url, "sel-text")
    ann.keyboard.press("t")
    ann.mouse.click(300, 300)
    ann.keyboard.type("Hello")
    ann.keyboard.press("Escape")
    settled(ann)
    wait_size(bob, 1)
    text_id = board(bob)[0]["id"]
    bob.keyboard.press("v")
    bob.mouse.dblclick(310, 310)
    assert bob.evaluate("() => document.getElementById('text-editor').value") == "Hello"
    bob.keyboard.press("End")
    bob.keyboard.type(" world")
    bob.keyboard.press("Escape")
    final = same_everywhere(bob, ann)
    assert [(e["id"], e["text"], e["userId"]) for e in final] == [(text_id, "Hello world", "Ann")]
    # Bob's undo takes his edit back; Ann's text stays hers.
    bob.keyboard.press("Control+z")
    final = same_everywhere(bob, ann)
    assert [(e["id"], e["text"], e["userId"]) for e in final] == [(text_id, "Hello", "Ann")]
    bob.keyboard.press("Control+Shift+z")
    final = same_everywhere(bob, ann)
    assert [e["text"] for e in final] == ["Hello world"]
    # A sticky note: placed with a click, typed into, edited by double-click.
    ann.keyboard.press("n")
    ann.mouse.click(600, 300)
    ann.keyboard.type("Note")
    ann.keyboard.press("Escape")
    wait_size(bob, 2)
    bob.mouse.dblclick(600, 300)
    bob.keyboard.press("Control+a")
    bob.keyboard.type("Changed")
    bob.keyboard.press("Escape")
    final = same_everywhere(bob, ann)
    note = final[-1]
    assert (note["elementType"], note["text"], note["userId"]) == ("sticky", "Changed", "Ann")


def test_a_stroke_cleared_or_erased_while_drawn_ends_with_a_notice_everywhere(
        new_context: Any, board_server: Any, artifacts: Path) -> None:
    """Issue 12, defect 1: the stroke used to live on the drawer's screen only."""
    ann, bob = pair(new_context, board_server.url, "gone-stroke")
    stroke = wave(200, 300, n=30)
    drag(ann, stroke[:10], release=False)
    wait_size(bob, 1)
    bob.evaluate("() => window.__lanboard.session.send({type: 'clear', data: {}})")
    wait_js(ann, "() => window.__lanboard.scene.size === 0")
    for p in stroke[10:]:
        ann.mouse.move(*p)
    ann.mouse.up()
    wait_js(ann, "() => document.getElementById('notice').textContent.includes('cleared')")
    assert ann.eval_on_selector("#notice", "el => el.getAttribute('role')") == "status"
    settled(ann)
    ann.wait_for_timeout(200)
    assert board(ann) == [] and board(bob) == []
    assert server_board(board_server.url, "gone-stroke") == []
    assert ink(ann, *stroke[20], r=8) == 0
    ann.screenshot(path=str(artifacts / "gone-stroke-ann.png"))

    # The same when someone erases it: the next stroke is drawn normally afterwards.
    drag(ann, stroke[:10], release=False)
    wait_size(bob, 1)
    sid = board(bob)[0]["id"]
    bob.evaluate("(id) => window.__lanboard.session.send({type: 'erase', data: {ids: [id]}})", sid)
    wait_js(ann, "() => window.__lanboard.scene.size === 0")
    for p in stroke[10:]:
        ann.mouse.move(*p)
    ann.mouse.up()
    wait_js(ann, "() => document.getElementById('notice').textContent.includes('erased')")
    drag(ann, wave(200, 500))
    settled(ann)
    wait_size(bob, 1)
    assert len(server_board(board_server.url, "gone-stroke")) == 1
    assert not ann.errors, ann.errors


def test_undo_never_brings_back_what_a_clear_removed(
        new_context: Any, board_server: Any) -> None:
    """Issue 12, defect 2: a student's undo of an erase brought the stroke back over the
    teacher's fresh title."""
    ann, bob = pair(new_context, board_server.url, "undo-clear")
    drag(ann, wave(200, 300))
    settled(ann)
    ann.keyboard.press("e")
    drag(ann, [(200, 300), (300, 310), (400, 300)])
    settled(ann)
    wait_size(bob, 0)
    assert ann.evaluate("() => window.__lanboard.history.canUndo")
    bob.evaluate("() => window.__lanboard.session.send({type: 'clear', data: {}})")
    bob.keyboard.press("t")
    bob.mouse.click(300, 100)
    bob.keyboard.type("Fresh title")
    bob.keyboard.press("Escape")
    settled(bob)
    wait_size(ann, 1)
    wait_js(ann, "() => document.getElementById('undo-btn').disabled")
    ann.keyboard.press("Control+z")
    ann.wait_for_timeout(300)
    final = same_everywhere(ann, bob)
    assert [e["text"] for e in final] == ["Fresh title"]
    assert len(server_board(board_server.url, "undo-clear")) == 1


def test_order_front_and_back_with_undo_and_escape_clears(
        new_context: Any, board_server: Any, artifacts: Path) -> None:
    ann, bob = pair(new_context, board_server.url, "sel-order")
    first = rect(ann, 300, 200, 400, 280)
    second = rect(ann, 350, 240, 450, 320)
    ann.get_by_role("button", name="Select", exact=True).click()
    ann.mouse.click(330, 200)
    ann.keyboard.press("Control+Shift+BracketRight")
    assert [e["id"] for e in same_everywhere(ann, bob)] == [second, first]
    ann.keyboard.press("Control+z")
    assert [e["id"] for e in same_everywhere(ann, bob)] == [first, second]
    ann.mouse.click(440, 320)  # the second one's bottom edge
    ann.click("#back-btn")  # the selection bar's button
    assert [e["id"] for e in same_everywhere(ann, bob)] == [second, first]
    ann.keyboard.press("Escape")
    assert ann.evaluate("() => window.__lanboard.selection") == []
    assert ann.is_hidden("#selection-bar")
    ann.screenshot(path=str(artifacts / "select-order.png"))


def test_highlighter_keeps_its_own_color_and_width(
        new_context: Any, board_server: Any) -> None:
    page = open_board(new_context(), board_server.url, "highlight", "Hal")
    page.keyboard.press("h")
    drag(page, wave(200, 300))
    page.keyboard.press("p")
    drag(page, wave(200, 400))
    settled(page)
    hl, pen = board(page)
    assert (hl["elementType"], hl["strokeColor"]) == ("highlighter", "#facc15")
    assert hl["strokeWidth"] >= 16
    assert (pen["elementType"], pen["strokeColor"], pen["strokeWidth"]) == ("path", "#1e1e1e", 2)
    page.wait_for_timeout(100)
    yellow = page.evaluate("""([x, y]) => { const c = document.getElementById('board-canvas');
        const d = c.getContext('2d').getImageData(x, y, 1, 1).data; return [...d]; }""",
                           [int(wave(200, 300)[4][0]), 306])
    assert yellow[3] > 0 and yellow[3] < 200, yellow  # translucent ink


def test_two_people_dragging_the_same_element_end_identical(
        new_context: Any, board_server: Any) -> None:
    ann, bob = pair(new_context, board_server.url, "sel-both")
    box_id = rect(ann, 300, 200, 400, 280)
    wait_size(bob, 1)
    for page in (ann, bob):
        page.keyboard.press("v")
        page.mouse.click(330, 200)
    # Both hold a drag of it at once, then let go: the server's order decides, and every
    # screen and the server end with the same board.
    drag(ann, [(330, 200), (380, 230), (430, 260)], release=False)
    drag(bob, [(330, 200), (300, 260), (250, 320)], release=False)
    ann.mouse.up()
    bob.mouse.up()
    final = same_everywhere(ann, bob)
    el = next(e for e in final if e["id"] == box_id)
    # Each update is a move relative to where it finds the element: both moves add up.
    assert (el["x"], el["y"]) == (320, 380)
    stored = server_board(board_server.url, "sel-both")
    assert [(e["id"], e["x"], e["y"]) for e in stored] == [(box_id, 320, 380)]


def test_a_refused_change_is_put_back_with_a_notice(
        new_context: Any, board_server: Any) -> None:
    """No silent divergence: the server refuses a resize that would leave a text too small to
    be valid; the page shows the server's board again and says so."""
    ann, bob = pair(new_context, board_server.url, "refused")
    ann.keyboard.press("t")
    ann.mouse.click(300, 300)
    ann.keyboard.type("Tiny")
    ann.keyboard.press("Escape")
    settled(ann)
    wait_size(bob, 1)
    text_id = board(ann)[0]["id"]
    ann.evaluate("(id) => window.__lanboard.controller.sendUpdate([id], {scale: [0.1, 0.1, 0, 0]})",
                 text_id)
    wait_js(ann, "() => document.getElementById('notice').textContent.length > 0")
    settled(ann)
    final = same_everywhere(ann, bob)
    assert [(e["id"], e["fontSize"], e["x"]) for e in final] == [(text_id, 18, 300)]


def test_a_resize_that_would_be_refused_is_not_sent(
        new_context: Any, board_server: Any) -> None:
    page = open_board(new_context(), board_server.url, "too-small", "Tim")
    page.keyboard.press("t")
    page.mouse.click(300, 300)
    page.keyboard.type("Shrink me")
    page.keyboard.press("Escape")
    settled(page)
    page.keyboard.press("v")
    page.mouse.click(320, 310)
    box = page.evaluate("() => window.__lanboard.renderer.selectionBox()")
    # The bottom handle dragged almost to the top: the font would go under 4.
    drag(page, [(box["x0"] + (box["x1"] - box["x0"]) / 2, box["y1"]),
                (box["x0"] + (box["x1"] - box["x0"]) / 2, box["y0"] + 1)])
    wait_js(page, "() => document.getElementById('notice').textContent.includes('too small')")
    settled(page)
    assert [e["fontSize"] for e in board(page)] == [18]
    assert [e["fontSize"] for e in server_board(board_server.url, "too-small")] == [18]
