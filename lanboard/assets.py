"""What an uploaded image is, judged from its bytes alone: PNG, JPEG, WebP or GIF, and its
pixel size read from the header (nothing is decoded, so a small file that claims a huge
picture costs nothing to refuse). Pure domain code.

A file name or a Content-Type header says nothing here: bytes that are not one of the four
types, or that carry a type's signature and then do not parse, are `bad_image`.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib

from lanboard import limits
from lanboard.errors import ProtocolError
from lanboard.store import Asset

BAD_IMAGE = "bad_image"
TOO_LARGE = "too_large"

#: The four types an asset may be, as their MIME types.
TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")

ASSET_ID = re.compile(r"[0-9a-f]{64}")

_PNG = b"\x89PNG\r\n\x1a\n"


def _bad(what: str) -> ProtocolError:
    return ProtocolError(BAD_IMAGE, f"the bytes start like a {what} image but do not parse as "
                         "one")


def _png(data: bytes) -> tuple[int, int]:
    # The first chunk must be IHDR: length 13, then width and height, checked by its CRC.
    if len(data) < 33 or data[8:16] != b"\x00\x00\x00\x0dIHDR":
        raise _bad("PNG")
    body = data[12:29]
    (crc,) = struct.unpack(">I", data[29:33])
    if zlib.crc32(body) != crc:
        raise _bad("PNG")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


#: JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic): they hold the
#: size. C4 (DHT), C8 (JPG) and CC (DAC) share the range and do not.
_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE,
                  0xCF})


def _jpeg(data: bytes) -> tuple[int, int]:
    i, n = 2, len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            raise _bad("JPEG")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            i += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, or the scan, before any frame header
            break
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        if length < 2 or i + 2 + length > n:
            break
        if marker in _SOF:
            if length < 7:
                break
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    raise _bad("JPEG")


def _gif(data: bytes) -> tuple[int, int]:
    # Header, logical screen descriptor; then an image descriptor, an extension or the
    # trailer must follow (after the global colour table, when there is one).
    if len(data) < 14:
        raise _bad("GIF")
    width, height, flags = struct.unpack("<HHB", data[6:11])
    after = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    if len(data) <= after or data[after] not in (0x2C, 0x21, 0x3B):
        raise _bad("GIF")
    return width, height


def _webp(data: bytes) -> tuple[int, int]:
    (riff_size,) = struct.unpack("<I", data[4:8])
    if len(data) < 30 or riff_size + 8 > len(data) or riff_size < 22:
        raise _bad("WebP")
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
        return width, height
    if chunk == b"VP8 ":
        if data[23:26] != b"\x9d\x01\x2a":
            raise _bad("WebP")
        w, h = struct.unpack("<HH", data[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L":
        if data[20] != 0x2F:
            raise _bad("WebP")
        (bits,) = struct.unpack("<I", data[21:25])
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    raise _bad("WebP")


def sniff(data: bytes) -> tuple[str, int, int]:
    """(MIME type, width, height) of an image, from its bytes; ProtocolError `bad_image`
    when they are not a PNG, JPEG, WebP or GIF that parses."""
    if data.startswith(_PNG):
        mime, (w, h) = "image/png", _png(data)
    elif data.startswith(b"\xff\xd8\xff"):
        mime, (w, h) = "image/jpeg", _jpeg(data)
    elif data[:6] in (b"GIF87a", b"GIF89a"):
        mime, (w, h) = "image/gif", _gif(data)
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        mime, (w, h) = "image/webp", _webp(data)
    else:
        raise ProtocolError(BAD_IMAGE, "not an image LANBoard takes: PNG, JPEG, WebP or GIF")
    if w <= 0 or h <= 0:
        raise ProtocolError(BAD_IMAGE, f"the {mime} header gives a size of {w} x {h}")
    return mime, w, h


def check(data: bytes) -> Asset:
    """The asset these bytes make, checked against every limit but the board's total;
    ProtocolError `bad_image` or `too_large`."""
    if len(data) > limits.MAX_ASSET_BYTES:
        raise ProtocolError(TOO_LARGE, f"an image is at most "
                            f"{limits.MAX_ASSET_BYTES // 2**20} MiB")
    if not data:
        raise ProtocolError(BAD_IMAGE, "the body is empty: send the image's bytes")
    mime, w, h = sniff(data)
    if max(w, h) > limits.MAX_IMAGE_SIDE or w * h > limits.MAX_IMAGE_PIXELS:
        raise ProtocolError(TOO_LARGE, f"the image is {w} x {h} px; at most "
                            f"{limits.MAX_IMAGE_SIDE} px a side and "
                            f"{limits.MAX_IMAGE_PIXELS // 1_000_000} megapixels")
    return Asset(hashlib.sha256(data).hexdigest(), mime, w, h, data)


def fits(used: int, asset: Asset) -> None:
    """Whether a board whose assets take `used` bytes may take this one; `too_large` if not."""
    if used + len(asset.data) > limits.MAX_BOARD_ASSET_BYTES:
        raise ProtocolError(TOO_LARGE, f"this board's images would pass "
                            f"{limits.MAX_BOARD_ASSET_BYTES // 2**20} MiB")
