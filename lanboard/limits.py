"""Every limit LANBoard enforces, in one place. Each is covered by a test."""

from __future__ import annotations

import re

#: Largest WebSocket frame a client may send; a larger one closes that connection with 1009.
MAX_FRAME_BYTES = 1024 * 1024

#: Coordinates, sizes and every other number in an element must lie within +/- this bound.
MAX_COORD = 1e6

#: Stroke widths outside this range are rejected.
MIN_STROKE_WIDTH = 0.5
MAX_STROKE_WIDTH = 200.0

#: Font sizes outside this range are rejected.
MIN_FONT_SIZE = 4.0
MAX_FONT_SIZE = 400.0

#: Longest text element, in characters.
MAX_TEXT_CHARS = 4000

#: Most points in one freehand path.
MAX_PATH_POINTS = 20_000

#: Longest element id, in characters.
MAX_ID_CHARS = 64

#: Most ids in one `erase`, `update`, `order` or `select`.
MAX_ERASE_IDS = 2_000

#: A scale factor of an `update` or `transform` must be this small or large at most (in size;
#: a negative one mirrors).
MIN_SCALE = 0.001
MAX_SCALE = 1000.0

#: Most elements one board may hold; past it, `draw` gets a `board_full` error.
MAX_ELEMENTS_PER_ROOM = 200_000

#: Longest user id; longer ones are cut, after control characters are stripped.
MAX_USER_ID_CHARS = 32

#: Room ids: 1-64 characters of letters, digits, `_` and `-`.
ROOM_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")

#: Stored changes each room keeps in memory so that `?since=` can resume without a full sync.
RESUME_LOG_CHANGES = 10_000

#: ...and at most this many bytes of them; a client further behind gets a full sync.
RESUME_LOG_BYTES = 16 * 1024 * 1024

#: Bytes a client may have waiting to be written before it is treated as a slow consumer.
PEER_BACKLOG_BYTES = 4 * 1024 * 1024

#: Seconds a slow consumer may stay stalled before it is disconnected.
PEER_STALL_SECONDS = 20.0

#: Seconds an empty room stays in memory before it is unloaded (its board stays stored).
ROOM_IDLE_SECONDS = 60.0

#: Most rooms held in memory at once; joins past it get HTTP 503.
MAX_LOADED_ROOMS = 5_000

#: Most connections one room accepts.
MAX_PEERS_PER_ROOM = 1_500

#: WebSocket keepalive: ping every this many seconds, and drop a client silent for the timeout.
#: (Tornado caps the timeout at the interval.)
PING_INTERVAL_SECONDS = 30.0
PING_TIMEOUT_SECONDS = 30.0

#: A board with activity gets a timestamped version in History at most this often.
VERSION_EVERY_SECONDS = 300.0

#: Most versions kept per board; the oldest periodic ones go first.
MAX_VERSIONS_PER_BOARD = 100

#: A snapshot (compacting the change log) is written after this many changes to a board.
SNAPSHOT_EVERY_CHANGES = 5_000

#: Every change, and every snapshot, is kept this many days (LANBOARD_KEEP_DAYS), so the
#: board at any moment of a lesson can be rebuilt; older ones go at the board's next snapshot
#: and at startup, and asking for them answers 410 `gone`.
KEEP_DAYS = 30.0

#: Most changes one `GET /api/rooms/{id}/changes` answer holds...
MAX_CHANGES_PAGE = 5_000
#: ...and it stops once past this many bytes (a page of maximum-size paths would otherwise
#: be gigabytes); it always holds at least one change.
MAX_CHANGES_PAGE_BYTES = 8 * 1024 * 1024

#: The write-ahead log is copied into the database, off the event loop, once it passes this
#: size; the checkpoint thread looks this often.
CHECKPOINT_BYTES = 4 * 1024 * 1024
CHECKPOINT_POLL_SECONDS = 0.5

#: SQLite's page cache per connection, in KiB.
SQLITE_CACHE_KIB = 256

#: Largest board file accepted by import, in bytes.
MAX_IMPORT_BYTES = 64 * 1024 * 1024

#: A frame counts as one message per this many bytes against its rate limit, so one client
#: cannot spend the server's time on a stream of maximum-size paths.
RATE_COST_BYTES = 4096

#: Per-client rates, messages a second (bursts are twice these). Overridden by
#: LANBOARD_RATE_CHANGES, LANBOARD_RATE_CURSORS and LANBOARD_RATE_CLEARS.
RATE_CHANGES = 400.0
RATE_CURSORS = 150.0
RATE_CLEARS = 1.0

