// Paints the board at a moment of the lesson (timeline.js) on its own canvas, above the live
// board, which keeps updating underneath. Scrubbing must keep up with the pointer on a lesson
// of 10,000 strokes, and painting a whole board that size takes hundreds of milliseconds in a
// software-rastered browser. So the painter keeps bitmaps of the board at evenly spaced
// moments, built once in one forward pass, each holding only the elements that are settled
// there: no later change names them (they stopped growing and are never erased, moved or
// reordered afterwards). Such an element stays as it is at every later moment, so a bitmap
// serves every later moment up to the next clear, and the next bitmap is the previous one
// plus the elements settled in between. A moment is painted as the latest bitmap before it
// plus the elements on the board not in it (drawn since, or changed later), in board order.
//
// Those few are drawn over the bitmap, so where one of them lies below a settled element in
// board order (two strokes drawn at the same time that cross, a stroke later sent to the
// back) the moment shows them the other way round. `exact()` paints the whole board in
// order: the timeline calls it once scrubbing or playing rests, as the live renderer repaints
// exactly once a pan rests.

import { bounds, drawElement } from './elements/index.js';
import { displayed } from './theme.js';

/** Bitmaps kept at most (each is one screen of RGBA pixels). */
const MAX_BITMAPS = 24;
/** Memory for the bitmaps: a large or high-density screen gets fewer of them. */
const BITMAP_BYTES = 160 * 1024 * 1024;
/** No two bitmaps closer than this many changes. */
const MIN_SPACING = 32;

