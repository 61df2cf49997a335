// Freehand strokes (the pen and the highlighter): a stroke starts as a `draw` with its first
// point and grows by `append`. Input is lightly smoothed; pressure is kept only where a real
// pen reports it and the stroke type wants it.

import { coord, LIMITS } from '../protocol.js';

/** Share of each new sample kept (1 = raw input); the curve drawing smooths the rest. */
const SMOOTHING = 0.75;

/**
 * @param {string} name the tool's name
 * @param {string} elementType the element type it draws (one with `points`)
 * @param {(style: object) => {strokeColor: string, strokeWidth: number}} look the stroke's
 *   color and width from the toolbar style
 * @param {boolean} pressure whether a pen's pressure is recorded
 */
export function strokeTool(name, elementType, look, pressure = true) {
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
    name,
    preview: null,
    get active() {
      return stroke !== null;
    },
    /** The id of the stroke being drawn, or null. */
    get strokeId() {
      return stroke ? stroke.id : null;
    },
    down(ctx, pt) {
      stroke = { id: ctx.newId(), pressure: pressure && pt.pointerType === 'pen' && pt.pressure > 0 };
      last = null;
      const first = sample(pt);
      last = first;
      count = 1;
      const element = { id: stroke.id, elementType, points: [first], ...look(ctx.style) };
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
    /** The stroke was removed by someone else: forget it without sending anything more. */
    abandon() {
      stroke = null;
      last = null;
    },
  };
}
