// The board kept in this browser (IndexedDB), so a reload draws it at once and rejoins with
// `?since=SEQ`: the server then sends `resume` and only the changes missed, where a full
// `sync` of a 10,000-stroke board is megabytes through one classroom access point.
//
// What is kept per board id: the confirmed board (the server's elements in board order, as
// the scene holds them), its seq and its origin (the server's name for that life of the
// board: a seq means something only there); nothing local and unconfirmed, and no role or
// settings (every resume carries those). A copy without an origin is no copy. The rejoin
// sends `since=SEQ&origin=O`. If the server cannot resume (its log no longer reaches SEQ,
// SEQ is ahead of it, or O is not the board's origin: a wiped server, another LANBoard with
// a board of the same id) it sends a full sync, which replaces the board and so the copy.
// Replacing, restoring or clearing a board on the server are ordinary seq-numbered changes:
// a resume carries them. The last MAX_BOARDS boards are kept, least recently used first out.
// Without IndexedDB (private windows, a blocked or broken database) the page joins as before.
//
// The copy is written by change (schema 2): the elements are kept in rows of a few dozen in
// ELEMENTS, keyed [boardId, row number] (boardrows.js says which and why), and each board has
// one small row in BOARDS (seq, origin, usedAt and the board order as an array of ids). A
// save puts only the rows holding an element whose object changed since it last wrote them
// (the scene replaces a confirmed element's object on every change and never mutates one:
// scene/incoming.js, where an append makes a new object even when it grows the points array
// in place), deletes the rows left empty and writes the board row, all in one transaction: a
// closed tab leaves the old copy or the new one, never a mix. The structured clone of what
// `put` is given runs at once on the main thread, so one new stroke on a 10,000-stroke board
// clones one row and the order, not the 15 MB board. Two tabs of one board in this browser
// would each track the rows as they wrote them, and a mix of the two could hold elements newer
// than the seq beside them (a resume would then apply a change twice): so each board row
// names the page that wrote it and its how-manieth write, a save reads it in its transaction
// and writes by change only onto the row it read or wrote itself; another page's row is left
// to that page while it is as new or fresh, else rewritten whole.
// Schema 1's rows (the whole board in one row) are dropped on the upgrade: converting them
// would clone every kept board inside the open, within OPEN_TIMEOUT_MS, on the page's first
// load; dropping costs that board one full sync, once.

import { chunked, keptBoard, WrittenRows } from './boardrows.js';
import { cleanOrigin } from './session.js';

const DB_NAME = 'lanboard';
const DB_VERSION = 2;
/**
 * One row per board: {id, seq, origin, usedAt, order: [element ids, bottom first], writer,
 * gen: the page that wrote it and its how-manieth write}.
 */
const BOARDS = 'boards';
/** Rows of elements (arrays of up to ROW_ELEMENTS), under the key [boardId, row number]. */
const ELEMENTS = 'elements';
/** Boards kept in this browser; opening a board makes it the most recent. */
export const MAX_BOARDS = 20;
/** The copy is written at most this often while the board changes, and when the page hides. */
const SAVE_EVERY_MS = 2000;
/**
 * ...and at most this share of the time. A save after a few changes takes milliseconds, so
 * the copy follows the board within about SAVE_EVERY_MS; a whole rewrite of a 10,000-stroke
 * board (after a sync) took about half a second here and is followed by a pause ten times
 * as long. What the copy lacks, the resume brings.
 */
const SAVE_SHARE = 0.1;
/**
 * A board row another page (another tab of the board in this browser) wrote is left to it
 * while it is at least as new as this page's board, or was written less than this long ago.
 */
const OTHER_WRITER_MS = 20000;
/** A database that does not open within this long is given up for this page. */
const OPEN_TIMEOUT_MS = 1500;

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('aborted'));
  });
}

/** Every element row of board `id`: row numbers are numbers, and any array sorts above. */
function boardRows(id) {
  return IDBKeyRange.bound([id], [id, []]);
}

