"""permessage-deflate (RFC 7692) as LANBoard speaks it: the answer to a client's offer, the
compressed form of outgoing messages, and a capped inflater for incoming ones. Pure code:
zlib only, no Tornado (socket.py writes the frames, wsreader.py calls `inflate`).

The server answers every accepted offer with `server_no_context_takeover` and
`client_no_context_takeover`:

- server side, every message is compressed from a fresh state, so one compressed message is
  valid on every connection. A room's shared live frame is compressed once per flush, and a
  board's sync body once per board version, for every joiner;
- client side, every incoming message is compressed on its own, and inflated capped at the
  message size limit: a zip bomb costs at most that much memory, never more (`Inflater`).

A message may be made of several independently compressed segments, each ended with a sync
flush (a non-final deflate block that ends on a byte boundary): their concatenation is one
valid deflate stream that inflates to the concatenation of their inputs. So a sync is the
joiner's own small head, the board's shared body and its own small tail, each compressed
apart, and the body itself is a list of chunks of elements cached across board versions
(`ElementChunks`): a new stroke recompresses one chunk, not the board.
"""

from __future__ import annotations

import struct
import weakref
import zlib
from collections.abc import Callable

from lanboard.packing import PackCache, cache_for

#: zlib level for live frames: the fastest (a few messages compress the same at any level).
LEVEL = 1

#: zlib level for a board's element chunks. Measured on 3,000 of the page's recorded strokes
#: (benchmarks/wifi.py): level 1 2.24x in 63 ms of CPU, 4 2.45x in 114 ms, 5 2.52x in 229 ms,
#: 6 2.54x. Chunks are compressed once per board version for every joiner, mostly on the
#: deflate thread, so 9 % fewer bytes are worth 1.8 times the CPU.
CHUNK_LEVEL = 4

#: Messages shorter than this go uncompressed (RSV1 is per message). Measured: one live
#: message (~100 B) shrinks 15 %, two (~200 B) 43 %, five 66 %; each compression costs about
#: 10 us, once per flush for every peer that shares the frame.
MIN_BYTES = 160

#: An elements chunk ends after an element whose id hashes to 0 modulo this, once it holds at
#: least CHUNK_MIN bytes (or at CHUNK_MAX): boundaries follow the elements, not their offsets,
#: so erasing or adding one element changes one chunk.
CHUNK_SPREAD = 32
CHUNK_MIN = 32 * 1024
CHUNK_MAX = 256 * 1024

#: A sync needing more than this compressed goes to a thread, and the joiner's frames wait
#: for it (10,000 strokes, 17 MB, took 0.2-0.9 s here at level 1); a new stroke's chunk
#: (up to CHUNK_MAX) is compressed on the loop.
THREAD_MIN = 1024 * 1024

#: What a sync flush ends with; the last one of a message is left off (RFC 7692 7.2.1).
TAIL = b"\x00\x00\xff\xff"

#: The extension's parameters and whether each takes a value.
_PARAMS = {"server_no_context_takeover": False, "client_no_context_takeover": False,
           "server_max_window_bits": True, "client_max_window_bits": None}

ANSWER = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"


class InflateError(Exception):
    """An incoming compressed message that ends the connection: its close code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code} {reason}")
        self.code = code
        self.reason = reason


def _acceptable(params: list[str]) -> bool:
    """Whether one offer's parameters can be honoured with a 15-bit server window."""
    seen: set[str] = set()
    for raw in params:
        name, eq, value = (s.strip() for s in raw.partition("="))
        value = value.strip('"')
        if name not in _PARAMS or name in seen:
            return False  # unknown or repeated: decline this offer (RFC 7692 7.1)
        seen.add(name)
        takes = _PARAMS[name]
        if takes is False and eq:
            return False
        if takes is True and not eq:
            return False
        if eq:
            if not (value.isdigit() and 8 <= int(value) <= 15):
                return False
            if name == "server_max_window_bits" and int(value) != 15:
                # Shared compressed messages use one window for everyone: a client that asks
                # for a smaller one gets uncompressed frames instead.
                return False
    return True


