// Which rows a save of the board's copy writes (boardcache.js), and how a kept copy is put
// back together. Pure: no IndexedDB here.
//
// The copy's elements are kept in rows of at most ROW_ELEMENTS elements each, under the key
// [boardId, row number]; the board row beside them holds the board order. A save compares each
// element by identity with the object it last wrote (the scene replaces a confirmed element's
// object on every change and never mutates one) and rewrites only the rows that hold a changed,
// new or removed element. Why rows of a few dozen and not one element a row: on a
// 10,000-stroke board in Chromium (`python -m benchmarks.page_rejoin --rows`, on disk, four
// runs), reading the board back as 10,000 rows took 1.5-1.9 times as long as one big row
// (540-900 ms against 320-500 ms), rows of 50 1.1-1.35 times (370-640 ms); putting one row
// (what a save after one stroke clones on the main thread) took 0.1-0.4 ms for one stroke,
// 0.8-1.7 ms for 50, 2.8-4.3 ms for 100, 7.5-10.7 ms for 250, against 0.8-1.2 s for the
// board as one row.

import { cleanOrigin } from './session.js';

/** Elements per row of the copy (see above). */
export const ROW_ELEMENTS = 50;

/** `elements` cut into rows in their order: [[0, first 50], [1, next 50], ...]. */
export function chunked(elements, per = ROW_ELEMENTS) {
  const rows = [];
  for (let i = 0; i < elements.length; i += per) rows.push([rows.length, elements.slice(i, i + per)]);
  return rows;
}

/**
 * The kept board from its board row and its element rows (keys [boardId, n] and values,
 * arrays of elements, as getAllKeys and getAll give them): {seq, origin, elements in the
 * board row's order, rows: [[n, elements]]}, or null for anything inconsistent (no board row,
 * a bad seq, origin or order, a bad row, a bad or doubled element, an element missing from
 * the rows or from the order).
 */
export function keptBoard(row, keys, values) {
  if (!row || typeof row !== 'object' || !Number.isInteger(row.seq) || row.seq < 1
      || !cleanOrigin(row.origin)
      || !Array.isArray(row.order) || !Array.isArray(keys) || !Array.isArray(values)
      || keys.length !== values.length) {
    return null;
  }
  const byId = new Map();
  const rows = [];
  for (let i = 0; i < keys.length; i += 1) {
    const n = Array.isArray(keys[i]) ? keys[i][1] : undefined;
    if (!Number.isInteger(n) || n < 0 || !Array.isArray(values[i])) return null;
    for (const el of values[i]) {
      if (!el || typeof el !== 'object' || typeof el.id !== 'string' || byId.has(el.id)) {
        return null;
      }
      byId.set(el.id, el);
    }
    rows.push([n, values[i]]);
  }
  if (byId.size !== row.order.length) return null;
  const elements = [];
  for (const id of row.order) {
    const el = byId.get(id);
    if (el === undefined) return null; // missing, or named twice in the order
    byId.delete(id);
    elements.push(el);
  }
  return { seq: row.seq, origin: row.origin, elements, rows };
}

/** What the board's element rows on disk hold, as the page last wrote or read them. */
export class WrittenRows {
  constructor(per = ROW_ELEMENTS) {
    this.per = per;
    /** id -> the element object written. */
    this.els = new Map();
    /** id -> the row holding it. */
    this.rowOf = new Map();
    /** row -> the ids it holds. */
    this.rows = new Map();
    /** The next row number never used. */
    this.next = 0;
  }

  /** What a load read: the kept board's rows ([[n, elements]], see keptBoard). */
  static of(rows, per = ROW_ELEMENTS) {
    const w = new WrittenRows(per);
    for (const [n, els] of rows) {
      w.rows.set(n, new Set(els.map((el) => el.id)));
      for (const el of els) {
        w.els.set(el.id, el);
        w.rowOf.set(el.id, n);
      }
      w.next = Math.max(w.next, n + 1);
    }
    return w;
  }

