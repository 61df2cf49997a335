"""Packed stroke points in the sync (lanboard/packing.py, static/app/packing.js, socket.py):
the page's unpacker (run in node) rebuilds exactly the elements the server stores, for random
and recorded strokes; what cannot be packed exactly goes as stored; and against a real server
a `v=2&pack=1` client's sync, with and without deflate, is the same board as a plain one's,
while v1 clients (pack=1 is ignored for them) and v2 clients without it never see packed
fields."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rawws import RawWS
from test_deflate import DeflateWS, http_post
from testkit import ServerProcess, start_server

from lanboard import packing, socket
from lanboard.protocol import dumps_valid

ROOT = Path(__file__).resolve().parent.parent
PAGE_PACKING = (ROOT / "static/app/packing.js").as_uri()
RECORDED = ROOT / "benchmarks/strokes/now.json"
ROOM = "packed"
INK = {"strokeColor": "#1e1e1e", "strokeWidth": 2.5}

UNPACK = f"""
import {{ unpackElements }} from {json.dumps(PAGE_PACKING)};
let text = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {{ text += d; }});
process.stdin.on('end', () => {{
  process.stdout.write(JSON.stringify(unpackElements(JSON.parse(text))));
}});
"""


def node_unpack(elements_json: bytes) -> list[dict[str, Any]]:
    """The page's own unpacker on a sync's element array: what the scene would see."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the page's unpacker runs in Node.js 18+")
    out = subprocess.run([node, "--input-type=module", "-e", UNPACK], input=elements_json,
                         capture_output=True, timeout=30, check=True).stdout
    result: list[dict[str, Any]] = json.loads(out)
    return result


def tenths_stroke(i: int, rng: random.Random, pressure: bool = False) -> dict[str, Any]:
    """A stroke as the page's compact strokes store it: tenths (and hundredths)."""
    x, y = rng.uniform(-1e6, 1e6) if i % 7 == 0 else rng.uniform(0, 900), rng.uniform(0, 900)
    pts: list[list[float]] = []
    for _ in range(rng.randint(1, 120)):
        x += rng.uniform(-9, 9)
        y += rng.uniform(-9, 9)
        pt: list[float] = [round(x, 1), round(y, 1)]
        if rng.random() < 0.1:
            pt[0] = int(pt[0])  # whole numbers are stored as ints
        if pressure:
            pt.append(round(rng.random(), 2))
        pts.append(pt)
    return {"id": f"t{i}", "elementType": "path" if i % 3 else "highlighter", "points": pts,
            **INK}


def plain(element: bytes) -> Any:
    return json.loads(element)


# ---- pure parts ---------------------------------------------------------------------------

def test_packed_elements_unpack_in_the_page_to_exactly_the_stored_ones() -> None:
    rng = random.Random(5)
    recorded = [s["element"] for s in json.loads(RECORDED.read_text())["strokes"]]
    stored = [dumps_valid(el) for el in recorded]
    stored += [dumps_valid(tenths_stroke(i, rng, pressure=i % 2 == 0)) for i in range(400)]
    # Sums that are not exact in binary: 0.1 + 0.2 style steps, the coordinate bounds.
    stored.append(dumps_valid({"id": "edges", "elementType": "path", "points": [
        [0.1, 0.2], [0.3, 0.3], [0.7, -0.1], [1e6, -1e6], [-999999.9, 999999.9], [0, 0]]}))
    packed = [packing.pack(e) for e in stored]
    assert all(b'"pk":' in p and b'"points"' not in p for p in packed)
    assert sum(map(len, packed)) < 0.7 * sum(map(len, stored))
    back = node_unpack(b"[" + b",".join(packed) + b"]")
    assert len(back) == len(stored)
    for got, want in zip(back, map(plain, stored), strict=True):
        assert got == want  # every float the same double (JSON round trip is exact)
        assert list(got) == list(want)  # and the keys in the stored order


