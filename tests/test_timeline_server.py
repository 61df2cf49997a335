"""The board at any seq over HTTP, the kept changes, and "restore this moment", against a
real server on a real SQLite store, fed by real sockets.

The board at seq N must be what a connected page had after change N: a watcher records a
real session (every stored kind: draw, append, update, order, erase, clear), the page's own
Scene (static/app/scene.js, under node) replays the recording, and each of its boards must
equal `export?format=json&seq=N`, rebuilt on the server from a snapshot plus a replay.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from testkit import line, schedule
from tornado.httpclient import HTTPClientError

from lanboard import limits, timeline
from lanboard.app import make_app
from lanboard.hub import Hub
from lanboard.sqlite_store import SqliteStore

ROOT = Path(__file__).resolve().parent.parent
STORED = {"draw", "append", "erase", "update", "order", "clear"}


@pytest.fixture
def keep_seconds() -> float:
    return 30 * 86400.0


@pytest.fixture
def store(tmp_path, keep_seconds, monkeypatch):
    # Snapshots every few changes, so most seqs are rebuilt from a snapshot plus a replay.
    monkeypatch.setattr(limits, "SNAPSHOT_EVERY_CHANGES", 5)
    monkeypatch.setattr(limits, "RESUME_LOG_CHANGES", 3)
    s = SqliteStore.open(tmp_path, keep_seconds=keep_seconds)
    yield s
    s.close()


@pytest.fixture
def hub(store) -> Hub:
    return Hub(store, schedule)


@pytest.fixture
def app(hub):
    return make_app(hub)


async def fetch(client, path, **kw):
    try:
        return await client.fetch(path, raise_error=False, **kw)
    except HTTPClientError as exc:  # pragma: no cover - raise_error=False returns instead
        return exc.response


async def post(client, path, body=b"{}", ctype="application/json", **headers):
    return await fetch(client, path, method="POST", body=body,
                       headers={"Content-Type": ctype, **headers})


def path(eid: str, pts: list[list[float]]) -> dict[str, Any]:
    return {"id": eid, "elementType": "path", "points": pts, "strokeColor": "#123456",
            "strokeWidth": 3}


def box(kind: str, eid: str, **over: Any) -> dict[str, Any]:
    return {"id": eid, "elementType": kind, "x": 10, "y": 20, "width": 30, "height": 40,
            "strokeColor": "#000", "strokeWidth": 2, **over}


#: A lesson in messages from one person: every stored kind, more than one snapshot apart.
LESSON: list[tuple[str, Any]] = [
    ("draw", path("p1", [[0, 0], [5, 5]])),
    ("append", {"id": "p1", "points": [[9, 4], [12, 1, 0.5]]}),
    ("draw", box("rect", "r1", fillColor="#abc")),
    ("draw", {"id": "t1", "elementType": "text", "x": 5, "y": 6, "text": "hi\nthere",
              "fontSize": 20, "strokeColor": "#000", "strokeWidth": 1}),
    ("update", {"ids": ["r1"], "move": [10, 5]}),
    ("update", {"ids": ["p1", "r1"], "scale": [2, 0.5, 3, 4], "move": [0.25, -1]}),
    ("update", {"ids": ["t1"], "set": {"text": "changed", "strokeColor": "#f00"}}),
    ("order", {"ids": ["t1"], "to": "back"}),
    ("draw", box("sticky", "s1", text="a note", fontSize=16)),
    ("erase", {"ids": ["r1"]}),
    ("draw", {"id": "h1", "elementType": "highlighter", "points": [[0, 9], [40, 9]],
              "strokeColor": "#ff0", "strokeWidth": 12}),
    ("order", {"ids": ["p1"], "to": "front"}),
    ("draw", line("l1")),
    ("clear", {}),
    ("draw", box("ellipse", "e1")),
    ("draw", {**line("a1"), "elementType": "arrow"}),
    ("draw", path("p2", [[1, 1]])),
    ("append", {"id": "p2", "points": [[2, 3]]}),
    ("append", {"id": "p2", "points": [[4, 9]]}),
    ("update", {"ids": ["p2", "e1"], "move": [3, 3], "set": {"strokeWidth": 5}}),
    ("draw", box("rect", "e1", x=-5)),  # a draw of an existing id replaces it in place
    ("erase", {"ids": ["a1"]}),
]


async def record_lesson(connect) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Play LESSON from one socket; return the sync and every stored change a second socket,
    connected from the start, received."""
    ann = await connect("lesson", userId="ann", v=2)
    watcher = await connect("lesson", userId="watch", v=2)
    await ann.recv_type("sync")
    sync = (await watcher.recv_type("sync"))["data"]
    for kind, data in LESSON:
        ann.send(kind, data)
        await ann.recv_type(kind)  # its echo: committed and relayed before the next
    seen: list[dict[str, Any]] = []
    while len(seen) < len(LESSON):
        msg = await watcher.recv()
        if msg["type"] in STORED:
            seen.append(msg)
    return sync, seen


