"""Issue 15, assets: uploading and serving a board's images over real HTTP on a real server,
and image elements that must name an asset of their own board (real WebSocket clients)."""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zlib
from typing import Any

import pytest
from PIL import Image

from lanboard import assets, limits
from lanboard.errors import ProtocolError
from lanboard.hub import Hub


def picture(fmt: str = "PNG", size: tuple[int, int] = (40, 30), color: str = "red",
            **kw: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt, **kw)
    return out.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG that is only its signature and a well-formed IHDR (CRC included) claiming a size:
    what a crafted file that claims a huge picture looks like before decoding."""
    body = b"IHDR" + struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + body
            + struct.pack(">I", zlib.crc32(body)))


async def upload(client: Any, room: str, body: bytes, ctype: str = "image/png",
                 **headers: str) -> tuple[int, dict[str, Any]]:
    resp = await client.fetch(f"/api/rooms/{room}/assets", method="POST", body=body,
                              headers={"Content-Type": ctype, **headers}, raise_error=False)
    return resp.code, json.loads(resp.body)


async def opened(connect: Any, room: str, name: str = "ann", **q: Any) -> Any:
    client = await connect(room, userId=name, v=2, **q)
    await client.recv_type("sync")
    return client


def image(eid: str, asset: str, **over: Any) -> dict[str, Any]:
    return {"id": eid, "elementType": "image", "asset": asset, "x": 10, "y": 20,
            "width": 400, "height": 300, **over}


# ---- the bytes alone decide (pure) --------------------------------------------------------

@pytest.mark.parametrize("fmt,kw,mime", [
    ("PNG", {}, "image/png"), ("JPEG", {}, "image/jpeg"),
    ("JPEG", {"progressive": True}, "image/jpeg"), ("GIF", {}, "image/gif"),
    ("WEBP", {"lossless": True}, "image/webp"), ("WEBP", {"quality": 80}, "image/webp")])
def test_each_type_is_judged_from_its_bytes_with_its_size(fmt, kw, mime):
    assert assets.sniff(picture(fmt, (123, 45), **kw)) == (mime, 123, 45)


def test_an_rgba_webp_reads_its_size_from_the_extended_header():
    out = io.BytesIO()
    Image.new("RGBA", (77, 5), (1, 2, 3, 100)).save(out, "WEBP")
    assert assets.sniff(out.getvalue()) == ("image/webp", 77, 5)


@pytest.mark.parametrize("data", [
    b"hello, not an image", b"", b"%PDF-1.4", b"<svg xmlns='http://www.w3.org/2000/svg'/>",
    b"\x89PNG\r\n\x1a\n" + b"garbage" * 10,  # a PNG signature, then no IHDR
    png_header(10, 10)[:-1] + b"\x00",  # an IHDR whose CRC is wrong
    b"\xff\xd8\xff\xe0" + b"\x00" * 40,  # a JPEG start with no frame header
    b"GIF89a\x05\x00",  # a GIF cut in its screen descriptor
    b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 20])
def test_bytes_that_are_not_an_image_or_do_not_parse_are_bad_image(data):
    with pytest.raises(ProtocolError) as err:
        assets.check(data)
    assert err.value.code == "bad_image"


def test_the_size_limits_are_read_from_the_header_before_anything_is_decoded():
    assets.check(png_header(limits.MAX_IMAGE_SIDE, 100))
    for w, h in ((limits.MAX_IMAGE_SIDE + 1, 100), (7000, 7000)):  # 8,193 px; 49 megapixels
        with pytest.raises(ProtocolError) as err:
            assets.check(png_header(w, h))
        assert err.value.code == "too_large"
    with pytest.raises(ProtocolError, match="megapixels"):
        assets.check(png_header(8000, 5001))


# ---- the routes ---------------------------------------------------------------------------

async def test_an_upload_is_stored_once_and_served_with_long_caching(http_server_client,
                                                                     connect, hub: Hub):
    await opened(connect, "pics")
    data = picture()
    code, info = await upload(http_server_client, "pics", data)
    digest = hashlib.sha256(data).hexdigest()
    assert code == 201
    assert info == {"id": digest, "type": "image/png", "width": 40, "height": 30,
                    "bytes": len(data)}
    # The same bytes again (even labelled octet-stream): the same answer, 200, stored once.
    again = await upload(http_server_client, "pics", data, "application/octet-stream")
    assert again == (200, info)
    assert hub.store.asset_ids("pics") == {digest}
    assert hub.store.asset_bytes("pics") == len(data)

    resp = await http_server_client.fetch(f"/api/rooms/pics/assets/{digest}")
    assert resp.body == data
    assert resp.headers["Content-Type"] == "image/png"
    assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert resp.headers["Etag"] == f'"{digest}"'
    cached = await http_server_client.fetch(f"/api/rooms/pics/assets/{digest}",
                                            headers={"If-None-Match": f'"{digest}"'},
                                            raise_error=False)
    assert cached.code == 304 and cached.body == b""


async def test_the_type_comes_from_the_bytes_not_the_header(http_server_client, connect):
    await opened(connect, "pics")
    code, info = await upload(http_server_client, "pics", picture("JPEG"), "image/png")
    assert code == 201 and info["type"] == "image/jpeg"
    resp = await http_server_client.fetch(f"/api/rooms/pics/assets/{info['id']}")
    assert resp.headers["Content-Type"] == "image/jpeg"


async def test_bad_oversized_and_wrongly_typed_uploads_are_refused(http_server_client, connect,
                                                                   hub: Hub):
    await opened(connect, "pics")
    assert (await upload(http_server_client, "pics", b"just text"))[1]["error"] == "bad_image"
    garbage = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    assert await upload(http_server_client, "pics", garbage) == (400, {
        "error": "bad_image", "message": "the bytes start like a PNG image but do not parse "
                                         "as one"})
    code, body = await upload(http_server_client, "pics", png_header(9000, 10))
    assert (code, body["error"]) == (413, "too_large")
    code, body = await upload(http_server_client, "pics", png_header(7000, 7000))
    assert (code, body["error"]) == (413, "too_large")
    big = picture() + b"\x00" * limits.MAX_ASSET_BYTES
    code, body = await upload(http_server_client, "pics", big)
    assert (code, body["error"]) == (413, "too_large")
    form = (b'--x\r\nContent-Disposition: form-data; name="f"; filename="a.png"\r\n'
            b"Content-Type: image/png\r\n\r\n" + picture() + b"\r\n--x--\r\n")
    for ctype, payload in (("text/plain", picture()), ("multipart/form-data; boundary=x", form),
                           ("application/x-www-form-urlencoded", picture()),
                           ("application/json", picture()), ("", picture())):
        code, body = await upload(http_server_client, "pics", payload, ctype)
        assert (code, body["error"]) == (415, "bad_content_type"), ctype
    assert hub.store.asset_ids("pics") == set()


async def test_the_board_cap_refuses_the_upload_that_would_pass_it(http_server_client, connect,
                                                                    monkeypatch):
    await opened(connect, "pics")
    first, second = picture(color="red"), picture(color="blue")
    monkeypatch.setattr(limits, "MAX_BOARD_ASSET_BYTES", len(first) + len(second) - 1)
    assert (await upload(http_server_client, "pics", first))[0] == 201
    code, body = await upload(http_server_client, "pics", second)
    assert (code, body["error"]) == (413, "too_large")
    # The same bytes again take nothing more, so they are still answered.
    assert (await upload(http_server_client, "pics", first))[0] == 200
    # Another board has its own cap.
    await opened(connect, "other")
    assert (await upload(http_server_client, "other", second))[0] == 201


async def test_upload_rules_are_those_of_other_writes(http_server_client, connect):
    code, body = await upload(http_server_client, "never-used", picture())
    assert (code, body["error"]) == (404, "no_board")
    await opened(connect, "pics")
    code, body = await upload(http_server_client, "pics", picture(),
                              Origin="http://evil.example")
    assert (code, body["error"]) == (403, "bad_origin")
    code, body = await upload(http_server_client, "pics", picture(), **{"X-LANBoard-Key": "x"})
    assert (code, body["error"]) == (403, "bad_key")
    links = json.loads((await http_server_client.fetch("/api/rooms/pics/links")).body)
    viewer = links["viewer"].split("key=")[1]
    teacher = links["teacher"].split("key=")[1]
    code, body = await upload(http_server_client, "pics", picture(),
                              **{"X-LANBoard-Key": viewer})
    assert (code, body["error"]) == (403, "read_only")
    # The teacher's lock covers uploads: students are refused, the teacher is not.
    boss = await opened(connect, "pics", "boss", key=teacher)
    boss.send("settings", {"locked": True})
    await boss.recv_type("settings")
    code, body = await upload(http_server_client, "pics", picture())
    assert (code, body["error"]) == (403, "read_only")
    code, _ = await upload(http_server_client, "pics", picture(),
                           **{"X-LANBoard-Key": teacher})
    assert code == 201


async def test_unknown_and_malformed_asset_ids_get_json_errors(http_server_client, connect):
    await opened(connect, "pics")
    resp = await http_server_client.fetch(f"/api/rooms/pics/assets/{'0' * 64}",
                                          raise_error=False)
    assert resp.code == 404 and json.loads(resp.body)["error"] == "no_asset"
    resp = await http_server_client.fetch("/api/rooms/pics/assets/NOTHEX", raise_error=False)
    assert resp.code == 400 and json.loads(resp.body)["error"] == "bad_asset"


async def test_an_image_must_name_an_asset_of_its_own_board(http_server_client, connect):
    ann = await opened(connect, "a")
    bob = await opened(connect, "b", "bob")
    _, info = await upload(http_server_client, "a", picture())
    asset = info["id"]
    # Board b never got this asset: its image is refused, whoever uploaded it elsewhere.
    bob.send("draw", image("i1", asset))
    err = await bob.recv_type("error")
    assert err["data"]["code"] == "bad_element" and "not on this board" in err["data"]["message"]
    # An image without an asset, or with stroke fields, is refused too.
    ann.send("draw", {k: v for k, v in image("i2", asset).items() if k != "asset"})
    assert (await ann.recv_type("error"))["data"]["code"] == "bad_element"
    ann.send("draw", image("i3", asset, strokeColor="#000", strokeWidth=2))
    assert (await ann.recv_type("error"))["data"]["code"] == "bad_element"
    # On its own board it is drawn, and an update cannot point it at another board's asset.
    ann.send("draw", image("i4", asset))
    drawn = await ann.recv_type("draw")
    assert drawn["data"]["asset"] == asset and "strokeColor" not in drawn["data"]
    ann.send("update", {"ids": ["i4"], "set": {"asset": "f" * 64}})
    assert (await ann.recv_type("error"))["data"]["code"] == "bad_element"


def test_one_address_uploads_a_burst_then_a_steady_rate_and_loopback_is_not_held():
    from lanboard.assetapi import UploadBudget

    now = [0.0]
    budget = UploadBudget(clock=lambda: now[0])
    mib = 1024 * 1024
    assert budget.take("10.0.0.5", limits.UPLOAD_BURST_BYTES - mib)
    assert not budget.take("10.0.0.5", 2 * mib)  # past the burst: refused (429)
    assert budget.take("10.0.0.6", 2 * mib)  # another device has its own
    now[0] += 2 * mib / limits.UPLOAD_BYTES_PER_SECOND
    assert budget.take("10.0.0.5", 2 * mib)  # refilled at the steady rate
    assert all(budget.take("127.0.0.1", limits.MAX_PDF_BYTES) for _ in range(10))
