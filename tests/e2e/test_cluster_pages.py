"""The board page across two LANBoard processes sharing one real Redis: two people in real
headless Chromium, each page served by its own process, see each other's strokes while they
are drawn, their names and cursors; after one process is killed, the board opened on the
other is the same."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from board_page import drag, ids, ink, open_board, settled, wave
from redis_kit import RedisServer, redis_server  # noqa: F401 - a fixture
from testkit import ServerProcess, start_server

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(90)]


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory,
        redis_server: RedisServer) -> Iterator[list[ServerProcess]]:  # noqa: F811
    servers = [start_server(tmp_path_factory.mktemp(f"p{i}"), "--redis", redis_server.url)
               for i in range(2)]
    yield servers
    for s in servers:
        s.kill()


def test_two_pages_on_two_processes_draw_together(new_context: Any, two: list[ServerProcess],
                                                  artifacts: Path) -> None:
    a, b = two
    alice = open_board(new_context(), a.url, "pair", "Alice")
    bob = open_board(new_context(), b.url, "pair", "Bob")

    stroke = wave(150, 300)
    drag(alice, stroke, release=False)  # seen on the other process while it is drawn
    bob.wait_for_function("""() => [...window.__lanboard.scene.elements()]
        .some(e => e.elementType === 'path' && e.points.length >= 5)""", timeout=5000)
    alice.mouse.up()
    settled(alice)
    bob.wait_for_function(
        "() => document.getElementById('presence-count').textContent === '2'")
    alice.mouse.move(900, 600)
    alice.mouse.move(905, 605)
    bob.wait_for_function("""() => { const c = window.__lanboard.cursors.get('Alice');
        return c && Math.abs(c.x - 905) < 1; }""", timeout=5000)
    drag(bob, wave(150, 500))
    settled(bob)
    alice.wait_for_function("() => window.__lanboard.scene.size === 2", timeout=5000)
    assert ids(alice) == ids(bob)
    assert ink(bob, *stroke[6], r=8) > 0

    # Alice's process dies (kill -9); she opens the board on Bob's process (with --workers
    # the same address reaches the other worker), and it is the same board.
    os.kill(a.proc.pid, signal.SIGKILL)
    alice.goto(f"{b.url}/room/pair?name=Alice")
    alice.wait_for_function("() => window.__lanboard && window.__lanboard.ready",
                            timeout=10000)
    alice.wait_for_function("() => window.__lanboard.scene.size === 2", timeout=10000)
    assert ids(alice) == ids(bob)
    alice.screenshot(path=str(artifacts / "cluster-alice.png"))
    bob.screenshot(path=str(artifacts / "cluster-bob.png"))
    assert not bob.errors, bob.errors
