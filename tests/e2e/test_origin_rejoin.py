"""A kept board never resumes onto another board (issue 17), in Chromium against real server
processes: the page keeps board "origin-math" in IndexedDB, the server restarts on the same port
with its data dir wiped, another client draws the same board id past the kept seq, and the
reloaded page asks `since=SEQ&origin=OLD`, gets a full sync and shows exactly the new board;
its copy is replaced, so the next reload resumes on the new board."""

from __future__ import annotations

import json
import shutil
import time
import urllib.request
from pathlib import Path
from typing import Any

from board_page import wait_ready
from rawws import RawWS
from test_rejoin import Wire, import_strokes, kept
from testkit import start_server

ROOM = "origin-math"


def scene_ids(page: Any) -> list[str]:
    return list(page.evaluate("() => [...window.__lanboard.scene.elements()].map(e => e.id)"))


def export_ids(base: str) -> list[str]:
    with urllib.request.urlopen(f"{base}/api/rooms/{ROOM}/export?format=json",
                                timeout=10) as res:
        return [e["id"] for e in json.load(res)["elements"]]


def kept_row(page: Any) -> dict[str, Any]:
    """The page's IndexedDB copy of the board: its seq, origin and element ids."""
    return dict(page.evaluate(f"""async () => {{
      const {{ openCache }} = await import('/static/app/boardcache.js');
      const cache = await openCache();
      const row = await cache.load('{ROOM}');
      cache.db.close();
      return {{ seq: row.seq, origin: row.origin, ids: row.elements.map((e) => e.id) }};
    }}"""))


def draw_strokes(port: int, n: int) -> int:
    """Another client draws n strokes; the seq of the last once it is back."""
    ws = RawWS(port, f"/ws/{ROOM}?userId=bo&v=2")
    ws.recv()
    for i in range(n):
        ws.send("draw", {"id": f"new{i}", "elementType": "path", "strokeColor": "#1e1e1e",
                         "strokeWidth": 2, "points": [[10 + i * 20, 10], [30 + i * 20, 40]]})
    seq = 0
    deadline = time.monotonic() + 10
    while seq == 0 and time.monotonic() < deadline:
        seq = max([m["seq"] for m in ws.recv(2) if m["type"] == "draw"
                   and m["data"]["id"] == f"new{n - 1}"] or [0])
    ws.close()
    assert seq, "the other client's strokes never came back"
    return seq


def test_a_kept_board_of_a_wiped_server_is_replaced_not_resumed(
        new_context: Any, tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = start_server(data)
    port = server.port
    try:
        import_strokes(server.url, ROOM, 3)  # a clear and three draws: seq 4
        page = new_context().new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{server.url}/room/{ROOM}?name=ana")
        wait_ready(page)
        kept(page)
        old = kept_row(page)
        assert old["ids"] == ["s0", "s1", "s2"] and old["seq"] == 4 and old["origin"], old
        page.goto("about:blank")
    finally:
        server.stop()

    shutil.rmtree(data)  # the server's data is wiped; same address, same board id
    server = start_server(data, "--port", str(port))
    try:
        seq = draw_strokes(port, old["seq"] + 2)
        assert seq > old["seq"]
        wire = Wire(page)
        page.goto(f"{server.url}/room/{ROOM}?name=ana")
        state = kept(page)
        assert state["restored"] == 3, state  # the old copy was drawn first...
        wait_ready(page)
        assert f"since={old['seq']}" in wire.urls[0] and f"origin={old['origin']}" in wire.urls[0]
        assert wire.kinds()[0] == "sync", wire.kinds()
        page.wait_for_function(f"() => window.__lanboard.scene.seq === {seq}")
        # ...and then exactly the new board: nothing of the old one is left.
        assert scene_ids(page) == export_ids(server.url) == [f"new{i}" for i in range(seq)]
        kept(page)
        row = kept_row(page)
        assert row["seq"] == seq and row["origin"] != old["origin"]
        assert row["ids"] == scene_ids(page)

        wire.reset()  # the copy is the new board's: the next reload resumes on it
        page.reload()
        wait_ready(page)
        assert f"origin={row['origin']}" in wire.urls[0], wire.urls
        assert wire.kinds()[0] == "resume"
        assert scene_ids(page) == export_ids(server.url)
        assert errors == []
    finally:
        server.stop()
