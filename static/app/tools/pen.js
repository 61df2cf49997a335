// Freehand pen: a stroke starts as a `draw` with its first point and grows by `append`.
// Input is lightly smoothed; pressure is kept only where a real pen reports it.

import { coord, LIMITS } from '../protocol.js';

/** Share of each new sample kept (1 = raw input); the curve drawing smooths the rest. */
const SMOOTHING = 0.75;

export function penTool() {
  let stroke = null;
  let last = null;
  let count = 0;

  function sample(pt) {
    const x = last ? last[0] + (pt.x - last[0]) * SMOOTHING : pt.x;
    const y = last ? last[1] + (pt.y - last[1]) * SMOOTHING : pt.y;
    const p = [coord(x), coord(y)];
    if (stroke.pressure) p.push(Math.round(Math.max(0, Math.min(1, pt.pressure)) * 100) / 100);
    return p;
  }

  return {
    name: 'pen',
    get active() {
      return stroke !== null;
    },
    down(ctx, pt) {
      stroke = { id: ctx.newId(), pressure: pt.pointerType === 'pen' && pt.pressure > 0 };
      last = null;
      const first = sample(pt);
      last = first;
      count = 1;
      const element = { id: stroke.id, elementType: 'path', points: [first],
        strokeColor: ctx.style.color, strokeWidth: ctx.style.width };
      return [{ op: 'begin', element }];
    },
    move(ctx, pt) {
      if (!stroke || count >= LIMITS.MAX_PATH_POINTS - 1) return [];
      // Points closer than about a screen pixel add bytes, not shape.
      if (Math.hypot(pt.x - last[0], pt.y - last[1]) < 1.5 / ctx.scale) return [];
      const p = sample(pt);
      last = p;
      count += 1;
      return [{ op: 'append', id: stroke.id, points: [p] }];
    },
    up(ctx, pt) {
      if (!stroke) return [];
      const ops = [];
      if (pt && count < LIMITS.MAX_PATH_POINTS &&
          Math.hypot(pt.x - last[0], pt.y - last[1]) >= 0.5 / ctx.scale) {
        const p = [coord(pt.x), coord(pt.y)];
        if (stroke.pressure) p.push(last[2]);
        ops.push({ op: 'append', id: stroke.id, points: [p] });
      }
      ops.push({ op: 'end', id: stroke.id });
      stroke = null;
      last = null;
      return ops;
    },
    cancel() {
      if (!stroke) return [];
      const id = stroke.id;
      stroke = null;
      return [{ op: 'cancel', id }];
    },
    preview: null,
  };
}
