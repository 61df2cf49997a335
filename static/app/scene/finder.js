// The scene's spatial queries: which displayed element is under the pointer, inside a box, or
// near the eraser. Keeps a SpatialIndex (../spatial.js) of every displayed element's bounds in
// step with the scene, so a query looks at the few candidates near the point, never at the
// whole board. Pure module.

import { bounds, hitTest } from '../elements/index.js';
import { SpatialIndex } from '../spatial.js';

function union(a, b) {
  if (!a) return b;
  if (!b) return a;
  return { x0: Math.min(a.x0, b.x0), y0: Math.min(a.y0, b.y0), x1: Math.max(a.x1, b.x1),
    y1: Math.max(a.y1, b.y1) };
}

export class Finder {
  /**
   * @param {(id: string) => object | undefined} get the displayed element
   * @param {(id: string) => number} rankOf its place in board order (higher is on top)
   * @param {() => Iterable<object>} all every displayed element (to build the index from)
   */
  constructor(get, rankOf, all) {
    this.getEl = get;
    this.rankOf = rankOf;
    this.all = all;
    this.index = new SpatialIndex();
    /** id -> {el, box}: the element object the index entry was made for, and its bounds. */
    this.held = new Map();
    // Built on first use, not at sync: a 100,000-element board costs about a second of
    // bounds and inserts on a slow machine, which must not delay the first paint. The page
    // calls warm() once the board is shown; a query before that builds it on the spot.
    this.stale = true;
    /**
     * Issue 15: whether an element is on the page this person is on (null: every element is),
     * and whether they may pick it up (null: every one). A student may not pick a locked
     * element: the select tool and the eraser pass over it, so a worksheet stays in place.
     */
    this.shows = null;
    this.pickable = null;
  }

  /** Whether queries answer el: on the current page, and not locked against this person. */
  picks(el) {
    return Boolean(el) && (!this.shows || this.shows(el)) && (!this.pickable || this.pickable(el));
  }

  /** The board was replaced (a sync, a clear): rebuild before the next query. */
  invalidate() {
    this.stale = true;
    this.index.clear();
    this.held.clear();
  }

  /** Builds the index now if it is stale. */
  warm() {
    if (!this.stale) return;
    this.stale = false;
    for (const el of this.all()) this._put(el.id, el, bounds(el));
  }

  /** Brings id's entry in step with the displayed element (added, changed or gone). */
  touch(id) {
    if (this.stale) return; // the rebuild reads the current state
    const el = this.getEl(id);
    if (!el) {
      if (this.held.delete(id)) this.index.remove(id);
      return;
    }
    const h = this.held.get(id);
    if (h && h.el === el) return;
    this._put(id, el, bounds(el));
  }

  /**
   * The displayed element `el` is the held one with `added` points appended: its box grows by
   * the new points' box only, O(added), however long the stroke already is.
   */
  grow(id, el, added) {
    if (this.stale) return;
    const h = this.held.get(id);
    if (!h || !h.box) {
      this._put(id, el, bounds(el));
      return;
    }
    const extra = added.length ? bounds({ ...el, points: added }) : null;
    const box = union(h.box, extra);
    h.el = el;
    if (box !== h.box) {
      h.box = box;
      this.index.update(id, box);
    }
  }

  /** The bounds of a displayed element, as the index holds them (cached, no recomputation). */
  boxOf(id) {
    this.warm();
    const h = this.held.get(id);
    return h ? h.box : null;
  }

  _put(id, el, box) {
    this.held.set(id, { el, box });
    if (box) this.index.insert(id, box);
    else this.index.remove(id);
  }

  _byRank(ids) {
    const ranks = new Map(ids.map((id) => [id, this.rankOf(id)]));
    return ids.sort((a, b) => ranks.get(a) - ranks.get(b));
  }

  /** The topmost displayed element whose drawing is within `tol` of (x, y), or null. */
  hitTopmost(x, y, tol = 0, skip = null) {
    this.warm();
    let best = null;
    let bestRank = -Infinity;
    for (const id of this.index.queryPoint(x, y, tol)) {
      if (skip && skip(id)) continue;
      const h = this.held.get(id);
      if (!h || !this.picks(h.el) || !hitTest(h.el, x, y, tol, h.box)) continue;
      const r = this.rankOf(id);
      if (r > bestRank) {
        best = h.el;
        bestRank = r;
      }
    }
    return best;
  }

  /** Ids of elements whose bounds lie entirely inside the box, in board order. */
  idsInBox(x0, y0, x1, y1) {
    this.warm();
    const box = { x0: Math.min(x0, x1), y0: Math.min(y0, y1), x1: Math.max(x0, x1),
      y1: Math.max(y0, y1) };
    const out = [];
    for (const id of this.index.query(box)) {
      const h = this.held.get(id);
      const b = h && this.picks(h.el) ? h.box : null;
      if (b && b.x0 >= box.x0 && b.y0 >= box.y0 && b.x1 <= box.x1 && b.y1 <= box.y1) out.push(id);
    }
    return this._byRank(out);
  }

  /** Ids of elements whose drawing is within r of (x, y) (the eraser), in board order. */
  idsNear(x, y, r) {
    this.warm();
    const out = [];
    for (const id of this.index.queryPoint(x, y, r)) {
      const h = this.held.get(id);
      if (h && this.picks(h.el) && hitTest(h.el, x, y, r, h.box)) out.push(id);
    }
    return this._byRank(out);
  }
}
