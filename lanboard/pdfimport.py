"""A PDF worksheet made into images, one a page: rendered with pypdfium2 (PDFium, shipped in
its wheels for Linux x86_64, aarch64 and armv7, macOS and Windows, so a Raspberry Pi and the
one-file app render alike) and encoded with Pillow. Runs on the export thread, never on the
event loop: a page takes tens of milliseconds.

Rendering on the server, not in the browser: every phone would otherwise download and run a
vendored pdf.js (a large third-party file in the repository) and upload each page itself; here
the PDF crosses the network once and every device gets plain images.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from lanboard import assets, limits
from lanboard.errors import ProtocolError
from lanboard.store import Asset

BAD_PDF = "bad_pdf"

#: A PDF point is 1/72 inch; a board unit is a CSS pixel, 1/96 inch.
POINT = 96.0 / 72.0

#: JPEG quality of a rendered page; PNG is kept when it comes out smaller (text on white).
JPEG_QUALITY = 85


@dataclass(frozen=True, slots=True)
class PageImage:
    asset: Asset
    #: The page's size on the board, in board units (CSS pixels).
    width: float
    height: float


def _open(data: bytes) -> Any:
    import pypdfium2 as pdfium  # imported by the first import, on the export thread

    if not data.startswith(b"%PDF-"):
        raise ProtocolError(BAD_PDF, "not a PDF: the bytes do not start with %PDF-")
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        text = str(exc)
        if "password" in text.lower() or "security" in text.lower():
            raise ProtocolError(BAD_PDF, "this PDF is encrypted with a password; save an "
                                "unprotected copy and import that") from None
        raise ProtocolError(BAD_PDF, f"the PDF could not be read ({text[:120]})") from None


#: Colours of the PNG try: enough for anti-aliased text and a few inks.
PNG_COLORS = 64


def _encode(image: Any) -> bytes:
    """The smaller of JPEG (photos, scans) and a 64-colour PNG (text and lines on white,
    where it is both smaller and sharper). Pillow's fast octree quantizer: its default one
    took 0.56 s of a 0.7 s A4 page at 1,415 x 2,000 px, this one 0.1 s, and the PNG came out
    smaller (35 KB against 58 KB on benchmarks/worksheet.py's pages)."""
    from PIL import Image

    jpeg = io.BytesIO()
    image.save(jpeg, "JPEG", quality=JPEG_QUALITY)
    png = io.BytesIO()
    image.quantize(PNG_COLORS, method=Image.Quantize.FASTOCTREE).save(png, "PNG")
    return png.getvalue() if png.tell() < jpeg.tell() else jpeg.getvalue()


def render(data: bytes) -> list[PageImage]:
    """Every page of a PDF as an image asset (long side at most PDF_RENDER_SIDE px) with its
    size on the board. ProtocolError `bad_pdf` (malformed, encrypted) or `too_large`."""
    if len(data) > limits.MAX_PDF_BYTES:
        raise ProtocolError(assets.TOO_LARGE, f"a PDF is at most "
                            f"{limits.MAX_PDF_BYTES // 2**20} MiB")
    doc = _open(data)
    try:
        count = len(doc)
        if count == 0:
            raise ProtocolError(BAD_PDF, "the PDF has no pages")
        if count > limits.MAX_PDF_PAGES:
            raise ProtocolError(assets.TOO_LARGE, f"the PDF has {count} pages; at most "
                                f"{limits.MAX_PDF_PAGES} are imported at once")
        out = []
        for i in range(count):
            page = doc[i]
            try:
                w_pt, h_pt = page.get_size()
                if not (w_pt > 0 and h_pt > 0):
                    raise ProtocolError(BAD_PDF, f"page {i + 1} has no size")
                scale = limits.PDF_RENDER_SIDE / max(w_pt, h_pt)
                bitmap = page.render(scale=scale, fill_color=(255, 255, 255, 255))
                image = bitmap.to_pil().convert("RGB")
            finally:
                page.close()
            asset = assets.check(_encode(image))
            out.append(PageImage(asset, w_pt * POINT, h_pt * POINT))
        return out
    except ProtocolError:
        raise
    except Exception as exc:  # PDFium failing half-way through a broken file
        raise ProtocolError(BAD_PDF, f"the PDF could not be rendered ({str(exc)[:120]})") from None
    finally:
        doc.close()