  /**
   * What a save of `board` (Map-like, in board order) writes: {full, puts: [[n, elements]],
   * deletes: [n], order, kept (elements as written), changed (elements new or replaced),
   * removed (ids), placed (new id -> row), next}. `full`, or rows grown past twice what the
   * board needs (after many erases), rewrites every row of the board in its order.
   * Nothing here changes until `apply` is given the plan, once it is on disk.
   */
  plan(board, full = false) {
    const order = [...board.keys()];
    if (full) return this._whole(board, order);
    const dirty = new Set();
    const fresh = [];
    let kept = 0;
    let known = 0; // ids of the board written before, kept or replaced
    for (const [id, el] of board.entries()) {
      const was = this.els.get(id);
      if (was === el) {
        kept += 1;
        known += 1;
      } else if (was !== undefined) {
        known += 1;
        dirty.add(this.rowOf.get(id));
      } else {
        fresh.push(id);
      }
    }
    const removed = [];
    const lost = new Map(); // row -> how many of its ids are gone
    if (this.els.size > known) {
      for (const [id, n] of this.rowOf) {
        if (board.has(id)) continue;
        removed.push(id);
        dirty.add(n);
        lost.set(n, (lost.get(n) || 0) + 1);
      }
    }
    // New elements fill rows with room first (lowest first), then new rows.
    const placed = new Map();
    let next = this.next;
    if (fresh.length) {
      const room = [];
      for (const [n, ids] of this.rows) {
        const free = this.per - ids.size + (lost.get(n) || 0);
        if (free > 0) room.push([n, free]);
      }
      room.sort((a, b) => a[0] - b[0]);
      let r = 0;
      for (const id of fresh) {
        while (r < room.length && room[r][1] === 0) r += 1;
        if (r === room.length) room.push([next++, this.per]);
        placed.set(id, room[r][0]);
        room[r][1] -= 1;
        dirty.add(room[r][0]);
      }
    }
    const gone = new Set(removed);
    const puts = [];
    const deletes = [];
    const members = new Map();
    for (const [id, n] of placed) {
      if (!members.has(n)) members.set(n, []);
      members.get(n).push(id);
    }
    let rowCount = this.rows.size;
    for (const n of dirty) {
      const ids = [...(this.rows.get(n) || [])].filter((id) => !gone.has(id));
      ids.push(...(members.get(n) || []));
      if (!this.rows.has(n)) rowCount += 1;
      if (ids.length) {
        puts.push([n, ids.map((id) => board.get(id))]);
      } else {
        deletes.push(n);
        rowCount -= 1;
      }
    }
    if (rowCount > 2 * Math.ceil(order.length / this.per) + 2) return this._whole(board, order);
    return { full: false, puts, deletes, order, kept, changed: order.length - kept, removed,
      placed, next };
  }

  _whole(board, order) {
    const puts = chunked(order.map((id) => board.get(id)), this.per);
    return { full: true, puts, deletes: [], order, kept: 0, changed: order.length,
      removed: [], placed: new Map(), next: puts.length };
  }

  /** Takes a plan once the transaction that wrote it completed. */
  apply(plan) {
    if (plan.full) {
      this.els.clear();
      this.rowOf.clear();
      this.rows.clear();
    }
    for (const id of plan.removed) {
      this.rows.get(this.rowOf.get(id))?.delete(id);
      this.rowOf.delete(id);
      this.els.delete(id);
    }
    for (const n of plan.deletes) this.rows.delete(n);
    for (const [n, els] of plan.puts) {
      let ids = this.rows.get(n);
      if (!ids) this.rows.set(n, (ids = new Set()));
      for (const el of els) {
        ids.add(el.id);
        this.els.set(el.id, el);
        this.rowOf.set(el.id, n);
      }
    }
    this.next = plan.next;
  }
}
