"""QR codes of board URLs: SVG for the share dialog, text for the terminal."""

from __future__ import annotations

import io

import segno

#: Error correction "M" survives a smudged screen or a glare spot (15 % of the code).
ERROR_LEVEL = "m"
#: Quiet zone in modules; the standard asks for 4, and scanners need it.
BORDER = 4

#: Terminal colours: dark modules black, light ones white, so the code reads the same on a
#: dark or a light terminal theme.
_ANSI_ON = "\x1b[30;47m"
_ANSI_OFF = "\x1b[0m"


def matrix(url: str) -> list[list[bool]]:
    """The code's modules, True for dark, with the quiet zone included."""
    code = segno.make(url, error=ERROR_LEVEL, micro=False)
    return [[bool(m) for m in row] for row in code.matrix_iter(scale=1, border=BORDER)]


def svg(url: str, scale: int = 8) -> bytes:
    """A standalone SVG, black on white (scanners want a light background)."""
    code = segno.make(url, error=ERROR_LEVEL, micro=False)
    out = io.BytesIO()
    code.save(out, kind="svg", scale=scale, border=BORDER, dark="#000", light="#fff",
              xmldecl=False, title=url)
    return out.getvalue()


def png(url: str, scale: int = 4) -> bytes:
    code = segno.make(url, error=ERROR_LEVEL, micro=False)
    out = io.BytesIO()
    code.save(out, kind="png", scale=scale, border=BORDER)
    return out.getvalue()


def text(url: str, *, ansi: bool, unicode: bool = True) -> str:
    """The code as terminal text, two module rows per line.

    With `ansi`, dark modules print black on white, whatever the theme. Without it (a log
    file, a journal), light modules print as blocks, like `qrencode -t UTF8`: right on the
    dark terminals most people run servers in, and most phone scanners read the inverse too.
    Without `unicode` (a console that cannot show block characters), each module is two
    ASCII characters, one line per row.
    """
    rows = matrix(url)
    if not unicode:
        return "\n".join("".join("  " if dark else "##" for dark in row) for row in rows) + "\n"
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))
    lines = []
    for top, bottom in zip(rows[0::2], rows[1::2], strict=True):
        # The block stands for the colour drawn in the foreground: dark with ANSI, light without.
        ink = [(t, b) if ansi else (not t, not b) for t, b in zip(top, bottom, strict=True)]
        chars = "".join(_half_block(t, b) for t, b in ink)
        lines.append(f"{_ANSI_ON}{chars}{_ANSI_OFF}" if ansi else chars)
    return "\n".join(lines) + "\n"


def _half_block(top: bool, bottom: bool) -> str:
    if top and bottom:
        return "\u2588"
    if top:
        return "\u2580"
    if bottom:
        return "\u2584"
    return " "