def scene_boards(sync: dict[str, Any], changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = subprocess.run(["node", str(ROOT / "tests" / "scene_replay.mjs")],
                         input=json.dumps({"sync": sync, "changes": changes}),
                         capture_output=True, text=True, timeout=60, check=True)
    boards: list[dict[str, Any]] = json.loads(out.stdout)
    return boards


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node for the page's Scene")
async def test_the_board_at_every_seq_is_what_a_connected_page_had(http_server_client, connect,
                                                                    store):
    sync, seen = await record_lesson(connect)
    assert [m["seq"] for m in seen] == list(range(1, len(LESSON) + 1))
    assert {m["type"] for m in seen} == STORED
    # Snapshots were taken along the way, so rebuilding went through them.
    assert store.base("lesson", len(LESSON))[0] >= 5
    boards = scene_boards(sync, seen)
    assert [b["seq"] for b in boards] == list(range(len(LESSON) + 1))
    for board in boards:
        resp = await fetch(http_server_client,
                           f"/api/rooms/lesson/export?format=json&seq={board['seq']}")
        assert resp.code == 200, resp.body
        doc = json.loads(resp.body)
        assert doc["seq"] == board["seq"]
        assert doc["elements"] == board["elements"], f"the board differs at seq {board['seq']}"
    assert boards[14]["elements"] == [] and boards[-1]["elements"]  # the clear, and after


async def test_changes_are_the_messages_peers_received_oldest_first_paged(http_server_client,
                                                                          connect):
    _, seen = await record_lesson(connect)
    resp = await fetch(http_server_client, "/api/rooms/lesson/changes?after=0")
    assert resp.code == 200 and resp.headers["Content-Type"].startswith("application/json")
    doc = json.loads(resp.body)
    assert (doc["oldest"], doc["seq"]) == (0, len(LESSON))
    assert doc["changes"] == seen
    pages, after = [], 0
    while True:
        page = json.loads((await fetch(
            http_server_client, f"/api/rooms/lesson/changes?after={after}&limit=4")).body)
        if not page["changes"]:
            break
        pages.append(page["changes"])
        after = page["changes"][-1]["seq"]
    assert [len(p) for p in pages][:-1] == [4] * (len(pages) - 1)
    assert [m for p in pages for m in p] == seen
    missing = json.loads((await fetch(http_server_client, "/api/rooms/lesson/changes")).body)
    assert missing["changes"] == seen  # without `after`: from the oldest kept


@pytest.mark.parametrize("query, status, code", [
    ("seq=abc", 400, "bad_seq"), ("seq=-1", 400, "bad_seq"), ("seq=1.5", 400, "bad_seq"),
    ("seq=", 400, "bad_seq"), ("seq=99", 404, "no_seq"), ("seq=1&format=gif", 400,
                                                         "bad_format"),
    ("seq=1&format=pdf&paper=a3", 400, "bad_paper"),
])
async def test_bad_seqs_get_clear_errors(http_server_client, connect, query, status, code):
    ann = await connect("b", userId="ann", v=2)
    await ann.recv_type("sync")
    ann.send("draw", line("x"))
    await ann.recv_type("draw")
    resp = await fetch(http_server_client, f"/api/rooms/b/export?{query}")
    assert resp.code == status, resp.body
    assert json.loads(resp.body)["error"] == code


@pytest.mark.parametrize("query, status, code", [
    ("after=x", 400, "bad_seq"), ("limit=0", 400, "bad_limit"),
    (f"limit={limits.MAX_CHANGES_PAGE + 1}", 400, "bad_limit"), ("limit=-3", 400, "bad_seq"),
])
async def test_bad_changes_queries_get_clear_errors(http_server_client, connect, query, status,
                                                    code):
    ann = await connect("c", userId="ann", v=2)
    await ann.recv_type("sync")
    ann.send("draw", line("x"))
    await ann.recv_type("draw")
    resp = await fetch(http_server_client, f"/api/rooms/c/changes?{query}")
    assert (resp.code, json.loads(resp.body)["error"]) == (status, code)


async def test_a_board_never_used_is_404_and_loads_nothing(http_server_client, hub):
    for url in ("/api/rooms/nobody/export?seq=0", "/api/rooms/nobody/changes?after=0"):
        resp = await fetch(http_server_client, url)
        assert (resp.code, json.loads(resp.body)["error"]) == (404, "no_board")
    resp = await post(http_server_client, "/api/rooms/nobody/versions/at/0/restore")
    assert (resp.code, json.loads(resp.body)["error"]) == (404, "no_board")
    assert "nobody" not in hub.rooms
    resp = await fetch(http_server_client, "/api/rooms/bad%20id/changes")
    assert (resp.code, json.loads(resp.body)["error"]) == (400, "bad_room")


@pytest.mark.parametrize("keep_seconds", [0.0])
async def test_past_the_retention_older_seqs_are_410_gone(http_server_client, connect, hub):
    ann = await connect("old", userId="ann", v=2)
    await ann.recv_type("sync")
    for i in range(12):
        ann.send("draw", line(f"l{i}", x1=i))
        await ann.recv_type("draw")
    # keep_seconds=0: each snapshot is at once the oldest board kept.
    kept = hub.store.kept("old")
    assert kept is not None and 5 <= kept.oldest < 12 and kept.seq == 12
    for url in (f"/api/rooms/old/export?seq={kept.oldest - 1}",
                f"/api/rooms/old/changes?after={kept.oldest - 1}",
                "/api/rooms/old/changes?after=0"):
        resp = await fetch(http_server_client, url)
        body = json.loads(resp.body)
        assert (resp.code, body["error"]) == (410, "gone"), url
        assert str(kept.oldest) in body["message"]
    resp = await fetch(http_server_client, f"/api/rooms/old/export?seq={kept.oldest}")
    ids = [e["id"] for e in json.loads(resp.body)["elements"]]
    assert ids == [f"l{i}" for i in range(kept.oldest)]
    doc = json.loads((await fetch(http_server_client, "/api/rooms/old/changes")).body)
    assert doc["oldest"] == kept.oldest
    assert [m["seq"] for m in doc["changes"]] == list(range(kept.oldest + 1, 13))


async def test_restore_this_moment_is_an_ordinary_restore(http_server_client, connect, hub):
    ann = await connect("rs", userId="ann", v=2)
    await ann.recv_type("sync")
    for i in range(8):
        ann.send("draw", line(f"l{i}", x1=i))
        await ann.recv_type("draw")
    ann.send("clear", {})
    await ann.recv_type("clear")
    url = "/api/rooms/rs/versions/at/6/restore"
    resp = await post(http_server_client, url, ctype="text/plain")
    assert (resp.code, json.loads(resp.body)["error"]) == (415, "bad_content_type")
    resp = await post(http_server_client, url, Origin="http://evil.example")
    assert (resp.code, json.loads(resp.body)["error"]) == (403, "bad_origin")
    for bad, status, code in (("x", 400, "bad_seq"), ("99", 404, "no_seq")):
        resp = await post(http_server_client, f"/api/rooms/rs/versions/at/{bad}/restore")
        assert (resp.code, json.loads(resp.body)["error"]) == (status, code)
    resp = await post(http_server_client, url)
    assert resp.code == 200, resp.body
    assert json.loads(resp.body) == {"seq": 9 + 1 + 6, "elements": 6}
    # Everyone gets it as ordinary changes: a clear, then one draw per element.
    assert (await ann.recv_type("clear"))["seq"] == 10
    draws = [(await ann.recv_type("draw"))["data"]["id"] for _ in range(6)]
    assert draws == [f"l{i}" for i in range(6)]
    assert [e for e, _ in hub.rooms["rs"].encoded_elements()] == draws
    # The board as it was (empty, after the clear) has no version; the board before the
    # clear has one, and the restore's own version comes with the next non-empty board.
    versions = json.loads((await fetch(http_server_client, "/api/rooms/rs/versions")).body)
    assert "before-clear" in [v["reason"] for v in versions["versions"]]
    # A second restore over a non-empty board saves it first, as `before-restore`.
    resp = await post(http_server_client, "/api/rooms/rs/versions/at/3/restore")
    assert resp.code == 200
    versions = json.loads((await fetch(http_server_client, "/api/rooms/rs/versions")).body)
    assert versions["versions"][0]["reason"] == "before-restore"
    assert versions["versions"][0]["elements"] == 6
    # The same rate limit as any restore or import: a burst, then 429.
    codes = [(await post(http_server_client, url)).code for _ in range(4)]
    assert 429 in codes


def test_a_seq_must_be_a_plain_whole_number():
    assert timeline.parse_seq("0") == 0 and timeline.parse_seq("123") == 123
    for bad in ("", "-1", "+1", "1e3", "1.0", "٣", "9" * 16, " 1"):
        with pytest.raises(Exception, match="whole number"):
            timeline.parse_seq(bad)


HOSTILE = ["export?seq=%00", "export?seq=1%20", "export?seq=" + "9" * 40, "export?seq=%D9%A3",
           "export?seq=0x10", "export?seq=1&seq=2", "export?format=pdf&seq=0&paper=..%2F",
           "export?format=PDF", "changes?after=%FF", "changes?limit=1e3", "changes?after=-0",
           "changes?after=" + "9" * 15, "changes?after=1&limit=" + "9" * 30,
           "versions/at/%00/restore", "versions/at/" + "1" * 40 + "/restore",
           "versions/at/-1/restore", "versions/at/1.0/restore"]


@pytest.mark.parametrize("tail", HOSTILE)
async def test_hostile_timeline_requests_get_json_errors_never_a_500(http_server_client, connect,
                                                                     tail):
    ann = await connect("h", userId="ann", v=2)
    await ann.recv_type("sync")
    ann.send("draw", line("x"))
    await ann.recv_type("draw")
    method = "POST" if tail.endswith("restore") else "GET"
    resp = await fetch(http_server_client, f"/api/rooms/h/{tail}", method=method,
                       body=b"{}" if method == "POST" else None,
                       headers={"Content-Type": "application/json"})
    assert resp.code < 500, (tail, resp.code, resp.body)
    if resp.code >= 400:
        body = json.loads(resp.body)
        assert {"error", "message"} <= set(body)


async def test_the_board_at_seq_0_is_the_empty_board(http_server_client, connect):
    ann = await connect("z", userId="ann", v=2)
    await ann.recv_type("sync")
    ann.send("draw", line("x"))
    await ann.recv_type("draw")
    doc = json.loads((await fetch(http_server_client, "/api/rooms/z/export?seq=0")).body)
    assert (doc["seq"], doc["elements"]) == (0, [])
    resp = await fetch(http_server_client, "/api/rooms/z/export?format=svg&seq=1")
    assert resp.code == 200 and b"<line" in resp.body


async def test_a_changes_page_stops_past_its_byte_limit(http_server_client, connect,
                                                        monkeypatch):
    monkeypatch.setattr(limits, "MAX_CHANGES_PAGE_BYTES", 600)
    ann = await connect("big", userId="ann", v=2)
    await ann.recv_type("sync")
    for i in range(6):
        ann.send("draw", path(f"p{i}", [[j, j] for j in range(20)]))
        await ann.recv_type("draw")
    doc = json.loads((await fetch(http_server_client, "/api/rooms/big/changes?after=0")).body)
    sizes = [len(json.dumps(m, separators=(",", ":"))) for m in doc["changes"]]
    assert 1 <= len(sizes) < 6 and (sum(sizes) <= 600 or len(sizes) == 1)
    got, after = [], 0
    while True:
        page = json.loads((await fetch(http_server_client,
                                       f"/api/rooms/big/changes?after={after}")).body)
        if not page["changes"]:
            break
        got += [m["seq"] for m in page["changes"]]
        after = got[-1]
    assert got == list(range(1, 7))


def test_the_timeline_and_the_drawing_are_domain_code():
    """Like tests/test_codebase.py's list: they import no framework, sockets or disks."""
    import ast

    from test_codebase import FRAMEWORKS

    for module in ("timeline.py", "drawing.py"):
        tree = ast.parse((ROOT / "lanboard" / module).read_text())
        names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
                 for a in n.names}
        names |= {n.module.split(".")[0] for n in ast.walk(tree)
                  if isinstance(n, ast.ImportFrom) and n.module}
        assert not names & (FRAMEWORKS | {"fpdf"}), module
