"""Worksheets (issue 15): what images and PDF pages cost a board, on a real server on
127.0.0.1 with real WebSocket clients and HTTP downloads.

1. Sync size: a late joiner's sync of a board of strokes, beside the same board with 50
   images on it (references only: the bytes never ride in the socket), and with --ref-src
   the same strokes on another checkout (today's code), whose sync the page fields must not
   grow.
2. A PDF made with fpdf2 (20 pages by default): the time from its POST until its pages are
   on the board (the 201 answer, and the last draw seen by a client on the board).
3. The same import with 30 clients on the board, each fetching every page image over HTTP
   (6 at a time, as a browser does) as the draws arrive: the time until the last client has
   every image, and the bytes that crossed.
4. The sync of the imported board: every page's elements vs the first page's alone, the
   figure that decides whether a late joiner's sync covers every page.

    python -m benchmarks.worksheet [--strokes 2000] [--pdf-pages 20] [--clients 30]
                                   [--ref-src /tmp/ref-41f1ff6] [--json]

Every loop is bounded in count and time; the servers (and their temporary data dirs) are
the script's own and stop with it.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from tornado.httpclient import AsyncHTTPClient
from tornado.websocket import websocket_connect

from benchmarks import serve

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

def start(src: Path, data_dir: Path) -> tuple[subprocess.Popen[str], int]:
    return serve.start(src, data_dir, {"LANBOARD_RATE_CHANGES": "1000000"})


def post(port: int, path: str, body: bytes, ctype: str, timeout: float = 120) -> Any:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method="POST",
                                 headers={"Content-Type": ctype})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read())


def strokes(n: int, rng: random.Random, page: int | None = None) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        x, y = rng.uniform(0, 800), rng.uniform(0, 1100)
        pts = []
        for _ in range(30):
            x, y = x + rng.uniform(-4, 6), y + rng.uniform(-4, 6)
            pts.append([round(x, 1), round(y, 1)])
        el: dict[str, Any] = {"id": f"s{page or 1}-{i}", "elementType": "path",
                              "points": pts, "strokeColor": "#1e88e5", "strokeWidth": 3}
        if page is not None and page > 1:
            el["page"] = page
        out.append(el)
    return out


def picture(seed: int) -> bytes:
    from PIL import Image

    rng = random.Random(seed)
    image = Image.new("RGB", (640, 480), tuple(rng.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def worksheet_pdf(pages: int) -> bytes:
    from fpdf import FPDF

    doc = FPDF(format="A4")
    for i in range(pages):
        doc.add_page()
        doc.set_font("helvetica", "B", size=28)
        doc.text(20, 30, f"Worksheet, page {i + 1}")
        doc.set_font("helvetica", size=14)
        for q in range(12):
            doc.text(20, 50 + q * 18, f"{q + 1}. What is {7 * (q + 1)} divided by 7?")
            doc.line(120, 51 + q * 18, 190, 51 + q * 18)
    return bytes(doc.output())


async def sync_bytes(port: int, room: str) -> int:
    """The raw size of a late joiner's (v2) first frame: its sync."""
    conn = await websocket_connect(f"ws://127.0.0.1:{port}/ws/{room}?userId=late&v=2")
    try:
        frame = await asyncio.wait_for(conn.read_message(), 30)
        assert isinstance(frame, str) and '"type":"sync"' in frame
        return len(frame.encode())
    finally:
        conn.close()


