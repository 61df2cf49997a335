// A spatial index of element boxes, for hit tests, box select and the eraser on big boards.
// Pure module: no DOM, no knowledge of element types; it holds ids and boxes {x0, y0, x1, y1}.
//
// It is a hierarchy of uniform grids. Level L has square cells of 256 * 8^L world units, and a
// box lives on the finest level whose cell is at least as large as the box, so it touches at
// most 2 x 2 cells there: an insert or an update costs a few cell operations whatever the box's
// size, and a line two million units long sits in a handful of cells of the coarsest level
// instead of in a million small ones. A query visits, on each level that holds anything, the
// cells its box overlaps (or, when that range is larger than the level's occupied cells, just
// the occupied cells), and checks each candidate's box once.
//
// It returns candidates: ids whose box meets the query. The caller does the exact hit test
// (elements/index.js hitTest) and picks by board order.

// 256-unit cells: on a 100,000-element board (benchmarks/hit_test.mjs) 64-unit ones made a
// box select of a zoomed-out screen visit 16 times as many cells for no faster point queries
// (box select at 25 %: median 1.5 ms with 64, 0.6-1.0 ms with 256, 0.3-0.6 ms with 512).
const BASE_CELL = 256;
const LEVEL_FACTOR = 8;
const LEVELS = 6; // 256 ... 8,388,608: past any board's +/-1e6 extent
// Cell coordinates are clamped to +/-2^14 (at 256 units, +/-4 million: past any coordinate a
// board holds) so a key stays a small integer under 2^30, which V8 hashes faster than a larger
// number (with arrays for cells, building the index of 100,000 boxes went from 155-300 to
// 75-160 ms on the loaded development machine). A box beyond the clamp only lands in a
// coarser cell than it could; every candidate's box is still checked.
const CELL_LIMIT = 2 ** 14;

function cellOf(v, size) {
  const c = Math.floor(v / size);
  return c < -CELL_LIMIT ? -CELL_LIMIT : c > CELL_LIMIT ? CELL_LIMIT : c;
}

function keyOf(cx, cy) {
  return (cx + CELL_LIMIT) * (2 * CELL_LIMIT + 1) + (cy + CELL_LIMIT);
}

/** The box with x0 <= x1 and y0 <= y1, whichever way round it came. */
function ordered(b) {
  return b.x0 <= b.x1 && b.y0 <= b.y1 ? b : {
    x0: Math.min(b.x0, b.x1), y0: Math.min(b.y0, b.y1),
    x1: Math.max(b.x0, b.x1), y1: Math.max(b.y0, b.y1),
  };
}

function finiteBox(b) {
  return Number.isFinite(b.x0) && Number.isFinite(b.y0) && Number.isFinite(b.x1) &&
    Number.isFinite(b.y1);
}

class Level {
  constructor(size) {
    this.size = size;
    /** key -> {cx, cy, items: [entries]}: an array (a cell holds a handful; a removal's
     * indexOf is cheap) iterates faster than a Set and costs less to build. */
    this.cells = new Map();
    this.count = 0;
  }

  add(e) {
    for (let cx = e.cx0; cx <= e.cx1; cx += 1) {
      for (let cy = e.cy0; cy <= e.cy1; cy += 1) {
        const key = keyOf(cx, cy);
        let cell = this.cells.get(key);
        if (!cell) {
          cell = { cx, cy, items: [] };
          this.cells.set(key, cell);
        }
        cell.items.push(e);
      }
    }
    this.count += 1;
  }

  delete(e) {
    for (let cx = e.cx0; cx <= e.cx1; cx += 1) {
      for (let cy = e.cy0; cy <= e.cy1; cy += 1) {
        const key = keyOf(cx, cy);
        const cell = this.cells.get(key);
        if (!cell) continue;
        const items = cell.items;
        const i = items.indexOf(e);
        if (i < 0) continue;
        // Swap with the last: order within a cell means nothing.
        items[i] = items[items.length - 1];
        items.pop();
        if (!items.length) this.cells.delete(key);
      }
    }
    this.count -= 1;
  }
}

export class SpatialIndex {
  constructor() {
    this.levels = [];
    for (let i = 0, size = BASE_CELL; i < LEVELS; i += 1, size *= LEVEL_FACTOR) {
      this.levels.push(new Level(size));
    }
    /** id -> entry {id, x0, y0, x1, y1, level, cx0, cy0, cx1, cy1, mark} */
    this.entries = new Map();
    // Boxes with a non-finite side cannot be placed in a cell; they are checked on every query.
    this.loose = new Set();
    this.stamp = 0;
  }

  get size() {
    return this.entries.size;
  }

