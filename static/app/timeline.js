// The lesson timeline's model: the room's stored change log replayed into a board at any
// moment. Pure module: no DOM, no socket.
//
// The board at a position is built by the page's own Scene (`applySync`, then `applyChange`
// for each stored change in seq order), so the past looks exactly as a connected page saw it.
// A position is an index into the log: 0 is the board at `oldest` (the oldest seq the server
// can rebuild), i is the board right after the i-th change. Every CHECKPOINT_EVERY changes the
// board is kept as an array of element references (elements are never changed in place once
// released, see scene.js), so any position is at most that many changes away from a restore:
// scrubbing backwards never replays from the start.
//
// One pass at load also notes, per id, the last change that touched it (a draw, append,
// erase, update or order naming it), and where the clears are: the painter (pastlayer.js)
// keeps bitmaps of the elements that no later change touches, and draws only the others.

import { Scene } from './scene.js';

/** Changes between two kept boards. A restore plus at most this many changes per position. */
export const CHECKPOINT_EVERY = 256;

/** The stored kinds: everything else in a log is ignored. */
const STORED = new Set(['draw', 'append', 'erase', 'clear', 'update', 'order']);

export class Timeline {
  /**
   * @param {object} o
   * @param {number} o.oldest the seq of `base`
   * @param {object[]} o.base the board at `oldest`, bottom first
   * @param {object[]} o.changes stored change messages with seq > oldest (any order)
   */
  constructor({ oldest = 0, base = [], changes = [] } = {}) {
    this.oldest = oldest;
    this.changes = [];
    /** id -> position right after the last change naming it (clears aside), whole log. */
    this.lastTouch = new Map();
    /** Positions right after each clear, in order. */
    this.clears = [];
    /** userId -> number of elements drawn (new ids) in the log. */
    this._drawn = new Map();
    this._checkpoints = [{ index: 0, seq: oldest, elements: base.slice() }];
    // The working scene: the board at `this._at`, moved forward or restored as asked.
    this._scene = freshScene(base, oldest);
    this._at = 0;
    this._touched = new Set();
    this._baseUsers(base);
    this.add(changes);
  }

  /** Number of changes; positions go from 0 to length. */
  get length() {
    return this.changes.length;
  }

  /** The seq of the board at position i. */
  seqAt(i) {
    return i <= 0 ? this.oldest : this.changes[Math.min(i, this.length) - 1].seq;
  }

  /** The position of the board right after change `seq` (the last change at or before it). */
  indexOf(seq) {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.changes[mid - 1].seq <= seq) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * More changes (the next page of the log, or live ones): only those after the last held
   * seq are taken, in seq order. Returns how many were taken.
   */
  add(messages) {
    const fresh = messages.filter((m) => m && STORED.has(m.type) && typeof m.seq === 'number' &&
      m.seq > this.seqAt(this.length)).sort((a, b) => a.seq - b.seq);
    if (!fresh.length) return 0;
    // Walk from the end of the log, so the additive test sees the board before each change.
    const keep = this._at;
    this._goto(this.length);
    for (const msg of fresh) {
      if (msg.seq <= this.seqAt(this.length)) continue; // a duplicate within `messages`
      const data = msg.data || {};
      const isNew = msg.type === 'draw' && !this._scene.confirmed.has(data.id);
      if (isNew && msg.userId !== undefined) {
        this._drawn.set(msg.userId, (this._drawn.get(msg.userId) || 0) + 1);
      }
      this.changes.push(msg);
      for (const id of namedIds(msg)) this.lastTouch.set(id, this.length);
      if (msg.type === 'clear') this.clears.push(this.length);
      this._step(msg);
      if (this.length % CHECKPOINT_EVERY === 0) this._keep();
    }
    this._goto(Math.min(keep, this.length));
    return fresh.length;
  }

  /**
   * The Scene holding the board at position i. It is the timeline's working scene: read it
   * before the next call, and never change it.
   */
  sceneAt(i) {
    this._goto(Math.max(0, Math.min(this.length, i)));
    return this._scene;
  }

  /** The board at position i, bottom first; with `who`, only the elements that person drew. */
  elementsAt(i, who = null) {
    const out = [];
    for (const el of this.sceneAt(i).confirmed.values()) {
      if (who === null || el.userId === who) out.push(el);
    }
    return out;
  }

  /** Everyone who drew in the lesson: [{userId, count}], most elements first. */
  people() {
    return [...this._drawn].map(([userId, count]) => ({ userId, count }))
      .sort((a, b) => b.count - a.count || (a.userId < b.userId ? -1 : 1));
  }

  /** The position right after the last clear at or before i (0 when none). */
  lastClear(i) {
    let out = 0;
    for (const c of this.clears) {
      if (c > i) break;
      out = c;
    }
    return out;
  }

  /**
   * True when the element id, on the board at position i, is as it will stay: no later
   * change names it (it stops growing, and is never erased, moved or reordered after i).
   */
  settledAt(id, i) {
    const last = this.lastTouch.get(id);
    return last === undefined || last <= i;
  }

  // ---- the working scene ------------------------------------------------------------

  _goto(i) {
    if (i === this._at) return;
    if (i < this._at || i - this._at > CHECKPOINT_EVERY) {
      const cp = this._checkpoints[Math.min(this._checkpoints.length - 1,
        Math.floor(i / CHECKPOINT_EVERY))];
      if (cp.index > this._at || i < this._at) {
        this._scene.applySync({ elements: cp.elements, seq: cp.seq });
        this._at = cp.index;
        this._touched.clear();
      }
    }
    while (this._at < i) this._step(this.changes[this._at]);
  }

  _step(msg) {
    this._scene.applyChange(msg);
    this._at += 1;
    if (msg.type === 'append' && msg.data) this._touched.add(msg.data.id);
    // The page's scene keeps new remote strokes as live (drawn on its overlay until they
    // stop growing); the timeline paints its own way, so that list only grows: drop it.
    if (this._scene.live.size > 64) this._scene.live.clear();
  }

  /** Keeps the board at the current (last) position as a checkpoint. */
  _keep() {
    // An appended stroke's points array may be grown in place by the next append; snapshot()
    // stops that, so the kept references stay as they are now.
    for (const id of this._touched) this._scene.snapshot(id);
    this._touched.clear();
    this._checkpoints.push({ index: this._at, seq: this._scene.seq,
      elements: [...this._scene.confirmed.values()] });
  }

  _baseUsers(base) {
    for (const el of base) {
      if (el && el.userId !== undefined) {
        this._drawn.set(el.userId, (this._drawn.get(el.userId) || 0) + 1);
      }
    }
  }
}

/** The element ids a stored change names (draw and append: data.id; the others: data.ids). */
function namedIds(msg) {
  const d = msg.data;
  if (!d) return [];
  if (typeof d.id === 'string') return [d.id];
  return Array.isArray(d.ids) ? d.ids.filter((id) => typeof id === 'string') : [];
}

function freshScene(base, seq) {
  const scene = new Scene();
  scene.applySync({ elements: base, seq });
  return scene;
}

/**
 * The changes a connected page gets, as one log: `{oldest, seq, changes}` pages from
 * `GET /api/rooms/{id}/changes` (see api.js) joined in order. Pure, for tests.
 */
export function joinPages(pages) {
  const changes = [];
  let last = -Infinity;
  for (const p of pages) {
    for (const c of p.changes || []) {
      if (c.seq > last) {
        changes.push(c);
        last = c.seq;
      }
    }
  }
  return changes;
}
