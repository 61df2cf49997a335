// The board kept in this browser (IndexedDB), so a reload draws it at once and rejoins with
// `?since=SEQ`: the server then sends `resume` and only the changes missed, where a full
// `sync` of a 10,000-stroke board is megabytes through one classroom access point.
//
// What is kept per board id: the confirmed board (the server's elements in board order, as
// the scene holds them), its seq and its origin (the server's name for that life of the
// board: a seq means something only there); nothing local and unconfirmed, and no role or
// settings (every resume carries those). A row without an origin (kept before origins) is no
// copy. The rejoin sends `since=SEQ&origin=O`. If the server cannot resume (its log no longer
// reaches SEQ, SEQ is ahead of it, or O is not the board's origin: a wiped server, another
// LANBoard with a board of the same id) it sends a full sync, which replaces the board and
// so the copy.
// Replacing, restoring or clearing a board on the server are ordinary seq-numbered changes:
// a resume carries them. The last MAX_BOARDS boards are kept, least recently used first out.
// Without IndexedDB (private windows, a blocked or broken database) the page joins as before.

import { cleanOrigin } from './session.js';

const DB_NAME = 'lanboard';
const STORE = 'boards';
/** Boards kept in this browser; opening a board makes it the most recent. */
export const MAX_BOARDS = 20;
/** The copy is written at most this often while the board changes, and when the page hides. */
const SAVE_EVERY_MS = 2000;
/**
 * ...and at most this share of the time: the whole board is written each time, and 10,000
 * strokes took 1.5 s here (a structured clone of 15 MB), so a big busy board is written about
 * every 15 s. What the copy lacks, the resume brings.
 */
const SAVE_SHARE = 0.1;
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

/** The database, or null when this browser has none or refuses it. */
export function openCache(idb = globalThis.indexedDB) {
  if (!idb) return Promise.resolve(null);
  let req;
  try {
    req = idb.open(DB_NAME, 1);
  } catch {
    return Promise.resolve(null);
  }
  const opened = new Promise((resolve) => {
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: 'id' });
    };
    req.onsuccess = () => resolve(new BoardCache(req.result));
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

  /** {seq, elements, origin} kept for board `id`, or null (a row without an origin too). */
  async load(id) {
    try {
      const tx = this.db.transaction(STORE, 'readonly');
      const row = await request(tx.objectStore(STORE).get(id));
      if (!row || !Number.isInteger(row.seq) || row.seq < 1 || !Array.isArray(row.elements)
          || !cleanOrigin(row.origin)) {
        return null;
      }
      return { seq: row.seq, elements: row.elements, origin: row.origin };
    } catch {
      return null;
    }
  }

  /**
   * Keeps board `id` at `seq` of `origin` (the whole row replaced: nothing of an older copy
   * stays), then forgets the least recently used past MAX_BOARDS.
   */
  async save(id, seq, elements, origin) {
    try {
      const tx = this.db.transaction(STORE, 'readwrite');
      const store = tx.objectStore(STORE);
      store.put({ id, seq, elements, origin: cleanOrigin(origin), usedAt: Date.now() });
      const rows = await request(store.getAll());
      if (rows.length > MAX_BOARDS) {
        rows.sort((a, b) => b.usedAt - a.usedAt);
        for (const row of rows.slice(MAX_BOARDS)) store.delete(row.id);
      }
      await done(tx);
      return true;
    } catch {
      return false; // a full disk or a closed database: the page goes on without a copy
    }
  }

  async forget(id) {
    try {
      const tx = this.db.transaction(STORE, 'readwrite');
      tx.objectStore(STORE).delete(id);
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
  const state = { cache: null, restored: 0, restoredSeq: 0, saves: 0 };
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
    const kept = await Promise.race([cache.load(roomId), late]);
    if (kept === undefined) cache = null;
    if (kept && !scene.synced) {
      scene.applySync({ elements: kept.elements, seq: kept.seq });
      session.origin = kept.origin; // the rejoin names the board this seq was counted on
      state.restored = kept.elements.length;
      state.restoredSeq = kept.seq;
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
  let saving = null;
  let nextAt = 0;
  const write = async () => {
    const { seq } = scene;
    const { origin } = session;
    const t0 = performance.now();
    if (await cache.save(roomId, seq, [...scene.confirmed.values()], origin)) {
      savedSeq = seq;
      savedOrigin = origin;
      state.saves += 1;
    }
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
