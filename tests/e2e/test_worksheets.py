"""Worksheets on the board (issue 15) in real Chromium against the real server: a picture
pasted on one person's page is drawn on another person's canvas; a PDF dropped on the board
becomes locked backgrounds on pages of their own and the page bar shows them; a student's
eraser passes over a locked background (nothing is sent for it, and the server still has it).
One server and one browser for the module (conftest)."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from board_page import color_at, drag, links, open_url

pytestmark = pytest.mark.browser

#: A 240 x 120 picture, solid red, made and pasted in the page as a real ClipboardEvent.
PASTE_RED_PNG = """async () => {
  const c = document.createElement('canvas');
  c.width = 240; c.height = 120;
  const ctx = c.getContext('2d');
  ctx.fillStyle = '#ff0000';
  ctx.fillRect(0, 0, 240, 120);
  const blob = await new Promise((r) => c.toBlob(r, 'image/png'));
  const dt = new DataTransfer();
  dt.items.add(new File([blob], 'red.png', { type: 'image/png' }));
  document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true }));
}"""

#: Drops a file (base64 bytes) on the board canvas at (x, y), as a real DataTransfer drop.
DROP_FILE = """([b64, name, type, x, y]) => {
  const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], name, { type }));
  const target = document.getElementById('overlay-canvas');
  const at = { dataTransfer: dt, clientX: x, clientY: y, bubbles: true, cancelable: true };
  target.dispatchEvent(new DragEvent('dragenter', at));
  target.dispatchEvent(new DragEvent('dragover', at));
  target.dispatchEvent(new DragEvent('drop', at));
}"""

#: True once the static layer's pixel at CSS point (x, y) is opaque and passes TEST.
PIXEL_IS = """([x, y]) => {
  const c = document.getElementById('board-canvas');
  const d = window.devicePixelRatio || 1;
  const p = c.getContext('2d').getImageData(Math.round(x * d), Math.round(y * d), 1, 1).data;
  return p[3] > 250 && TEST;
}"""

#: The screen point of a world point on this page: [x, y] in CSS pixels.
TO_SCREEN = "([x, y]) => window.__lanboard.view.toScreen(x, y)"




def worksheet_pdf(pages: int) -> bytes:
    """A real PDF of `pages` A4 pages, each with a big black bar and its number in text."""
    fpdf = pytest.importorskip("fpdf", reason="fpdf2 makes the test's PDF")
    doc = fpdf.FPDF(format="A4", unit="pt")
    doc.set_font("Helvetica", size=40)
    for n in range(1, pages + 1):
        doc.add_page()
        doc.set_fill_color(0, 0, 0)
        doc.rect(100, 300, 395, 120, style="F")
        doc.text(100, 200, f"Worksheet page {n}")
    return bytes(doc.output())


def board_json(base: str, room: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{base}/api/rooms/{room}/export?format=json", timeout=5) as r:
        return dict(json.load(r))


def images_of(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate(
        "() => [...window.__lanboard.scene.elements()].filter((e) => e.elementType === 'image')"))


def test_pasted_picture_shows_on_another_persons_canvas(board_server: Any,
                                                        new_context: Any) -> None:
    """Ann pastes a red picture; it is uploaded, placed as one image element, and Bob's page
    loads it from the assets route and paints it: red pixels on Bob's canvas where it lies."""
    room = "ws-paste"
    ann = open_url(new_context(), f"{board_server.url}/room/{room}", "Ann")
    bob = open_url(new_context(), f"{board_server.url}/room/{room}", "Bob")
    ann.evaluate(PASTE_RED_PNG)
    bob.wait_for_function(
        "() => [...window.__lanboard.scene.elements()].some((e) => e.elementType === 'image')",
        timeout=10000)
    (img,) = images_of(bob)
    assert len(img["asset"]) == 64 and "page" not in img, img
    # Bob's cache fetched the picture from the server (Ann's came from her own paste).
    bob.wait_for_function("() => window.__lanboard.worksheets.assets.stats.loaded >= 1")
    bob.wait_for_function("() => !window.__lanboard.renderer.needFull")
    cx, cy = bob.evaluate(TO_SCREEN, [img["x"] + img["width"] / 2, img["y"] + img["height"] / 2])
    bob.wait_for_function(PIXEL_IS.replace("TEST", "p[0] > 200 && p[1] < 60 && p[2] < 60"),
                          arg=[cx, cy], timeout=10000)
    assert color_at(bob, cx, cy) == [255, 0, 0]
    # Outside the picture the canvas is not red.
    ox, oy = bob.evaluate(TO_SCREEN, [img["x"] - 30, img["y"] - 30])
    assert color_at(bob, ox, oy) != [255, 0, 0]
    # Undo takes it away like any element.
    ann.evaluate("() => window.__lanboard.undo()")
    bob.wait_for_function(
        "() => ![...window.__lanboard.scene.elements()].some((e) => e.elementType === 'image')")
    assert not ann.errors and not bob.errors, (ann.errors, bob.errors)


