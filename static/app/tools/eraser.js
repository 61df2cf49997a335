// Eraser: removes whole elements it touches. One drag is one undoable action.

import { hitTest } from '../geometry.js';

/** The eraser's radius in screen pixels. */
export const ERASER_RADIUS = 10;

export function eraserTool() {
  let gesture = 0;
  let dragging = false;
  let lastPt = null;

  function touched(ctx, pt) {
    const r = ERASER_RADIUS / ctx.scale;
    const ids = [];
    // Sample along the move so a quick swipe does not jump over thin strokes.
    const from = lastPt || pt;
    const steps = Math.max(1, Math.ceil(Math.hypot(pt.x - from.x, pt.y - from.y) / r));
    for (const el of ctx.scene.elements()) {
      const b = ctx.boundsOf(el);
      if (!b || b.maxX < Math.min(from.x, pt.x) - r || b.minX > Math.max(from.x, pt.x) + r ||
          b.maxY < Math.min(from.y, pt.y) - r || b.minY > Math.max(from.y, pt.y) + r) continue;
      for (let i = 1; i <= steps; i += 1) {
        const x = from.x + ((pt.x - from.x) * i) / steps;
        const y = from.y + ((pt.y - from.y) * i) / steps;
        if (hitTest(el, x, y, r, b)) {
          ids.push(el.id);
          break;
        }
      }
    }
    lastPt = pt;
    return ids.length ? [{ op: 'erase', ids, group: gesture }] : [];
  }

  return {
    name: 'eraser',
    get active() {
      return dragging;
    },
    preview: null,
    down(ctx, pt) {
      gesture += 1;
      dragging = true;
      lastPt = null;
      return touched(ctx, pt);
    },
    move(ctx, pt) {
      return dragging ? touched(ctx, pt) : [];
    },
    up() {
      dragging = false;
      lastPt = null;
      return [{ op: 'endErase', group: gesture }];
    },
    cancel() {
      dragging = false;
      return [{ op: 'endErase', group: gesture }];
    },
  };
}
