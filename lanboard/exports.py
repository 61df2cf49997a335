"""The export thread: rebuilding a past board and drawing SVG or PDF handouts off the event
loop, one at a time, with a bound on how many may wait."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import sys
from collections.abc import Callable
from typing import TypeVar

from lanboard import limits
from lanboard.store import Element

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


def handout(elements: list[Element], paper: str, title: str) -> bytes:
    """The PDF handout. fpdf2 and fontTools (0.4 s to import) are imported by the first one,
    on the export thread, not at every start nor on the loop."""
    from lanboard.pdf import render

    return render(elements, paper, title=title)