def test_dropped_pdf_becomes_pages(board_server: Any, new_context: Any) -> None:
    """The teacher drops a 3-page PDF: the server renders it, the teacher's page turns to its
    first page and the page bar says 1 / 3; a student sees three pages and pages through them
    with the bar, each page showing its own locked background."""
    room = "ws-pdf"
    urls = links(board_server.url, room)
    teacher = open_url(new_context(), urls["teacher"], "Tess")
    student = open_url(new_context(), urls["student"], "Sam")
    teacher.wait_for_function("() => window.__lanboard.session.role === 'teacher'")
    data = base64.b64encode(worksheet_pdf(3)).decode()
    teacher.evaluate(DROP_FILE, [data, "sheet.pdf", "application/pdf", 400, 300])
    teacher.wait_for_function(
        "() => document.getElementById('page-label').textContent === '1 / 3'", timeout=20000)
    backgrounds = images_of(teacher)
    assert sorted(b.get("page", 1) for b in backgrounds) == [1, 2, 3]
    assert all(b.get("locked") is True for b in backgrounds), backgrounds
    student.wait_for_function(
        "() => document.getElementById('page-label').textContent === '1 / 3'", timeout=10000)
    assert student.is_visible("#page-bar") and not student.is_visible("#page-add")
    # The dark bar of page 1's background is painted on the student's canvas.
    page_one = next(b for b in backgrounds if b.get("page", 1) == 1)
    bar_world = [page_one["x"] + page_one["width"] / 2,
                 page_one["y"] + page_one["height"] * 360 / 842]
    student.wait_for_function("() => window.__lanboard.worksheets.assets.stats.loaded >= 1")
    student.wait_for_function("() => !window.__lanboard.renderer.needFull")
    x, y = student.evaluate(TO_SCREEN, bar_world)
    student.wait_for_function(PIXEL_IS.replace("TEST", "p[0] < 60 && p[1] < 60 && p[2] < 60"),
                              arg=[x, y], timeout=10000)
    # Follow me carries the page: the teacher turns to page 3, the student's page follows.
    teacher.evaluate("() => window.__lanboard.session.send({type: 'settings',"
                     " data: {follow: true}})")
    student.wait_for_function("() => window.__lanboard.session.settings.follow === true")
    teacher.click("#page-next")
    teacher.click("#page-next")
    student.wait_for_function(
        "() => document.getElementById('page-label').textContent === '3 / 3'")
    # Only page 3's background is drawn and picked there.
    assert student.evaluate("() => window.__lanboard.worksheets.pageElements()"
                            ".map((e) => e.page)") == [3]
    # Turning a page themselves, the student stops following: the teacher's next turn
    # leaves them where they are.
    student.keyboard.press("PageUp")
    student.wait_for_function(
        "() => document.getElementById('page-label').textContent === '2 / 3'")
    teacher.click("#page-prev")
    teacher.wait_for_function(
        "() => document.getElementById('page-label').textContent === '2 / 3'")
    student.click("#page-prev")
    student.wait_for_function(
        "() => document.getElementById('page-label').textContent === '1 / 3'")
    assert student.evaluate("() => window.__lanboard.follow.following") is False
    assert not teacher.errors and not student.errors, (teacher.errors, student.errors)


