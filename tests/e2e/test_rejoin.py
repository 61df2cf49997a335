"""Rejoining without a full download (issue 17), in Chromium against the real server: a
reloaded page draws the board it kept in IndexedDB and resumes with `?since=SEQ`, so the
server sends `resume` and only the changes missed; a sync replaces what was kept; a page
without IndexedDB joins as before; a dropped socket reconnects with `since` too."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from board_page import drag, open_board, settled, wait_ready

STROKES = 250


def import_strokes(base: str, room: str, n: int) -> None:
    elements = [{"id": f"s{i}", "elementType": "path", "strokeColor": "#1e1e1e",
                 "strokeWidth": 2,
                 "points": [[20 + (i % 40) * 30 + k * 1.7, 40 + (i // 40) * 60 + (k % 7) * 3.1]
                            for k in range(50)]} for i in range(n)]
    req = urllib.request.Request(f"{base}/api/rooms/{room}/import", method="POST",
                                 data=json.dumps({"elements": elements}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as res:
        assert json.load(res)["elements"] == n


class Wire:
    """The page's sockets: their URLs and the text of every frame received on them."""

    def __init__(self, page: Any) -> None:
        self.urls: list[str] = []
        self.frames: list[str] = []
        page.on("websocket", self._socket)

    def _socket(self, ws: Any) -> None:
        self.urls.append(ws.url)
        ws.on("framereceived", lambda payload: self.frames.append(
            payload if isinstance(payload, str) else payload.decode()))

    def received(self) -> int:
        return sum(len(f.encode()) for f in self.frames)

    def kinds(self) -> list[str]:
        out = []
        for f in self.frames:
            msgs = json.loads(f)
            out += [m["type"] for m in (msgs if isinstance(msgs, list) else [msgs])]
        return out

    def reset(self) -> None:
        self.urls.clear()
        self.frames.clear()


def board_model(page: Any) -> list[list[Any]]:
    return list(page.evaluate(
        "() => [...window.__lanboard.scene.elements()].map(e => [e.id, e.points.length])"))


def kept(page: Any) -> dict[str, Any]:
    """Writes the page's copy now; what it holds ({cache, restored, restoredSeq, saves})."""
    return dict(page.evaluate("""async () => {
      const s = await window.__lanboard.boardCache;
      if (s.save) await s.save();
      return {cache: s.cache, restored: s.restored, restoredSeq: s.restoredSeq,
              saves: s.saves};
    }"""))


def test_a_reloaded_page_resumes_with_since_and_only_the_missed_changes(
        board_server: Any, new_context: Any) -> None:
    room = "rejoin-reload"
    import_strokes(board_server.url, room, STROKES)
    context = new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    wire = Wire(page)
    page.goto(f"{board_server.url}/room/{room}?name=ana")
    wait_ready(page)
    first_bytes = wire.received()
    assert "since=" not in wire.urls[0] and "sync" in wire.kinds()
    assert first_bytes > 100_000  # the whole board came as a sync (packed points: ~120 kB)
    state = kept(page)
    assert state["cache"] == "indexeddb" and state["saves"] == 1, state
    before = board_model(page)
    seq = page.evaluate("() => window.__lanboard.scene.seq")

    # While ana's page is away, ben draws one stroke.
    page.goto("about:blank")
    other = open_board(new_context(), board_server.url, room, "ben")
    drag(other, [(200 + i * 9, 300 + (i % 3) * 7) for i in range(12)])
    settled(other)

    wire.reset()
    page.goto(f"{board_server.url}/room/{room}?name=ana")
    state = kept(page)
    assert state["restored"] == STROKES and state["restoredSeq"] == seq, state
    wait_ready(page)
    page.wait_for_function(
        f"() => [...window.__lanboard.scene.elements()].length === {STROKES + 1}")
    origin = page.evaluate("() => window.__lanboard.session.origin")
    assert f"since={seq}" in wire.urls[0] and f"origin={origin}" in wire.urls[0], wire.urls
    kinds = wire.kinds()
    assert kinds[0] == "resume" and "sync" not in kinds, kinds
    assert "draw" in kinds
    # A stroke and a resume, not the board: well under 5 % of the first load.
    assert wire.received() < first_bytes * 0.05, (wire.received(), first_bytes)
    after = board_model(page)
    assert after[:STROKES] == before
    assert len(after) == STROKES + 1 and after[-1][1] >= 2
    assert errors == []


