"""Packed stroke points for the sync (a v2 client's opt-in, `?v=2&pack=1`). Pure code.

A pen stroke's `points` are `[[x,y],...]` or `[[x,y,p],...]`, and the page's compact strokes
keep coordinates in tenths and pressure in hundredths. Deflate cannot squeeze the digits of
such numbers much further, but whole-number deltas are short and repeat: `pack` writes

    "pk":[X0,Y0,dX1,dY1,...]     coordinates times 10, the first whole, then differences
    "pp":[P0,dP1,...]            pressure times 100 the same way (only when points carry it)

in place of `points`. The page rebuilds x as (X0+dX1+...+dXi)/10: the sum is an exact integer
and one division by 10 is correctly rounded, so it is the very double the server holds, but
only when that double is exactly the nearest to some tenth. So an element is packed only when
every coordinate is (x == round(x*10)/10, and not -0.0) and every pressure is exactly in
hundredths; anything else (older strokes with more decimals, seed strokes) goes as stored.
"""

from __future__ import annotations

import math
import operator
import re
import weakref
from itertools import repeat
from typing import Any

import orjson

#: The element keys a packed element uses in place of `points`.
COORDS = "pk"
PRESSURE = "pp"

#: Two decimals or an exponent in a number's text.
_MORE_DIGITS = re.compile(rb"\.\d\d|[eE]")

#: Coordinates are within +-1e6 (limits.MAX_COORD), so tenths stay far below 2**53; anything
#: bigger is left alone rather than trusted.
_BOUND = 1e9


def _scaled(values: list[Any], scale: int) -> list[int] | None:
    """`values` times `scale` as integers, if each is exactly the double nearest to it.
    Stored elements passed validation (fields.point), so every value is a finite number, never
    a bool; the work is done by map() and list comparison (C loops): this runs for every
    stroke of a board."""
    try:
        if not (min(values) > -_BOUND and max(values) < _BOUND):
            return None
        scaled = list(map(round, map(operator.mul, values, repeat(scale))))
        if list(map(operator.truediv, scaled, repeat(scale))) != values:
            return None  # more digits than the wire form keeps
    except (TypeError, ValueError, OverflowError):
        return None
    if 0 in values and any(math.copysign(1.0, v) < 0 for v in values if v == 0):
        return None  # -0.0 would come back as 0
    return scaled


def _deltas(values: list[int]) -> list[int]:
    return [values[0], *map(operator.sub, values[1:], values)]


def pack_points(points: Any) -> dict[str, list[int]] | None:
    """The packed fields for a `points` list, or None when it cannot be packed exactly."""
    if type(points) is not list or not points or type(points[0]) is not list:
        return None
    width = len(points[0])
    if width not in (2, 3) or any(type(p) is not list or len(p) != width for p in points):
        return None
    cols = list(zip(*points, strict=True))
    xs = _scaled(list(cols[0]), 10)
    ys = _scaled(list(cols[1]), 10)
    if xs is None or ys is None:
        return None
    coords = [0] * (2 * len(xs))
    coords[0::2], coords[1::2] = _deltas(xs), _deltas(ys)
    out = {COORDS: coords}
    if width == 3:
        ps = _scaled(list(cols[2]), 100)
        if ps is None:
            return None
        out[PRESSURE] = _deltas(ps)
    return out


def pack(encoded: bytes) -> bytes:
    """One stored element with its `points` packed, or the same bytes when it has none or
    they are not exactly representable (or it is not a JSON object at all)."""
    start = encoded.find(b'"points":[[')
    if start >= 0:
        # A fast no for older strokes: a coordinate with two or more decimals in [x,y]
        # points (the first point's one comma says so) is no tenth. Only a shortcut (compact
        # JSON as stored); the numbers decide below.
        first = encoded[start + 11:encoded.find(b"]", start)]
        if first.count(b",") == 1 and _MORE_DIGITS.search(encoded, start,
                                                          encoded.find(b"]]", start) + 1):
            return encoded
    elif b'"points"' not in encoded:
        return encoded
    try:
        element = orjson.loads(encoded)
    except orjson.JSONDecodeError:
        return encoded
    if type(element) is not dict or COORDS in element or PRESSURE in element:
        return encoded
    packed = pack_points(element.get("points"))
    if packed is None:
        return encoded
    out: dict[str, Any] = {}
    for key, value in element.items():  # same key order, `points` where it was
        if key == "points":
            out.update(packed)
        else:
            out[key] = value
    return orjson.dumps(out)


class PackCache:
    """Packed bytes per stored element, keyed by the stored bytes object: a changed element
    is a new object, so it is packed again. Entries keep their object alive so its id stays
    its own; `retain` drops those no longer on the board. `get` may run on the deflate thread
    while the loop reads: each dict operation is atomic, and none iterates the dict."""

    def __init__(self) -> None:
        self._packed: dict[int, tuple[bytes, bytes]] = {}
        #: The last board body packed whole (for peers without deflate): (stored, packed).
        self._body: tuple[bytes, bytes] = (b"", b"")
        #: Whether a thread is packing this board's elements (socket.py).
        self.warming = False

    def get(self, encoded: bytes) -> bytes:
        hit = self._packed.get(id(encoded))
        if hit is not None and hit[0] is encoded:
            return hit[1]
        packed = pack(encoded)
        self._packed[id(encoded)] = (encoded, packed)
        return packed

    def missing(self, elements: list[bytes]) -> int:
        """How many of these elements are not packed yet."""
        packed = self._packed
        return sum(1 for e in elements if (packed.get(id(e)) or (None,))[0] is not e)

    def retain(self, elements: list[bytes]) -> None:
        """Forget every element but these."""
        old = self._packed
        keep: dict[int, tuple[bytes, bytes]] = {}
        for e in elements:
            hit = old.get(id(e))
            if hit is not None and hit[0] is e:
                keep[id(e)] = hit
        self._packed = keep  # a `get` on the thread meanwhile may lose its entry: repacked

    def warm(self, elements: list[bytes]) -> None:
        """Pack every element not packed yet (on a thread: the next sync is then cheap)."""
        for e in elements:
            self.get(e)

    def ready(self, stored: bytes) -> bytes | None:
        """The packed form of the board body `stored`, if it is the one cached."""
        return self._body[1] if self._body[0] is stored else None

    def body(self, stored: bytes, elements: list[bytes]) -> bytes:
        """The packed JSON array of the board whose body is `stored` (`elements` joined);
        what is not cached is packed now, and the cache keeps only these elements."""
        found = self.ready(stored)
        if found is not None:
            return found
        packed = b"[" + b",".join([self.get(e) for e in elements]) + b"]"
        self.retain(elements)
        self._body = (stored, packed)
        return packed


_caches: weakref.WeakKeyDictionary[object, PackCache] = weakref.WeakKeyDictionary()


def cache_for(board: object) -> PackCache:
    """The pack cache of one board (a Room), dropped with it."""
    found = _caches.get(board)
    if found is None:
        found = _caches[board] = PackCache()
    return found
