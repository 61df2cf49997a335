"""Issue 15, pages and locked elements on a real server with real WebSocket clients (v2, and
seed v1 ones that see page 1 only), and images kept by restore and carried by exports (the
handout read back with poppler's pdftoppm)."""

from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from testkit import line

from lanboard.hub import Hub

JSON = {"Content-Type": "application/json"}


def rect(eid: str, **over: Any) -> dict[str, Any]:
    return {"id": eid, "elementType": "rect", "x": 0, "y": 0, "width": 100, "height": 50,
            "strokeColor": "#000", "strokeWidth": 2, **over}


def png(color: str = "red", size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


async def fetch(client: Any, path: str, **kw: Any) -> Any:
    return await client.fetch(path, raise_error=False, **kw)


async def teacher_key(client: Any, room: str) -> str:
    links = json.loads((await fetch(client, f"/api/rooms/{room}/links")).body)
    return str(links["teacher"].split("key=")[1])


async def joined(connect: Any, room: str, name: str, v2: bool = True, **q: Any) -> Any:
    if v2:
        q["v"] = 2
    client = await connect(room, userId=name, **q)
    sync = await client.recv_type("sync")
    client.sync = sync
    return client


async def upload(client: Any, room: str, data: bytes) -> str:
    resp = await fetch(client, f"/api/rooms/{room}/assets", method="POST", body=data,
                       headers={"Content-Type": "image/png"})
    assert resp.code in (200, 201), resp.body
    return str(json.loads(resp.body)["id"])


async def code_of(client: Any) -> str:
    return str((await client.recv_type("error"))["data"]["code"])


# ---- locked elements ----------------------------------------------------------------------

async def test_only_the_teacher_changes_a_locked_element(http_server_client, connect):
    key = await teacher_key(http_server_client, "lk")
    boss = await joined(connect, "lk", "boss", key=key)
    kid = await joined(connect, "lk", "kid")
    boss.send("draw", rect("bg", locked=True))
    drawn = await kid.recv_type("draw")
    assert drawn["data"]["locked"] is True
    kid.send("draw", line("mine"))
    await kid.recv_type("draw")
    # Every change of a student that names the locked element is refused whole.
    for kind, data in [("erase", {"ids": ["mine", "bg"]}),
                       ("update", {"ids": ["bg"], "move": [5, 5]}),
                       ("update", {"ids": ["mine", "bg"], "set": {"strokeColor": "#f00"}}),
                       ("order", {"ids": ["bg"], "to": "front"}),
                       ("draw", rect("bg", x=50))]:
        kid.send(kind, data)
        err = (await kid.recv_type("error"))["data"]
        assert err["code"] == "forbidden" and "locked" in err["message"], (kind, err)
    # Only the teacher locks or unlocks.
    kid.send("draw", rect("k2", locked=True))
    assert await code_of(kid) == "forbidden"
    kid.send("update", {"ids": ["mine"], "set": {"locked": True}})
    assert await code_of(kid) == "forbidden"
    # The student's own stroke is still theirs: the erase above changed nothing.
    kid.send("erase", {"ids": ["mine"]})
    assert (await kid.recv_type("erase"))["data"]["ids"] == ["mine"]
    # The teacher moves it, unlocks it; then a student may change it.
    boss.send("update", {"ids": ["bg"], "move": [1, 1]})
    assert (await kid.recv_type("update"))["data"]["ids"] == ["bg"]
    boss.send("update", {"ids": ["bg"], "set": {"locked": False}})
    await kid.recv_type("update")
    kid.send("erase", {"ids": ["bg"]})
    assert (await kid.recv_type("erase"))["data"]["ids"] == ["bg"]


async def test_a_students_append_to_a_locked_stroke_is_refused(http_server_client, connect):
    key = await teacher_key(http_server_client, "lk2")
    boss = await joined(connect, "lk2", "boss", key=key)
    kid = await joined(connect, "lk2", "kid")
    kid.send("draw", {"id": "p", "elementType": "path", "points": [[0, 0]],
                      "strokeColor": "#000", "strokeWidth": 2})
    await boss.recv_type("draw")
    kid.send("append", {"id": "p", "points": [[1, 1]]})  # its own stroke: fine
    await boss.recv_type("append")
    boss.send("update", {"ids": ["p"], "set": {"locked": True}})
    await kid.recv_type("update")
    kid.send("append", {"id": "p", "points": [[2, 2]]})
    err = (await kid.recv_type("error"))["data"]
    assert err["code"] == "forbidden" and "locked" in err["message"]


async def test_a_students_clear_keeps_the_locked_elements_for_everyone(http_server_client,
                                                                       connect):
    key = await teacher_key(http_server_client, "cl")
    boss = await joined(connect, "cl", "boss", key=key)
    boss.send("settings", {"allowReplace": True})
    await boss.recv_type("settings")
    boss.send("draw", rect("bg", locked=True))
    boss.send("draw", line("ink"))
    kid = await joined(connect, "cl", "kid")
    seed = await joined(connect, "cl", "old", v2=False)
    assert [e["id"] for e in seed.sync["data"]["elements"]] == ["bg", "ink"]
    kid.send("clear")
    cleared = await boss.recv_type("clear")
    again = await boss.recv_type("draw")
    assert again["data"]["id"] == "bg" and again["seq"] == cleared["seq"] + 1
    # The seed client ends with the same board: the clear, then the kept element.
    assert (await seed.recv_type("clear"))["type"] == "clear"
    assert (await seed.recv_type("draw"))["data"]["id"] == "bg"
    late = await joined(connect, "cl", "late")
    assert [e["id"] for e in late.sync["data"]["elements"]] == ["bg"]
    # The teacher's clear takes everything.
    boss.send("clear")
    await boss.recv_type("clear")
    late2 = await joined(connect, "cl", "late2")
    assert late2.sync["data"]["elements"] == []


async def test_a_students_import_and_restore_keep_the_locked_elements(http_server_client,
                                                                     connect):
    key = await teacher_key(http_server_client, "ir")
    boss = await joined(connect, "ir", "boss", key=key)
    boss.send("settings", {"allowReplace": True})
    await boss.recv_type("settings")
    boss.send("draw", rect("bg", locked=True))
    boss.send("draw", line("ink"))
    await boss.recv_type("draw")
    await boss.recv_type("draw")

    async def ids() -> list[Any]:
        doc = json.loads((await fetch(http_server_client, "/api/rooms/ir/export")).body)
        return [(e["id"], e.get("locked", False)) for e in doc["elements"]]

    board = json.dumps({"elements": [rect("x", locked=True), rect("y", x=5)]}).encode()
    # A student's import keeps the teacher's background and leaves out the file's lock.
    resp = await fetch(http_server_client, "/api/rooms/ir/import", method="POST",
                       body=board, headers=JSON)
    assert resp.code == 200, resp.body
    assert json.loads(resp.body) == {"seq": 6, "elements": 2, "lockedDropped": 1}
    assert await ids() == [("bg", True), ("y", False)]
    # The teacher's import replaces everything, locks included.
    resp = await fetch(http_server_client, "/api/rooms/ir/import", method="POST", body=board,
                       headers={**JSON, "X-LANBoard-Key": key})
    assert resp.code == 200 and "lockedDropped" not in json.loads(resp.body), resp.body
    assert await ids() == [("x", True), ("y", False)]
    # A student restoring the version from before it keeps today's background, not that one.
    versions = json.loads((await fetch(http_server_client, "/api/rooms/ir/versions")).body)
    vid = versions["versions"][0]["id"]
    resp = await fetch(http_server_client, f"/api/rooms/ir/versions/{vid}/restore",
                       method="POST", body=b"{}", headers=JSON)
    assert resp.code == 200 and json.loads(resp.body)["lockedDropped"] == 1, resp.body
    assert await ids() == [("x", True), ("y", False)]


# ---- pages --------------------------------------------------------------------------------

async def test_seed_clients_see_page_one_only(http_server_client, connect):
    ann = await joined(connect, "pg", "ann")
    ann.send("draw", line("one"))
    ann.send("draw", line("two", page=2))
    ann.send("draw", line("dflt", page=1))
    await ann.recv_type("draw")
    drawn = [await ann.recv_type("draw") for _ in range(2)]
    assert drawn[0]["data"]["page"] == 2
    assert "page" not in drawn[1]["data"]  # page 1 is left out, as the seed's bytes are
    seed = await joined(connect, "pg", "old", v2=False)
    assert [e["id"] for e in seed.sync["data"]["elements"]] == ["one", "dflt"]
    v2 = await joined(connect, "pg", "new")
    assert [e["id"] for e in v2.sync["data"]["elements"]] == ["one", "two", "dflt"]
    # Live: a draw on page 3 never reaches the seed client; one on page 1 does.
    ann.send("draw", line("three", page=3))
    ann.send("draw", line("four"))
    assert (await seed.recv_type("draw"))["data"]["id"] == "four"
    # Moving an element off page 1 is an erase for it; bringing one to page 1, a draw.
    ann.send("update", {"ids": ["one"], "set": {"page": 2}})
    assert (await seed.recv_type("erase"))["data"]["ids"] == ["one"]
    ann.send("update", {"ids": ["two"], "set": {"page": 1}})
    back = await seed.recv_type("draw")
    assert back["data"]["id"] == "two" and "page" not in back["data"]
    await seed.nothing({"draw", "append", "erase"})


async def test_pages_and_the_view_page_are_checked_and_relayed(http_server_client, connect):
    key = await teacher_key(http_server_client, "pv")
    boss = await joined(connect, "pv", "boss", key=key)
    kid = await joined(connect, "pv", "kid")
    assert boss.sync["data"]["settings"]["pages"] == 1
    boss.send("settings", {"pages": 5})
    assert (await kid.recv_type("settings"))["data"]["pages"] == 5
    for bad in (0, 201, "3", True, 2.5):
        boss.send("settings", {"pages": bad})
        assert await code_of(boss) == "bad_message", bad
    kid.send("settings", {"pages": 9})
    assert await code_of(kid) == "forbidden"
    boss.send("view", {"x": 1, "y": 2, "zoom": 1, "page": 4})
    assert (await kid.recv_type("view"))["data"] == {"x": 1, "y": 2, "zoom": 1, "page": 4}
    boss.send("view", {"x": 1, "y": 2, "zoom": 1, "page": 0})
    assert await code_of(boss) == "bad_message"
    kid.send("draw", line("far", page=201))
    assert await code_of(kid) == "bad_element"


# ---- images: restore, exports, board files ------------------------------------------------

async def test_a_restore_keeps_the_images_and_their_assets(http_server_client, connect,
                                                           hub: Hub):
    ann = await joined(connect, "rs", "ann")
    asset = await upload(http_server_client, "rs", png())
    ann.send("draw", {"id": "pic", "elementType": "image", "asset": asset, "x": 0, "y": 0,
                      "width": 64, "height": 48, "page": 2})
    await ann.recv_type("draw")
    ann.send("clear")
    await ann.recv_type("clear")
    versions = json.loads((await fetch(http_server_client, "/api/rooms/rs/versions")).body)
    vid = versions["versions"][0]["id"]
    resp = await fetch(http_server_client, f"/api/rooms/rs/versions/{vid}/restore",
                       method="POST", body=b"{}", headers=JSON)
    assert resp.code == 200, resp.body
    restored = await ann.recv_type("draw")
    assert restored["data"]["asset"] == asset and restored["data"]["page"] == 2
    got = await fetch(http_server_client, f"/api/rooms/rs/assets/{asset}")
    assert got.code == 200 and got.body == png()


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils")
async def test_exports_include_the_images(http_server_client, connect, tmp_path: Path):
    ann = await joined(connect, "ex", "ann")
    red = png("red", (80, 60))
    asset = await upload(http_server_client, "ex", red)
    ann.send("draw", {"id": "pic", "elementType": "image", "asset": asset, "x": 0, "y": 0,
                      "width": 400, "height": 300})
    ann.send("draw", rect("p2", page=2, strokeColor="#00f"))
    await ann.recv_type("draw")
    await ann.recv_type("draw")
    svg = (await fetch(http_server_client, "/api/rooms/ex/export?format=svg")).body.decode()
    assert f"data:image/png;base64,{base64.b64encode(red).decode()}" in svg
    assert "#00f" not in svg  # page 1 by default
    two = (await fetch(http_server_client, "/api/rooms/ex/export?format=svg&page=2")).body
    assert b"#00f" in two and b"data:image" not in two
    bad = await fetch(http_server_client, "/api/rooms/ex/export?format=svg&page=all")
    assert bad.code == 400 and json.loads(bad.body)["error"] == "bad_page"
    # The handout: one PDF page per board page; page 1 shows the picture's red.
    doc = (await fetch(http_server_client, "/api/rooms/ex/export?format=pdf")).body
    (tmp_path / "h.pdf").write_bytes(doc)
    subprocess.run(["pdftoppm", "-r", "36", "-png", str(tmp_path / "h.pdf"),
                    str(tmp_path / "page")], check=True, timeout=60)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 2
    first = Image.open(pages[0]).convert("RGB")
    r, g, b = first.getpixel((first.width // 2, first.height // 2))
    assert r > 200 and g < 60 and b < 60, (r, g, b)
    second = Image.open(pages[1]).convert("RGB")
    colors = second.getcolors(1 << 20) or []
    assert not any(c[0] > 200 and c[1] < 60 and c[2] < 60 for _, c in colors)
    assert any(c[2] > 200 and c[0] < 60 for _, c in colors)  # page 2's blue rectangle


async def test_a_board_file_carries_its_assets_both_ways(http_server_client, connect):
    ann = await joined(connect, "bf", "ann")
    asset = await upload(http_server_client, "bf", png("green"))
    ann.send("draw", {"id": "pic", "elementType": "image", "asset": asset, "x": 0, "y": 0,
                      "width": 64, "height": 48})
    await ann.recv_type("draw")
    doc = json.loads((await fetch(http_server_client, "/api/rooms/bf/export")).body)
    assert [a["id"] for a in doc["assets"]] == [asset]
    assert base64.b64decode(doc["assets"][0]["data"]) == png("green")
    await joined(connect, "bf2", "bob")
    resp = await fetch(http_server_client, "/api/rooms/bf2/import", method="POST",
                       body=json.dumps(doc).encode(), headers=JSON)
    assert resp.code == 200, resp.body
    got = await fetch(http_server_client, f"/api/rooms/bf2/assets/{asset}")
    assert got.code == 200 and got.body == png("green")
    # A file whose asset is not what its id says, or that leaves one out, is refused whole.
    forged = {**doc, "assets": [{**doc["assets"][0], "data": base64.b64encode(
        png("blue")).decode()}]}
    for bad in (forged, {**doc, "assets": []}):
        resp = await fetch(http_server_client, "/api/rooms/bf3/import", method="POST",
                           body=json.dumps(bad).encode(), headers=JSON)
        assert resp.code == 400 and json.loads(resp.body)["error"] == "bad_file", resp.body


async def test_a_seed_client_resuming_across_another_pages_change_gets_a_sync(http_server_client,
                                                                               connect):
    ann = await joined(connect, "rz", "ann")
    ann.send("draw", line("a"))
    seq = (await ann.recv_type("draw"))["seq"]
    ann.send("draw", line("b"))
    await ann.recv_type("draw")
    back = await connect("rz", userId="old", since=seq)
    assert (await back.recv())["type"] == "resume"  # page 1 only: the seed's resume
    ann.send("draw", line("c", page=2))
    await ann.recv_type("draw")
    again = await connect("rz", userId="old2", since=seq)
    sync = await again.recv()
    assert sync["type"] == "sync"
    assert [e["id"] for e in sync["data"]["elements"]] == ["a", "b"]