def test_a_sync_replaces_what_was_kept(board_server: Any, new_context: Any) -> None:
    """A copy the server cannot resume from (its seq is ahead of the board's) gets a full
    sync, and the copy's own elements are gone from the page and from the copy."""
    room = "rejoin-stale"
    import_strokes(board_server.url, room, 3)
    context = new_context()
    page = open_board(context, board_server.url, room, "cy")
    kept(page)
    page.evaluate("""async () => {
      const { openCache } = await import('/static/app/boardcache.js');
      const cache = await openCache();
      await cache.save('rejoin-stale', 999999, [{ id: 'ghost', elementType: 'line',
        strokeColor: '#000', strokeWidth: 2, x1: 0, y1: 0, x2: 9, y2: 9, userId: 'x' }],
        window.__lanboard.session.origin);
      cache.db.close();
    }""")
    wire = Wire(page)
    page.reload()
    wait_ready(page)
    assert "since=999999" in wire.urls[0]
    assert wire.kinds()[0] == "sync"
    ids = [e[0] for e in board_model(page)]
    assert ids == ["s0", "s1", "s2"]
    state = kept(page)
    assert state["restored"] == 1 and state["saves"] == 1
    wire.reset()
    page.reload()
    wait_ready(page)
    assert wire.kinds()[0] == "resume"
    assert [e[0] for e in board_model(page)] == ["s0", "s1", "s2"]


def test_without_indexeddb_the_page_joins_with_a_full_sync(board_server: Any,
                                                            new_context: Any) -> None:
    room = "rejoin-private"
    import_strokes(board_server.url, room, 2)
    context = new_context()
    context.add_init_script(
        "Object.defineProperty(window, 'indexedDB', { get() { throw new Error('denied'); } })")
    page = context.new_page()
    wire = Wire(page)
    page.goto(f"{board_server.url}/room/{room}?name=di")
    wait_ready(page)
    assert kept(page)["cache"] == "none"
    page.reload()
    wait_ready(page)
    assert all("since=" not in u for u in wire.urls)
    assert wire.kinds().count("sync") == 2
    assert len(board_model(page)) == 2


def test_a_dropped_socket_reconnects_with_since(board_server: Any, new_context: Any) -> None:
    room = "rejoin-drop"
    import_strokes(board_server.url, room, 2)
    page = open_board(new_context(), board_server.url, room, "ed")
    wire = Wire(page)
    seq = page.evaluate("() => window.__lanboard.scene.seq")
    page.evaluate("() => window.__lanboard.net.drop()")
    page.wait_for_function("() => !window.__lanboard.ready")
    wait_ready(page)
    assert f"since={seq}" in wire.urls[0]
    assert wire.kinds()[0] == "resume"


def test_the_copy_keeps_the_last_20_boards(board_server: Any, new_context: Any) -> None:
    # On the landing page (same origin, no board page saving its own copy meanwhile).
    page = new_context().new_page()
    page.goto(f"{board_server.url}/")
    kept_ids = page.evaluate("""async () => {
      const { openCache, MAX_BOARDS } = await import('/static/app/boardcache.js');
      const cache = await openCache();
      for (let i = 0; i < MAX_BOARDS + 3; i += 1) {
        await cache.save(`b${i}`, i + 1, [{ id: `e${i}` }], 'a1b2');
        await new Promise((r) => setTimeout(r, 2));  // distinct use times
      }
      await cache.load('b3');  // loading does not count as use: saving does
      const ids = [];
      for (let i = 0; i < MAX_BOARDS + 3; i += 1) if (await cache.load(`b${i}`)) ids.push(i);
      return { ids, bad: await cache.load('nothing'), max: MAX_BOARDS };
    }""")
    assert kept_ids["max"] == 20 and kept_ids["bad"] is None
    assert kept_ids["ids"] == list(range(3, 23)), kept_ids