#: One IP's shared budget is this many clients' worth (several tabs, a class sharing a NAT).
IP_RATE_SCALE = 8.0

#: A client with more than this many recent rejections is disconnected (1008); strikes
#: drain at FLOOD_DECAY a second.
FLOOD_STRIKES = 1_000
FLOOD_DECAY = 50.0

#: Connection caps. The host's own machine (loopback) is not held to the per-IP cap.
MAX_CONNECTIONS = 5_000
MAX_CONNECTIONS_PER_IP = 32

#: Import and restore replace a whole board: at most REPLACE_BURST at once, then one every
#: REPLACE_EVERY_SECONDS per board.
REPLACE_BURST = 3.0
REPLACE_EVERY_SECONDS = 5.0

#: Under load (the last flush wrote to at least COALESCE_MIN_PEERS peers) flushes are at least
#: COALESCE_SECONDS apart, so each peer gets fewer, larger frames. An idle board flushes at once.
COALESCE_SECONDS = 0.0025
COALESCE_MIN_PEERS = 20
#: ...and at least FLUSH_SPACING times as long as the last flush took, but never more than
#: COALESCE_MAX_SECONDS.
FLUSH_SPACING = 2.0
COALESCE_MAX_SECONDS = 0.025

#: A connection that has not sent a whole request head within this many seconds, or has sat
#: idle this long between keep-alive requests, is closed (Tornado uses one timeout for both).
HEADER_TIMEOUT_SECONDS = 10.0

#: A request body (an import) must arrive within this many seconds: 64 MiB at ~0.5 MB/s.
BODY_TIMEOUT_SECONDS = 120.0

#: Most TCP connections one IP may hold open, upgraded or not (loopback is not capped).
MAX_TCP_PER_IP = 64

#: A failed accept (out of descriptors: EMFILE) pauses accepting this long instead of
#: spinning, and is logged at most once per ACCEPT_ERROR_LOG_SECONDS with a count.
ACCEPT_PAUSE_SECONDS = 0.1
ACCEPT_ERROR_LOG_SECONDS = 10.0

#: Longest request path in an access or rejection log line; the rest is cut and counted.
LOG_URI_CHARS = 200

#: Longest message Tornado or asyncio may log about a request; longer ones are cut.
LOG_LINE_CHARS = 500

#: Identical library log messages logged at once, before the rest wait (one a second).
LOG_TEMPLATE_BURST = 20.0

#: Successful requests logged per IP: this many at once, then this many a second.
ACCESS_LOG_BURST = 50.0
ACCESS_LOG_PER_SECOND = 5.0

#: Exports (SVG, PDF, a past board) waiting for or running on the export thread at once; one
#: more gets 503 `server_busy` with Retry-After (a handout of 10,000 strokes takes 1.5 s).
MAX_EXPORTS_WAITING = 4

#: How long a name the teacher removed cannot rejoin the board from the same address.
KICK_BAN_SECONDS = 600.0

#: WebSocket close code for a connection the teacher removed (see docs/PROTOCOL.md).
CLOSE_KICKED = 4003

#: Board pages (issue 15): an element's `page` and the teacher's `pages` setting are 1-this.
MAX_PAGES = 200

#: An uploaded image (asset): at most this many bytes...
MAX_ASSET_BYTES = 10 * 1024 * 1024
#: ...all of one board's assets together at most this many (assets are kept as long as the
#: board: history versions may name them)...
MAX_BOARD_ASSET_BYTES = 200 * 1024 * 1024
#: ...and, read from the header before anything is decoded, at most this long a side and
#: this many pixels (a small file can claim a huge picture).
MAX_IMAGE_SIDE = 8192
MAX_IMAGE_PIXELS = 40_000_000

#: A PDF worksheet import: at most this many bytes and pages; each page is rendered with its
#: long side at most PDF_RENDER_SIDE pixels.
MAX_PDF_BYTES = 50 * 1024 * 1024
MAX_PDF_PAGES = 100
PDF_RENDER_SIDE = 2000

#: Image and PDF bytes one address may upload: this many at once, then this many a second
#: (the host's own machine is not held to it). Each board's assets are capped, but boards are
#: made by opening them: without this one device could fill the disk board after board.
UPLOAD_BURST_BYTES = 100 * 1024 * 1024
UPLOAD_BYTES_PER_SECOND = 1024 * 1024