def negotiate(header: str | None) -> str | None:
    """The Sec-WebSocket-Extensions answer to a client's offers, or None to use none."""
    if not header or len(header) > 4096:
        return None
    for offer in header.split(","):
        name, *params = offer.split(";")
        if name.strip().lower() == "permessage-deflate" and _acceptable(params):
            return ANSWER
    return None


def segment(data: bytes, level: int = LEVEL) -> bytes:
    """`data` compressed from a fresh state and sync-flushed: concatenable with others."""
    comp = zlib.compressobj(level, zlib.DEFLATED, -15, 9)
    return comp.compress(data) + comp.flush(zlib.Z_SYNC_FLUSH)


def header(n: int) -> bytes:
    """A compressed server text frame's header: FIN + RSV1 + text opcode, then the length."""
    if n < 126:
        return struct.pack("!BB", 0xC1, n)
    if n < 65536:
        return struct.pack("!BBH", 0xC1, 126, n)
    return struct.pack("!BBQ", 0xC1, 127, n)


def frame(data: bytes) -> bytes:
    """One whole compressed frame for one message."""
    body = segment(data)[:-4]
    return header(len(body)) + body


#: The last shared frame compressed and its wire form: a room's shared frame goes to every v2
#: peer of one flush in a row, so it is compressed once per flush.
_last: tuple[bytes, bytes] = (b"", b"")


def shared_frame(data: bytes) -> bytes:
    """`frame(data)`, computed once for the same object sent to many peers in a row."""
    global _last
    if _last[0] is data:
        return _last[1]
    wire = frame(data)
    _last = (data, wire)
    return wire


def message(parts: list[bytes], body: bytes | None = None,
            body_segments: list[bytes] | None = None) -> list[bytes]:
    """One message given in pieces, compressed: the frame header, then segments. A part that
    is `body` is replaced by `body_segments` (shared, cached); runs of other parts are joined
    and compressed each as one segment."""
    out: list[bytes] = []
    run: list[bytes] = []
    for part in parts:
        if body is not None and part is body and body_segments is not None:
            if run:
                out.append(segment(b"".join(run)))
                run = []
            out += body_segments
        else:
            run.append(part)
    out.append(segment(b"".join(run)))  # the message's last segment, even if empty
    out[-1] = out[-1][:-4]
    return [header(sum(len(s) for s in out)), *out]


#: A chunk's place in the cache: (first?, the id of each of its elements).
Key = tuple[object, ...]
#: One chunk of a layout: its key, its elements, and its segment once compressed.
Chunk = tuple[Key, list[bytes], bytes | None]


