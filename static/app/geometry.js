// Thin re-exports for modules that still import the old geometry API: bounds and hit tests now
// belong to each element type (elements/), and callers should use elements/index.js (bounds as
// {x0, y0, x1, y1}) and spatial.js directly. The {minX, minY, maxX, maxY} forms below remain only
// until those imports are gone. This module names no element type.

import { bounds as elementBounds, hitTest as elementHit } from './elements/index.js';

export { GLYPH_WIDTH, LINE_HEIGHT, textLines } from './elements/lettering.js';
export { normRect, segmentDistance } from './elements/shapes.js';
export { arrowHead, arrowHeadSize } from './elements/arrow.js';

function oldForm(b) {
  return b && { minX: b.x0, minY: b.y0, maxX: b.x1, maxY: b.y1 };
}

/** Bounds {minX, minY, maxX, maxY} including the stroke, or null for an unknown type. */
export function bounds(el) {
  return oldForm(elementBounds(el));
}

/** Bounds of several elements, or null when none has known bounds. */
export function unionBounds(elements) {
  let out = null;
  for (const el of elements) {
    const b = elementBounds(el);
    if (!b) continue;
    if (!out) out = { ...b };
    else {
      out.x0 = Math.min(out.x0, b.x0); out.y0 = Math.min(out.y0, b.y0);
      out.x1 = Math.max(out.x1, b.x1); out.y1 = Math.max(out.y1, b.y1);
    }
  }
  return oldForm(out);
}

export function intersects(a, b) {
  return a.minX <= b.maxX && a.maxX >= b.minX && a.minY <= b.maxY && a.maxY >= b.minY;
}

/** Whether a circle at (x, y) of radius r touches the element's ink; `b` is old-form bounds. */
export function hitTest(el, x, y, r, b) {
  return elementHit(el, x, y, r, b && { x0: b.minX, y0: b.minY, x1: b.maxX, y1: b.maxY });
}

/** Drops points closer than `minDist` to the previous kept one (keeps the first and last). */
export function thinPoints(points, minDist) {
  if (points.length < 3) return points.slice();
  const out = [points[0]];
  for (let i = 1; i < points.length - 1; i += 1) {
    const last = out[out.length - 1];
    if (Math.hypot(points[i][0] - last[0], points[i][1] - last[1]) >= minDist) out.push(points[i]);
  }
  out.push(points[points.length - 1]);
  return out;
}
