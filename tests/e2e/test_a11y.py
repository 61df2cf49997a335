"""axe-core scans (issue 20): the landing page, and the board page with its menu and people
list open and then with each of its dialogs open, one at a time, report no serious and no
critical violations. axe-core is the npm package pinned in tests/package.json (installed by
tools/test.sh with `npm ci --prefix tests`) and injected from that file, never from a CDN; the
page's strict CSP would refuse the injected script, so the context bypasses it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from board_page import drag, open_board, settled

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(90)]

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"

#: Runs axe on `scope` (a selector, or the whole document) and returns its serious and
#: critical violations as short lines.
RUN_JS = """async (scope) => {
  const result = await axe.run(scope ? document.querySelector(scope) : document,
    { resultTypes: ['violations'] });
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} at ` +
      v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', '));
}"""


#: Contrast of each avatar's initial with its color: axe leaves one-letter text undecided.
AVATARS_JS = """() => [...document.querySelectorAll('.avatar')].map((a) => {
  const rgb = (s) => s.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
  const lum = (c) => {
    const [r, g, b] = c.map((v) => v / 255).map((v) => (v <= 0.03928 ? v / 12.92
      : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const cs = getComputedStyle(a);
  const [l1, l2] = [lum(rgb(cs.color)), lum(rgb(cs.backgroundColor))].sort((x, y) => y - x);
  return [a.textContent, (l1 + 0.05) / (l2 + 0.05)];
})"""


def axe(page: Any, scope: str | None = None) -> list[str]:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    return list(page.evaluate(RUN_JS, scope))


@pytest.fixture
def axe_context(new_context: Any) -> Any:
    if not AXE.exists():
        pytest.skip(f"axe-core missing at {AXE}: run npm ci --prefix tests (tools/test.sh does)")
    return new_context(bypass_csp=True)


def test_landing_page_has_no_serious_violations(axe_context: Any, board_server: Any) -> None:
    page = axe_context.new_page()
    page.goto(f"{board_server.url}/room/a11y-listed?name=Ana")
    page.wait_for_function("() => window.__lanboard && window.__lanboard.ready")
    lobby = axe_context.new_page()
    lobby.goto(f"{board_server.url}/")
    lobby.wait_for_selector("#boards li")       # a board listed, with its live count
    for theme in ("light", "dark"):             # both themes' colors
        lobby.emulate_media(color_scheme=theme)
        assert axe(lobby) == [], theme
    # The menu's theme choice holds on the landing page too.
    lobby.evaluate("() => localStorage.setItem('lanboard.theme', 'dark')")
    lobby.reload()
    lobby.wait_for_function("() => document.documentElement.dataset.theme === 'dark'")


def test_board_page_with_every_dialog_open_has_no_serious_violations(
        axe_context: Any, board_server: Any) -> None:
    other = open_board(axe_context, board_server.url, "a11y", "Bo")
    page = open_board(axe_context, board_server.url, "a11y", "Ana")
    page.wait_for_function("() => window.__lanboard.users.length === 2")
    # Bo's rectangle is read out on Ana's page (politely, in the #announce region).
    other.evaluate("() => window.__lanboard.setTool('rect')")
    drag(other, [(500, 200), (560, 240), (600, 260)])
    page.wait_for_function("() => document.getElementById('announce').textContent"
                           " === 'Bo added a rectangle'")
    assert page.get_attribute("#announce", "aria-live") == "polite"
    drag(page, [(300, 300), (340, 320), (380, 300)])
    settled(page)
    page.evaluate("() => window.__lanboard.select([...window.__lanboard.scene.elements()]"
                  ".map(e => e.id))")
    # The whole page with both popovers open (the menu, the people list), in both themes.
    page.click("#presence-btn")
    page.evaluate("() => { document.getElementById('menu').hidden = false; }")
    for theme in ("light", "dark"):
        page.emulate_media(color_scheme=theme)
        assert axe(page) == [], theme
    page.emulate_media(color_scheme="light")
    page.evaluate("() => { document.getElementById('menu').hidden = true; }")
    # The second person has the server's green, where white initials were 2.7:1.
    contrasts = page.evaluate(AVATARS_JS)
    assert len(contrasts) == 4 and all(ratio >= 4.5 for _, ratio in contrasts), contrasts
    # The people button is named for a screen reader, not just "2".
    assert page.get_by_role("button", name="2 people online", exact=True).count() == 1
    page.click("#presence-btn")
    # The phone's color pop-up.
    page.set_viewport_size({"width": 390, "height": 844})
    page.click("#style-btn")
    assert axe(page, "#toolbar") == []
    page.set_viewport_size({"width": 1280, "height": 800})

    # Every dialog of the page, one at a time (the shortcuts sheet from its key).
    page.keyboard.press("?")
    page.wait_for_selector("#help-dialog[open]")
    assert axe(page, "#help-dialog") == []
    page.keyboard.press("Escape")
    dialogs = page.evaluate("() => [...document.querySelectorAll('dialog')].map(d => d.id)")
    assert {"share-dialog", "history-dialog", "confirm-dialog", "name-dialog",
            "help-dialog"} <= set(dialogs)
    for dialog_id in dialogs:
        page.evaluate("(id) => document.getElementById(id).showModal()", dialog_id)
        assert axe(page, f"#{dialog_id}") == [], dialog_id
        page.evaluate("(id) => document.getElementById(id).close()", dialog_id)
    assert other.errors == [] or all(e.startswith("Failed to load") for e in other.errors)


def focused(page: Any) -> str:
    return str(page.evaluate("() => { const a = document.activeElement;"
                             " return a.id || a.dataset.action || a.dataset.color || a.tagName; }"))


def test_menu_tools_colors_and_the_shortcut_sheet_work_from_the_keyboard(
        new_context: Any, board_server: Any) -> None:
    page = open_board(new_context(), board_server.url, "a11y-keys", "Ana")
    drag(page, [(300, 300), (340, 320), (380, 300)])
    settled(page)
    page.evaluate("() => window.__lanboard.select([...window.__lanboard.scene.elements()]"
                  ".map(e => e.id))")
    x0 = page.evaluate("() => [...window.__lanboard.scene.elements()][0].points[0]")

    # The menu: Enter opens it on the first item, End and ArrowDown move (wrapping), Escape
    # closes it with focus back on its button; ArrowUp opens it on the last item; Tab closes.
    page.focus("#menu-btn")
    page.keyboard.press("Enter")
    assert page.is_visible("#menu") and focused(page) == "export-png"
    page.keyboard.press("End")
    assert focused(page) == "clear"
    page.keyboard.press("ArrowDown")
    assert focused(page) == "export-png"
    page.keyboard.press("Escape")
    assert page.is_hidden("#menu") and focused(page) == "menu-btn"
    page.keyboard.press("ArrowUp")
    assert page.is_visible("#menu") and focused(page) == "clear"
    page.keyboard.press("Tab")
    assert page.is_hidden("#menu")
    # An item picked with the keyboard; the dialog it opens gives focus back to the button.
    page.focus("#menu-btn")
    page.keyboard.press("Enter")
    while focused(page) != "shortcuts":
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_selector("#help-dialog[open]")
    page.keyboard.press("Escape")
    page.wait_for_selector("#help-dialog:not([open])", state="attached")
    assert focused(page) == "menu-btn"

    # The sheet lists each row of the keyboard module's table, once.
    page.focus("#overlay-canvas")
    page.keyboard.press("?")
    page.wait_for_selector("#help-dialog[open]")
    rows = page.evaluate("async () => (await import('/static/app/keyboard.js')).SHORTCUTS"
                         ".map(r => r.label)")
    listed = page.evaluate("() => [...document.querySelectorAll('#help-list dd')]"
                           ".map(d => d.textContent)")
    assert listed == rows and "Undo" in listed
    page.keyboard.press("Escape")

    # Colors and widths: one Tab stop each; the arrows pick the next (and restyle the
    # selection) without nudging it.
    stops = page.evaluate("""() => ['#colors', '#widths'].map((g) =>
      [...document.querySelectorAll(`${g} [role=radio]`)]
        .filter((b) => b.tabIndex === 0).length)""")
    assert stops == [1, 1]
    page.focus("#colors [tabindex='0']")
    page.keyboard.press("ArrowRight")
    assert focused(page) == "#e03131"
    assert page.get_attribute("#colors [data-color='#e03131']", "aria-checked") == "true"
    page.wait_for_function("() => [...window.__lanboard.scene.elements()][0].strokeColor"
                           " === '#e03131'")
    assert page.evaluate("() => [...window.__lanboard.scene.elements()][0].points[0]") == x0
    page.focus("#widths [tabindex='0']")
    page.keyboard.press("End")
    assert page.get_attribute("#widths [role=radio]:last-child", "aria-checked") == "true"

    # A tool from the keyboard: its button focused, Enter.
    page.focus("[data-tool='rect']")
    page.keyboard.press("Enter")
    assert page.evaluate("() => window.__lanboard.controller.toolName") == "rect"
    assert all(e.startswith("Failed to load") for e in page.errors), page.errors
