// The confirmed board: elements by id in board order, exactly as the server holds them, with a
// rank per id so "which of these is on top" is one lookup instead of a walk of the board.
// Pure module. Map-like (get, has, set, delete, size, keys, values, entries, iteration), so
// code that read `scene.confirmed` as a Map keeps working.
//
// Ranks only grow toward the top: a new id or one brought to the front takes the next rank
// above every other, one sent to the back the next rank below. They are never renumbered, so
// a rank held elsewhere (the spatial queries) stays comparable.

export class Board {
  constructor() {
    /** id -> element, in board order (iteration order is board order, bottom first). */
    this.map = new Map();
    /** id -> rank: a higher rank is drawn later (on top). */
    this.ranks = new Map();
    this.hi = 0;
    this.lo = 0;
  }

  get size() {
    return this.map.size;
  }

  get(id) {
    return this.map.get(id);
  }

  has(id) {
    return this.map.has(id);
  }

  rank(id) {
    return this.ranks.get(id);
  }

  /** True when id is the topmost element and nothing was placed above it since. */
  isTop(id) {
    return this.ranks.get(id) === this.hi;
  }

  /** Adds id on top, or replaces it in place (as the server does for a draw of a known id). */
  set(id, el) {
    if (!this.map.has(id)) {
      this.hi += 1;
      this.ranks.set(id, this.hi);
    }
    this.map.set(id, el);
    return this;
  }

  delete(id) {
    this.ranks.delete(id);
    return this.map.delete(id);
  }

  clear() {
    this.map.clear();
    this.ranks.clear();
  }

  /** Replaces everything with `elements` (bottom first). */
  reset(elements) {
    this.clear();
    for (const el of elements) if (el && typeof el.id === 'string') this.set(el.id, el);
  }

  /** The ids of `ids` that are on the board, in board order. */
  inOrder(ids) {
    const out = [];
    for (const id of new Set(ids)) if (this.map.has(id)) out.push(id);
    out.sort((a, b) => this.ranks.get(a) - this.ranks.get(b));
    return out;
  }

  /** `order {to: "front"}`: those ids, keeping their order among themselves, go on top. */
  front(ids) {
    for (const id of this.inOrder(ids)) {
      const el = this.map.get(id);
      this.map.delete(id);
      this.map.set(id, el);
      this.hi += 1;
      this.ranks.set(id, this.hi);
    }
  }

  /** `order {to: "back"}`: those ids go below everything. Rebuilds the map (rare, O(n)). */
  back(ids) {
    const moved = this.inOrder(ids);
    if (!moved.length) return;
    const next = new Map();
    moved.forEach((id, i) => {
      next.set(id, this.map.get(id));
      this.ranks.set(id, this.lo - moved.length + i);
    });
    this.lo -= moved.length;
    for (const [id, el] of this.map) if (!next.has(id)) next.set(id, el);
    this.map = next;
  }

  keys() {
    return this.map.keys();
  }

  values() {
    return this.map.values();
  }

  entries() {
    return this.map.entries();
  }

  [Symbol.iterator]() {
    return this.map[Symbol.iterator]();
  }
}
