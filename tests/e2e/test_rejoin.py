"""Rejoining without a full download (issue 17), in Chromium against the real server: a
reloaded page draws the board it kept in IndexedDB and resumes with `?since=SEQ`, so the
server sends `resume` and only the changes missed; a sync replaces what was kept; a page
without IndexedDB joins as before; a dropped socket reconnects with `since` too. The copy is
written by change: its rows are the server's board after draws, an update, an order and an
erase, each save putting only what changed; a copy of the old one-row format is dropped."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

from board_page import drag, open_board, settled, wait_ready
from rawws import RawWS

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


def export(base: str, room: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{base}/api/rooms/{room}/export?format=json",
                                timeout=10) as res:
        return list(json.load(res)["elements"])


#: The board's rows in IndexedDB as they are: its board row and its element rows' keys and
#: values (schema 2 of static/app/boardcache.js).
ROWS_JS = """async (room) => {
  const db = await new Promise((ok, no) => { const r = indexedDB.open('lanboard');
    r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
  const tx = db.transaction(['boards', 'elements'], 'readonly');
  const ask = (q) => new Promise((ok) => { q.onsuccess = () => ok(q.result); });
  const range = IDBKeyRange.bound([room], [room, []]);
  const [row, keys, values, stores] = [
    await ask(tx.objectStore('boards').get(room)),
    await ask(tx.objectStore('elements').getAllKeys(range)),
    await ask(tx.objectStore('elements').getAll(range)), [...db.objectStoreNames]];
  const version = db.version;
  db.close();
  return { row, keys, values, stores, version };
}"""


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
      // The evicted boards' element rows went with their board rows.
      const keys = await new Promise((ok) => { const q = cache.db.transaction('elements')
        .objectStore('elements').getAllKeys(); q.onsuccess = () => ok(q.result); });
      return { ids, bad: await cache.load('nothing'), max: MAX_BOARDS,
               rows: keys.map((k) => k[0]).sort() };
    }""")
    assert kept_ids["max"] == 20 and kept_ids["bad"] is None
    assert kept_ids["ids"] == list(range(3, 23)), kept_ids
    assert kept_ids["rows"] == sorted(f"b{i}" for i in range(3, 23)), kept_ids


def rows_written(page: Any) -> dict[str, int]:
    return dict(page.evaluate("async () => (await window.__lanboard.boardCache).rows"))


def test_the_copy_is_written_by_change_and_a_reload_resumes_on_it(
        board_server: Any, new_context: Any) -> None:
    room = "rejoin-rows"
    import_strokes(board_server.url, room, 12)
    page = open_board(new_context(), board_server.url, room, "fa")
    kept(page)
    before = rows_written(page)
    # No copy yet: written whole, twelve strokes in one row.
    assert before["rewrites"] == 1 and before["changed"] == 12 and before["puts"] == 1, before

    # Another client draws, moves, reorders and erases.
    ws = RawWS(board_server.port, f"/ws/{room}?userId=gu&v=2")
    ws.recv()
    ws.send("draw", {"id": "n1", "elementType": "path", "strokeColor": "#1e1e1e",
                     "strokeWidth": 2, "points": [[10, 10], [30, 40], [50, 45]]})
    ws.send("update", {"ids": ["s7"], "move": [15, 25]})
    ws.send("order", {"ids": ["s5"], "to": "front"})
    ws.send("erase", {"ids": ["s3"]})
    seq = 0
    deadline = time.monotonic() + 10
    while not seq and time.monotonic() < deadline:
        seq = max([m["seq"] for m in ws.recv(2) if m["type"] == "erase"] or [0])
    ws.close()
    assert seq
    page.wait_for_function(f"() => window.__lanboard.scene.seq === {seq}")
    state = kept(page)
    written = rows_written(page)
    # Each change wrote its one element once (the order replaced no object), s3 is gone, and
    # nothing was rewritten whole.
    delta = {k: written[k] - before[k] for k in written}
    assert {k: delta[k] for k in ("changed", "removed", "rewrites", "deletes")} == \
        {"changed": 2, "removed": 1, "rewrites": 0, "deletes": 0}, (before, written)

    server = export(board_server.url, room)
    ids = [e["id"] for e in server]
    assert ids[-1] == "s5" and "s3" not in ids and "n1" in ids
    rows = page.evaluate(ROWS_JS, room)
    assert rows["row"]["seq"] == seq and rows["row"]["order"] == ids
    assert rows["keys"] == [[room, 0]]  # one row of elements (up to 50 a row)
    by_id = {e["id"]: e for row in rows["values"] for e in row}
    assert sorted(by_id) == sorted(ids)
    moved = next(e for e in server if e["id"] == "s7")
    assert by_id["s7"]["points"] == moved["points"]
    assert by_id["s7"]["points"][0] == [245, 65]  # (230, 40) moved by (15, 25)

    wire = Wire(page)
    page.reload()
    state = kept(page)
    assert state["restored"] == len(ids) and state["restoredSeq"] == seq, state
    wait_ready(page)
    assert f"since={seq}" in wire.urls[0] and wire.kinds()[0] == "resume", wire.kinds()
    assert [e[0] for e in board_model(page)] == ids
    assert page.errors == []


def test_a_copy_of_the_old_one_row_format_is_dropped(board_server: Any,
                                                    new_context: Any) -> None:
    room = "rejoin-old-row"
    import_strokes(board_server.url, room, 3)
    context = new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{board_server.url}/")
    # Schema 1 as the page kept it before: the whole board in one row of the store 'boards'.
    page.evaluate("""async (room) => {
      const db = await new Promise((ok) => { const r = indexedDB.open('lanboard', 1);
        r.onupgradeneeded = () => r.result.createObjectStore('boards', { keyPath: 'id' });
        r.onsuccess = () => ok(r.result); });
      const tx = db.transaction('boards', 'readwrite');
      tx.objectStore('boards').put({ id: room, seq: 2, usedAt: Date.now(), origin: 'a1b2',
        elements: [{ id: 'ghost', elementType: 'line', strokeColor: '#000', strokeWidth: 2,
                     x1: 0, y1: 0, x2: 9, y2: 9, userId: 'x' }] });
      await new Promise((ok) => { tx.oncomplete = ok; });
      db.close();
    }""", room)
    wire = Wire(page)
    page.goto(f"{board_server.url}/room/{room}?name=ha")
    state = kept(page)
    assert state["cache"] == "indexeddb" and state["restored"] == 0, state
    wait_ready(page)
    assert "since=" not in wire.urls[0] and wire.kinds()[0] == "sync"
    assert [e[0] for e in board_model(page)] == ["s0", "s1", "s2"]
    kept(page)
    rows = page.evaluate(ROWS_JS, room)
    assert rows["version"] == 2 and sorted(rows["stores"]) == ["boards", "elements"]
    assert "elements" not in rows["row"] and rows["row"]["order"] == ["s0", "s1", "s2"]
    wire.reset()
    page.reload()
    wait_ready(page)
    assert wire.kinds()[0] == "resume"
    assert errors == []


def test_two_tabs_of_a_board_leave_the_copy_to_the_one_that_wrote_it(
        board_server: Any, new_context: Any) -> None:
    """Two tabs of one board in one browser: the copy stays one page's, whole and at its seq
    (a mix of two pages' rows could hold changes past the seq beside them)."""
    room = "rejoin-two-tabs"
    import_strokes(board_server.url, room, 8)
    context = new_context()
    first = open_board(context, board_server.url, room, "ia")
    kept(first)
    second = open_board(context, board_server.url, room, "jo")
    assert kept(second)["restored"] == 8  # read the first tab's copy

    ws = RawWS(board_server.port, f"/ws/{room}?userId=ka&v=2")
    ws.recv()
    ws.send("update", {"ids": ["s2"], "move": [10, 0]})
    seq = 0
    deadline = time.monotonic() + 10
    while not seq and time.monotonic() < deadline:
        seq = max([m["seq"] for m in ws.recv(2) if m["type"] == "update"] or [0])
    ws.close()
    for page in (first, second):
        page.wait_for_function(f"() => window.__lanboard.scene.seq === {seq}")
    kept(first)
    kept(second)  # the row is the first tab's now, and as new: left to it
    assert rows_written(second)["skips"] >= 1 and rows_written(second)["changed"] == 0
    rows = second.evaluate(ROWS_JS, room)
    assert rows["row"]["seq"] == seq
    assert rows["row"]["order"] == [e["id"] for e in export(board_server.url, room)]

    wire = Wire(second)
    second.reload()
    state = kept(second)
    assert state["restored"] == 8 and state["restoredSeq"] == seq, state
    wait_ready(second)
    assert f"since={seq}" in wire.urls[0] and wire.kinds()[0] == "resume"
    moved = second.evaluate(
        "() => window.__lanboard.scene.confirmed.get('s2').points[0]")
    assert moved == [90, 40]  # (80, 40) moved once by (10, 0)
    assert first.errors == [] and second.errors == []
