"""Issue 20, joining from the landing page, in Chromium against the real server: the boards
that exist are suggested as you type, a code that matches none asks "Create a new board X?"
(a typo no longer opens an empty board), a board keeps its display name beside its slug id
(on the list and in the board's header and title), the list puts the most recently used
first, and the host deletes a board with a confirmation and brings it back from Recently
deleted. A direct /room/X link still opens X at once."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from board_page import wait_ready

pytestmark = pytest.mark.timeout(60)


def rooms(base: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{base}/api/rooms", timeout=5) as res:
        return dict(json.load(res))


def import_board(base: str, room: str, n: int) -> None:
    elements = [{"id": f"{room}-{i}", "elementType": "rect", "x": 10 * i, "y": 10, "width": 5,
                 "height": 5, "strokeColor": "#1e1e1e", "strokeWidth": 2} for i in range(n)]
    req = urllib.request.Request(f"{base}/api/rooms/{room}/import", method="POST",
                                 data=json.dumps({"lanboard": 1, "elements": elements}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as res:
        assert res.status == 200


def click(page: Any, selector: str) -> None:
    """A click through the DOM (Playwright's stability checks cost a second a click on this
    loaded machine; what is pressed is not the point here)."""
    page.wait_for_selector(selector, state="attached")
    page.evaluate("(s) => document.querySelector(s).click()", selector)


def test_joining_suggests_asks_before_creating_keeps_names_and_deletes_with_a_way_back(
        board_server, new_context):
    base = board_server.url
    import_board(base, "blue-otter-42", 2)
    page = new_context().new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/")
    page.fill("#name", "ann")
    page.fill("#join-code", "otter")
    page.wait_for_selector("#join-suggestions li[data-board='blue-otter-42']")
    # A typo: the page asks instead of opening an empty board.
    page.fill("#join-code", "blue-otter-24")
    page.press("#join-code", "Enter")
    page.wait_for_selector("#join-confirm:not([hidden])")
    assert "Create a new board “blue-otter-24”?" in page.text_content("#join-confirm-text")
    click(page, "#join-cancel")
    assert page.is_hidden("#join-confirm") and page.url == f"{base}/"
    assert "blue-otter-24" not in [r["id"] for r in rooms(base)["rooms"]]

    # The host deletes a board (this page is on the host machine), after a confirmation...
    row = "#boards li[data-board='blue-otter-42']"
    click(page, f"{row} button")
    page.wait_for_selector("#delete-dialog[open]")
    click(page, "#delete-dialog button[value='cancel']")
    assert "blue-otter-42" in [r["id"] for r in rooms(base)["rooms"]]
    click(page, f"{row} button")
    click(page, "#delete-ok")
    gone = page.wait_for_selector("#deleted li[data-board='blue-otter-42']")
    assert "2 elements" in gone.text_content() and page.is_hidden(row)
    assert "blue-otter-42" not in [r["id"] for r in rooms(base)["rooms"]]
    # ...and Recently deleted brings it back, from its History.
    click(page, "#deleted li[data-board='blue-otter-42'] button")
    page.wait_for_selector(row)
    assert next(r for r in rooms(base)["rooms"] if r["id"] == "blue-otter-42")["elements"] == 2
    assert page.is_hidden("#deleted-card")

    # The right code opens the board.
    page.fill("#join-code", "blue-otter-42")
    page.press("#join-code", "Enter")
    page.wait_for_url("**/room/blue-otter-42?name=ann")
    wait_ready(page)
    # A new name, confirmed, becomes a board that keeps its name beside its slug id.
    page.goto(f"{base}/")
    page.fill("#join-code", "Math 7B \u2013 Fractions")
    page.press("#join-code", "Enter")
    click(page, "#join-create")
    page.wait_for_url("**/room/Math-7B-Fractions*")
    wait_ready(page)
    page.wait_for_function("() => document.title.startsWith('Math 7B \u2013 Fractions')")
    assert page.text_content("#room-name") == "Math 7B \u2013 Fractions"
    page.goto(f"{base}/")
    # Most recently used first, with the display name and the id beside it.
    first = page.wait_for_selector("#boards li:first-child[data-board='Math-7B-Fractions']")
    assert "Math 7B \u2013 Fractions" in first.text_content()
    assert [r["id"] for r in rooms(base)["rooms"]][:2] == ["Math-7B-Fractions", "blue-otter-42"]
    assert errors == []