async def client(port: int, room: str, name: str, pages: int, t0: list[float],
                 done: dict[str, float], got: list[int], deadline: float,
                 synced: asyncio.Queue[str]) -> None:
    """One device: a socket on the board, and every image its draws name fetched over HTTP
    (6 at a time) as they arrive."""
    conn = await websocket_connect(f"ws://127.0.0.1:{port}/ws/{room}?userId={name}&v=2")
    await conn.read_message()  # its sync
    synced.put_nowait(name)
    http = AsyncHTTPClient(force_instance=True, max_clients=6)
    fetches: list[asyncio.Task[Any]] = []
    try:
        while len(fetches) < pages and time.monotonic() < deadline:
            frame = await asyncio.wait_for(conn.read_message(), max(0.1, deadline -
                                                                     time.monotonic()))
            if frame is None:
                raise SystemExit(f"{name}: the socket closed")
            for msg in json.loads(frame):
                if msg["type"] == "draw" and msg["data"].get("elementType") == "image":
                    url = (f"http://127.0.0.1:{port}/api/rooms/{room}/assets/"
                           f"{msg['data']['asset']}")
                    fetches.append(asyncio.ensure_future(http.fetch(url)))
        for resp in await asyncio.gather(*fetches):
            got.append(len(resp.body))
        done[name] = time.perf_counter() - t0[0]
    finally:
        http.close()
        conn.close()


async def pdf_to_clients(port: int, pdf: bytes, pages: int, clients: int) -> dict[str, Any]:
    room = f"pdf{clients}"
    post(port, f"/api/rooms/{room}/claim", b"{}", "application/json")
    t0 = [0.0]
    done: dict[str, float] = {}
    got: list[int] = []
    deadline = time.monotonic() + 120
    synced: asyncio.Queue[str] = asyncio.Queue()
    tasks = [asyncio.ensure_future(client(port, room, f"c{i}", pages, t0, done, got, deadline,
                                          synced)) for i in range(clients)]
    for _ in range(clients):  # every client joined and synced
        await asyncio.wait_for(synced.get(), 60)
    t0[0] = time.perf_counter()
    answer = await asyncio.get_running_loop().run_in_executor(
        None, lambda: post(port, f"/api/rooms/{room}/pdf", pdf, "application/pdf"))
    answered = time.perf_counter() - t0[0]
    await asyncio.wait_for(asyncio.gather(*tasks), 130)
    return {"room": room, "answer": answer, "answered_s": answered,
            "first_client_s": min(done.values()), "last_client_s": max(done.values()),
            "image_bytes": sum(got), "clients": len(done)}