/** Which page wrote a board row, and its how-manieth write: '' for no row. */
function stampOf(row) {
  return row && typeof row === 'object' ? `${row.writer}/${row.gen}` : '';
}

/** A name for one page's writes, unlike any other page's. */
function newWriter() {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** The database, or null when this browser has none or refuses it. */
export function openCache(idb = globalThis.indexedDB) {
  if (!idb) return Promise.resolve(null);
  let req;
  try {
    req = idb.open(DB_NAME, DB_VERSION);
  } catch {
    return Promise.resolve(null);
  }
  const opened = new Promise((resolve) => {
    req.onupgradeneeded = () => {
      const db = req.result;
      // Schema 1 kept whole boards in BOARDS: dropped (see the header), and made anew.
      for (const name of [...db.objectStoreNames]) db.deleteObjectStore(name);
      db.createObjectStore(BOARDS, { keyPath: 'id' }).createIndex('usedAt', 'usedAt');
      db.createObjectStore(ELEMENTS);
    };
    req.onsuccess = () => {
      const db = req.result;
      // A newer page upgrading the database must not wait for this one.
      db.onversionchange = () => db.close();
      resolve(new BoardCache(db));
    };
    req.onerror = () => resolve(null);
    req.onblocked = () => resolve(null);
  });
  const late = new Promise((resolve) => setTimeout(() => resolve(null), OPEN_TIMEOUT_MS));
  return Promise.race([opened, late]);
}

export class BoardCache {
  constructor(db) {
    this.db = db;
  }

  /** {seq, elements, origin, rows} kept for board `id`, or null (see keptBoard). */
  async load(id) {
    return (await this.read(id)).kept;
  }

  /** {kept: as `load`, stamp: the board row's writer and generation ('' for no row)}. */
  async read(id) {
    try {
      const tx = this.db.transaction([BOARDS, ELEMENTS], 'readonly');
      const elements = tx.objectStore(ELEMENTS);
      const [row, keys, values] = await Promise.all([
        request(tx.objectStore(BOARDS).get(id)),
        request(elements.getAllKeys(boardRows(id))),
        request(elements.getAll(boardRows(id))),
      ]);
      return { kept: keptBoard(row, keys, values), stamp: stampOf(row) };
    } catch {
      return { kept: null, stamp: null };
    }
  }

  /**
   * One save of board `id`, in one transaction: the board row on disk is read and handed to
   * `decide` (at once, inside the transaction, so no other page writes in between), which
   * returns null to write nothing, or {row: {seq, origin, order, writer, gen}, puts: [[n,
   * elements]], deletes: [n], full}: `full` first deletes every element row of the board
   * instead of `deletes`. Then the least recently used boards past MAX_BOARDS are forgotten,
   * their element rows too. Resolves {ok, wrote, syncMs: the main thread's time from the
   * decision through the puts' clones}; ok is false when nothing was written (a full disk, a
   * closed database: the page goes on, and the copy on disk is the one before).
   */
  write(id, decide) {
    let tx;
    const failed = { ok: false, wrote: false, syncMs: 0 };
    const abort = () => {
      try {
        tx?.abort();
      } catch {
        // already over
      }
    };
    try {
      tx = this.db.transaction([BOARDS, ELEMENTS], 'readwrite');
      const finished = done(tx);
      finished.catch(() => {}); // awaited below; an abort before that must not go unhandled
      const boards = tx.objectStore(BOARDS);
      const elements = tx.objectStore(ELEMENTS);
      return request(boards.get(id)).then((found) => {
        const t0 = performance.now();
        let syncMs = 0;
        try {
          const w = decide(found);
          if (!w) return finished.then(() => ({ ok: true, wrote: false, syncMs: 0 }), () => failed);
          if (w.full) elements.delete(boardRows(id));
          else for (const n of w.deletes) elements.delete([id, n]);
          for (const [n, els] of w.puts) elements.put(els, [id, n]);
          boards.put({ ...w.row, id, origin: cleanOrigin(w.row.origin), usedAt: Date.now() });
          syncMs = performance.now() - t0;
        } catch {
          abort(); // a put that threw left part of the change in the transaction: undo it all
          return failed;
        }
        return this._evict(boards, elements, id).then(() => finished)
          .then(() => ({ ok: true, wrote: true, syncMs }), () => failed);
      }, () => failed);
    } catch {
      abort();
      return Promise.resolve(failed);
    }
  }

  async _evict(boards, elements, id) {
    const count = await request(boards.count());
    if (count <= MAX_BOARDS) return;
    const oldest = await request(boards.index('usedAt').getAllKeys(null, count - MAX_BOARDS));
    for (const key of oldest) {
      if (key === id) continue;
      boards.delete(key);
      elements.delete(boardRows(key));
    }
  }

  /** Keeps board `id` as `elements` (a whole rewrite of its rows); true once on disk. */
  save(id, seq, elements, origin) {
    const row = { seq, origin, order: elements.map((el) => el.id), writer: newWriter(), gen: 1 };
    return this.write(id, () => ({ row, puts: chunked(elements), deletes: [], full: true }))
      .then((r) => r.ok);
  }

  async forget(id) {
    try {
      const tx = this.db.transaction([BOARDS, ELEMENTS], 'readwrite');
      tx.objectStore(BOARDS).delete(id);
      tx.objectStore(ELEMENTS).delete(boardRows(id));
      await done(tx);
    } catch {
      // nothing kept, nothing to forget
    }
  }
}

/**
 * Draws the kept board (when there is one) and then connects: the socket's URL carries the
 * kept seq as `since` (session.js asks the scene). Afterwards the copy follows the board.
 * Resolves with what happened, for the page's test hook.
 */
export async function joinWithCache({ roomId, scene, session, renderer, open = openCache }) {
  // For the page's test hook: `rows` sums up the saves: elements written because new or
  // replaced (`changed`) and gone (`removed`), element rows put and deleted, the saves that
  // rewrote the board's rows whole, and the saves left to another page's copy (`skips`).
  const state = { cache: null, restored: 0, restoredSeq: 0, saves: 0,
    rows: { changed: 0, removed: 0, puts: 0, deletes: 0, rewrites: 0, skips: 0 } };
  let keptRows = null;
  let stamp = '';
  let cache = null;
  try {
    cache = await open();
  } catch {
    cache = null;
  }
  if (cache && !scene.synced) {
    // The copy must never hold the socket back: a read that has not answered in time is
    // given up, and this page joins as it would without a copy.
    const late = new Promise((resolve) => setTimeout(() => resolve(undefined), OPEN_TIMEOUT_MS));
    const read = await Promise.race([cache.read(roomId), late]);
    if (read === undefined) cache = null;
    const kept = read?.kept;
    stamp = read?.stamp ?? '';
    if (kept && !scene.synced) {
      scene.applySync({ elements: kept.elements, seq: kept.seq });
      session.origin = kept.origin; // the rejoin names the board this seq was counted on
      state.restored = kept.elements.length;
      state.restoredSeq = kept.seq;
      keptRows = kept.rows;
      // The page's first view (fit to the drawing) follows the kept board as after a sync.
      session.stats.syncReceivedAt = performance.now();
      session.stats.syncToFrameMs = null;
      renderer.request();
    }
  }
  state.cache = cache ? 'indexeddb' : 'none';
  session.connect();
  if (!cache) return state;
  let savedSeq = state.restoredSeq;
  let savedOrigin = session.origin;
  // What the board's element rows on disk hold (the kept copy's own objects after a
  // restore), while the board row is still `stamp`: the one this page read or last wrote. Not
  // `trusted` (no copy read, or a bad one): the next save rewrites the board's rows whole.
  const written = keptRows ? WrittenRows.of(keptRows) : new WrittenRows();
  let trusted = Boolean(keptRows);
  const writer = newWriter();
  let gen = 0;
  let saving = null;
  let nextAt = 0;
  /**
   * Inside the save's transaction: what to write onto the board row found there. Another
   * tab of this board may have written since this page's last read or write (its element
   * rows are then not what `written` holds): its copy is left to it while it is at least as
   * new as this page's board or fresh, else replaced whole.
   */
  const decide = (found, out) => {
    // The board as it is now, in the same task as the clones: the seq matches the elements.
    const { seq } = scene;
    const { origin } = session;
    Object.assign(out, { seq, origin });
    if (stampOf(found) !== stamp) {
      // Written (or deleted: evicted, forgotten) by another page since.
      if (found && cleanOrigin(found.origin) === cleanOrigin(origin)
          && (found.seq >= seq || Date.now() - found.usedAt < OTHER_WRITER_MS)) {
        return null;
      }
      trusted = false;
    }
    let plan = written.plan(scene.confirmed, !trusted || origin !== savedOrigin);
    // After a sync (or a clear) no element is the object written: the board's rows are
    // rewritten whole, which also drops any row the plan does not know of.
    if (!plan.full && plan.kept === 0 && written.els.size > 0) {
      plan = written.plan(scene.confirmed, true);
    }
    out.plan = plan;
    return { row: { seq, origin, order: plan.order, writer, gen: gen + 1 }, puts: plan.puts,
      deletes: plan.deletes, full: plan.full };
  };
  const write = async () => {
    const t0 = performance.now();
    const out = { plan: null, seq: scene.seq, origin: session.origin };
    const result = await cache.write(roomId, (found) => decide(found, out));
    const { plan, seq, origin } = out;
    // The part of a save that holds the main thread: the plan and the clones of the puts.
    state.lastSaveSyncMs = result.syncMs;
    if (result.ok) {
      savedSeq = seq; // written, or left to the other page's copy
      savedOrigin = origin;
    }
    if (result.ok && !result.wrote) state.rows.skips += 1;
    if (result.wrote) {
      written.apply(plan);
      trusted = true;
      gen += 1;
      stamp = `${writer}/${gen}`;
      state.saves += 1;
      state.rows.changed += plan.changed;
      state.rows.removed += plan.removed.length;
      state.rows.puts += plan.puts.length;
      state.rows.deletes += plan.deletes.length;
      state.rows.rewrites += plan.full ? 1 : 0;
    }
    // A failed transaction leaves the rows as they were, so `written` still holds.
    state.lastWrite = { ok: result.ok, skipped: result.ok && !result.wrote, seq,
      full: plan?.full ?? false, changed: plan?.changed ?? 0, puts: plan?.puts.length ?? 0,
      deletes: plan?.deletes.length ?? 0, elements: plan?.order.length ?? 0 };
    const took = performance.now() - t0;
    state.lastSaveMs = took;
    nextAt = performance.now() + Math.max(SAVE_EVERY_MS, took / SAVE_SHARE);
  };
  /**
   * Writes the copy when the board changed since (or `force`); `now` skips the pacing.
   * Resolves once the copy written (or the one being written) is on disk.
   */
  const save = async (force = false, now = true) => {
    if (saving) return saving;
    // Only a board the server has confirmed (synced, resumed) and that changed since. A
    // board of another origin (the kept copy was of a board the server no longer has) is a
    // change even at the same seq, and is written at once: the copy must not outlive it.
    if (!session.ready) return undefined;
    const replaced = session.origin !== savedOrigin;
    if (scene.seq === savedSeq && !replaced && !force) return undefined;
    if (!now && !replaced && performance.now() < nextAt) return undefined;
    saving = write().finally(() => {
      saving = null;
    });
    return saving;
  };
  state.save = save;
  setInterval(() => save(false, false), SAVE_EVERY_MS);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') save();
  });
  window.addEventListener('pagehide', () => save());
  return state;
}
