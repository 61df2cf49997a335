"""The logo everywhere it shows: favicon, web app manifest, and the icon files made from the
SVG source."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "icons"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_favicon_is_the_ico_for_get_and_head(http_server_client):
    resp = await http_server_client.fetch("/favicon.ico")
    assert resp.code == 200
    assert resp.body == (ICONS / "lanboard.ico").read_bytes()
    assert resp.body[:4] == b"\x00\x00\x01\x00"  # ICO header
    assert "icon" in resp.headers["Content-Type"]
    head = await http_server_client.fetch("/favicon.ico", method="HEAD")
    assert head.code == 200 and head.body == b""


async def test_manifest_lists_icons_that_exist_at_their_stated_sizes(http_server_client):
    resp = await http_server_client.fetch("/manifest.webmanifest")
    assert resp.code == 200
    assert resp.headers["Content-Type"].startswith("application/manifest+json")
    manifest = json.loads(resp.body)
    assert manifest["name"] == "LANBoard" and manifest["start_url"] == "/"
    sizes = set()
    for icon in manifest["icons"]:
        got = await http_server_client.fetch(icon["src"])
        assert got.code == 200, icon
        assert got.headers["Content-Type"] == icon["type"]
        if icon["type"] == "image/png":
            w, h = png_size(got.body)
            assert icon["sizes"] == f"{w}x{h}"
            sizes.add(w)
    assert {192, 512} <= sizes  # what browsers require to offer "install"


async def test_icon_paths_cannot_leave_the_icons_folder(http_server_client):
    resp = await http_server_client.fetch("/icons/..%2Fpyproject.toml", raise_error=False)
    assert resp.code in (403, 404)


def test_committed_icons_match_the_svg_source(tmp_path):
    """Editing icons/lanboard.svg without running make_icons.py fails here."""
    image = pytest.importorskip("PIL.Image", reason="Pillow comes with the build extra")
    chops = pytest.importorskip("PIL.ImageChops")
    out = subprocess.run([sys.executable, str(ROOT / "packaging" / "make_icons.py"),
                          str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == sorted(p.name for p in ICONS.iterdir() if p.suffix != ".svg")
    for name in made:
        # Pixels, not bytes: another Pillow or zlib may encode the same picture differently.
        with image.open(tmp_path / name) as new, image.open(ICONS / name) as old:
            assert new.size == old.size, name
            diff = chops.difference(new.convert("RGBA"), old.convert("RGBA"))
            assert max(hi for _, hi in diff.getextrema()) <= 8, name