class ElementChunks:
    """The compressed segments of one board's element array (`[e1,e2,...]`), cached by chunk:
    a chunk is kept while it holds exactly the same element objects. `layout` runs on the
    event loop (a pass over the ids), `compress` may run on a thread (zlib lets go of the
    GIL), `install` back on the loop."""

    def __init__(self, pack: PackCache | None = None) -> None:
        #: For packed peers (`?pack=1`, packing.py): each element's packed form, cached per
        #: element; it runs inside `compress`, so on the thread for a big board.
        self._pack = pack
        #: key -> (the elements, kept alive so their ids stay theirs, segment).
        self._chunks: dict[Key, tuple[list[bytes], bytes]] = {}
        self._body: bytes | None = None
        self._segments: list[bytes] = []
        #: A compression running on a thread, and the sockets waiting for it (socket.py).
        self.running: object | None = None
        self.waiters: list[Callable[[], None]] = []
        #: Syncs served from the cached segments (socket.py counts them; tests read it).
        self.hits = 0

    def ready(self, body: bytes) -> list[bytes] | None:
        """The segments of `body`, if they are the ones cached."""
        return self._segments if body is self._body else None

    def layout(self, elements: list[tuple[str, bytes]]) -> list[Chunk]:
        """The board cut into chunks, each with its cached segment or None."""
        out: list[Chunk] = []
        run: list[bytes] = []
        size = 0
        kept = self._chunks

        def close() -> None:
            key = (not out, *map(id, run))
            hit = kept.get(key)
            out.append((key, run, hit[1] if hit is not None else None))

        for eid, data in elements:
            run.append(data)
            size += len(data)
            if size >= CHUNK_MAX or (size >= CHUNK_MIN and hash(eid) % CHUNK_SPREAD == 0):
                close()
                run, size = [], 0
        if run or not out:
            close()
        return out

    @staticmethod
    def missing(layout: list[Chunk]) -> int:
        """Bytes of element data still to compress."""
        return sum(sum(map(len, run)) for _, run, seg in layout if seg is None)

    def compress(self, layout: list[Chunk]) -> list[Chunk]:
        """Every chunk with its segment (safe on a thread: it reads only `layout`, and the
        pack cache's single dict operations)."""
        out: list[Chunk] = []
        pack = self._pack
        for i, (key, run, seg) in enumerate(layout):
            if seg is None:
                data = b",".join(run if pack is None else [pack.get(e) for e in run])
                seg = segment(b"[" + data if i == 0 else b"," + data, CHUNK_LEVEL)
            out.append((key, run, seg))
        return out

    def install(self, body: bytes, done: list[Chunk]) -> list[bytes]:
        """Keep a compressed layout as the cache (chunks no longer on the board go)."""
        self._chunks = {key: (run, seg) for key, run, seg in done if seg is not None}
        if self._pack is not None:  # packed forms of elements no longer on the board go
            self._pack.retain([e for _, run, _ in done for e in run])
        self._body = body
        self._segments = [seg for _, _, seg in done if seg is not None] + [segment(b"]")]
        return self._segments

    def segments(self, body: bytes, elements: Callable[[], list[tuple[str, bytes]]]
                 ) -> list[bytes]:
        """Segments that inflate to `body`, which is `[` + the elements joined by `,` + `]`,
        compressed here and now."""
        found = self.ready(body)
        if found is not None:
            return found
        return self.install(body, self.compress(self.layout(elements())))


_boards: weakref.WeakKeyDictionary[object, ElementChunks] = weakref.WeakKeyDictionary()
_packed_boards: weakref.WeakKeyDictionary[object, ElementChunks] = weakref.WeakKeyDictionary()


def chunks_for(board: object, packed: bool = False) -> ElementChunks:
    """The chunk cache of one board (a Room), dropped with it; packed peers have their own,
    whose chunks hold the packed elements (packing.py) of the same element objects."""
    boards = _packed_boards if packed else _boards
    found = boards.get(board)
    if found is None:
        found = boards[board] = ElementChunks(cache_for(board) if packed else None)
    return found


class Inflater:
    """A connection's incoming compressed messages, each inflated to at most `limit` bytes: one
    that would inflate to more is refused with 1009 after producing only limit + 1 bytes.

    The answer asks the client to compress every message from a fresh state, and browsers do;
    some clients keep their context anyway (Tornado 6.6's client drops the answer's valueless
    parameters), so one inflater lives as long as the connection and reads both kinds. It is
    made at the first compressed message: ~40 KB of window, bounded per connection."""

    __slots__ = ("_z",)

    def __init__(self) -> None:
        self._z: zlib._Decompress | None = None

    def inflate(self, data: bytes, limit: int) -> bytes:
        z = self._z
        if z is None or z.eof:  # a client that ended its stream (BFINAL) starts a new one
            z = self._z = zlib.decompressobj(-15)
        try:
            out = z.decompress(data + TAIL, limit + 1)
        except zlib.error:
            raise InflateError(1007, "the compressed message is not valid deflate data") from None
        if len(out) > limit or z.unconsumed_tail:
            raise InflateError(1009, "message too big")
        return out