  has(id) {
    return this.entries.has(id);
  }

  /** The box the index holds for id, or undefined. */
  boxOf(id) {
    const e = this.entries.get(id);
    return e && { x0: e.x0, y0: e.y0, x1: e.x1, y1: e.y1 };
  }

  clear() {
    for (const level of this.levels) {
      level.cells.clear();
      level.count = 0;
    }
    this.entries.clear();
    this.loose.clear();
  }

  /** Adds id with box {x0, y0, x1, y1}; an id already held is updated. */
  insert(id, box) {
    if (this.entries.has(id)) {
      this.update(id, box);
      return;
    }
    const e = { id, x0: 0, y0: 0, x1: 0, y1: 0, level: -1, cx0: 0, cy0: 0, cx1: 0, cy1: 0,
      mark: 0 };
    this._place(e, box);
    this.entries.set(id, e);
  }

  remove(id) {
    const e = this.entries.get(id);
    if (!e) return false;
    this._unplace(e);
    this.entries.delete(id);
    return true;
  }

  /** Gives id a new box; cheap when the box stays in the same cells (a small move). */
  update(id, rawBox) {
    const box = ordered(rawBox);
    const e = this.entries.get(id);
    if (!e) {
      this.insert(id, box);
      return;
    }
    if (e.level >= 0 && finiteBox(box)) {
      const level = this._levelFor(box);
      if (level === e.level) {
        const size = this.levels[level].size;
        if (cellOf(box.x0, size) === e.cx0 && cellOf(box.y0, size) === e.cy0 &&
            cellOf(box.x1, size) === e.cx1 && cellOf(box.y1, size) === e.cy1) {
          e.x0 = box.x0; e.y0 = box.y0; e.x1 = box.x1; e.y1 = box.y1;
          return;
        }
      }
    }
    this._unplace(e);
    this._place(e, box);
  }

  /** Ids whose box meets `box` {x0, y0, x1, y1} (edges touching count), in no set order. */
  query(rawBox) {
    const box = ordered(rawBox);
    const out = [];
    const { x0, y0, x1, y1 } = box;
    const stamp = ++this.stamp;
    const take = (e) => {
      if (e.mark === stamp) return;
      e.mark = stamp;
      if (e.x0 <= x1 && e.x1 >= x0 && e.y0 <= y1 && e.y1 >= y0) out.push(e.id);
    };
    for (const level of this.levels) {
      if (!level.count) continue;
      const size = level.size;
      const cx0 = cellOf(x0, size);
      const cy0 = cellOf(y0, size);
      const cx1 = cellOf(x1, size);
      const cy1 = cellOf(y1, size);
      const span = (cx1 - cx0 + 1) * (cy1 - cy0 + 1);
      if (!(span <= level.cells.size)) {
        // A query box wider than what this level holds (a box select of the whole board):
        // walk the occupied cells rather than every cell in range. (NaN spans land here too.)
        for (const cell of level.cells.values()) {
          if (cell.cx < cx0 || cell.cx > cx1 || cell.cy < cy0 || cell.cy > cy1) continue;
          for (const e of cell.items) take(e);
        }
        continue;
      }
      for (let cx = cx0; cx <= cx1; cx += 1) {
        for (let cy = cy0; cy <= cy1; cy += 1) {
          const cell = level.cells.get(keyOf(cx, cy));
          if (cell) for (const e of cell.items) take(e);
        }
      }
    }
    for (const e of this.loose) take(e);
    return out;
  }

  /** Ids whose box is within `tol` of (x, y). */
  queryPoint(x, y, tol = 0) {
    return this.query({ x0: x - tol, y0: y - tol, x1: x + tol, y1: y + tol });
  }

  _levelFor(box) {
    const extent = Math.max(box.x1 - box.x0, box.y1 - box.y0);
    let level = 0;
    while (level < LEVELS - 1 && extent > this.levels[level].size) level += 1;
    return level;
  }

  _place(e, rawBox) {
    const box = ordered(rawBox);
    e.x0 = box.x0; e.y0 = box.y0; e.x1 = box.x1; e.y1 = box.y1;
    if (!finiteBox(box)) {
      e.level = -1;
      this.loose.add(e);
      return;
    }
    e.level = this._levelFor(box);
    const size = this.levels[e.level].size;
    e.cx0 = cellOf(box.x0, size); e.cy0 = cellOf(box.y0, size);
    e.cx1 = cellOf(box.x1, size); e.cy1 = cellOf(box.y1, size);
    this.levels[e.level].add(e);
  }

  _unplace(e) {
    if (e.level < 0) this.loose.delete(e);
    else this.levels[e.level].delete(e);
  }
}