@pytest.mark.parametrize("points", [
    [[1.25, 2]],                     # a hundredth in a coordinate
    [[1, 2], [3.14159, 2]],          # an old stroke's full precision
    [[1, 2, 0.505]],                 # pressure beyond hundredths
    [[-0.0, 1]],                     # -0.0 would come back as 0
    [[1, 2], [3, 4, 0.5]],           # points of mixed widths
    [[0.30000000000000004, 1]],      # not the double nearest to a tenth
    [[1e12, 0]],                     # beyond any coordinate the server accepts
])
def test_what_cannot_be_packed_exactly_goes_as_stored(points: list[list[float]]) -> None:
    stored = json.dumps({"id": "x", "elementType": "path", "points": points}).encode()
    assert packing.pack(stored) is stored


def test_points_in_tenths_are_packed_whatever_the_json_spacing() -> None:
    for text in (b'{"id":"a","points":[[1.5,2],[1.6,2.5]]}',
                 b'{"id": "a", "points": [[1.5, 2], [1.6, 2.5]]}'):
        assert plain(packing.pack(text)) == {"id": "a", "pk": [15, 20, 1, 5]}
    assert plain(packing.pack(b'{"id":"p","points":[[1.5,2,0.25],[1.6,2.5,0.5]]}')) == {
        "id": "p", "pk": [15, 20, 1, 5], "pp": [25, 25]}


def test_elements_without_points_and_odd_bytes_go_as_stored() -> None:
    for stored in (b'{"id":"r","elementType":"rect","x":1.25,"y":2}', b'not json "points"',
                   b'{"id":"p","points":[[1,2]],"pk":[1]}', b'[1,"points"]',
                   b'{"id":"e","points":[]}', b'{"id":"s","points":"[[1,2]]"}'):
        assert packing.pack(stored) is stored


def test_the_pack_cache_repacks_a_changed_element_and_forgets_erased_ones() -> None:
    cache = packing.PackCache()
    a = dumps_valid({"id": "a", "elementType": "path", "points": [[1, 2]]})
    b = dumps_valid({"id": "a", "elementType": "path", "points": [[1, 2], [3, 4]]})
    body = b"[" + a + b"]"
    first = cache.body(body, [a])
    assert cache.body(body, [a]) is first and cache.get(a) is cache.get(a)
    assert plain(cache.get(b))["pk"] == [10, 20, 20, 20]  # same id, new bytes: repacked
    assert cache.missing([a, b]) == 0
    cache.retain([b])
    assert cache.missing([a, b]) == 1


# ---- against a real server -----------------------------------------------------------------

@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_server(tmp_path_factory.mktemp("packingdata"),
                          env={"LANBOARD_STORE": "memory"})
    yield server
    server.kill()


@pytest.fixture(scope="module")
def board(srv: ServerProcess) -> list[dict[str, Any]]:
    """Strokes in tenths (some with pressure), old strokes with more decimals, a rect."""
    rng = random.Random(9)
    els: list[dict[str, Any]] = [tenths_stroke(i, rng, pressure=i % 4 == 0) for i in range(60)]
    els += [{"id": f"old{i}", "elementType": "path", **INK, "points": [
        [rng.uniform(0, 900), rng.uniform(0, 900)] for _ in range(30)]} for i in range(10)]
    els.append({"id": "box", "elementType": "rect", **INK, "x": 1.25, "y": 2, "width": 10,
                "height": 5})
    status, _, reply = http_post(srv.port, f"/api/rooms/{ROOM}/import",
                                 json.dumps({"elements": els}).encode())
    assert status == 200, reply
    return els


def sync_elements(ws: DeflateWS) -> tuple[bool, bytes]:
    """(compressed?, the sync's element array as it came) of a v2 client's first frame."""
    rsv1, payload, _ = ws.message()
    msgs = json.loads(payload)
    assert msgs[0]["type"] == "sync"
    return rsv1, json.dumps(msgs[0]["data"]["elements"]).encode()


