"""The connection status tells the truth: offline as soon as the browser knows, a retry
countdown that counts, and back to Connected when the network returns."""

from __future__ import annotations

import re
from typing import Any

import pytest
from board_page import open_board, wait_ready

pytestmark = pytest.mark.browser


def status(page: Any) -> tuple[str, str]:
    return (page.eval_on_selector("#conn", "el => el.dataset.state"),
            page.inner_text("#conn-text"))


def test_going_offline_shows_at_once_counts_down_and_recovers(
        new_context: Any, board_server: Any) -> None:
    ctx = new_context()
    page = open_board(ctx, board_server.url, "offline", "Ada")
    assert status(page)[0] == "connected"

    ctx.set_offline(True)
    # The browser's offline event, not a socket timeout 35 s later.
    page.wait_for_function(
        "() => document.querySelector('#conn').dataset.state !== 'connected'", timeout=2000)
    page.wait_for_function("() => /^Offline/.test(document.querySelector('#conn-text')"
                           ".textContent)", timeout=2000)

    # While it waits to retry, the number of seconds goes down rather than standing still.
    page.wait_for_function("() => /retrying in [2-9]\\d* s/.test("
                           "document.querySelector('#conn-text').textContent)", timeout=20000)
    first = int(re.search(r"retrying in (\d+) s", status(page)[1]).group(1))  # type: ignore
    page.wait_for_function(
        f"""() => {{
          const m = /retrying in (\\d+) s/.exec(document.querySelector('#conn-text').textContent);
          return m && Number(m[1]) < {first};
        }}""", timeout=3000)

    ctx.set_offline(False)
    wait_ready(page)
    page.wait_for_function("() => document.querySelector('#conn').dataset.state === "
                           "'connected'", timeout=10000)
    assert status(page)[1] == "Connected"
