"""Issue 15, PDF worksheets: a real PDF made here with fpdf2 is rendered by the real server
(pypdfium2 on the export thread) into one locked background image a page, which every peer
gets live; malformed, encrypted and oversized PDFs get clear errors."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from fpdf import FPDF
from PIL import Image

from lanboard import limits

PDF = {"Content-Type": "application/pdf"}

#: Where the test writes each page's label, in millimetres from the top left of an A4 page
#: (210 x 297 mm), and how big.
LABEL_AT = (20.0, 60.0)


def worksheet(pages: int = 3, **encryption: str) -> bytes:
    doc = FPDF(format="A4")
    if encryption:
        doc.set_encryption(**encryption)
    for i in range(pages):
        doc.add_page()
        doc.set_font("helvetica", "B", size=72)
        doc.text(*LABEL_AT, f"P{i + 1}")
    return bytes(doc.output())


async def post_pdf(client: Any, room: str, body: bytes, query: str = "",
                   headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    resp = await client.fetch(f"/api/rooms/{room}/pdf{query}", method="POST", body=body,
                              headers=headers or PDF, raise_error=False)
    return resp.code, json.loads(resp.body)


async def teacher(client: Any, connect: Any, room: str) -> tuple[str, Any]:
    links = json.loads((await client.fetch(f"/api/rooms/{room}/links")).body)
    key = links["teacher"].split("key=")[1]
    boss = await connect(room, userId="boss", v=2, key=key)
    await boss.recv_type("sync")
    return key, boss


def dark_share(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    """How much of `box` is dark (text)."""
    region = image.crop(box).convert("L")
    counts = region.histogram()
    return sum(counts[:100]) / max(1, sum(counts))


async def test_a_pdf_becomes_locked_background_pages(http_server_client, connect):
    key, boss = await teacher(http_server_client, connect, "ws")
    kid = await connect("ws", userId="kid", v=2)
    await kid.recv_type("sync")
    code, body = await post_pdf(http_server_client, "ws", worksheet(3),
                                headers={**PDF, "X-LANBoard-Key": key})
    assert code == 201, body
    assert (body["first"], body["count"]) == (1, 3)
    assert [p["page"] for p in body["pages"]] == [1, 2, 3]
    # Every peer already has them: the answer comes after the commit and the relay.
    draws = [(await kid.recv_type("draw"))["data"] for _ in range(3)]
    assert (await kid.recv_type("settings"))["data"]["pages"] == 3  # the teacher's import
    assert [d.get("page", 1) for d in draws] == [1, 2, 3]
    assert all(d["locked"] is True and d["elementType"] == "image" for d in draws)
    assert [d["asset"] for d in draws] == [p["asset"] for p in body["pages"]]
    # Sized as the A4 page in CSS pixels (210 mm = 793.7 px), placed at the origin.
    assert (draws[0]["x"], draws[0]["y"]) == (0, 0)
    assert draws[0]["width"] == pytest.approx(793.7, abs=0.1)
    assert draws[0]["height"] == pytest.approx(1122.5, abs=0.1)
    for i, page in enumerate(body["pages"]):
        resp = await http_server_client.fetch(f"/api/rooms/ws/assets/{page['asset']}")
        picture = Image.open(io.BytesIO(resp.body))
        assert picture.size == (page["width"], page["height"])
        assert max(picture.size) == limits.PDF_RENDER_SIDE
        # The label is where the PDF put it: dark pixels there, white paper elsewhere.
        px = picture.width / 210.0
        x, y = LABEL_AT
        label = (int(x * px), int((y - 20) * px), int((x + 40) * px), int(y * px))
        blank = (int(120 * px), int(200 * px), int(200 * px), int(280 * px))
        assert dark_share(picture, label) > 0.1, i
        assert dark_share(picture, blank) == 0.0, i
    # The student cannot erase a background; the teacher can.
    kid.send("erase", {"ids": [draws[0]["id"]]})
    assert (await kid.recv_type("error"))["data"]["code"] == "forbidden"
    # A second import goes after the board's pages, unless asked for a page.
    code, body = await post_pdf(http_server_client, "ws", worksheet(1),
                                headers={**PDF, "X-LANBoard-Key": key})
    assert (code, body["first"]) == (201, 4)
    code, body = await post_pdf(http_server_client, "ws", worksheet(1), "?page=9",
                                headers={**PDF, "X-LANBoard-Key": key})
    assert (code, body["first"]) == (201, 9)
    boss.send("erase", {"ids": [draws[0]["id"]]})
    assert (await kid.recv_type("erase"))["data"]["ids"] == [draws[0]["id"]]


async def test_a_students_import_is_not_locked(http_server_client, connect):
    kid = await connect("open", userId="kid", v=2)
    await kid.recv_type("sync")
    code, body = await post_pdf(http_server_client, "open", worksheet(1))
    assert code == 201, body
    drawn = (await kid.recv_type("draw"))["data"]
    assert "locked" not in drawn and drawn["userId"] == "someone"


async def test_bad_pdfs_get_clear_errors(http_server_client, connect, monkeypatch):
    kid = await connect("bad", userId="kid", v=2)
    await kid.recv_type("sync")
    for junk in (b"not a pdf at all", b"%PDF-1.7\n garbage garbage", worksheet(2)[:400]):
        code, body = await post_pdf(http_server_client, "bad", junk)
        assert (code, body["error"]) == (400, "bad_pdf"), junk[:20]
    code, body = await post_pdf(http_server_client, "bad",
                                worksheet(1, owner_password="o", user_password="secret"))
    assert (code, body["error"]) == (400, "bad_pdf")
    assert "password" in body["message"]
    monkeypatch.setattr(limits, "MAX_PDF_PAGES", 2)
    code, body = await post_pdf(http_server_client, "bad", worksheet(3))
    assert (code, body["error"]) == (413, "too_large")
    code, body = await post_pdf(http_server_client, "bad", worksheet(1), "?page=0")
    assert (code, body["error"]) == (400, "bad_page")
    code, body = await post_pdf(http_server_client, "bad", worksheet(1),
                                headers={"Content-Type": "text/plain"})
    assert (code, body["error"]) == (415, "bad_content_type")
    code, body = await post_pdf(http_server_client, "bad", worksheet(1), "?page=200")
    assert (code, body["first"]) == (201, 200)
    code, body = await post_pdf(http_server_client, "bad", worksheet(2), "?page=200")
    assert (code, body["error"]) == (400, "bad_page")
    await kid.recv_type("draw")  # only the one import that fitted drew anything
    await kid.nothing({"draw"})