def test_a_packed_sync_is_the_same_board_with_and_without_deflate(
        srv: ServerProcess, board: list[dict[str, Any]]) -> None:
    base = f"/ws/{ROOM}?v=2&userId="
    clients = {
        "plain": DeflateWS(srv.port, base + "plain", offer=False),
        "deflate": DeflateWS(srv.port, base + "deflate"),
        "packed": DeflateWS(srv.port, base + "packed&pack=1", offer=False),
        "packed_deflate": DeflateWS(srv.port, base + "pd&pack=1"),
        "packed_deflate2": DeflateWS(srv.port, base + "pd2&pack=1"),  # the shared chunks
    }
    try:
        got = {name: sync_elements(ws) for name, ws in clients.items()}
    finally:
        for ws in clients.values():
            ws.close()
    assert [r for r, _ in got.values()] == [False, True, False, True, True]
    want = json.loads(got["plain"][1])
    assert len(want) == len(board) and b'"pk"' not in got["plain"][1]
    assert b'"pk"' not in got["deflate"][1]
    assert json.loads(got["deflate"][1]) == want
    for name in ("packed", "packed_deflate", "packed_deflate2"):
        raw = json.loads(got[name][1])
        packed_ids = {e["id"] for e in raw if "pk" in e}
        assert packed_ids == {e["id"] for e in board if e["id"].startswith("t")}, name
        assert len(got[name][1]) < 0.75 * len(got["plain"][1])
        assert node_unpack(got[name][1]) == want, name


def test_seed_clients_and_v2_clients_without_pack_never_see_packed_fields(
        srv: ServerProcess, board: list[dict[str, Any]]) -> None:
    # pack=1 without v=2 is ignored: a seed client could not read packed points.
    for query in ("userId=seed&pack=1", "userId=seed2", "userId=v2&v=2&pack=0",
                  "userId=v2b&v=2&pack=yes", "userId=v3&v=3&pack=1"):
        ws = RawWS(srv.port, f"/ws/{ROOM}?{query}")
        try:
            frame = ws.recv()
        finally:
            ws.close()
        sync = frame[0] if isinstance(frame, list) else frame
        assert sync["type"] == "sync", query
        els = sync["data"]["elements"]
        assert len(els) == len(board) and not any("pk" in e or "pp" in e for e in els), query
        assert all("points" in e for e in els if e["id"] != "box"), query


def test_a_big_board_without_deflate_is_packed_off_the_loop_for_later_joiners(
        srv: ServerProcess) -> None:
    """Over PACK_ON_LOOP_MAX unpacked strokes: the first packed joiner without deflate gets
    the stored elements (still valid), and the board is packed on a thread for later ones."""
    rng = random.Random(2)
    n = socket.PACK_ON_LOOP_MAX + 200
    els = [{"id": f"b{i}", "elementType": "path", **INK,
            "points": [[round(rng.uniform(0, 900), 1), 5] for _ in range(4)]} for i in range(n)]
    status, _, reply = http_post(srv.port, f"/api/rooms/{ROOM}-big/import",
                                 json.dumps({"elements": els}).encode())
    assert status == 200, reply
    path = f"/ws/{ROOM}-big?v=2&pack=1&userId="
    first = DeflateWS(srv.port, path + "first", offer=False)
    try:
        _, elements = sync_elements(first)
    finally:
        first.close()
    assert b'"pk"' not in elements and len(json.loads(elements)) == n
    deadline = time.monotonic() + 10
    while b'"pk"' not in elements and time.monotonic() < deadline:
        time.sleep(0.1)
        later = DeflateWS(srv.port, path + "later", offer=False)
        try:
            _, elements = sync_elements(later)
        finally:
            later.close()
    assert elements.count(b'"pk"') == n
    back = node_unpack(elements)
    assert [{k: v for k, v in e.items() if k != "userId"} for e in back] == els