def test_student_cannot_erase_a_locked_background(board_server: Any, new_context: Any) -> None:
    """The teacher pastes a picture and locks it from the selection bar: the student's eraser
    dragged right across it sends no erase for it (their own stroke over it is erased), their
    select tool cannot pick it, and the board, on the server too, still has it. The teacher
    unlocks it again with the same button."""
    room = "ws-locked"
    urls = links(board_server.url, room)
    teacher = open_url(new_context(), urls["teacher"], "Tess")
    student = open_url(new_context(), urls["student"], "Sam")
    teacher.wait_for_function("() => window.__lanboard.session.role === 'teacher'")
    teacher.evaluate(PASTE_RED_PNG)
    teacher.wait_for_function(
        "() => window.__lanboard.scene.settled && window.__lanboard.scene.size === 1")
    (bg,) = images_of(teacher)
    bid = json.dumps(bg["id"])
    mid = [bg["x"] + bg["width"] / 2, bg["y"] + bg["height"] / 2]
    teacher.evaluate("() => window.__lanboard.setTool('select')")
    tx, ty = teacher.evaluate(TO_SCREEN, mid)
    teacher.mouse.click(tx, ty)
    teacher.wait_for_function(f"() => window.__lanboard.selection[0] === {bid}")
    assert teacher.is_visible("#lock-btn")
    assert teacher.get_attribute("#lock-btn", "aria-pressed") == "false"
    teacher.click("#lock-btn")
    student.wait_for_function(f"() => window.__lanboard.scene.get({bid})?.locked === true")
    # Record what the student's page sends from here on.
    student.evaluate("""() => {
      const s = window.__lanboard.session;
      const send = s.send.bind(s);
      window.__sent = [];
      s.send = (msg) => { window.__sent.push(msg); return send(msg); };
    }""")
    x, y = student.evaluate(TO_SCREEN, mid)
    # The student's own stroke over the picture, then the eraser across both.
    student.evaluate("() => window.__lanboard.setTool('pen')")
    drag(student, [(x - 60, y - 20), (x - 60, y), (x - 60, y + 20), (x + 60, y + 20)])
    student.wait_for_function("() => window.__lanboard.scene.size === 2")
    student.evaluate("() => window.__lanboard.setTool('eraser')")
    drag(student, [(x - 100 + i * 25, y) for i in range(9)])
    student.wait_for_function("() => window.__lanboard.scene.size === 1")
    student.evaluate("() => window.__lanboard.setTool('select')")
    student.mouse.click(x + 20, y + 10)
    student.keyboard.press("Control+a")
    student.wait_for_function("() => window.__lanboard.scene.settled")
    sent = student.evaluate("() => window.__sent")
    erased = [i for m in sent if m["type"] == "erase" for i in m["data"]["ids"]]
    assert erased and bg["id"] not in erased, sent
    assert student.evaluate("() => window.__lanboard.selection") == []
    assert student.evaluate(f"() => Boolean(window.__lanboard.scene.get({bid}))")
    server = board_json(board_server.url, room)
    assert [(e["id"], e.get("locked")) for e in server["elements"]] == [(bg["id"], True)]
    # The teacher's red picture is still painted on the student's canvas.
    assert color_at(student, x + 30, y + 30) == [255, 0, 0]
    # Unlock: the student may pick it up again.
    assert teacher.get_attribute("#lock-btn", "aria-pressed") == "true"
    teacher.click("#lock-btn")
    student.wait_for_function(f"() => window.__lanboard.scene.get({bid}).locked !== true")
    student.mouse.click(x + 20, y + 10)
    student.wait_for_function(f"() => window.__lanboard.selection[0] === {bid}")
    assert not teacher.errors and not student.errors, (teacher.errors, student.errors)
