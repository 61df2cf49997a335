// Two canvases: a cached static layer holding every settled element, and an overlay for
// strokes in progress, the active tool's preview, selections (ours with handles, the others'
// as outlines in their color), live drags (ours and the others') and remote cursors. At most
// one redraw of each per animation frame. While panning a large board, the static layer is
// moved as a bitmap and repainted once the view rests.
//
// The page drives it through methods only (setTool, setView, setSelection, setDrag,
// setCursors, setSelfCursor, invalidate, onFrame); it asks the element registry how to draw,
// bound and transform an element and never names an element type.

import { intersects, isMoveOnly, transformBox, unionOf } from './boxes.js';
import { bounds, drawElement, transformElement } from './elements/index.js';
import {
  paintCursor, paintLabel, paintLaser, paintMarquee, paintRing, paintSelectionBox,
} from './marks.js';
import { handlePoints } from './tools/select.js';
import { displayed } from './theme.js';

/** A full static repaint slower than this makes panning move the cached bitmap instead. */
const SLOW_REPAINT_MS = 10;
/** Repaint in full once the view has rested this long. */
const REST_MS = 120;
/** Remote selections of more elements than this get one box, not one outline each. */
const OUTLINE_EACH_MAX = 200;

export class Renderer {
  constructor(staticCanvas, overlayCanvas, scene, view) {
    this.staticCanvas = staticCanvas;
    this.overlayCanvas = overlayCanvas;
    this.sctx = staticCanvas.getContext('2d');
    this.octx = overlayCanvas.getContext('2d');
    this.scene = scene;
    this.view = view;
    this._boundsCache = new WeakMap();
    this.width = 0;
    this.height = 0;
    this.dpr = 1;
    this.rendered = null; // view the static layer was last fully painted with
    this.snapshot = null; // copy of the static layer, for moving it while panning
    this.lastRepaintMs = 0;
    this.restTimer = null;
    this.frameRequested = false;
    this.needFull = true;
    this.overlayDirty = true;
    this.overlayHadMotion = false;
    /** Simplify strokes when zoomed out (off only to compare in benchmarks). */
    this.lod = true;
    /** Paint others' move-only drags by translation (off only to compare in benchmarks). */
    this.translateMoves = true;
    this._tool = null;
    this._cursors = new Map();
    this._laser = null;
    this.presenter = false;
    this._selfCursor = null;
    this._selection = [];
    this._drag = null; // {ids: Set, t}
    this._remoteDrags = new Map(); // userId -> the latest transform seen from that user
    this._frameHooks = [];
    this.stats = { frames: 0, fullRepaints: 0, lastFrameMs: 0, drawnElements: 0,
      lastRepaintMs: 0, lastOverlayMs: 0 };
  }

  // ---- what the page sets ------------------------------------------------------------

  /** The active tool: its `preview` element and `marquee` box are painted on the overlay. */
  setTool(tool) {
    this._tool = tool;
    this.markOverlay();
  }

  setView(view) {
    this.view = view;
    this.invalidate();
  }

  /** Remote cursors: userId -> {x, y, color}. */
  setCursors(cursors) {
    this._cursors = cursors;
    this.markOverlay();
  }

  /** Issue 14: the laser trails (laser.js LaserTrails) painted, fading, over everything. */
  setLaser(trails) {
    this._laser = trails;
    this.markOverlay();
  }

  /** Presenter mode (for a projector): no one else's cursor or name label is painted. */
  setPresenter(on) {
    this.presenter = Boolean(on);
    this.markOverlay();
  }

  /** The eraser ring {x, y, r} (world units), or null. */
  setSelfCursor(c) {
    if (!c && !this._selfCursor) return;
    this._selfCursor = c;
    this.markOverlay();
  }

  /** The ids this page has selected (drawn with a box and resize handles). */
  setSelection(ids) {
    this._selection = [...ids];
    this.markOverlay();
  }

  /**
   * Our live drag: the ids leave the static layer and are painted on the overlay with the
   * transform `t` each frame. `null` ends it (the scene then holds the result).
   */
  setDrag(ids, t) {
    const was = this._drag;
    if (!t) {
      this._drag = null;
      if (was) this.invalidate();
      return;
    }
    this._drag = { ids: was && was.t ? was.ids : new Set(ids), t };
    if (!was) this.invalidate();
    else this.markOverlay();
  }

