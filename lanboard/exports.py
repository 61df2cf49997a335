"""The export thread: rebuilding a past board and drawing SVG or PDF handouts off the event
loop, one at a time, with a bound on how many may wait; and what exports need of pages and
images (issue 15): the elements of one page, the pictures, a board file's embedded assets."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import gc
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import orjson

from lanboard import assets, elements, limits
from lanboard.elements import PAGE_KEY, assets_of
from lanboard.errors import ProtocolError
from lanboard.protocol import clean_user_id, dumps, validate_element
from lanboard.store import Asset, BoardStore, Element

#: Rebuilding a past board and drawing a handout are pure Python taking up to a second or
#: two: done here, one at a time, the event loop keeps relaying live changes meanwhile
#: (sharing the GIL costs a live message at most the 5 ms switch interval, where running it
#: on the loop would stall every board for the whole time).
EXPORTS = concurrent.futures.ThreadPoolExecutor(max_workers=1,
                                                thread_name_prefix="lanboard-export")

T = TypeVar("T")


#: Exports waiting for or running on the export thread (read and written on the loop only).
_exports = 0


def exports_full() -> bool:
    """Whether the export thread already has MAX_EXPORTS_WAITING jobs: a client that asks for
    handout after handout would otherwise queue seconds of work each, and every live board
    shares the GIL with it."""
    return _exports >= limits.MAX_EXPORTS_WAITING


async def off_loop(work: Callable[[], T]) -> T:
    """Run `work` on the export thread and wait for it without blocking the loop."""
    global _exports
    _exports += 1
    try:
        return await asyncio.get_running_loop().run_in_executor(EXPORTS, _no_collection, work)
    finally:
        _exports -= 1


#: The GIL's switch interval while an export runs: the loop waits at most this long each
#: time it needs the GIL back (Python's default, 5 ms, cost a live round trip a few of them).
EXPORT_SWITCH_SECONDS = 0.0005


def _no_collection(work: Callable[[], T]) -> T:
    """Run `work` with the cyclic collector off and a short GIL switch interval: an export
    makes hundreds of thousands of lists and dicts, and the full collections they set off
    (tens of milliseconds each, with the GIL held) stalled the live boards more than the
    export itself. Everything it makes is freed by reference counting when it ends."""
    interval, collecting = sys.getswitchinterval(), gc.isenabled()
    gc.disable()
    sys.setswitchinterval(EXPORT_SWITCH_SECONDS)
    try:
        return work()
    finally:
        sys.setswitchinterval(interval)
        if collecting:
            gc.enable()


def handout(elements: list[Element], paper: str, title: str,
            assets: dict[str, tuple[str, bytes]] | None = None,
            pages: list[list[Element]] | None = None) -> bytes:
    """The PDF handout. fpdf2 and fontTools (0.4 s to import) are imported by the first one,
    on the export thread, not at every start nor on the loop."""
    from lanboard.pdf import render

    return render(elements, paper, title=title, assets=assets, pages=pages)


# ---- pages and images in exports (issue 15) ----------------------------------------------

def page_argument(raw: str | None, fmt: str) -> int | str:
    """`?page=`: a board page (1-MAX_PAGES) or `all`. Defaults: `all` for the PDF handout
    (one PDF page per board page) and the JSON file (always the whole board), page 1 for SVG
    (one picture; the pages share their coordinates). ProtocolError `bad_page`."""
    if raw is None:
        return 1 if fmt == "svg" else "all"
    if raw == "all" and fmt != "svg":
        return "all"
    if raw.isdigit() and 1 <= int(raw) <= limits.MAX_PAGES:
        return int(raw)
    raise ProtocolError("bad_page", f"page is 1-{limits.MAX_PAGES}"
                        + ("" if fmt == "svg" else " or all"))


def on_page(board: list[Element], page: int) -> list[Element]:
    """The elements on one board page, in board order (page 1: those without `page`)."""
    if page == 1:
        return [(eid, e) for eid, e in board if PAGE_KEY not in e]
    return [(eid, e) for eid, e in board
            if PAGE_KEY in e and elements.page_of(orjson.loads(e)) == page]


def page_count(board: list[Element], pages_setting: int = 1) -> int:
    """max(settings.pages, the highest page an element is on)."""
    used = [elements.page_of(orjson.loads(e)) for _, e in board if PAGE_KEY in e]
    return max([pages_setting, 1, *used])


def asset_map(store: BoardStore, room_id: str,
              board: list[Element]) -> dict[str, tuple[str, bytes]]:
    """The pictures the board's images name: asset id -> (MIME type, bytes). Read from the
    store on the loop (its connection is the loop's); raises StoreError."""
    out: dict[str, tuple[str, bytes]] = {}
    for _, encoded in board:
        if b'"asset":' not in encoded:
            continue
        for asset_id in elements.assets_of(orjson.loads(encoded)):
            if asset_id not in out:
                found = store.asset(room_id, asset_id)
                if found is not None:
                    out[asset_id] = (found.type, found.data)
    return out


def embedded(store: BoardStore, room_id: str, board: list[Element]) -> bytes:
    """The `assets` list of a board file: every asset its images name, bytes in base64."""
    items = []
    for asset_id in asset_map(store, room_id, board):
        held = store.asset(room_id, asset_id)
        if held is not None:
            items.append({**held.info(), "data": base64.b64encode(held.data).decode()})
    return orjson.dumps(items)


def unembedded(doc: Any) -> list[Asset]:
    """The assets a board file carries, each checked exactly as an upload is (its id must be
    its bytes' SHA-256). ProtocolError `bad_file`."""
    raw = doc.get("assets", []) if isinstance(doc, dict) else []
    if not isinstance(raw, list):
        raise ProtocolError("bad_file", "'assets' is a list")
    out = []
    for i, item in enumerate(raw):
        try:
            if not isinstance(item, dict) or not isinstance(item.get("data"), str):
                raise ProtocolError("bad_image", "an asset is {id, data: base64, ...}")
            try:
                data = base64.b64decode(item["data"], validate=True)
            except ValueError:
                raise ProtocolError("bad_image", "its data is not base64") from None
            asset = assets.check(data)
            if item.get("id") != asset.id:
                raise ProtocolError("bad_image", "its id is not the SHA-256 of its bytes")
        except ProtocolError as err:
            raise ProtocolError("bad_file", f"asset {i + 1}: {err.message}") from None
        out.append(asset)
    return out


def fit_assets(store: BoardStore, room_id: str, carried: list[Asset]) -> None:
    """Whether the board can take a file's assets it does not have yet (the 200 MiB cap);
    ProtocolError `too_large` if not. Raises StoreError."""
    held = store.asset_ids(room_id)
    used = store.asset_bytes(room_id)
    for asset in {a.id: a for a in carried if a.id not in held}.values():
        assets.fits(used, asset)
        used += len(asset.data)


def parse_board_file(body: bytes, known: set[str] | None = None,
                     carried: list[Asset] | None = None) -> list[Element]:
    """Validate an exported board file exactly as strictly as live changes; raise
    ProtocolError with a message naming the first bad element. An image must name an asset
    the board has (`known`) or the file carries (its `assets`, checked as uploads are, are
    appended to `carried`)."""
    try:
        doc = json.loads(body, parse_constant=lambda c: _bad(f"{c} is not valid JSON"))
    except (ValueError, RecursionError) as exc:
        raise ProtocolError("bad_file", f"the file is not valid JSON: {str(exc)[:80]}") from None
    elements = doc.get("elements") if isinstance(doc, dict) else None
    if not isinstance(elements, list):
        raise ProtocolError("bad_file", "a board file is a JSON object with an 'elements' list")
    if len(elements) > limits.MAX_ELEMENTS_PER_ROOM:
        raise ProtocolError("board_full", f"the file has {len(elements)} elements; a board "
                            f"holds at most {limits.MAX_ELEMENTS_PER_ROOM}")
    files = unembedded(doc)
    if carried is not None:
        carried.extend(files)
    usable = (known or set()) | {a.id for a in files}
    out: dict[str, bytes] = {}
    for i, raw in enumerate(elements):
        owner = raw.get("userId") if isinstance(raw, dict) else None
        user = clean_user_id(owner if isinstance(owner, str) else None) or "import"
        try:
            element = validate_element(raw, user)
            if element["id"] in out:
                raise ProtocolError("bad_element", "this id appears twice in the file")
            if any(a not in usable for a in assets_of(element)):
                raise ProtocolError("bad_element", "an image names an asset the file does not "
                                    "carry")
            out[element["id"]] = dumps(element)
        except ProtocolError as err:
            raise ProtocolError("bad_file", f"element {i + 1}: {err.message}") from None
        except UnicodeEncodeError:
            raise ProtocolError("bad_file", f"element {i + 1}: invalid unicode") from None
    return list(out.items())


def _bad(message: str) -> Any:
    raise ValueError(message)
