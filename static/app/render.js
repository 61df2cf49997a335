// Two canvases: a cached static layer holding every settled element, and an overlay for
// strokes in progress, the active tool's preview and remote cursors. At most one redraw of each
// per animation frame. While panning a large board, the static layer is moved as a bitmap and
// repainted once the view rests.

import { bounds, intersects } from './geometry.js';
import { drawElement, FONT_FAMILY } from './draw.js';

/** A full static repaint slower than this makes panning move the cached bitmap instead. */
const SLOW_REPAINT_MS = 10;
/** Repaint in full once the view has rested this long. */
const REST_MS = 120;

export class Renderer {
  constructor(staticCanvas, overlayCanvas, scene, view) {
    this.staticCanvas = staticCanvas;
    this.overlayCanvas = overlayCanvas;
    this.sctx = staticCanvas.getContext('2d');
    this.octx = overlayCanvas.getContext('2d');
    this.scene = scene;
    this.view = view;
    this.bounds = new WeakMap();
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
    this.overlayHadLive = false;
    /** Simplify strokes when zoomed out (off only to compare in benchmarks). */
    this.lod = true;
    /** Hooks the page sets: preview element, cursors and a callback after each frame. */
    this.preview = null;
    this.cursors = new Map();
    this.selfCursor = null;
    this.afterFrame = null;
    this.stats = { frames: 0, fullRepaints: 0, lastFrameMs: 0, drawnElements: 0 };
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

  invalidate() {
    this.needFull = true;
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
    return this._bounds(el);
  }

  _bounds(el) {
    let b = this.bounds.get(el);
    if (b === undefined) {
      b = bounds(el);
      this.bounds.set(el, b);
    }
    return b;
  }

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

  frame() {
    this.frameRequested = false;
    const t0 = performance.now();
    this.stats.frameStart = t0;
    const changes = this.scene.takeChanges();
    if (changes.full) this.needFull = true;
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
    }
    // Repaint the overlay while strokes are live, and once more after the last one leaves.
    const live = this.scene.live.size > 0;
    if (this.overlayDirty || live || this.overlayHadLive) this.paintOverlay();
    this.overlayHadLive = live;
    this.stats.frames += 1;
    this.stats.lastFrameMs = performance.now() - t0;
    if (this.afterFrame) this.afterFrame(this.stats);
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

  /** Paints every settled, visible element onto the static layer. */
  repaint() {
    const t0 = performance.now();
    const ctx = this.sctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.staticCanvas.width, this.staticCanvas.height);
    this._worldTransform(ctx);
    // Level of detail when zoomed out: world units per screen pixel (see draw.js).
    ctx.lbLod = this.lod && this.view.scale < 0.6 ? 1.5 / this.view.scale : 0;
    const margin = 2 / this.view.scale;
    const vis = this.view.visible(this.width, this.height);
    vis.minX -= margin; vis.minY -= margin; vis.maxX += margin; vis.maxY += margin;
    let drawn = 0;
    const live = this.scene.live;
    for (const el of this.scene.elements()) {
      if (live.has(el.id)) continue;
      const b = this._bounds(el);
      if (!b || !intersects(b, vis)) continue;
      try {
        if (drawElement(ctx, el)) drawn += 1;
      } catch {
        // A malformed element from an old or foreign client must never break the page.
      }
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
      if (!el || this.scene.live.has(id)) continue;
      try {
        drawElement(ctx, el);
      } catch {
        // skipped, as in repaint()
      }
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

  paintOverlay() {
    this.overlayDirty = false;
    const ctx = this.octx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.overlayCanvas.width, this.overlayCanvas.height);
    this._worldTransform(ctx);
    for (const id of this.scene.live.keys()) {
      const el = this.scene.get(id);
      if (!el) continue;
      try {
        drawElement(ctx, el);
      } catch {
        // skipped
      }
    }
    if (this.preview) {
      try {
        drawElement(ctx, this.preview);
      } catch {
        // skipped
      }
    }
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    if (this.selfCursor) this._eraserRing(ctx, this.selfCursor);
    for (const [name, c] of this.cursors) this._cursor(ctx, name, c);
  }

  _eraserRing(ctx, c) {
    const [sx, sy] = this.view.toScreen(c.x, c.y);
    ctx.beginPath();
    ctx.arc(sx, sy, c.r * this.view.scale, 0, Math.PI * 2);
    ctx.strokeStyle = '#6b7280';
    ctx.lineWidth = 1;
    ctx.stroke();
  }

  /** A remote pointer: an arrow in the user's color and the name on a label (canvas text). */
  _cursor(ctx, name, c) {
    const [x, y] = this.view.toScreen(c.x, c.y);
    if (x < -50 || y < -50 || x > this.width + 50 || y > this.height + 50) return;
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x, y + 19);
    ctx.lineTo(x + 5, y + 14.5);
    ctx.lineTo(x + 13, y + 14.5);
    ctx.closePath();
    ctx.fillStyle = c.color;
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = 1.5;
    ctx.fill();
    ctx.stroke();
    ctx.font = `12px ${FONT_FAMILY}`;
    ctx.lbFontSize = null; // drawElement's font cache (draw.js) no longer holds
    ctx.textBaseline = 'middle';
    const w = ctx.measureText(name).width + 10;
    ctx.fillStyle = c.color;
    ctx.beginPath();
    if (ctx.roundRect) ctx.roundRect(x + 12, y + 16, w, 18, 4);
    else ctx.rect(x + 12, y + 16, w, 18); // older Safari
    ctx.fill();
    ctx.fillStyle = '#ffffff';
    ctx.fillText(name, x + 17, y + 25);
  }
}
