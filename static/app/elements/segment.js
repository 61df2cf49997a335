// What the two-point element types share: their fields, bounds, hit test and painting of the
// shaft. Pure module: no DOM.

import { field, fieldTable } from './fields.js';
import { segmentDistance, strokePad } from './shapes.js';

export const SEGMENT_FIELDS = fieldTable({
  x1: field('x'), y1: field('y'), x2: field('x'), y2: field('y'),
});

/** The box of the segment, grown by `extra` beyond the stroke (for a head at an end). */
export function segmentBounds(el, extra = 0) {
  const pad = strokePad(el) + extra;
  return {
    x0: Math.min(el.x1, el.x2) - pad, y0: Math.min(el.y1, el.y2) - pad,
    x1: Math.max(el.x1, el.x2) + pad, y1: Math.max(el.y1, el.y2) + pad,
  };
}

export function nearSegment(el, x, y, tol) {
  return segmentDistance(x, y, el.x1, el.y1, el.x2, el.y2) <= tol + el.strokeWidth / 2;
}

export function beginSegment(ctx, el) {
  ctx.strokeStyle = el.strokeColor;
  ctx.lineWidth = el.strokeWidth;
  ctx.beginPath();
  ctx.moveTo(el.x1, el.y1);
  ctx.lineTo(el.x2, el.y2);
}