async def measure(args: argparse.Namespace, port: int, ref_port: int | None) -> dict[str, Any]:
    rng = random.Random(15)
    plain = strokes(args.strokes, rng)
    doc = json.dumps({"lanboard": 1, "elements": plain}).encode()
    post(port, "/api/rooms/plain/import", doc, "application/json")
    out: dict[str, Any] = {"strokes": args.strokes, "images": args.images}
    out["sync_plain"] = await sync_bytes(port, "plain")
    if ref_port is not None:
        post(ref_port, "/api/rooms/plain/import", doc, "application/json")
        out["sync_plain_ref"] = await sync_bytes(ref_port, "plain")
    # The same strokes and 50 images, their assets uploaded to that board first.
    post(port, "/api/rooms/pics/claim", b"{}", "application/json")
    uploaded = 0
    images = []
    for i in range(args.images):
        data = picture(i)
        uploaded += len(data)
        info = post(port, "/api/rooms/pics/assets", data, "image/jpeg")
        images.append({"id": f"img{i}", "elementType": "image", "asset": info["id"],
                       "x": 700 * (i % 10), "y": 500 * (i // 10), "width": 640,
                       "height": 480})
    doc = json.dumps({"lanboard": 1, "elements": plain + images}).encode()
    post(port, "/api/rooms/pics/import", doc, "application/json")
    out["sync_pics"] = await sync_bytes(port, "pics")
    out["image_upload_bytes"] = uploaded

    pdf = worksheet_pdf(args.pdf_pages)
    out["pdf_bytes"] = len(pdf)
    alone = await pdf_to_clients(port, pdf, args.pdf_pages, 1)
    out["pdf_answered_s"] = alone["answered_s"]
    out["pdf_on_board_s"] = alone["last_client_s"]
    crowd = await pdf_to_clients(port, pdf, args.pdf_pages, args.clients)
    out["crowd"] = {k: v for k, v in crowd.items() if k not in ("answer", "room")}

    # Every page in the sync, or the current one: the imported board plus strokes per page.
    room = crowd["room"]
    for page in range(1, args.pdf_pages + 1):
        extra = strokes(args.page_strokes, rng, page)
        for el in extra:
            el["id"] = f"{room}-{el['id']}"
        conn = await websocket_connect(f"ws://127.0.0.1:{port}/ws/{room}?userId=ink&v=2")
        await conn.read_message()
        for el in extra:
            conn.write_message(json.dumps({"type": "draw", "data": el}))
        last = f'"id":"{extra[-1]["id"]}"'
        while True:  # its own last draw came back: all of them are stored
            frame = await asyncio.wait_for(conn.read_message(), 30)
            if frame is None or last in frame:
                break
        conn.close()
    conn = await websocket_connect(f"ws://127.0.0.1:{port}/ws/{room}?userId=late&v=2")
    frame = await asyncio.wait_for(conn.read_message(), 30)
    conn.close()
    assert isinstance(frame, str)
    sync = json.loads(frame)[0]["data"]["elements"]
    page_one = [e for e in sync if e.get("page", 1) == 1]
    out["pages_sync_all"] = len(frame.encode())
    out["pages_sync_first_only"] = len(json.dumps(page_one, separators=(",", ":")).encode())
    out["pages_elements"] = len(sync)
    out["pages_images_bytes_in_sync"] = sum(
        len(json.dumps(e, separators=(",", ":"))) for e in sync if e["elementType"] == "image")
    return out


def report(r: dict[str, Any]) -> str:
    c = r["crowd"]
    lines = [
        f"sync, {r['strokes']} strokes: {r['sync_plain']:,} B"
        + (f" (ref: {r['sync_plain_ref']:,} B)" if "sync_plain_ref" in r else ""),
        f"sync, the same + {r['images']} images: {r['sync_pics']:,} B "
        f"(+{r['sync_pics'] - r['sync_plain']:,} B, "
        f"{(r['sync_pics'] - r['sync_plain']) / max(1, r['images']):.0f} B an image; "
        f"the images' bytes, {r['image_upload_bytes']:,} B, are not in it)",
        f"PDF of {r['pdf_bytes']:,} B: answered 201 after {r['pdf_answered_s']:.2f} s, on "
        f"the board (last draw and its image at a client) after {r['pdf_on_board_s']:.2f} s",
        f"{c['clients']} clients: first has every page image after {c['first_client_s']:.2f} "
        f"s, last after {c['last_client_s']:.2f} s; {c['image_bytes']:,} B fetched over HTTP "
        f"(answer after {c['answered_s']:.2f} s)",
        f"sync of that board with {r['pages_elements']} elements on every page: "
        f"{r['pages_sync_all']:,} B for every page vs {r['pages_sync_first_only']:,} B for "
        f"page 1 alone; its images take {r['pages_images_bytes_in_sync']:,} B of it",
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--strokes", type=int, default=2000, help="strokes on the sync boards")
    ap.add_argument("--images", type=int, default=50)
    ap.add_argument("--pdf-pages", type=int, default=20)
    ap.add_argument("--clients", type=int, default=30)
    ap.add_argument("--page-strokes", type=int, default=30,
                    help="strokes drawn on each imported page, for the sync decision")
    ap.add_argument("--ref-src", type=Path, default=None, help="today's checkout, to compare")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proc, port = start(ROOT, Path(tmp) / "now")
        ref = start(args.ref_src.resolve(), Path(tmp) / "ref") if args.ref_src else None
        try:
            result = asyncio.run(measure(args, port, ref[1] if ref else None))
        finally:
            for p in (proc, ref[0] if ref else None):
                if p is not None:
                    p.terminate()
                    p.wait(timeout=20)
    print(report(result))
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