export class PastLayer {
  /** @param {HTMLCanvasElement} canvas  @param {import('./timeline.js').Timeline} timeline */
  constructor(canvas, timeline) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.timeline = timeline;
    this.view = { scale: 1, ox: 0, oy: 0 };
    this.who = null;
    /** Which elements the live board shows (its current page); null: all. */
    this.shows = null;
    this.width = 0;
    this.height = 0;
    this.dpr = 1;
    /** [{index, canvas}] by index: the elements settled at index, painted. */
    this.bitmaps = [];
    /** The canvas as painted when the camera began to move (see preview). */
    this._moved = null;
    this._bounds = new WeakMap();
    this.stats = { frames: 0, lastMs: 0, drawn: 0, full: 0, prepareMs: 0 };
  }

  resize(width, height, dpr) {
    this.bitmaps = [];
    if (width === this.width && height === this.height && dpr === this.dpr) return;
    this.width = width;
    this.height = height;
    this.dpr = dpr;
    this.canvas.width = Math.round(width * dpr);
    this.canvas.height = Math.round(height * dpr);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.ctx.lbFontSize = null; // resizing resets the context, its font included
  }

  /** The camera ({scale, ox, oy}, as view.js) and the person shown (null: everyone). */
  configure(view, who) {
    this.view = { scale: view.scale, ox: view.ox, oy: view.oy };
    this.who = who;
    this.bitmaps = [];
    this._moved = null;
  }

  /**
   * While the camera moves (a pan or zoom of the past): the moment last painted, moved as a
   * bitmap, as the live renderer pans a large board. configure() and prepare() make it exact
   * again once the camera rests.
   */
  preview(view) {
    if (!this._moved) {
      const snap = document.createElement('canvas');
      snap.width = this.canvas.width;
      snap.height = this.canvas.height;
      snap.getContext('2d').drawImage(this.canvas, 0, 0);
      this._moved = snap;
    }
    const r = this.view;
    const s = view.scale / r.scale;
    const d = this.dpr;
    this._clear();
    this.ctx.setTransform(s, 0, 0, s, d * (view.ox - r.ox * s), d * (view.oy - r.oy * s));
    this.ctx.drawImage(this._moved, 0, 0);
  }

  /** Builds the bitmaps for the current camera and person: one forward pass over the log. */
  prepare() {
    const t0 = performance.now();
    const tl = this.timeline;
    const px = this.canvas.width * this.canvas.height * 4 || 1;
    const budget = Math.max(2, Math.min(MAX_BITMAPS, Math.floor(BITMAP_BYTES / px)));
    // Right after each clear (nothing before it is on the board after it), then evenly.
    const at = new Set(tl.clears.slice(0, Math.floor(budget / 2)));
    const spacing = Math.max(MIN_SPACING, Math.ceil(tl.length / (budget - at.size)));
    for (let i = spacing; i <= tl.length && at.size < budget; i += spacing) at.add(i);
    this.bitmaps = [];
    let prev = null;
    for (const index of [...at].sort((a, b) => a - b)) {
      const bmp = this._bitmapAt(index, prev && tl.lastClear(index) <= prev.index ? prev : null);
      this.bitmaps.push(bmp);
      prev = bmp;
    }
    this.stats.prepareMs = performance.now() - t0;
  }

  /** Paints the board at position i: the latest usable bitmap plus what it lacks. */
  show(i) {
    const t0 = performance.now();
    const tl = this.timeline;
    const base = this._baseFor(i);
    this._clear();
    let drawn;
    if (base) {
      this.ctx.drawImage(base.canvas, 0, 0);
      drawn = this._paint(this.ctx, tl.sceneAt(i).confirmed.values(),
        (el) => !tl.settledAt(el.id, base.index));
    } else {
      drawn = this._paint(this.ctx, tl.sceneAt(i).confirmed.values(), null);
      this.stats.full += 1;
    }
    this._done(t0, drawn);
  }

  /** Paints the whole board at position i in board order (exact; slower). */
  exact(i) {
    const t0 = performance.now();
    this._clear();
    const drawn = this._paint(this.ctx, this.timeline.sceneAt(i).confirmed.values(), null);
    this.stats.full += 1;
    this._done(t0, drawn);
  }

  _clear() {
    this.ctx.setTransform(1, 0, 0, 1, 0, 0);
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
  }

  _done(t0, drawn) {
    this.stats.frames += 1;
    this.stats.drawn = drawn;
    this.stats.lastMs = performance.now() - t0;
  }

  /** The latest bitmap at or before i with no clear between it and i. */
  _baseFor(i) {
    const from = this.timeline.lastClear(i);
    let best = null;
    for (const b of this.bitmaps) {
      if (b.index > i) break;
      if (b.index >= from) best = b;
    }
    return best;
  }

  /** A bitmap of the elements settled at index: `prev` plus those settled since it. */
  _bitmapAt(index, prev) {
    const tl = this.timeline;
    const canvas = document.createElement('canvas');
    canvas.width = this.canvas.width;
    canvas.height = this.canvas.height;
    const ctx = canvas.getContext('2d');
    if (prev) ctx.drawImage(prev.canvas, 0, 0);
    this._paint(ctx, tl.sceneAt(index).confirmed.values(), prev
      ? (el) => tl.settledAt(el.id, index) && !tl.settledAt(el.id, prev.index)
      : (el) => tl.settledAt(el.id, index));
    return { index, canvas };
  }

  /** Paints elements (the person's only) in world units; returns how many were drawn. */
  _paint(ctx, elements, keep) {
    const v = this.view;
    const d = this.dpr;
    ctx.setTransform(d * v.scale, 0, 0, d * v.scale, d * v.ox, d * v.oy);
    // The live renderer's level of detail when zoomed out (see render.js).
    ctx.lbLod = v.scale < 0.6 ? 1.5 / v.scale : 0;
    const vis = {
      x0: -v.ox / v.scale, y0: -v.oy / v.scale,
      x1: (this.width - v.ox) / v.scale, y1: (this.height - v.oy) / v.scale,
    };
    let n = 0;
    for (const el of elements) {
      if (this.who !== null && el.userId !== this.who) continue;
      if (this.shows && !this.shows(el)) continue;
      if (keep && !keep(el)) continue;
      const b = this._boxOf(el);
      if (!b || b.x1 < vis.x0 || b.x0 > vis.x1 || b.y1 < vis.y0 || b.y0 > vis.y1) continue;
      try {
        if (drawElement(ctx, displayed(el))) n += 1; // dark mode's ink, as render.js
      } catch {
        // a malformed element from an old client must not stop the replay
      }
    }
    return n;
  }

  _boxOf(el) {
    let b = this._bounds.get(el);
    if (b === undefined) {
      try {
        b = bounds(el);
      } catch {
        b = null;
      }
      this._bounds.set(el, b);
    }
    return b;
  }
}
