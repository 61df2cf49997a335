"""QR codes decode back to the URL they were made for: the PNG, the SVG that /api/qr serves,
and the text the terminal prints. zbarimg (Debian's zbar-tools) does the decoding."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import tornado.web
from PIL import Image

from lanboard import qr
from lanboard.app import make_app
from lanboard.hub import Hub
from lanboard.netapi import LanPresence
from lanboard.settings import Settings

pytestmark = pytest.mark.skipif(shutil.which("zbarimg") is None,
                                reason="zbarimg missing: apt-get install zbar-tools")

URLS = ["http://192.168.1.23:8080/", "http://lanboard.local:8080/room/maths-7b",
        "http://10.0.0.7:51234/room/" + "x" * 64]


def decode(matrix: list[list[bool]], tmp_path: Path) -> str:
    """Draw modules black on white (4 px each) and let zbarimg read them."""
    size = len(matrix)
    img = Image.new("L", (size, size), 255)
    img.putdata([0 if dark else 255 for row in matrix for dark in row])
    path = tmp_path / "code.png"
    img.resize((size * 4, size * 4), Image.Resampling.NEAREST).save(path)
    out = subprocess.run(["zbarimg", "-q", "--raw", str(path)], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0, f"zbarimg found no code: {out.stderr}"
    return out.stdout.rstrip("\n")


def svg_matrix(svg: bytes) -> list[list[bool]]:
    """Rasterise segno's SVG: a white square, then one dark path of horizontal 1-module
    strokes drawn along row centres (`M x y.5 h n m dx dy ...`)."""
    text = svg.decode()
    size = int(re.search(r'd="M0 0h(\d+)v', text).group(1))  # type: ignore[union-attr]
    path = re.search(r'stroke="#000" d="([^"]+)"', text).group(1)  # type: ignore[union-attr]
    grid = [[False] * size for _ in range(size)]
    x = y = 0.0
    for cmd, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:[ ,](-?[\d.]+))?", path):
        if cmd == "M":
            x, y = float(a), float(b)
        elif cmd == "m":
            x, y = x + float(a), y + float(b)
        else:
            for col in range(int(x), int(x + float(a))):
                grid[int(y)][col] = True
            x += float(a)
    return grid


def text_matrix(text: str, *, ansi: bool, unicode: bool) -> list[list[bool]]:
    """Read the terminal rendering back into modules."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", ln) for ln in text.splitlines()]
    if not unicode:
        return [[pair == "  " for pair in re.findall("..", ln)] for ln in lines]
    top = {"\u2588": (True, True), "\u2580": (True, False), "\u2584": (False, True),
           " ": (False, False)}
    rows: list[list[bool]] = []
    for ln in lines:
        # With ANSI a block is a dark module; without, a block is a light one.
        pairs = [top[ch] if ansi else (not top[ch][0], not top[ch][1]) for ch in ln]
        rows.append([p[0] for p in pairs])
        rows.append([p[1] for p in pairs])
    return rows[: len(rows[0])]


@pytest.mark.parametrize("url", URLS)
def test_png_decodes_to_the_url(url: str, tmp_path: Path) -> None:
    (tmp_path / "direct.png").write_bytes(qr.png(url))
    out = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "direct.png")],
                         capture_output=True, text=True, timeout=30)
    assert out.stdout.rstrip("\n") == url


@pytest.mark.parametrize("url", URLS)
def test_svg_decodes_to_the_url(url: str, tmp_path: Path) -> None:
    grid = svg_matrix(qr.svg(url))
    assert grid == qr.matrix(url)
    assert decode(grid, tmp_path) == url


@pytest.mark.parametrize(("ansi", "unicode"), [(False, True), (True, True), (False, False)])
def test_terminal_text_decodes_to_the_url(ansi: bool, unicode: bool, tmp_path: Path) -> None:
    url = URLS[1]
    text = qr.text(url, ansi=ansi, unicode=unicode)
    assert ("\x1b[" in text) is ansi
    assert text.isascii() is not unicode
    assert decode(text_matrix(text, ansi=ansi, unicode=unicode), tmp_path) == url


# ---- GET /api/qr against a real server --------------------------------------------------

#: The test server listens on 127.0.0.1, but LanPresence is told it serves this LAN address,
#: so URLs on it count as the server's own.
LAN_ADDRESS = "10.123.45.67"


@pytest.fixture
def app(hub: Hub, http_server_port: tuple[Any, int]) -> tornado.web.Application:
    lan = LanPresence(Settings(host=LAN_ADDRESS, mdns=False), hub)
    lan.port = http_server_port[1]
    return make_app(hub, lan=lan)


async def get_qr(client: Any, url: str | None) -> Any:
    path = "/api/qr" if url is None else f"/api/qr?url={quote(url, safe='')}"
    return await client.fetch(path, raise_error=False)


async def test_api_qr_serves_svg_of_its_own_urls(http_server_client: Any,
                                                 http_server_port: tuple[Any, int],
                                                 tmp_path: Path) -> None:
    port = http_server_port[1]
    for url in (f"http://{LAN_ADDRESS}:{port}/", f"http://{LAN_ADDRESS}:{port}/room/maths",
                f"http://127.0.0.1:{port}/room/a?x=1", f"http://localhost:{port}/"):
        resp = await get_qr(http_server_client, url)
        assert resp.code == 200, resp.body
        assert resp.headers["Content-Type"] == "image/svg+xml"
        assert decode(svg_matrix(resp.body), tmp_path) == url


async def test_api_qr_refuses_urls_elsewhere(http_server_client: Any,
                                             http_server_port: tuple[Any, int]) -> None:
    port = http_server_port[1]
    for url in ("http://evil.example/", f"http://10.123.45.68:{port}/",
                f"http://{LAN_ADDRESS}:{port + 1}/", f"http://{LAN_ADDRESS}/",
                f"https://{LAN_ADDRESS}:{port}/", f"http://me@{LAN_ADDRESS}:{port}/",
                f"http://lanboard.local:{port}/",  # mDNS is off: that name is not ours
                "javascript:alert(1)", f"http://{LAN_ADDRESS}:99999/",
                f"http://{LAN_ADDRESS}:{port}/" + "a" * 600, ""):
        resp = await get_qr(http_server_client, url)
        assert resp.code == 400, url
        body = json.loads(resp.body)
        assert body["error"] in ("bad_url", "missing_url") and body["message"], url
    resp = await get_qr(http_server_client, None)
    assert resp.code == 400 and json.loads(resp.body)["error"] == "missing_url"