  /**
   * The latest `transform` from another user (null when their drag ended). A move-only drag
   * is painted as a translation of the unmoved elements, as our own is; the scene's
   * previewed elements are only needed for a resize.
   */
  setRemoteDrag(userId, t) {
    if (t && Object.keys(t).length) this._remoteDrags.set(userId, t);
    else this._remoteDrags.delete(userId);
    this.markOverlay();
  }

  /** Calls fn(stats) after every frame; returns a function that removes it. */
  onFrame(fn) {
    this._frameHooks.push(fn);
    return () => {
      this._frameHooks = this._frameHooks.filter((f) => f !== fn);
    };
  }

  resize() {
    const dpr = window.devicePixelRatio || 1;
    const w = window.innerWidth;
    const h = window.innerHeight;
    if (w === this.width && h === this.height && dpr === this.dpr) return;
    this.width = w;
    this.height = h;
    this.dpr = dpr;
    for (const c of [this.staticCanvas, this.overlayCanvas]) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
      c.style.width = `${w}px`;
      c.style.height = `${h}px`;
    }
    // Resizing resets each context's state, font included.
    this.sctx.lbFontSize = null;
    this.octx.lbFontSize = null;
    this.invalidate();
  }

  /** Repaint everything at the next frame. */
  invalidate() {
    this.needFull = true;
    this.overlayDirty = true;
    this.request();
  }

  request() {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => this.frame());
  }

  markOverlay() {
    this.overlayDirty = true;
    this.request();
  }

  /** The element's bounds, cached per element object (elements are never mutated). */
  boundsOf(el) {
    let b = this._boundsCache.get(el);
    if (b === undefined) {
      try {
        b = bounds(el);
      } catch {
        b = null;
      }
      this._boundsCache.set(el, b);
    }
    return b;
  }

  /** Union bounds of the displayed elements with these ids (world units), or null. */
  boxOf(ids) {
    const els = [];
    for (const id of ids) {
      const el = this.scene.get(id);
      if (el) els.push(el);
    }
    return this.boxOfElements(els);
  }

  /** Union bounds of a list of elements, or null. */
  boxOfElements(elements) {
    return unionOf(elements.map((el) => this.boundsOf(el)));
  }

  /** Our selection's box as now shown (moved along with a live drag). */
  selectionBox() {
    const box = this.boxOf(this._selection);
    return this._drag ? transformBox(box, this._drag.t) : box;
  }

  // ---- painting ------------------------------------------------------------------------

  _worldTransform(ctx) {
    const v = this.view;
    const d = this.dpr;
    ctx.setTransform(d * v.scale, 0, 0, d * v.scale, d * v.ox, d * v.oy);
  }

  _viewChanged() {
    const r = this.rendered;
    const v = this.view;
    return !r || r.scale !== v.scale || r.ox !== v.ox || r.oy !== v.oy;
  }

  /** Not on the static layer: strokes still growing and anything being dragged. */
  _offStatic(id) {
    return this.scene.live.has(id) || (this._drag !== null && this._drag.ids.has(id)) ||
      this.scene.hiddenByPreview(id);
  }

  frame() {
    this.frameRequested = false;
    const t0 = performance.now();
    this.stats.frameStart = t0;
    const changes = this.scene.takeChanges();
    if (changes.full) {
      this.needFull = true;
      this.overlayDirty = true; // selection boxes follow the elements
    }
    const viewMoved = this._viewChanged();
    if (viewMoved) this.overlayDirty = true;
    if (this.needFull && !viewMoved) {
      this.repaint();
    } else if (viewMoved) {
      if (this.lastRepaintMs > SLOW_REPAINT_MS && this.rendered) {
        this._moveBitmap();
        this._scheduleRest();
      } else {
        this.repaint();
      }
    } else if (changes.top.length) {
      this._drawOnTop(changes.top);
      this.overlayDirty = true;
    }
    // Repaint the overlay while anything on it moves, and once more after it stops.
    if (changes.overlay) this.overlayDirty = true;
    const remote = this._remoteView();
    // A laser trail keeps the overlay painting until its last point has faded.
    const laser = Boolean(this._laser && this._laser.size > 0);
    const motion = this.scene.live.size > 0 || this._drag !== null || remote.active || laser;
    if (this.overlayDirty || motion || this.overlayHadMotion) this.paintOverlay(remote);
    this.overlayHadMotion = motion;
    this.stats.frames += 1;
    this.stats.lastFrameMs = performance.now() - t0;
    for (const fn of this._frameHooks) fn(this.stats);
  }

  _scheduleRest() {
    clearTimeout(this.restTimer);
    this.restTimer = setTimeout(() => {
      this.needFull = true;
      this.rendered = null;
      this.snapshot = null;
      this.request();
    }, REST_MS);
  }

  _draw(ctx, el) {
    if (this.shows && !this.shows(el)) return false; // issue 15: another page's element
    try {
      return drawElement(ctx, displayed(el)); // dark mode's ink (theme.js)
    } catch {
      return false; // a malformed element from an old or foreign client must never break the page
    }
  }

  /** Paints every settled, visible element onto the static layer. */
  repaint() {
    const t0 = performance.now();
    const ctx = this.sctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.staticCanvas.width, this.staticCanvas.height);
    this._worldTransform(ctx);
    // Level of detail when zoomed out: world units per screen pixel (see the element modules).
    ctx.lbLod = this.lod && this.view.scale < 0.6 ? 1.5 / this.view.scale : 0;
    const margin = 2 / this.view.scale;
    const vis = this.view.visible(this.width, this.height);
    vis.x0 -= margin; vis.y0 -= margin; vis.x1 += margin; vis.y1 += margin;
    let drawn = 0;
    for (const el of this.scene.elements()) {
      if (this._offStatic(el.id)) continue;
      const b = this.boundsOf(el);
      if (!b || !intersects(b, vis)) continue;
      if (this._draw(ctx, el)) drawn += 1;
    }
    this.rendered = this.view.snapshot();
    this.snapshot = null;
    this.needFull = false;
    this.lastRepaintMs = performance.now() - t0;
    this.stats.fullRepaints += 1;
    this.stats.drawnElements = drawn;
    this.stats.lastRepaintMs = this.lastRepaintMs;
  }

  _drawOnTop(ids) {
    const ctx = this.sctx;
    this._worldTransform(ctx);
    for (const id of ids) {
      const el = this.scene.get(id);
      if (el && !this._offStatic(id)) this._draw(ctx, el);
    }
    this.snapshot = null;
  }

  /** Moves the last painted bitmap to follow the view (cheap; exact again after rest). */
  _moveBitmap() {
    if (!this.snapshot) {
      const snap = document.createElement('canvas');
      snap.width = this.staticCanvas.width;
      snap.height = this.staticCanvas.height;
      snap.getContext('2d').drawImage(this.staticCanvas, 0, 0);
      this.snapshot = snap;
    }
    const r = this.rendered;
    const v = this.view;
    const s = v.scale / r.scale;
    const ctx = this.sctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.staticCanvas.width, this.staticCanvas.height);
    const d = this.dpr;
    ctx.setTransform(s, 0, 0, s, d * (v.ox - r.ox * s), d * (v.oy - r.oy * s));
    ctx.drawImage(this.snapshot, 0, 0);
  }

  /**
   * The others' selections and live drags: {selections: [{userId, color, ids, t}], previews:
   * elements to paint as the scene transformed them, active}. `t` is set for a move-only drag
   * the scene shows (its elements are off the static layer), painted here by translation.
   */
  _remoteView() {
    const selections = [];
    const translated = new Set();
    for (const sel of this.scene.remoteSelections()) {
      const t = this._remoteDrags.get(sel.userId);
      const live = this.translateMoves && t && isMoveOnly(t) && sel.ids.length &&
        this.scene.hiddenByPreview(sel.ids[0]);
      selections.push({ ...sel, t: live ? t : null });
      if (live) for (const id of sel.ids) translated.add(id);
    }
    const hidden = this.scene.previewHidden;
    let previews = [];
    if (hidden.size && [...hidden].some((id) => !translated.has(id))) {
      previews = [...this.scene.previewed()].filter((el) => !translated.has(el.id));
    }
    return { selections, previews, active: hidden.size > 0 };
  }

  paintOverlay(remote = this._remoteView()) {
    const { previews } = remote;
    const t0 = performance.now();
    this.overlayDirty = false;
    const ctx = this.octx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.overlayCanvas.width, this.overlayCanvas.height);
    this._worldTransform(ctx);
    for (const id of this.scene.live.keys()) {
      const el = this.scene.get(id);
      if (el && !(this._drag && this._drag.ids.has(id))) this._draw(ctx, el);
    }
    // The others' live drags, as the scene computes them from their transforms.
    for (const el of previews) this._draw(ctx, el);
    for (const sel of remote.selections) if (sel.t) this._paintMoved(ctx, sel.ids, sel.t);
    if (this._drag) this._paintDrag(ctx);
    const preview = this._tool && this._tool.preview;
    if (preview) this._draw(ctx, preview);
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    this._paintRemoteSelections(ctx, remote);
    this._paintSelection(ctx);
    const marquee = this._tool && this._tool.marquee;
    if (marquee) paintMarquee(ctx, this._screenBox(marquee));
    if (this._selfCursor) this._ring(ctx, this._selfCursor);
    if (this._laser) {
      const now = performance.now();
      for (const t of this._laser.trails(now)) {
        paintLaser(ctx, t.color, t.points.map((p) => [...this.view.toScreen(p.x, p.y), p.alpha]));
      }
      if (this._laser.size) this.request();
    }
    for (const [name, c] of this.presenter ? [] : this._cursors) {
      const [x, y] = this.view.toScreen(c.x, c.y);
      if (x > -50 && y > -50 && x < this.width + 50 && y < this.height + 50) {
        paintCursor(ctx, name, c.color, x, y);
      }
    }
    this.stats.lastOverlayMs = performance.now() - t0;
  }

  /** Elements moved by {dx, dy}: a translation of the canvas, no element rebuilt. */
  _paintMoved(ctx, ids, t) {
    const v = this.view;
    const d = this.dpr;
    ctx.setTransform(d * v.scale, 0, 0, d * v.scale, d * (v.ox + (t.dx ?? 0) * v.scale),
      d * (v.oy + (t.dy ?? 0) * v.scale));
    for (const id of ids) {
      const el = this.scene.get(id);
      if (el) this._draw(ctx, el);
    }
    this._worldTransform(ctx);
  }

  _paintDrag(ctx) {
    const { ids, t } = this._drag;
    if (isMoveOnly(t)) {
      this._paintMoved(ctx, ids, t);
      return;
    }
    const full = { dx: 0, dy: 0, sx: 1, sy: 1, ox: 0, oy: 0, ...t };
    for (const id of ids) {
      const el = this.scene.get(id);
      if (!el) continue;
      try {
        this._draw(ctx, transformElement(el, full));
      } catch {
        // skipped, as a malformed element is in repaint()
      }
    }
  }

  _ring(ctx, c) {
    const [sx, sy] = this.view.toScreen(c.x, c.y);
    paintRing(ctx, sx, sy, c.r * this.view.scale);
  }

  _screenBox(b) {
    const [x0, y0] = this.view.toScreen(b.x0, b.y0);
    const [x1, y1] = this.view.toScreen(b.x1, b.y1);
    return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
  }

  _paintSelection(ctx) {
    const box = this.selectionBox();
    if (!box) return;
    const handles = handlePoints(box).map((h) => this.view.toScreen(h.x, h.y));
    paintSelectionBox(ctx, this._screenBox(box), handles);
  }

  /** Each other person's selection, outlined in their color where their drag shows it. */
  _paintRemoteSelections(ctx, remote) {
    const moved = new Map();
    for (const el of remote.previews) moved.set(el.id, el);
    for (const sel of remote.selections) {
      const ids = sel.ids || [];
      if (!ids.length) continue;
      ctx.strokeStyle = sel.color || '#6b7280';
      ctx.lineWidth = 2;
      ctx.setLineDash([]);
      const els = [];
      for (const id of ids) {
        const el = moved.get(id) || this.scene.get(id);
        if (el) els.push(el);
      }
      // A move-only drag shifts the unmoved elements' (cached) bounds.
      if (els.length <= OUTLINE_EACH_MAX) {
        for (const el of els) {
          const b = this.boundsOf(el);
          if (!b) continue;
          const s = this._screenBox(transformBox(b, sel.t));
          ctx.strokeRect(s.x - 1, s.y - 1, s.w + 2, s.h + 2);
        }
      }
      const box = transformBox(this.boxOfElements(els), sel.t);
      if (!box) continue;
      const s = this._screenBox(box);
      ctx.setLineDash([6, 4]);
      ctx.lineWidth = 1;
      ctx.strokeRect(s.x - 4, s.y - 4, s.w + 8, s.h + 8);
      ctx.setLineDash([]);
      if (sel.userId && !this.presenter) paintLabel(ctx, sel.userId, sel.color || '#6b7280', s.x - 4, s.y - 24);
    }
  }
}
